"""Benchmark divlab's 1-D Wasserstein distance against SciPy and POT (same process, same data).

``divlab.ot.wasserstein(u, v)`` (the general door, which dispatches 1-D input to the closed
form) and ``divlab.ot.wasserstein_1d`` against ``scipy.stats.wasserstein_distance`` and
``ot.wasserstein_1d`` (POT returns W_p^p; at p = 1 that is W_1). Equal and unequal sizes,
unweighted and weighted (random positive weights; POT gets them normalised, as it requires).
Time is the best of ``repeats`` rounds; in each round every contender runs once on the same
arrays (round-robin, so load bursts on a shared machine hit all of them alike).

The last columns give the floor of each path: two ``np.sort`` calls (unweighted: divlab
sorts both samples, then pairs or merges on a data-independent grid) or two ``np.argsort``
calls (weighted: the weights must follow the permutation), measured in the same run.

Usage::

    python benchmarks/bench_oned.py [--quick] [--output docs/benchmarks-oned.md]

Full mode: n = 1e5 and 1e6 (unequal: m = 0.7 n). Quick: n = 1e4.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import ot
import scipy
import scipy.stats

import divlab
from divlab.ot import wasserstein, wasserstein_1d


def _interleaved(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, tuple]:
    """Best time (s) and first value of each callable, run round-robin ``repeats`` times, so
    that a burst of load on a shared machine hits every contender alike."""
    best = {k: np.inf for k in fns}
    vals: dict[str, float] = {}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            out = fn()
            best[k] = min(best[k], time.perf_counter() - t0)
            vals.setdefault(k, float(np.ravel(np.asarray(out))[0]))
    return {k: (best[k], vals[k]) for k in fns}


def _case(u: np.ndarray, v: np.ndarray, a: np.ndarray | None, b: np.ndarray | None,
          repeats: int) -> dict[str, tuple]:
    """Time divlab (both doors), SciPy, POT and the sort floor on one data set."""
    pa = None if a is None else a / a.sum()
    pb = None if b is None else b / b.sum()
    if a is None:
        def floor() -> object:
            return (np.sort(u), np.sort(v))[0]
    else:
        def floor() -> object:
            return (np.argsort(u), np.argsort(v))[0]
    return _interleaved({
        "w": lambda: wasserstein(u, v, a=a, b=b),
        "1d": lambda: wasserstein_1d(u, v, u_weights=a, v_weights=b),
        "scipy": lambda: scipy.stats.wasserstein_distance(u, v, a, b),
        "pot": lambda: ot.wasserstein_1d(u, v, pa, pb, p=1),
        "floor": floor,
    }, repeats)


def run(sizes: list[int], repeats: int) -> list[str]:
    rows = [
        "| n | m | weights | divlab `wasserstein` (s) | divlab `wasserstein_1d` (s) "
        "| SciPy (s) | POT (s) | SciPy / divlab | POT / divlab | floor (s) | divlab / floor "
        "| rel. diff SciPy | rel. diff POT |",
        "|---:|---:|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rng = np.random.default_rng(0)
    for n in sizes:
        for m in (n, int(0.7 * n)):
            u = rng.normal(size=n)
            v = rng.standard_t(5, size=m) * 1.3 + 0.2
            for weighted in (False, True):
                a = rng.random(n) + 0.05 if weighted else None
                b = rng.random(m) + 0.05 if weighted else None
                res = _case(u, v, a, b, repeats)
                (t_w, v_w), (t_1, _) = res["w"], res["1d"]
                (t_s, v_s), (t_p, v_p), (t_f, _) = res["scipy"], res["pot"], res["floor"]
                t_d = min(t_w, t_1)
                rows.append(
                    f"| {n} | {m} | {'random' if weighted else 'none'} | {t_w:.4f} | {t_1:.4f} "
                    f"| {t_s:.4f} | {t_p:.4f} | {t_s / t_w:.1f}x | {t_p / t_w:.1f}x "
                    f"| {t_f:.4f} ({'2 argsorts' if weighted else '2 sorts'}) "
                    f"| {t_d / t_f:.2f} | {abs(v_w - v_s) / abs(v_s):.1e} "
                    f"| {abs(v_w - v_p) / abs(v_p):.1e} |"
                )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    ap.add_argument("--output", help="write the markdown report to this path")
    ap.add_argument("--repeats", type=int, default=None)
    args = ap.parse_args()
    sizes, repeats = ([10_000], 3) if args.quick else ([100_000, 1_000_000], 7)
    if args.repeats:
        repeats = args.repeats
    lines = [
        "# 1-D Wasserstein benchmark: divlab vs SciPy and POT",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `benchmarks/bench_oned.py"
        f"{' --quick' if args.quick else ''}`; divlab {getattr(divlab, '__version__', '?')}, "
        f"SciPy {scipy.__version__}, POT {ot.__version__}, NumPy {np.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPU(s), load average "
        f"{os.getloadavg()[0]:.1f} at start.",
        "",
        "W_1 between N(0, 1) (n points) and a scaled Student-t(5) sample (m points); best of "
        f"{repeats} runs. Ratios are SciPy or POT time over the time of divlab's "
        "`wasserstein` door (the headline function). `floor` is the time of the sorts the "
        "closed form cannot avoid, measured in the same run.",
        "",
        *run(sizes, repeats),
        "",
        "Reading the table: the closed form cannot avoid two sorts (unweighted: sort both "
        "samples, then pair them, or merge them on the data-independent grid of "
        "`uniform_quantile_grid`) or two argsorts plus the gathers of values and weights "
        "(weighted: the weights must follow the permutation; then a linear merge of the two "
        "CDFs). `divlab / floor` near 1 means divlab runs at that floor, and its ratio to SciPy "
        "or POT is then bounded by their time over the sort time on this machine: the issue's "
        "targets (>= 10x SciPy and >= 5x POT at n = 1e6; weighted >= 5x SciPy) are out of "
        "reach wherever the floor is more than a tenth (a fifth) of SciPy's time. `wasserstein` "
        "on 1-D input without weights (or with all-equal weights) takes the unweighted path; "
        "before issue #10 it passed uniform weights and always paid the weighted (argsort) "
        "path. Timings on a shared machine vary with its load (see the load average above).",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
