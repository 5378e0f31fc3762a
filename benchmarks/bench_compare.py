"""Real sizes: ``divlab.compare`` and ``divlab compare`` at 1e5 and 1e6 rows, and the demo.

What is measured (Gaussian pair P = N(0, I_d), Q = N(0.5 e_1, I_d), d = 10, float64):

* ``compare(x, y)`` with default settings (default metrics, ``n_resamples=200``) in this
  process: wall time, and the wall time of each metric group run on its own (KL with JS share
  one neighbour search, MMD with energy one distance computation), so the table says where
  the time goes; the sum exceeds the default run by the work the groups share (validation,
  standardisation checks, the tail check);
* the command line ``divlab compare X Y`` on ``.npy`` and CSV files of the same data, each in
  a fresh interpreter (imports, reading and printing included): wall time and the peak
  resident memory of that process (``ru_maxrss`` of ``os.wait4``);
* ``divlab compare --demo``: wall time of the whole command, best of three.

The issue's targets on two cores: 1e5 x 10 in at most 60 s, 1e6 x 10 in at most 3 min, the
demo in at most 5 s. Run ``python benchmarks/bench_compare.py --output
docs/compare-sizes.md``; ``--sizes 20000`` for a quick check.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _output import emit

GROUPS = (("kl, js", "kl,js"), ("w1", "w1"), ("sliced_w2", "sliced_w2"),
          ("mmd, energy", "mmd,energy"))


def sample_pair(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d))
    y = rng.standard_normal((n, d))
    y[:, 0] += 0.5
    return x, y


def categorical_pair(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0-4 uniform against codes 0-5 uniform (one column)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 5, n), rng.integers(0, 6, n)


def timed_compare(x: np.ndarray, y: np.ndarray, metrics: str | None) -> tuple[float, object]:
    from divlab import compare

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        report = compare(x, y, metrics=metrics, rng=0, progress=False)
    return time.perf_counter() - start, report


def run_cli_isolated(args: list[str]) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (MiB) of ``divlab compare ARGS``, run from a
    fresh helper interpreter whose ``RUSAGE_CHILDREN`` is then exactly that command's peak."""
    code = ("import os, resource, subprocess, sys, time\n"
            "cmd = [sys.executable, '-m', 'divlab', 'compare', *sys.argv[1:], '--no-progress']\n"
            "t = time.perf_counter()\n"
            "r = subprocess.run(cmd, capture_output=True, text=True)\n"
            "wall = time.perf_counter() - t\n"
            "if r.returncode:\n"
            "    sys.exit(r.stderr)\n"
            "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
            "print(wall, peak)\n")
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"divlab compare {' '.join(args)} failed: {r.stderr.strip()}")
    wall, peak = (float(v) for v in r.stdout.split())
    return wall, peak


def python_row(x: np.ndarray, y: np.ndarray, n: int, what: str) -> str:
    """One table row: default ``compare``, then each metric group alone."""
    total, report = timed_compare(x, y, None)
    parts = []
    for _, metrics in GROUPS:
        if any(m not in report.metrics for m in metrics.split(",")):
            parts.append("-")
        else:
            parts.append(f"{timed_compare(x, y, metrics)[0]:.1f}")
    how = "; ".join(f"{m}: {report[m].method}" for m in report.metrics)
    return f"| {n:,} | {what} | {total:.1f} | " + " | ".join(parts) + f" | {how} |"


def write_csv(path: str, a: np.ndarray) -> None:
    header = ",".join(f"f{j}" for j in range(a.shape[1]))
    np.savetxt(path, a, delimiter=",", header=header, comments="", fmt="%.17g")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu}, {os.cpu_count()} CPU(s), Python {platform.python_version()}, "
            f"NumPy {np.__version__}, load average {load:.1f} at start")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--d", type=int, default=10)
    ap.add_argument("--extra", default="1000000",
                    help="sizes at which compare also runs on 1-D and on categorical data")
    ap.add_argument("--csv", default="100000,1000000",
                    help="sizes at which the CLI also reads CSV files")
    ap.add_argument("--output", default=None)
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    csv_sizes = {int(s) for s in args.csv.split(",") if s}
    extra = [int(s) for s in args.extra.split(",") if s]
    d = args.d
    import divlab
    from divlab import _native

    built = _native.AVAILABLE and _native.KNN_AVAILABLE
    lines = ["# Benchmarks: `compare` and `divlab compare` at real sizes", "",
             f"Generated by `python benchmarks/bench_compare.py` ({machine()}); divlab "
             f"{divlab.__version__}, compiled kernels built: {built}. "
             f"Continuous data: P = N(0, I_d), Q = N(0.5 e_1, I_d), float64, d = {d} "
             "(and d = 1 in the rows that say so); categorical data: codes 0-4 against "
             "codes 0-5, uniform. Default settings (default metrics, 200 half-samples and 200 "
             "relabellings per metric).", ""]

    demo = [run_cli_isolated(["--demo"]) for _ in range(3)]
    lines += ["### The demo", "",
              "| command | wall time (s), best of 3 | peak memory (MiB) |", "|---|---:|---:|",
              f"| `divlab compare --demo` | {min(w for w, _ in demo):.2f} "
              f"| {min(p for _, p in demo):.0f} |", ""]

    lines += ["### `compare(x, y)` in Python", "",
              "| rows per sample | data | default metrics (s) | " +
              " | ".join(f"{name} alone (s)" for name, _ in GROUPS) + " | how each metric ran |",
              "|---:|---|---:|" + "---:|" * len(GROUPS) + "---|"]
    cli_rows = []
    timed_compare(*sample_pair(2000, d), None)  # imports and one-time set-up, not timed
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            x, y = sample_pair(n, d)
            lines.append(python_row(x, y, n, f"{d} columns, continuous"))
            fx, fy = os.path.join(tmp, "x.npy"), os.path.join(tmp, "y.npy")
            np.save(fx, x)
            np.save(fy, y)
            wall, peak = run_cli_isolated([fx, fy])
            size_mb = (os.path.getsize(fx) + os.path.getsize(fy)) / 1e6
            cli_rows.append(f"| {n:,} | .npy ({size_mb:.0f} MB) | {wall:.1f} | {peak:.0f} |")
            if n in csv_sizes:
                cx, cy = os.path.join(tmp, "x.csv"), os.path.join(tmp, "y.csv")
                write_csv(cx, x)
                write_csv(cy, y)
                wall, peak = run_cli_isolated([cx, cy])
                size_mb = (os.path.getsize(cx) + os.path.getsize(cy)) / 1e6
                cli_rows.append(f"| {n:,} | CSV ({size_mb:.0f} MB) | {wall:.1f} | {peak:.0f} |")
            del x, y
        for n in extra:
            x, y = sample_pair(n, 1)
            lines.append(python_row(x, y, n, "1 column, continuous"))
            lines.append(python_row(*categorical_pair(n), n, "1 column, 5 vs 6 categories"))
    lines += ["", "`-`: not among the metrics of that data (categorical data have no sliced W2).",
              "", "### `divlab compare X Y` on files", "",
              "| rows per sample | files | wall time (s) | peak memory (MiB) |",
              "|---:|---|---:|---:|", *cli_rows, "",
              "Each command runs in a fresh interpreter: the time includes starting Python, "
              "importing divlab, reading both files and printing the report."]
    emit("\n".join(lines) + "\n", args.output)


if __name__ == "__main__":
    main()
