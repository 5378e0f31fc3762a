"""Benchmark divlab's 1-D Wasserstein distance against SciPy and POT (same process, same data).

``divlab.ot.wasserstein(u, v)`` (the general door, which dispatches 1-D input to the closed
form) and ``divlab.ot.wasserstein_1d`` against ``scipy.stats.wasserstein_distance`` and POT's
two 1-D functions, ``ot.wasserstein_1d`` (NumPy quantile merge; returns W_p^p, at p = 1 that
is W_1) and ``ot.emd2_1d`` (compiled merge of the sorted samples, ``metric="euclidean"``).
The POT ratio is taken against the faster of the two. Equal and unequal sizes (m = 0.7 n);
no weights, random positive weights on both samples, and weights on ``u`` only (POT gets
them normalised, as it requires).

Every time is the best of ``repeats`` rounds; in each round every contender runs once on the
same arrays (round-robin, so a burst of load on a shared machine hits all of them alike).

Also timed: ``wasserstein_1d`` on one thread (divlab sorts the two samples concurrently when
both are large) and on the array-API path without the compiled kernels (``divlab._native``);
both must return the same bits. Floors, measured in the same rounds: ``2 sorts``
(``np.sort`` of both samples), ``2 argsorts`` (both weighted: the weights must follow the
permutation) or ``argsort + sort`` (one weighted sample), one after the other.

``--numpy-avx2`` repeats the table in a child process started with NumPy's AVX-512 sort
kernels switched off (``NPY_DISABLE_CPU_FEATURES``; SciPy and POT run in that process too):
on some AVX-512 CPUs NumPy's AVX-512 ``np.sort``/``np.argsort`` (x86-simd-sort) is several
times slower than its AVX2 kernels (see the "sort kernels" lines of the report).

Usage::

    python benchmarks/bench_oned.py [--quick] [--numpy-avx2] [--output docs/benchmarks-oned.md]

Full mode: n = 1e4, 1e5 and 1e6. Quick: n = 1e4.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
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
from divlab import _array, _native
from divlab.ot import wasserstein, wasserstein_1d

WEIGHTINGS = ("none", "both", "u only")


def _interleaved(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, tuple]:
    """Best time (s) and first value of each callable, run round-robin ``repeats`` times, in
    a new random order every round (fixed seed): a contender's time then does not depend
    on which one ran just before it (the state of the allocator and the caches)."""
    best = {k: np.inf for k in fns}
    vals: dict[str, float] = {}
    order = np.random.default_rng(12345)
    keys = list(fns)
    for _ in range(repeats):
        for k in order.permutation(keys):
            fn = fns[k]
            t0 = time.perf_counter()
            out = fn()
            best[k] = min(best[k], time.perf_counter() - t0)
            vals.setdefault(k, float(np.ravel(np.asarray(out))[0]))
    return {k: (best[k], vals[k]) for k in fns}


def _floor(u: np.ndarray, v: np.ndarray, a: object, b: object) -> tuple[Callable, str]:
    su = np.argsort if a is not None else np.sort
    sv = np.argsort if b is not None else np.sort
    label = {(False, False): "2 sorts", (True, True): "2 argsorts"}.get(
        (a is not None, b is not None), "argsort + sort")
    return (lambda: (su(u), sv(v))[0]), label


def _case(u: np.ndarray, v: np.ndarray, a: np.ndarray | None, b: np.ndarray | None,
          repeats: int) -> tuple[dict[str, tuple], str]:
    """Time divlab (both doors; one thread; without the compiled kernels), SciPy, POT (both
    functions) and the sort floor."""
    pa = None if a is None else a / a.sum()
    pb = None if b is None else b / b.sum()
    floor, label = _floor(u, v, a, b)
    res = _interleaved({
        "w": lambda: wasserstein(u, v, a=a, b=b),
        "1d": lambda: wasserstein_1d(u, v, u_weights=a, v_weights=b),
        "1thread": lambda: _one_thread(lambda: wasserstein_1d(u, v, u_weights=a, v_weights=b)),
        "numpy": lambda: _without_kernels(
            lambda: wasserstein_1d(u, v, u_weights=a, v_weights=b)),
        "scipy": lambda: scipy.stats.wasserstein_distance(u, v, a, b),
        "pot": lambda: ot.wasserstein_1d(u, v, pa, pb, p=1),
        "pot_emd": lambda: ot.emd2_1d(u, v, pa, pb, metric="euclidean"),
        "floor": floor,
    }, repeats)
    return res, label


def _one_thread(fn: Callable[[], object]) -> object:
    old = _array.set_threads(1)
    try:
        return fn()
    finally:
        _array.set_threads(old)


def _without_kernels(fn: Callable[[], object]) -> object:
    """``fn()`` on the array-API path (what an install without a C compiler runs)."""
    old = _native.AVAILABLE
    _native.AVAILABLE = False
    try:
        return _one_thread(fn)
    finally:
        _native.AVAILABLE = old


def sort_kernel_lines(n: int = 1_000_000, repeats: int = 5) -> list[str]:
    """ns per element of np.sort / np.argsort of n float64, of rows of 256 (sorting
    networks) and of divlab's radix sorts in this process: shows whether the sort kernel
    itself is the bottleneck, and which sort divlab picked."""
    x = np.random.default_rng(1).normal(size=n)
    w = np.random.default_rng(2).random(n)
    rows = x[: (n // 256) * 256].reshape(-1, 256)
    fns = {
        "sort": lambda: np.sort(x),
        "argsort": lambda: np.argsort(x),
        "rows": lambda: np.sort(rows, axis=1),
    }
    if _native._sortkernels is not None:
        out, out2 = np.empty_like(x), np.empty_like(x)
        fns["radix"] = lambda: (_native._sortkernels.sort(x, out), out)[1]
        fns["pairs"] = lambda: (_native._sortkernels.sort_pairs(x, w, out, out2), out)[1]
    res = _interleaved(fns, repeats)
    per = {k: res[k][0] / n * 1e9 for k in res}
    line = (f"np.sort {per['sort']:.1f} ns/element, np.argsort {per['argsort']:.1f} ns/element, "
            f"np.sort of rows of 256 {per['rows']:.1f} ns/element (n = {n:.0e} float64)")
    if "radix" in per:
        chosen = "the radix sort" if _native.radix_sort_is_faster() else "np.sort"
        line += (f"; divlab's radix sort {per['radix']:.1f} ns/element, radix sort with the "
                 f"weights following {per['pairs']:.1f} ns/element; divlab sorts unweighted "
                 f"samples with {chosen}")
    else:
        line += "; divlab's compiled kernels are not built here"
    return [line]


HEADER = [
    "| n | m | weights | `wasserstein` (s) | `wasserstein_1d` (s) | 1 thread (s) "
    "| no kernels (s) | SciPy (s) | POT `wasserstein_1d` (s) | POT `emd2_1d` (s) "
    "| SciPy / `wasserstein` | SciPy / `wasserstein_1d` | SciPy / 1 thread "
    "| POT / `wasserstein` | POT / `wasserstein_1d` | POT / 1 thread | floor (s) "
    "| rel. diff SciPy | rel. diff POT |",
    "|---:|---:|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
    "|---:|",
]


def _repeats(n: int, repeats: int) -> int:
    """More rounds for small n (a round there is shorter than a scheduler time slice)."""
    return max(repeats, int(repeats * (1_000_000 / n) ** 0.5 / 2))


def run(sizes: list[int], repeats: int) -> list[str]:
    rows = []
    rng = np.random.default_rng(0)
    for n in sizes:
        for m in (n, int(0.7 * n)):
            u = rng.normal(size=n)
            v = rng.standard_t(5, size=m) * 1.3 + 0.2
            for weights in WEIGHTINGS:
                a = rng.random(n) + 0.05 if weights != "none" else None
                b = rng.random(m) + 0.05 if weights == "both" else None
                res, label = _case(u, v, a, b, _repeats(n, repeats))
                (t_w, v_w), (t_1, v_1) = res["w"], res["1d"]
                (t_o, v_o), (t_n, v_n) = res["1thread"], res["numpy"]
                (t_s, v_s), (t_f, _) = res["scipy"], res["floor"]
                (t_p1, v_p1), (t_p2, v_p2) = res["pot"], res["pot_emd"]
                assert v_o == v_1 and v_n == v_1, "divlab's paths disagree"
                t_p = min(t_p1, t_p2)
                d_s = max(abs(v_w - v_s), abs(v_1 - v_s)) / abs(v_s)
                d_p = max(abs(v_w - v_p1), abs(v_1 - v_p2)) / abs(v_p1)
                rows.append(
                    f"| {n} | {m} | {weights} | {t_w:.4f} | {t_1:.4f} | {t_o:.4f} | {t_n:.4f} "
                    f"| {t_s:.4f} | {t_p1:.4f} | {t_p2:.4f} | {t_s / t_w:.1f}x "
                    f"| {t_s / t_1:.1f}x | {t_s / t_o:.1f}x | {t_p / t_w:.1f}x "
                    f"| {t_p / t_1:.1f}x | {t_p / t_o:.1f}x | {t_f:.4f} ({label}) "
                    f"| {d_s:.1e} | {d_p:.1e} |"
                )
                print(rows[-1], flush=True)
    return rows


def _cpu() -> str:
    """CPU model (and x86 family/model numbers, which tell e.g. AMD Zen 4 = family 25)."""
    info: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                key, _, val = line.partition(":")
                info.setdefault(key.strip(), val.strip())
    except OSError:
        return platform.processor() or platform.machine()
    return (f"{info.get('model name', platform.machine())} (family {info.get('cpu family', '?')}"
            f", model {info.get('model', '?')})")


def _avx512_dispatch_targets() -> list[str]:
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__

    return [f for f in __cpu_dispatch__
            if __cpu_features__.get(f) and (f.startswith("AVX512") or f == "X86_V4")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    ap.add_argument("--output", help="write the markdown report to this path")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--numpy-avx2", action="store_true",
                    help="also run the table with NumPy's AVX-512 kernels switched off")
    ap.add_argument("--rows-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    sizes, repeats = ([10_000], 3) if args.quick else ([10_000, 100_000, 1_000_000], 5)
    if args.repeats:
        repeats = args.repeats
    if args.rows_only:  # child process of --numpy-avx2
        for line in sort_kernel_lines() + run(sizes, repeats):
            print("@@" + line, flush=True)
        return
    load = os.getloadavg()[0]
    kernels = sort_kernel_lines()
    rows = run(sizes, repeats)
    lines = [
        "# 1-D Wasserstein benchmark: divlab vs SciPy and POT",
        "",
        f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `benchmarks/bench_oned.py"
        f"{' --quick' if args.quick else ''}{' --numpy-avx2' if args.numpy_avx2 else ''}`; "
        f"divlab {getattr(divlab, '__version__', '?')}, SciPy {scipy.__version__}, "
        f"POT {ot.__version__}, NumPy {np.__version__}, Python {platform.python_version()}, "
        f"{_cpu()}, {os.cpu_count()} CPU(s), load average "
        f"{load:.1f} at start, {os.getloadavg()[0]:.1f} at the end of the first table.",
        "",
        "W_1 between N(0, 1) (n points) and a scaled Student-t(5) sample (m points); best of "
        f"{repeats} interleaved rounds (contenders in a new random order each round) at "
        f"n = 1e6 (more at smaller n: {_repeats(10_000, repeats)} "
        f"at 1e4). Ratios are SciPy or POT time over divlab's time "
        "(POT: the faster of `ot.wasserstein_1d` and `ot.emd2_1d`). divlab sorts the two "
        "samples on two threads when both have at least "
        f"{divlab.ot.oned._CONCURRENT_SORT_SIZE} points; `1 thread` is `wasserstein_1d` "
        "with `divlab._array.set_threads(1)` (SciPy and POT use one thread), `no kernels` "
        "the same on the array-API path of an install without a C compiler (one thread; "
        "the same value, bit for bit, is asserted). `floor` is the time of NumPy's sorts of "
        "the two samples (`np.sort`, or `np.argsort` where weights must follow), one "
        "after the other. Weights `both`: random positive weights on both samples; "
        "`u only`: on `u`, none on `v`.",
        "",
        "## NumPy as installed (default CPU dispatch)",
        "",
        "Sort kernels in this process: " + kernels[0] + ".",
        "",
        *HEADER,
        *rows,
    ]
    if args.numpy_avx2:
        targets = _avx512_dispatch_targets()
        env = dict(os.environ, NPY_DISABLE_CPU_FEATURES=" ".join(targets))
        cmd = [sys.executable, os.path.abspath(__file__), "--rows-only",
               "--repeats", str(repeats)] + (["--quick"] if args.quick else [])
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
        child = [ln[2:] for ln in out.splitlines() if ln.startswith("@@")]
        lines += [
            "",
            "## NumPy with its AVX-512 kernels switched off",
            "",
            "Same script in a child process with "
            f"`NPY_DISABLE_CPU_FEATURES=\"{' '.join(targets)}\"` "
            "(NumPy then dispatches its AVX2 sort kernels; SciPy and POT use the same NumPy). "
            "Sort kernels in that process: " + child[0] + ".",
            "",
            *HEADER,
            *child[1:],
        ]
    lines += [
        "",
        "Reading the tables: divlab's unweighted path is two sorts (in place of SciPy's two "
        "argsorts, a merge sort of the concatenation and two `searchsorted`), then a pairing "
        "(equal sizes) or, for unequal sizes, one compiled pass over the data-independent "
        "merged grid of `uniform_quantile_grid` (integer keys, no index arrays). All-equal "
        "weights take that path. A weighted sample is radix-sorted with its weights "
        "following and their normalised cumulative sum taken in the same compiled pass; the "
        "two CDFs are then merged in one linear compiled pass that writes the interval "
        "lengths and the quantile differences (`divlab/_sortkernels.c`, through "
        "`divlab._native`). Timings on a shared machine vary with its load "
        "(see the load averages above). `rel. diff POT` up to 1e-10 is POT's rounding: it "
        "accumulates the uniform weights 1/n by a cumulative sum; against an exact-merge "
        "reference (integer CDFs, `tests/test_ot_oned_parity.py`, n = 2e4, m = 13001) "
        "divlab is within 6e-16 unweighted and 2e-13 weighted, POT 9e-11 unweighted (p = 2).",
        "",
        "Where the sort itself is slow: when `np.sort` costs several times more per element "
        "than the sort of rows of 256 (sorting networks) and than the same sort in the "
        "second table, the CPU is one where NumPy's AVX-512 quicksort (x86-simd-sort) is "
        "slow: its partition step stores with `vpcompressq` to memory, which is microcoded "
        "on AMD Zen 4 (x86 family 25; numpy/x86-simd-sort#6; OpenJDK switched its AVX-512 "
        "sort off on Zen 4 for the same reason). There divlab measures its radix sort "
        "faster once per process and sorts with it (`divlab._native.radix_sort_is_faster`); "
        "the second table shows the same code with NumPy's AVX2 kernels.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
