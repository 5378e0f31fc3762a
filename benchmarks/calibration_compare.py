"""Calibration study of :func:`divlab.compare`'s 95 % intervals.

For every metric x dimension d x sample size n, ``R`` independent replicate datasets are drawn
from a Gaussian pair with known truth, ``P = N(0, I_d)`` and ``Q = N(delta e_1, I_d)``
(``delta = 0.5``), and ``compare`` is run on each with its default interval
(``n_resamples=200`` half-samples). Reported per cell:

* ``truth``: the population value in closed form (KL = delta^2/2; JS by quadrature of the
  1-D problem; W1 = W2 = delta; sliced W1 = delta E|theta_1|; sliced W2 = delta / sqrt(d);
  MMD^2 in closed form at the population median-heuristic bandwidth; energy distance
  (SciPy's square-root convention) from the mean of a non-central chi distribution);
* ``mean``: the mean estimate over the replicates, the Monte-Carlo value of the estimator's
  *population value* at this n (its bias is ``mean - truth``);
* ``cover pop``: the share of intervals that contain ``mean`` (the target is 93-97 %);
* ``cover truth``: the share that contain the truth (meaningful where ``|bias|`` is below
  the interval's half-width);
* ``width ratio``: mean half-width over ``1.96 x`` the standard deviation of the estimates
  across replicates (1 is honest; < 1 too narrow).

Run ``python benchmarks/calibration_compare.py --reps 200`` (all cells; hours on 2 cores) or
a subset (``--metrics kl,js --dims 1,2 --sizes 500``); ``--out docs/calibration-compare.md``
writes the Markdown table that the docs render.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import integrate, special, stats

DELTA = 0.5
METRICS = ("kl", "js", "w1", "w2", "sliced_w1", "sliced_w2", "mmd", "energy")
DIMS = (1, 2, 5, 10)
SIZES = (500, 2000)


def sample_pair(d: int, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One replicate: n points of P = N(0, I_d) and n points of Q = N(delta e_1, I_d)."""
    x = rng.standard_normal((n, d))
    y = rng.standard_normal((n, d))
    y[:, 0] += DELTA
    return x, y


def _js_1d_shift(delta: float) -> float:
    """JS(N(0,1), N(delta,1)) by adaptive quadrature of a stable integrand."""
    def integrand(t: float) -> float:
        lp = stats.norm.logpdf(t)
        lq = stats.norm.logpdf(t, loc=delta)
        lm = np.logaddexp(lp, lq) - math.log(2.0)
        return 0.5 * (math.exp(lp) * (lp - lm) + math.exp(lq) * (lq - lm))

    value, _ = integrate.quad(integrand, -40.0, 40.0 + delta, epsabs=1e-14, epsrel=1e-12,
                              limit=400)
    return value


def _mean_norm(d: int, shift: float, var: float) -> float:
    """E|Z| for Z ~ N(shift e_1, var I_d): sqrt(var) times a non-central chi mean."""
    lam = shift * shift / var
    if lam == 0.0:
        chi = math.sqrt(2.0) * math.exp(special.gammaln((d + 1) / 2) - special.gammaln(d / 2))
    else:
        chi = stats.ncx2(d, lam).expect(np.sqrt, epsabs=1e-13, epsrel=1e-12)
    return math.sqrt(var) * chi


@cache
def population_bandwidth(d: int) -> float:
    """Median distance between two independent points of the 50/50 pooled mixture
    (the population median heuristic), from 4e6 pairs drawn with a fixed seed."""
    rng = np.random.default_rng(12345 + d)
    m = 4_000_000
    a = rng.standard_normal((m, d))
    b = rng.standard_normal((m, d))
    a[:, 0] += DELTA * (rng.random(m) < 0.5)
    b[:, 0] += DELTA * (rng.random(m) < 0.5)
    return float(np.median(np.linalg.norm(a - b, axis=1)))


