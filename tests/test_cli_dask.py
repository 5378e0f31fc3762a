"""``divlab compare`` on directories, read lazily and computed on a dask.distributed cluster.

Reference: the eager command line on the same data written as one ``.npy`` / CSV file; the
JSON numbers (estimates, intervals, p-values, details) must agree to 1e-9 relative. The
clusters are real (worker processes): one started by the command (``--workers 2``), one
started here and reached with ``--scheduler``. Bad paths and options end with exit status 2
and one line on stderr, before any cluster is started.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
pq = pytest.importorskip("pyarrow.parquet")
pa = pytest.importorskip("pyarrow")

import dask  # noqa: E402

from divlab import cli  # noqa: E402
from divlab.cli import build_parser, main  # noqa: E402

FAST = ["--metrics", "mmd,energy,w1", "--n-resamples", "20", "--seed", "4", "--json"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("clidask")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(240, 2)), rng.normal(0.4, 1.2, size=(200, 2))
    for name, v, cuts in (("X", x, [70, 71, 200]), ("Y", y, [120])):
        (d / name).mkdir()
        for i, part in enumerate(np.split(v, cuts)):
            np.save(d / name / f"p{i}.npy", part)
    np.save(d / "x.npy", x)
    np.save(d / "y.npy", y)
    np.savetxt(d / "x.csv", x, delimiter=",", header="a,b", comments="")
    np.savetxt(d / "y.csv", y, delimiter=",", header="a,b", comments="")
    (d / "PX").mkdir()
    pq.write_table(pa.table({"a": x[:100, 0], "b": x[:100, 1]}), d / "PX" / "0.parquet",
                   row_group_size=40)
    pq.write_table(pa.table({"b": x[100:, 1], "a": x[100:, 0]}), d / "PX" / "1.parquet")
    pq.write_table(pa.table({"a": y[:, 0], "b": y[:, 1]}), d / "y.parquet", row_group_size=64)
    bad = x.copy()
    bad[150, 1] = np.nan
    (d / "NAN").mkdir()
    np.save(d / "NAN" / "p0.npy", bad[:100])
    np.save(d / "NAN" / "p1.npy", bad[100:])
    return d


@pytest.fixture(scope="module")
def dask_compare():
    """Skip when divlab.compare does not (yet) accept Dask arrays."""
    import divlab

    rng = np.random.default_rng(1)
    x = da.from_array(rng.normal(size=(30, 2)), chunks=10)
    y = da.from_array(rng.normal(size=(25, 2)), chunks=10)
    try:
        with dask.config.set(scheduler="sync"):
            divlab.compare(x, y, metrics="mmd", n_resamples=0)
    except Exception as exc:
        pytest.skip(f"divlab.compare does not accept Dask arrays yet ({type(exc).__name__}: "
                    f"{exc})")


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  memory_limit="1GB", dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def _run(capsys, *argv):
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def _json(capsys, *argv):
    status, out, err = _run(capsys, *argv)
    assert status == 0, err
    return json.loads(out), err


def _numbers(obj, path=""):
    """Every number of a JSON value, by its path (strings and the method text left out)."""
    if isinstance(obj, dict):
        return {k: v for key, val in obj.items() for k, v in _numbers(val, f"{path}.{key}").items()}
    if isinstance(obj, list):
        return {k: v for i, val in enumerate(obj) for k, v in _numbers(val, f"{path}[{i}]").items()}
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        return {path: obj}
    return {}


def _assert_same_rows(lazy, eager):
    assert lazy["x_shape"] == eager["x_shape"] and lazy["y_shape"] == eager["y_shape"]
    assert [r["metric"] for r in lazy["rows"]] == [r["metric"] for r in eager["rows"]]
    a, b = _numbers(lazy["rows"]), _numbers(eager["rows"])
    assert a.keys() == b.keys()
    for k in a:
        assert math.isclose(a[k], b[k], rel_tol=1e-9, abs_tol=1e-12), (k, a[k], b[k])


def _one_error_line(status, err, *words):
    assert status == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("divlab: error:"), err
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0], lines[0]


def test_local_cluster_equals_eager(data, dask_compare, capsys):
    d = data
    eager, err = _json(capsys, "compare", d / "x.npy", d / "y.npy", *FAST)
    assert err == ""
    lazy, err = _json(capsys, "compare", d / "X", d / "Y", "--workers", "2", *FAST)
    _assert_same_rows(lazy, eager)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("divlab: dask: local cluster tcp://")
    assert "2 worker(s), 2 thread(s), memory limit 1.40 GiB per worker" in lines[0]
    assert lazy["extra"]["files"] == [str(d / "X"), str(d / "Y")]
    assert any(n.startswith("computed on Dask, local cluster") for n in lazy["notes"])


def test_scheduler_parquet_by_name(data, dask_compare, scheduler, capsys):
    d = data
    # the Parquet files list a, b in different orders: read by name, as the eager CSV is
    eager, _ = _json(capsys, "compare", d / "x.csv", d / "y.csv", "--columns", "b,a", *FAST)
    lazy, err = _json(capsys, "compare", d / "PX", d / "y.parquet", "--columns", "b,a",
                      "--scheduler", scheduler, *FAST)
    _assert_same_rows(lazy, eager)
    assert f"divlab: dask: cluster {scheduler}: 1 worker(s)" in err
    assert lazy["extra"]["column_matching"] == "matched by name"
    # one Parquet file, one CSV read into memory: --dask takes any file
    mixed, err = _json(capsys, "compare", d / "y.parquet", d / "x.csv", "--dask",
                       "--scheduler", scheduler, *FAST)
    assert any("x.csv: read into memory" in n for n in mixed["notes"])


def test_scheduler_nan_and_names(data, dask_compare, scheduler, capsys):
    d = data
    # a NaN is found by the worker reading its chunk; the error crosses the cluster
    status, _, err = _run(capsys, "compare", d / "NAN", d / "Y", "--scheduler", scheduler,
                          *FAST)
    assert status == 2
    assert err.count("divlab: error:") == 1 and "Traceback" not in err
    assert "p1.npy (rows 0-139): column 1 has 1 missing value(s)" in err
    assert "the first in row 50" in err
    # .npy has no names, Parquet has: matched as the eager command line does
    status, _, err = _run(capsys, "compare", d / "X", d / "y.parquet",
                          "--scheduler", scheduler, *FAST)
    _one_error_line(status, err, "cannot be matched by name", "--by-position")


@pytest.mark.parametrize(("args", "words"), [
    (["{d}/missing", "{d}/Y"], ["file not found", "missing"]),
    (["{d}/X", "{d}/Y", "--workers", "0"], ["--workers must be at least 1"]),
    (["{d}/X", "{d}/Y", "--memory-limit", "lots"], ["--memory-limit", "1.5GB"]),
    (["{d}/X", "{d}/Y", "--no-dask", "--workers", "3"], ["--no-dask contradicts --workers"]),
    (["{d}/X", "{d}/Y", "--scheduler", "tcp://127.0.0.1:1", "--workers", "3"],
     ["--workers configure a local cluster"]),
    (["{d}/X", "{d}/Y", "--chunk-rows", "0"], ["--chunk-rows must be a positive integer"]),
    (["{d}/X", "{d}/x.csv", "--dask"], ["cannot be matched by name"]),
    (["{d}/x.npy", "{d}/y.npy", "--dask", "--columns", "q"], ["no column named 'q'"]),
    (["{d}", "{d}/Y"], ["both .npy and Parquet"]),
])
def test_bad_input_one_line_no_cluster(data, capsys, monkeypatch, args, words):
    started = []
    monkeypatch.setattr(distributed, "LocalCluster",
                        lambda *a, **k: started.append(1) or pytest.fail("cluster started"))
    status, out, err = _run(capsys, "compare", *[a.format(d=data) for a in args], *FAST)
    _one_error_line(status, err, *words)
    assert out == "" and not started


def test_unreachable_scheduler(data, capsys):
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        status, _, err = _run(capsys, "compare", data / "X", data / "Y", "--scheduler",
                              "tcp://127.0.0.1:9", *FAST)
    _one_error_line(status, err, "cannot connect to the Dask scheduler at tcp://127.0.0.1:9")


def test_ctrl_c_closes_the_cluster(data, capsys, monkeypatch):
    import divlab.estimators

    clusters = []
    real = distributed.LocalCluster

    def local_cluster(*a, **k):
        assert k["n_workers"] == 1 and k["threads_per_worker"] == 1 and k["processes"]
        assert k["memory_limit"] == "1.5GB"
        clusters.append(real(*a, **{**k, "dashboard_address": None}))
        return clusters[-1]

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(distributed, "LocalCluster", local_cluster)
    monkeypatch.setattr(divlab.estimators, "compare", interrupted)
    status, _, err = _run(capsys, "compare", data / "X", data / "Y", "--workers", "1", *FAST)
    assert status == 130 and "interrupted" in err
    assert len(clusters) == 1 and clusters[0].status.name == "closed"


def test_when_dask_is_used(data, monkeypatch):
    parser = build_parser()

    def use(*argv):
        return cli._use_dask(parser.parse_args(["compare", *map(str, argv)]))

    d = data
    assert use(d / "X", d / "y.npy")  # a directory
    assert not use(d / "x.npy", d / "y.npy")
    assert use(d / "x.npy", d / "y.npy", "--dask")
    assert use(d / "x.csv", d / "y.csv", "--chunk-rows", "10")  # a Dask option
    assert not use(d / "X", d / "Y", "--no-dask")
    monkeypatch.setattr(cli, "_auto_dask_bytes", lambda: 10_000)
    assert not use(d / "x.npy", d / "y.npy")  # 4.0 kB + 3.3 kB on disk
    monkeypatch.setattr(cli, "_auto_dask_bytes", lambda: 5_000)
    assert use(d / "x.npy", d / "y.npy")
    assert not use(d / "x.csv", d / "y.csv")  # text is never read lazily unless asked
    assert not use(d / "x.npy", d / "y.npy", "--no-dask")
