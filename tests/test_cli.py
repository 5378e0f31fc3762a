"""The ``divlab`` command line, driven as a subprocess (``python -m divlab``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from divlab.cli import CLIError, _cli_advice, main
from divlab.errors import InputError
from divlab.io import load_samples

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--metrics", "mmd,energy", "--n-resamples", "20"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "divlab", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=120)


def assert_clean_failure(res: subprocess.CompletedProcess, *words: str) -> None:
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("divlab: error:"), res.stderr
    for w in words:
        assert w in lines[0]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(80, 2)), rng.normal(1.0, 1.0, size=(70, 2))
    np.save(d / "x.npy", x)
    np.save(d / "y.npy", y)
    np.savez(d / "xy.npz", feats=x, other=np.zeros(3))
    np.savez(d / "y.npz", feats=y)
    np.savetxt(d / "x_head.csv", x, delimiter=",", header="a,b", comments="")
    np.savetxt(d / "y_nohead.csv", y, delimiter=",")
    np.savetxt(d / "y.tsv", y, delimiter="\t", header="a\tb", comments="")
    (d / "bad.csv").write_text("a,b,label\n1,2,cat\n3,4,dog\n")
    (d / "nan.csv").write_text("a,b\n1,2\nnan,4\n5,6\n")
    np.save(d / "y3.npy", rng.normal(size=(70, 3)))
    return d, x, y


def test_compare_npy_table(data):
    d, _, _ = data
    res = run("compare", str(d / "x.npy"), str(d / "y.npy"), *FAST)
    assert res.returncode == 0, res.stderr
    assert "mmd" in res.stdout and "energy" in res.stdout and "p-value" in res.stdout
    assert res.stderr == ""  # no progress bar when stderr is not a terminal


def test_compare_json_npz_csv_tsv(data, capsys):
    d, _, _ = data
    out = json_rows(capsys, "compare", str(d / "xy.npz"), str(d / "y.npz"), "--key", "feats",
                    *FAST)
    assert out["x_shape"] == [80, 2] and [r["metric"] for r in out["rows"]] == ["mmd", "energy"]
    # a file with a header and one without: no names to match, so position must be asked for
    line = one_line_error(capsys, "compare", str(d / "x_head.csv"), str(d / "y_nohead.csv"),
                          *FAST)
    assert "cannot be matched by name" in line and "--by-position" in line
    out = json_rows(capsys, "compare", str(d / "x_head.csv"), str(d / "y_nohead.csv"), *FAST,
                    "--seed", "3", "--by-position")
    assert out["y_shape"] == [70, 2]
    assert main(["compare", str(d / "x_head.csv"), str(d / "y.tsv"), "--columns", "b", *FAST,
                 "--markdown"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("**divlab compare** - x: 80 x 1") and "| mmd |" in md


def test_bad_inputs_one_line(data):
    d, _, _ = data
    assert_clean_failure(run("compare", str(d / "missing.npy"), str(d / "y.npy")),
                         "file not found")


def one_line_error(capsys, *argv: str) -> str:
    """Run ``main`` in this process: exit status 2 and exactly one line on stderr."""
    assert main(list(argv)) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("divlab: error:"), err
    assert "Traceback" not in err
    return lines[0]


def test_bad_inputs_in_process(data, capsys, tmp_path):
    d, _, _ = data
    y = str(d / "y.npy")
    assert "'label'" in one_line_error(capsys, "compare", str(d / "bad.csv"), y)
    assert "not numeric" in one_line_error(capsys, "compare", str(d / "bad.csv"), y)
    assert "dimension mismatch" in one_line_error(capsys, "compare", str(d / "x.npy"),
                                                   str(d / "y3.npy"), *FAST)
    assert "--key" in one_line_error(capsys, "compare", str(d / "xy.npz"), str(d / "y.npz"))
    assert "unknown metric" in one_line_error(capsys, "compare", str(d / "x.npy"), y,
                                              "--metrics", "kl,nope")
    # the failures listed in issue 11: a device named .csv, a field over 131 072 characters,
    # a non-zip .npz starting with PK, a malformed .npy header
    if os.path.exists("/dev/zero"):
        (tmp_path / "zero.csv").symlink_to("/dev/zero")
        assert "not a regular file" in one_line_error(capsys, "compare",
                                                      str(tmp_path / "zero.csv"), y)
    (tmp_path / "long.csv").write_text("a,b\n1,2\n3," + "x" * 140_000 + "\n")
    assert "not numeric" in one_line_error(capsys, "compare", str(tmp_path / "long.csv"), y)
    (tmp_path / "pk.npz").write_bytes(b"PK\x03\x04" + b"\0" * 100)
    assert "not a valid .npz" in one_line_error(capsys, "compare", str(tmp_path / "pk.npz"), y)
    (tmp_path / "h.npy").write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f8', \n")
    assert "not a valid .npy" in one_line_error(capsys, "compare", str(tmp_path / "h.npy"), y)


def write_table(path: Path, header: str | None, data: np.ndarray) -> Path:
    np.savetxt(path, data, delimiter=",", fmt="%.17g", header=header or "", comments="")
    return path


def json_rows(capsys, *argv: str) -> dict:
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    """Two samples of one distribution of (age, income): scales 10 and 1e4."""
    d = tmp_path_factory.mktemp("people")
    rng = np.random.default_rng(5)
    x = np.column_stack([rng.normal(40, 10, 150), rng.normal(5e4, 1e4, 150)])
    y = np.column_stack([rng.normal(40, 10, 120), rng.normal(5e4, 1e4, 120)])
    write_table(d / "x.csv", "age,income", x)
    write_table(d / "y.csv", "age,income", y)
    write_table(d / "y_swapped.csv", "income,age", y[:, ::-1])
    write_table(d / "y_other.csv", "age,salary", y)
    return d, x, y


@pytest.mark.filterwarnings("ignore::divlab.errors.DivlabWarning")
def test_columns_matched_by_name(people, capsys):
    """Header 'age,income' vs 'income,age' (issue 11: W1 = 141 by position) is refused; the
    flags give exactly the comparison of the correctly aligned arrays."""
    from divlab import compare

    d, x, y = people
    args = ["--metrics", "w1,mmd", "--n-resamples", "10", "--seed", "1"]
    line = one_line_error(capsys, "compare", str(d / "x.csv"), str(d / "y_swapped.csv"), *args)
    assert "different order" in line and "--columns age,income" in line
    assert "--by-position" in line
    ref = compare(x, y, metrics="w1,mmd", n_resamples=10, rng=1)
    for extra in ([], ["--columns", "age,income"]):
        target = "y.csv" if not extra else "y_swapped.csv"
        out = json_rows(capsys, "compare", str(d / "x.csv"), str(d / target), *args, *extra)
        assert [r["value"] for r in out["rows"]] == [float(ref["w1"].value),
                                                     float(ref["mmd"].value)]
        assert out["extra"]["columns"] == ["age", "income"]
        assert any(n.startswith("columns (2, matched by name): age, income")
                   for n in out["notes"])
    # --by-position takes the files at their word: income is compared with age
    out = json_rows(capsys, "compare", str(d / "x.csv"), str(d / "y_swapped.csv"), *args,
                    "--by-position")
    assert out["rows"][0]["value"] > 20 * ref["w1"].value
    assert "differently named pairs: age=income, income=age" in " ".join(out["notes"])


@pytest.mark.filterwarnings("ignore::divlab.errors.DivlabWarning")
def test_different_column_names(people, capsys):
    d, x, y = people
    line = one_line_error(capsys, "compare", str(d / "x.csv"), str(d / "y_other.csv"))
    assert "only in" in line and "'income'" in line and "'salary'" in line
    assert "--columns age" in line
    out = json_rows(capsys, "compare", str(d / "x.csv"), str(d / "y_other.csv"), "--columns",
                    "age", "--metrics", "w1", "--n-resamples", "0")
    assert out["x_shape"] == [150, 1] and out["extra"]["columns"] == ["age"]
    # one-dimensional W1 is the closed form: mean |F^-1 - G^-1|; check against SciPy
    from scipy.stats import wasserstein_distance

    assert out["rows"][0]["value"] == pytest.approx(wasserstein_distance(x[:, 0], y[:, 0]),
                                                    rel=1e-12)


def test_index_column_refused_then_dropped(tmp_path, capsys):
    """The same data written twice by pandas to_csv() (index column with an empty header
    cell): refused, and --drop-index gives the comparison of the data alone (issue 11:
    W1 = 50, p < 0.01 with the index as a feature)."""
    from divlab import compare

    rng = np.random.default_rng(3)
    z = rng.normal(size=(60, 2))
    for name, idx in (("a.csv", np.arange(60)), ("b.csv", np.arange(60)[::-1])):
        rows = "".join(f"{i},{u:.17g},{v:.17g}\n" for i, (u, v) in zip(idx, z, strict=True))
        (tmp_path / name).write_text(",u,v\n" + rows)
    a, b = str(tmp_path / "a.csv"), str(tmp_path / "b.csv")
    line = one_line_error(capsys, "compare", a, b)
    assert "looks like a row index" in line and "--drop-index" in line and "--columns" in line
    out = json_rows(capsys, "compare", a, b, "--drop-index", "--metrics", "w1,energy",
                    "--n-resamples", "20", "--seed", "2")
    ref = compare(z, z[::-1], metrics="w1,energy", n_resamples=20, rng=2)
    assert [r["value"] for r in out["rows"]] == [float(ref["w1"].value),
                                                 float(ref["energy"].value)]
    assert out["rows"][0]["value"] == pytest.approx(0.0, abs=1e-12)  # same points
    assert sum("dropped as a row index" in n for n in out["notes"]) == 2


def test_columns_printed_in_text_output(people, capsys):
    d, _, _ = people
    assert main(["compare", str(d / "x.csv"), str(d / "y.csv"), "--metrics", "w1",
                 "--n-resamples", "0"]) == 0
    out = capsys.readouterr().out
    assert "note: columns (2, matched by name): age, income" in out


def test_warnings_are_one_line_with_cli_advice(people, capsys):
    """compare warns that the column scales differ (10 vs 1e4): one line on stderr, no Python
    source line, the flag to use."""
    d, _, _ = people
    assert main(["compare", str(d / "x.csv"), str(d / "y.csv"), "--metrics", "w1",
                 "--n-resamples", "0"]) == 0
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert lines and all(ln.startswith("divlab: warning: ") for ln in lines), err
    assert "--standardize" in err and "warnings.warn" not in err and ".py:" not in err


@pytest.mark.parametrize("message, expected", [
    ("pass standardize=True to weigh columns equally", "pass --standardize to weigh"),
    ("raise `n_resamples` for a finer p-value", "raise --n-resamples for"),
    ("use n_resamples=500 or more", "use --n-resamples 500 or"),
    ("set categorical=True", "set --data categorical"),
    ("pass standardize=True (CLI: --standardize)", "pass standardize=True (CLI: --standardize)"),
    ("nothing to translate; metrics are fine", "nothing to translate; metrics are fine"),
    ("use the plug-in estimators (e.g. plugin_kl(x, y, bins='categorical')) for discrete data",
     "use the plug-in estimators (--data categorical) for discrete data"),
    ("no interval is given (details['heavy_tail']).",
     "no interval is given (details.heavy_tail in --json)."),
])
def test_cli_advice(message, expected):
    assert expected in _cli_advice(message)


@pytest.mark.filterwarnings("ignore::divlab.errors.DivlabWarning")
def test_standardize_flag(people, capsys):
    from inspect import signature

    from divlab import compare

    if "standardize" not in signature(compare).parameters:
        pytest.skip("compare(standardize=) not there yet")
    d, x, y = people
    out = json_rows(capsys, "compare", str(d / "x.csv"), str(d / "y.csv"), "--metrics", "w1",
                    "--n-resamples", "0", "--standardize")
    ref = compare(x, y, metrics="w1", n_resamples=0, standardize=True, rng=0)
    assert out["rows"][0]["value"] == float(ref["w1"].value)
    assert out["extra"]["standardize"] is True


def test_demo_metrics_string(capsys):
    """`--demo --metrics kl` failed with "unknown metric(s) 'k', 'l'": run_demo made a list
    of the characters of the string."""
    out = json_rows(capsys, "compare", "--demo", "--metrics", "kl", "--n-resamples", "5")
    assert [r["metric"] for r in out["rows"]] == ["kl"]
    assert out["rows"][0]["truth"] == pytest.approx(0.5)  # closed form of the demo pair


def test_ctrl_c_prints_partial_report(data, capsys, monkeypatch):
    """Ctrl-C inside compare: the rows already finished are printed, exit status 130."""
    import divlab.estimators
    from divlab.errors import CompareInterrupted

    real = divlab.estimators.compare
    d, _, _ = data

    def interrupted(*args, **kwargs):
        kwargs["metrics"] = "mmd"
        raise CompareInterrupted(real(*args, **kwargs))

    monkeypatch.setattr(divlab.estimators, "compare", interrupted)
    assert main(["compare", str(d / "x.npy"), str(d / "y.npy"), *FAST]) == 130
    cap = capsys.readouterr()
    assert "\nmmd " in cap.out and "energy" not in cap.out.split("why")[0]
    assert "interrupted" in cap.err and "1 metric(s) had finished" in cap.err

    def bare(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(divlab.estimators, "compare", bare)
    assert main(["compare", str(d / "x.npy"), str(d / "y.npy"), *FAST]) == 130
    cap = capsys.readouterr()
    assert cap.out == "" and "interrupted" in cap.err


def test_closed_pipe_is_quiet(data):
    """`divlab compare ... | head -1`: a reader that goes away is no error (Python's SIGPIPE
    recipe: exit status 1, nothing on stderr, no 'Exception ignored' at shutdown)."""
    d, _, _ = data
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-m", "divlab", "compare", str(d / "x.npy"),
                             str(d / "y.npy"), *FAST], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    proc.stdout.close()  # the reader is gone before the report is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1, err
    assert err == "", err


def test_demo_and_help():
    res = run("compare", "--demo", "--n-resamples", "0")
    assert res.returncode == 0, res.stderr
    assert "truth" in res.stdout and "0.5000" in res.stdout  # KL truth of the demo pair
    from divlab._demo import DEMO_METRICS

    for metric in DEMO_METRICS:  # every row of the demo has a true value (W1 has none)
        row = next(line for line in res.stdout.splitlines() if line.startswith(f"{metric} "))
        assert row.split()[-1] != "-", row
    res = run("--help")
    assert res.returncode == 0 and "compare" in res.stdout and "info" in res.stdout
    res = run("compare", "--help")
    assert res.returncode == 0
    for opt in ("--metrics", "--columns", "--key", "--n-resamples", "--seed", "--json",
                "--markdown", "--demo", "sliced_w2"):
        assert opt in res.stdout


def test_info_subprocess():
    res = run("info")
    assert res.returncode == 0, res.stderr
    assert "numpy" in res.stdout and "CUDA devices" in res.stdout
    res = run("info", "--json")
    d = json.loads(res.stdout)
    assert "numpy" in d["backends"] and d["packages"]["numpy"] == np.__version__


def test_main_in_process(data, capsys):
    d, _, _ = data
    assert main(["compare", str(d / "x.npy"), str(d / "y.npy"), *FAST, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_resamples"] == 20
    assert main([]) == 2
    assert main(["compare"]) == 2
    assert "two data files" in capsys.readouterr().err
    assert main(["compare", "--demo", str(d / "x.npy")]) == 2


def test_load_samples_details(data):
    d, x, y = data
    np.testing.assert_allclose(load_samples(str(d / "x_head.csv")), x)
    np.testing.assert_allclose(load_samples(str(d / "y_nohead.csv"), columns="1"), y[:, 1:])
    np.testing.assert_allclose(load_samples(str(d / "x_head.csv"), columns="b,0"), x[:, [1, 0]])
    np.testing.assert_allclose(load_samples(str(d / "xy.npz"), key="feats"), x)
    with pytest.raises(InputError, match="no column named 'z'"):
        load_samples(str(d / "x_head.csv"), columns="z")
    with pytest.raises(InputError, match="out of range"):
        load_samples(str(d / "x.npy"), columns="5")
    with pytest.raises(InputError, match="unknown file type"):
        load_samples(__file__)
    from divlab import cli

    assert cli.load_samples is load_samples  # the older name still works
    assert issubclass(CLIError, Exception)


def test_no_command_is_a_one_line_error():
    """`divlab` alone printed the help to stdout and nothing on stderr (found in review)."""
    res = run()
    assert_clean_failure(res, "a command is required", "compare --demo")
