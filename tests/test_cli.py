"""The ``divlab`` command line, driven as a subprocess (``python -m divlab``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from divlab.cli import CLIError, load_samples, main

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


def test_compare_json_npz_csv_tsv(data):
    d, _, _ = data
    res = run("compare", str(d / "xy.npz"), str(d / "y.npz"), "--key", "feats", *FAST, "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["x_shape"] == [80, 2] and [r["metric"] for r in out["rows"]] == ["mmd", "energy"]
    res = run("compare", str(d / "x_head.csv"), str(d / "y_nohead.csv"), *FAST, "--json",
              "--seed", "3")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["y_shape"] == [70, 2]
    res = run("compare", str(d / "x_head.csv"), str(d / "y.tsv"), "--columns", "b", *FAST,
              "--markdown")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("**divlab compare** - x: 80 x 1") and "| mmd |" in res.stdout


def test_bad_inputs_one_line(data):
    d, _, _ = data
    assert_clean_failure(run("compare", str(d / "missing.npy"), str(d / "y.npy")),
                         "file not found")
    assert_clean_failure(run("compare", str(d / "bad.csv"), str(d / "y.npy")),
                         "'label'", "not numeric")
    assert_clean_failure(run("compare", str(d / "nan.csv"), str(d / "y.npy")), "NaN")
    assert_clean_failure(run("compare", str(d / "x.npy"), str(d / "y3.npy"), *FAST),
                         "dimension mismatch")
    assert_clean_failure(run("compare", str(d / "xy.npz"), str(d / "y.npz")), "--key")
    assert_clean_failure(run("compare", str(d / "x.npy"), str(d / "y.npy"), "--metrics",
                             "kl,nope"), "unknown metric")


def test_demo_and_help():
    res = run("compare", "--demo", "--n-resamples", "30")
    assert res.returncode == 0, res.stderr
    assert "truth" in res.stdout and "0.5000" in res.stdout  # KL truth of the demo pair
    for metric in ("kl", "js", "w1", "w2", "sliced_w2", "mmd", "energy"):
        assert f"\n{metric} " in res.stdout
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
    with pytest.raises(CLIError, match="no column named 'z'"):
        load_samples(str(d / "x_head.csv"), columns="z")
    with pytest.raises(CLIError, match="out of range"):
        load_samples(str(d / "x.npy"), columns="5")
    with pytest.raises(CLIError, match="unknown file type"):
        load_samples(__file__)


def test_no_command_is_a_one_line_error():
    """`divlab` alone printed the help to stdout and nothing on stderr (found in review)."""
    res = run()
    assert_clean_failure(res, "a command is required", "compare --demo")
