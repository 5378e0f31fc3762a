"""Speed of divlab's sample-based estimators, and of their vectorised resampling.

Part 1 — point estimates at the issue's size (n = 1e5, d = 10 for k-NN; ``--quick``:
n = 1e4, d = 5), with SciPy / a naive full-matrix computation as reference where one exists,
and the peak memory of the chunked MMD (tracemalloc; NumPy reports its buffers to it).

Part 2 — confidence interval + permutation p-value with B resamples each: divlab's
vectorised implementation (neighbour lists, 0/1 weight vectors on one kernel matrix, cell
codes, sorted sub-arrays) against the naive loop that recomputes the estimator from scratch
on every half-sample and relabelling (``divlab.estimators.half_sample_ci`` +
``permutation_test``; timed on 20 resamples and scaled to B).

    python benchmarks/bench_estimators.py [--quick] [--output docs/benchmarks-estimators.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from scipy import stats
from scipy.spatial.distance import cdist

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from divlab import _native
from divlab.estimators import (
    energy_distance,
    half_sample_ci,
    knn_entropy,
    knn_js,
    knn_kl,
    mmd,
    permutation_test,
    plugin_js,
    sliced_wasserstein_estimate,
    wasserstein_estimate,
)


def timed(fn, *a, repeat=1, **kw):
    best = np.inf
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(*a, **kw)
        best = min(best, time.perf_counter() - t)
    return best, out


def part_point(quick: bool) -> list[str]:
    rng = np.random.default_rng(0)
    n, d = (10_000, 5) if quick else (100_000, 10)
    x = rng.standard_normal((n, d))
    y = rng.standard_normal((n, d)) + 0.3
    rows = [f"### Point estimates (n = m = {n}, d = {d}, {os.cpu_count()} cores)", "",
            "| estimator | divlab (s) | reference | reference (s) | ratio | agree |",
            "|---|---|---|---|---|---|"]
    for name, fn in (("knn_kl (k=1)", knn_kl), ("knn_entropy (k=3)", None),
                     ("knn_js (k=3)", knn_js)):
        if fn is None:
            t, e = timed(knn_entropy, x)
        else:
            t, e = timed(fn, x, y)
        rows.append(f"| {name} | {t:.2f} | - | - | - | value {e.value:.4f} |")
        print(rows[-1], flush=True)
    nm = 2000 if quick else 5000
    xm, ym = x[:nm], y[:nm]
    t, e = timed(mmd, xm, ym, bandwidth=1.0, repeat=3)

    def naive():
        kxx = np.exp(-cdist(xm, xm, "sqeuclidean") / 2)
        kyy = np.exp(-cdist(ym, ym, "sqeuclidean") / 2)
        kxy = np.exp(-cdist(xm, ym, "sqeuclidean") / 2)
        return ((kxx.sum() - nm) / (nm * (nm - 1)) + (kyy.sum() - nm) / (nm * (nm - 1))
                - 2 * kxy.mean())

    tr, ref = timed(naive, repeat=3)
    rows.append(f"| mmd (n={nm}, chunked) | {t:.3f} | full-matrix NumPy/SciPy cdist | {tr:.3f} "
                f"| {tr / t:.2f}x | {abs(e.value - ref):.1e} |")
    u, v = x[:nm, 0], y[:nm, 0]
    t, e = timed(energy_distance, u, v, repeat=3)
    tr, ref = timed(stats.energy_distance, u, v, repeat=3)
    rows.append(f"| energy_distance 1-D (n={nm}) | {t:.3f} | scipy.stats.energy_distance | "
                f"{tr:.3f} | {tr / t:.2f}x | {abs(e.value - ref):.1e} |")
    big = 20_000 if quick else 50_000
    xb = rng.standard_normal((big, d))
    tracemalloc.start()
    t, _ = timed(mmd, xb, xb + 0.1, bandwidth=1.0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rows.append(f"| mmd (n={big}) peak memory | {t:.2f} | full n×n float64 matrix would need "
                f"{big * big * 8 / 2**30:.1f} GiB | - | - | peak {peak / 2**20:.0f} MiB |")
    for r in rows[-3:]:
        print(r, flush=True)
    return rows


def part_resampling(quick: bool) -> list[str]:
    rng = np.random.default_rng(1)
    n, B, b_naive = (300, 100, 10) if quick else (1000, 200, 20)
    x2, y2 = rng.standard_normal((n, 2)), rng.standard_normal((n, 2)) + 0.3
    x1, y1 = x2[:, :1], y2[:, :1]
    cases = [
        ("knn_kl", knn_kl, x2, y2),
        ("knn_js", knn_js, x2, y2),
        ("mmd", lambda a, b, **k: mmd(a, b, bandwidth=1.0, **k), x2, y2),
        ("energy_distance", energy_distance, x2, y2),
        ("plugin_js (histogram)", lambda a, b, **k: plugin_js(a, b, bins=10, **k), x1, y1),
        ("wasserstein 1-D", wasserstein_estimate, x1, y1),
        ("sliced W2", lambda a, b, **k: sliced_wasserstein_estimate(
            a, b, n_projections=50, **k), x2, y2),
        ("wasserstein d=2 (exact)", lambda a, b, **k: wasserstein_estimate(
            a[:160], b[:160], **k), x2, y2),
    ]
    rows = [f"### Resampling: CI + permutation p-value, B = {B} each (n = m = {n})", "",
            "| estimator | point estimate (s) | divlab, with resampling (s) "
            "| naive loop (s, scaled) | speed-up |", "|---|---|---|---|---|"]
    for name, fn, a, b in cases:
        fn(a[:20], b[:20], n_resamples=5, rng=0)  # warm-up: imports, caches
        t0, _ = timed(fn, a, b, rng=0, repeat=2)
        t1, _ = timed(fn, a, b, n_resamples=B, rng=0)

        def stat(u, v, fn=fn):
            return fn(u, v).value

        tn = time.perf_counter()
        half_sample_ci(stat, a, b, n_resamples=b_naive, rng=0)
        permutation_test(stat, a, b, n_resamples=b_naive, rng=0)
        naive = t0 + (time.perf_counter() - tn) * B / b_naive
        rows.append(f"| {name} | {t0:.3f} | {t1:.3f} | {naive:.2f} | {naive / t1:.0f}x |")
        print(rows[-1], flush=True)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, a few seconds")
    ap.add_argument("--output", type=Path, default=None)
    args = ap.parse_args(argv)
    rows = [*part_point(args.quick), "", *part_resampling(args.quick)]
    text = "\n".join([
        "# Benchmarks: sample-based estimators",
        "",
        f"Generated by `python benchmarks/bench_estimators.py{' --quick' if args.quick else ''}`"
        f" on {platform.machine()} with {os.cpu_count()} cores (Python "
        f"{platform.python_version()}, numpy {np.__version__}). k-NN searches go through "
        "`divlab._array.knn_table`: the compiled brute force "
        f"({'built' if _native.KNN_AVAILABLE else 'not built here'}) where the data's "
        "estimated intrinsic dimension is at least 6.5, else "
        "`scipy.spatial.cKDTree(...).query(workers=-1)` (`docs/benchmarks-knn.md`). "
        "Timings on a shared machine are noisy.",
        "",
        *rows, "",
        "*point estimate*: one call without resampling; *with resampling*: one call with "
        "`n_resamples=B` (B half-samples + B relabellings); *naive loop*: the point estimate "
        "plus recomputing the estimator from scratch for each of the 2B resamples (timed on a "
        "few, scaled to B).",
        "",
    ])
    if args.output:
        args.output.write_text(text)
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
