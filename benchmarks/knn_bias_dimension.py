"""Bias of the k-NN KL and JS estimators (after whitening) against the dimension.

Gaussian pairs with correlated features (AR(1) covariance, correlation 0.9 between
neighbouring features) and a mean shift of Mahalanobis length ``delta``:
KL = delta**2 / 2 in closed form; JS by Monte Carlo from the known densities (4e5 draws,
standard error < 2e-3). For every cell (d, n) the estimators run on ``REPS`` independent
replicate datasets (fixed seeds); the table prints the truth, the mean estimate, the
relative bias and the mean 95 % interval half-width (200 resamples).

This study sets ``divlab.estimators.knn.KNN_MAX_RELIABLE_D``: the largest d at which the
absolute bias of both estimators stays below their interval half-width at n = 2000 for
the pairs measured. Run: ``python benchmarks/knn_bias_dimension.py [reps]`` (about a
minute per replicate on 2 cores).
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np
from scipy.special import logsumexp

from divlab.estimators.knn import UnreliableEstimateWarning, knn_js, knn_kl

DIMS = (1, 2, 5, 10, 20, 50)
SIZES = (500, 2000)
DELTAS = (1.0, 2.5)


def ar1(d: int, r: float = 0.9) -> np.ndarray:
    i = np.arange(d)
    return r ** np.abs(i[:, None] - i[None, :])


def pair(d: int, delta: float):
    cov = ar1(d)
    chol = np.linalg.cholesky(cov)
    # shift along the first whitened direction: Mahalanobis length delta
    mu = chol @ np.eye(d)[0] * delta
    return cov, chol, mu


def js_truth(d: int, delta: float, rng: np.random.Generator, n: int = 400_000) -> float:
    # after whitening the pair is N(0, I) vs N(delta e1, I): only the first axis matters
    del d
    x = rng.standard_normal(n)
    y = rng.standard_normal(n) + delta

    def logs(t):
        lp = -0.5 * t**2
        lq = -0.5 * (t - delta) ** 2
        return lp, lq, logsumexp([lp, lq], axis=0) - math.log(2.0)

    lp, _, lm = logs(x)
    _, lq, lm2 = logs(y)
    return float(0.5 * np.mean(lp - lm) + 0.5 * np.mean(lq - lm2))


def main(reps: int = 6) -> None:
    rng = np.random.default_rng(2026)
    print(f"{'d':>3} {'n':>5} {'delta':>5} | {'KL':>6} {'est':>7} {'bias%':>6} {'hw':>6} | "
          f"{'JS':>6} {'est':>7} {'bias%':>6} {'hw':>6}")
    for delta in DELTAS:
        jt = js_truth(1, delta, rng)
        kt = 0.5 * delta**2
        for d in DIMS:
            _, chol, mu = pair(d, delta)
            for n in SIZES:
                kl, js, khw, jhw = [], [], [], []
                for r in range(reps):
                    g = np.random.default_rng([d, n, r, int(10 * delta)])
                    x = g.standard_normal((n, d)) @ chol.T
                    y = g.standard_normal((n, d)) @ chol.T + mu
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", UnreliableEstimateWarning)
                        ek = knn_kl(x, y, n_resamples=200, rng=r)
                        ej = knn_js(x, y, n_resamples=200, rng=r)
                    kl.append(ek.value)
                    js.append(ej.value)
                    khw.append(0.5 * (ek.ci[1] - ek.ci[0]))
                    jhw.append(0.5 * (ej.ci[1] - ej.ci[0]))
                print(f"{d:>3} {n:>5} {delta:>5} | {kt:6.3f} {np.mean(kl):7.3f} "
                      f"{100 * (np.mean(kl) / kt - 1):+6.1f} {np.mean(khw):6.3f} | "
                      f"{jt:6.3f} {np.mean(js):7.3f} {100 * (np.mean(js) / jt - 1):+6.1f} "
                      f"{np.mean(jhw):6.3f}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
