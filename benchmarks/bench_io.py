"""CSV reading for ``divlab compare``: divlab.io (pyarrow) vs numpy.loadtxt vs the csv-module
reader divlab used before (issue 11: 27.8 s and 915 MiB on an 85 MB file).

Writes an ~85 MB CSV (10 float columns with a header, full precision), then

* time: the three readers in this process, interleaved, best of ``--repeat`` (the old reader
  once: it is the slow one), and the ratios to ``numpy.loadtxt``;
* memory: each reader once in a fresh interpreter; its peak resident memory minus the
  peak after the imports (``VmHWM`` of ``/proc/self/status``, Linux), i.e. what reading the
  file costs.

Every reader's result is checked to be identical to ``numpy.loadtxt``'s.

Run: ``python benchmarks/bench_io.py [--quick] [--mb 85] [--repeat 3] [--output
docs/benchmarks-io.md]``
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def old_reader(path: str) -> np.ndarray:
    """The text reader of divlab/cli.py before issue 11 (csv module, one float() per cell)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh, delimiter=",") if r and any(c.strip() for c in r)]
    body = rows[1:]
    out = np.empty((len(body), len(rows[0])))
    for r, row in enumerate(body):
        for j, cell in enumerate(row):
            out[r, j] = float(cell.strip())
    return out


def loadtxt(path: str) -> np.ndarray:
    return np.loadtxt(path, delimiter=",", skiprows=1)


def divlab_io(path: str) -> np.ndarray:
    from divlab.io import read_samples

    return read_samples(path).values


READERS = {"divlab.io (pyarrow)": divlab_io, "numpy.loadtxt": loadtxt,
           "csv module (old)": old_reader}

# peak resident memory of this process (VmHWM, KiB): unlike ru_maxrss it is not inherited
# from the parent across fork + exec
_CHILD = """
import json, sys
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
import numpy as np, pyarrow.csv, divlab.io
import bench_io
def hwm():
    with open("/proc/self/status") as fh:
        return next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM:"))
before = hwm()
bench_io.READERS[{name!r}]({path!r})
print(json.dumps([before, hwm()]))
"""


def peak_mib(name: str, path: str) -> float:
    code = _CHILD.format(root=str(ROOT), bench=str(Path(__file__).parent), name=name, path=path)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    before, after = json.loads(res.stdout.splitlines()[-1])
    return (after - before) / 1024


def write_csv(path: str, mb: float, d: int = 10, seed: int = 0) -> tuple[int, int]:
    rng = np.random.default_rng(seed)
    row_bytes = d * 21  # about 20 characters per full-precision value and a delimiter
    n = int(mb * 1e6 / row_bytes)
    x = rng.normal(size=(n, d)) * np.logspace(-3, 3, d)
    np.savetxt(path, x, delimiter=",", fmt="%.17g",
               header=",".join(f"f{j}" for j in range(d)), comments="")
    return n, d


def main() -> None:
    import platform
    from datetime import UTC, datetime

    import pyarrow

    import divlab

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=85.0, help="CSV size in MB (default 85)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per reader (best of)")
    ap.add_argument("--quick", action="store_true", help="a 5 MB file, one run")
    ap.add_argument("--output", help="also write the Markdown report to this file")
    args = ap.parse_args()
    if args.quick:
        args.mb, args.repeat = 5.0, 1
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "data.csv")
        n, d = write_csv(path, args.mb)
        size = os.path.getsize(path) / 1e6
        ref = loadtxt(path)
        divlab_io(path)  # imports pyarrow outside the timed runs
        best = {k: float("inf") for k in READERS}
        for rep in range(args.repeat):
            for name, fn in READERS.items():
                if name == "csv module (old)" and rep > 0:
                    continue
                t = time.perf_counter()
                out = fn(path)
                best[name] = min(best[name], time.perf_counter() - t)
                assert np.array_equal(out, ref), name
                del out
        mem = {name: peak_mib(name, path) for name in READERS}
    base = best["numpy.loadtxt"]
    lines = [
        "# CSV reading: divlab.io (pyarrow) vs numpy.loadtxt vs the csv module",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `benchmarks/bench_io.py"
        f"{' --quick' if args.quick else ''}`; divlab {divlab.__version__}, pyarrow "
        f"{pyarrow.__version__}, NumPy {np.__version__}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPU(s), load average {load:.1f} at start.",
        "",
        f"A {size:.1f} MB CSV: {n} rows x {d} full-precision floats and a header line. Time: "
        f"best of {args.repeat} in one process, readers interleaved (the csv-module reader "
        "once). Peak memory: each reader in a fresh interpreter, its peak resident memory "
        "(VmHWM) above the peak after the imports. Every reader returns the array of "
        "numpy.loadtxt exactly.",
        "",
        "| reader | time (s) | time / numpy.loadtxt | peak memory (MiB) |",
        "|---|---:|---:|---:|",
    ]
    for name in READERS:
        lines.append(f"| {name} | {best[name]:.2f} | {best[name] / base:.2f}x | "
                     f"{mem[name]:.0f} |")
    lines += ["", f"The result is {n * d * 8 / 2**20:.0f} MiB of float64. The csv-module reader "
              "is the one `divlab compare` used before issue 11 (measured there: 27.8 s and "
              "915 MiB on an 85 MB file; numpy.loadtxt 8 s and 106 MiB)."]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.output:
        Path(args.output).write_text(text)


if __name__ == "__main__":
    main()