@cache
def truth(metric: str, d: int) -> float:
    """The population value of ``metric`` between P and Q in dimension d."""
    if metric == "kl":
        return DELTA**2 / 2
    if metric == "js":
        return _js_1d_shift(DELTA)
    if metric in ("w1", "w2"):
        return DELTA
    if metric == "sliced_w1":
        e_abs = math.exp(special.gammaln(d / 2) - special.gammaln((d + 1) / 2)) / math.sqrt(math.pi)
        return DELTA * e_abs
    if metric == "sliced_w2":
        return DELTA / math.sqrt(d)
    if metric == "mmd":
        h2 = population_bandwidth(d) ** 2
        base = (1.0 + 2.0 / h2) ** (-d / 2)
        return 2.0 * base * (1.0 - math.exp(-DELTA**2 / (2.0 * (h2 + 2.0))))
    if metric == "energy":
        # SciPy's convention: the square root of 2 E|X - Y| - E|X - X'| - E|Y - Y'|
        return math.sqrt(2.0 * _mean_norm(d, DELTA, 2.0) - 2.0 * _mean_norm(d, 0.0, 2.0))
    raise KeyError(metric)


@dataclass(frozen=True)
class Cell:
    metric: str
    d: int
    n: int


def replicate(cell: Cell, seed: int, n_resamples: int) -> tuple[float, float, float]:
    """(estimate, low, high) of one replicate dataset through the public ``compare``."""
    import warnings

    from divlab import compare

    x, y = sample_pair(cell.d, cell.n, np.random.default_rng([cell.d, cell.n, seed]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = compare(x, y, metrics=[cell.metric], n_resamples=n_resamples, rng=seed,
                      progress=False)[cell.metric]
    lo, hi = est.ci if est.ci is not None else (est.value, est.value)
    return float(est.value), float(lo), float(hi)


@dataclass(frozen=True)
class CellResult:
    cell: Cell
    reps: int
    truth: float
    mean: float
    cover_pop: float
    cover_truth: float
    half_width: float
    width_ratio: float
    seconds: float


def summarize(cell: Cell, rows: np.ndarray, seconds: float) -> CellResult:
    """Coverage of the Monte-Carlo population value and of the truth, and the width ratio."""
    est, lo, hi = rows[:, 0], rows[:, 1], rows[:, 2]
    mean = float(est.mean())
    t = truth(cell.metric, cell.d)
    spread = float(est.std(ddof=1)) if est.size > 1 else math.nan
    half = float(np.mean((hi - lo) / 2))
    return CellResult(
        cell=cell, reps=int(est.size), truth=t, mean=mean,
        cover_pop=float(np.mean((lo <= mean) & (mean <= hi))),
        cover_truth=float(np.mean((lo <= t) & (t <= hi))),
        half_width=half, width_ratio=half / (1.959964 * spread) if spread > 0 else math.nan,
        seconds=seconds,
    )


def run_cell(cell: Cell, reps: int, n_resamples: int, workers: int) -> CellResult:
    start = time.perf_counter()
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            rows = list(pool.map(replicate, [cell] * reps, range(reps),
                                 [n_resamples] * reps, chunksize=max(1, reps // (4 * workers))))
    else:
        rows = [replicate(cell, s, n_resamples) for s in range(reps)]
    return summarize(cell, np.array(rows), time.perf_counter() - start)


def result_row(r: CellResult) -> str:
    bias = (r.mean - r.truth) / r.half_width if r.half_width > 0 else math.nan
    return (f"| {r.cell.metric} | {r.cell.d} | {r.cell.n} | {r.reps} | {r.truth:.4g} "
            f"| {r.mean:.4g} | {bias:+.2f} | {100 * r.cover_pop:.1f} % "
            f"| {100 * r.cover_truth:.1f} % | {r.width_ratio:.2f} | {r.seconds / r.reps:.2f} |")


def _row_key(row: str) -> tuple[int, int, int]:
    metric, d, n = (c.strip() for c in row.strip("|").split("|")[:3])
    return METRICS.index(metric), int(n), int(d)


def read_rows(path: str) -> dict[tuple[int, int, int], str]:
    """The table rows of an earlier output file, keyed by (metric, n, d)."""
    rows: dict[tuple[int, int, int], str] = {}
    if not os.path.exists(path):
        return rows
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            first = line.strip("|").split("|")[0].strip() if line.startswith("|") else ""
            if first in METRICS:
                rows[_row_key(line.rstrip("\n"))] = line.rstrip("\n")
    return rows


def outside_band_probability(reps: int, low: float = 0.93, high: float = 0.97) -> float:
    """P(observed coverage outside [low, high]) for an interval whose true coverage is 95 %."""
    dist = stats.binom(reps, 0.95)
    return float(dist.cdf(math.ceil(low * reps) - 1) + dist.sf(math.floor(high * reps)))


def shift_spread(d: int, n: int, reps: int) -> float:
    """Standard deviation, over the replicate datasets of every cell with this (d, n), of the
    observed shift along e_1 (mean of y minus mean of x in the first column), over its
    theoretical value sqrt(2/n)."""
    shifts = []
    for seed in range(reps):
        x, y = sample_pair(d, n, np.random.default_rng([d, n, seed]))
        shifts.append(y[:, 0].mean() - x[:, 0].mean())
    return float(np.std(shifts, ddof=1) / math.sqrt(2.0 / n))


def markdown(rows: dict[tuple[int, int, int], str], n_resamples: int, reps: int) -> str:
    head = ("| metric | d | n | replicates | truth | mean estimate | bias / half-width "
            "| cover pop. value | cover truth | width ratio | s/replicate |")
    grid = {(METRICS.index(m), n, d) for m in METRICS for n in SIZES for d in DIMS}
    missing = sorted(grid - set(rows))
    lines = ["# Calibration of compare's 95 % intervals", "",
             f"Output of `python benchmarks/calibration_compare.py` ({reps} replicate datasets "
             "per cell; cells run separately are merged with `--merge`).", ""]
    if missing:
        lines += ["Not run yet: " + ", ".join(f"{METRICS[m]} d={d} n={n}"
                                                for m, n, d in missing) + ".", ""]
    lines += [head, "|" + "---|" * 11, *(rows[k] for k in sorted(rows)), ""]
    lines.append(f"Intervals: `compare`'s default 95 % interval, `n_resamples={n_resamples}`. "
                 "P = N(0, I_d), Q = N(0.5 e_1, I_d), n points each. A binomial 95 % band for a "
                 "coverage of 95 % is +-3.0 points at 200 replicates and +-5.5 at 60. An "
                 f"interval whose coverage is exactly 95 % shows a coverage outside 93-97 % in "
                 f"{100 * outside_band_probability(reps):.0f} % of cells at {reps} replicates "
                 f"(binomial), so about {outside_band_probability(reps) * len(grid):.0f} of the "
                 f"{len(grid)} cells would fall outside that band by chance alone.")
    lines += ["", "### The replicate datasets", "",
              "Every metric of one (d, n) pair is run on the same replicate datasets, so the "
              "cells with the same d and n are not independent: where the observed shift along "
              "e_1 happens to vary more across the datasets than it should, every metric driven "
              "by that shift shows a wider spread of its estimates, and a width ratio below 1, "
              "at once. The ratio below is the standard deviation of that shift over its "
              f"theoretical value sqrt(2/n); its own standard error is about "
              f"{100 / math.sqrt(2 * (reps - 1)):.0f} %.", "",
              "| d | " + " | ".join(f"n = {n}" for n in SIZES) + " |",
              "|---|" + "---|" * len(SIZES)]
    for d in DIMS:
        lines.append(f"| {d} | " + " | ".join(f"{shift_spread(d, n, reps):.2f}" for n in SIZES)
                     + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--n-resamples", type=int, default=200)
    ap.add_argument("--metrics", default=",".join(METRICS))
    ap.add_argument("--dims", default=",".join(map(str, DIMS)))
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", default=None, help="write the Markdown table to this file")
    ap.add_argument("--merge", action="store_true",
                    help="keep the rows of --out for the cells not run now")
    args = ap.parse_args(argv)
    cells = [Cell(m, d, n) for m in args.metrics.split(",") for d in map(int, args.dims.split(","))
             for n in map(int, args.sizes.split(","))]
    rows = read_rows(args.out) if args.out and args.merge else {}
    for cell in cells:
        r = run_cell(cell, args.reps, args.n_resamples, args.workers)
        rows[_row_key(result_row(r))] = result_row(r)
        print(f"{cell.metric:>9} d={cell.d:<2} n={cell.n:<5} cover pop {100 * r.cover_pop:5.1f} % "
              f"truth {100 * r.cover_truth:5.1f} % width ratio {r.width_ratio:.2f} "
              f"({r.seconds:.0f} s)", flush=True)
        if args.out:  # rewrite after every cell: a long run keeps what it finished
            with open(args.out, "w") as fh:
                fh.write(markdown(rows, args.n_resamples, args.reps))
    print(markdown(rows, args.n_resamples, args.reps))
    return 0


if __name__ == "__main__":
    sys.exit(main())
