"""``compare(x, y)``: how far apart are two datasets? Estimates, CIs, p-values, in one call."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._array import array_namespace, to_numpy
from .._validate import check_bool, check_int, check_rng, check_sample_pair
from ..errors import EstimationError, ParameterError
from ._progress import Progress, progress_enabled
from ._report import CompareReport, CompareRow
from ._result import Estimate
from .kernel import _energy, _mmd
from .knn import DEFAULT_K_JS, DEFAULT_K_KL, _knn_js, _knn_kl
from .plugin import DEFAULT_SMOOTHING, _plugin, is_categorical
from .resampling import check_alpha
from .transport import (
    DEFAULT_N_PROJECTIONS,
    MAX_EXACT_N,
    _sliced_estimate,
    _wasserstein_estimate,
)

__all__ = ["compare", "METRICS", "DEFAULT_METRICS", "DEFAULT_METRICS_CATEGORICAL"]

#: Every metric name :func:`compare` understands, with a one-line description.
METRICS: dict[str, str] = {
    "kl": "Kullback-Leibler divergence KL(P||Q), nats",
    "js": "Jensen-Shannon divergence (<= log 2), nats",
    "w1": "Wasserstein-1 distance, Euclidean ground metric",
    "w2": "Wasserstein-2 distance, Euclidean ground metric",
    "sliced_w1": "sliced Wasserstein-1 distance (random directions)",
    "sliced_w2": "sliced Wasserstein-2 distance (random directions)",
    "mmd": "squared maximum mean discrepancy, Gaussian kernel, median-heuristic bandwidth",
    "energy": "energy distance (SciPy convention)",
}
#: Metrics computed when ``metrics=None`` for continuous data.
DEFAULT_METRICS = ("kl", "js", "w1", "sliced_w2", "mmd", "energy")
#: Metrics computed when ``metrics=None`` for categorical data.
DEFAULT_METRICS_CATEGORICAL = ("kl", "js", "w1", "mmd", "energy")

#: ``compare`` evaluates MMD and the energy distance (O(n m) cost) on at most this many
#: points per sample (a random subsample beyond; 1-D energy distance is O(n log n): no limit).
MAX_KERNEL_N = 10_000


def _parse_metrics(metrics: Any, categorical: bool) -> list[str]:
    if metrics is None:
        return list(DEFAULT_METRICS_CATEGORICAL if categorical else DEFAULT_METRICS)
    if isinstance(metrics, str):
        metrics = [s for s in (t.strip() for t in metrics.split(",")) if s]
    try:
        names = [str(m).strip().lower().replace("-", "_") for m in metrics]
    except TypeError:
        raise ParameterError(f"`metrics` must be a list of names, got {metrics!r}") from None
    if not names:
        raise ParameterError("`metrics` is empty; choose from " + ", ".join(METRICS))
    bad = [m for m in names if m not in METRICS]
    if bad:
        raise ParameterError(
            f"`metrics`: unknown metric(s) {', '.join(repr(b) for b in bad)}; "
            f"choose from {', '.join(METRICS)}"
        )
    return list(dict.fromkeys(names))  # drop repeats, keep order


def _run(metric: str, x: np.ndarray, y: np.ndarray, *, categorical: bool, res: dict[str, Any],
         max_exact_n: int) -> tuple[Estimate, str]:
    """One metric on the validated host float64 samples: calls the estimator kernels (no
    re-validation; ``res`` holds the validated ``n_resamples``, ``alpha`` and ``gen``)."""
    xp = array_namespace(x, y)
    n, d = x.shape
    m = y.shape[0]
    small = min(n, m)
    if metric in ("kl", "js"):
        if categorical:
            est = _plugin(metric, x, y, bins="categorical", smoothing=DEFAULT_SMOOTHING[metric],
                          **res)
            why = (f"categorical data ({est.details['cells']} distinct values): exact divergence "
                   "of the empirical frequencies")
            if metric == "kl":
                why += "; pseudo-count 0.5 keeps KL finite for values unseen in y"
            return est, why
        if metric == "kl":
            k = min(DEFAULT_K_KL, n - 1, m)
            est = _knn_kl(x, y, xp, k=k, variant="fixed", **res)
            why = (f"continuous data in d={d}: k-NN estimator needs no density model; "
                   f"k={k} has the smallest bias for well-separated samples")
        else:
            k = min(DEFAULT_K_JS, small - 1)
            est = _knn_js(x, y, xp, k=k, **res)
            why = (f"continuous data in d={d}: JS = H(M) - (H(P) + H(Q))/2 with "
                   f"Kozachenko-Leonenko k-NN entropies (k={k}; pooled sample, order 2k, for M)")
        if d > 10:
            why += f"; note: k-NN estimates are strongly biased in d={d}"
        return est, why
    if metric in ("w1", "w2"):
        p = 1.0 if metric == "w1" else 2.0
        est = _wasserstein_estimate(x, y, xp, p=p, max_exact_n=max_exact_n, **res)
        if d == 1:
            why = "points on the line: exact closed form by sorting, any n"
        elif "subsampled_to" in est.details:
            why = (f"n={max(n, m)} > max_exact_n={max_exact_n}: exact OT on a random "
                   f"subsample of {max_exact_n} points per sample (plug-in bias grows)")
        else:
            why = f"n <= max_exact_n={max_exact_n}: exact optimal transport (network simplex)"
        if d >= 5:
            why += (f"; in d={d} the empirical W_p is biased upwards (O(n^(-1/d))), "
                    "sliced_w2 is not")
        return est, why
    if metric in ("sliced_w1", "sliced_w2"):
        p = 1.0 if metric == "sliced_w1" else 2.0
        est = _sliced_estimate(x, y, xp, p=p, n_projections=DEFAULT_N_PROJECTIONS, **res)
        return est, "average of exact 1-D W_p over random directions; O(n log n), any n and d"
    sub_note = ""
    if max(n, m) > MAX_KERNEL_N and not (metric == "energy" and d == 1):
        gen = res["gen"]
        if n > MAX_KERNEL_N:
            x = x[np.sort(gen.choice(n, MAX_KERNEL_N, replace=False))]
        if m > MAX_KERNEL_N:
            y = y[np.sort(gen.choice(m, MAX_KERNEL_N, replace=False))]
        sub_note = (f"; O(n^2) cost: computed on a random subsample of at most {MAX_KERNEL_N} "
                    "points per sample")
    if metric == "mmd":
        est = _mmd(x, y, xp, bandwidth=None, **res)
        return est, ("unbiased U-statistic (0 in expectation when P = Q); "
                     f"median-heuristic bandwidth h={est.details['bandwidth']:.3g}" + sub_note)
    est = _energy(x, y, xp, **res)
    return est, ("V-statistic of Euclidean distances, matches scipy.stats.energy_distance"
                 + sub_note)


def compare(
    x: Any,
    y: Any,
    *,
    metrics: Sequence[str] | str | None = None,
    n_resamples: int = 200,
    alpha: float = 0.05,
    rng: Any = None,
    progress: bool | None = None,
    max_exact_n: int = MAX_EXACT_N,
    categorical: bool | None = None,
) -> CompareReport:
    r"""Compare two datasets: estimate divergences/distances with CIs and permutation p-values.

    For each requested metric an estimator is chosen from the data (dimension, size,
    categorical vs continuous) and the reason is reported:

    * ``kl``: k-NN (:func:`~divlab.estimators.knn_kl`) for continuous data, plug-in with
      pseudo-count 0.5 (:func:`~divlab.estimators.plugin_kl`) for categorical data;
    * ``js``: k-NN entropies (:func:`~divlab.estimators.knn_js`), or plug-in;
    * ``w1``, ``w2``: exact OT (1-D closed form; random subsamples of ``max_exact_n`` points
      in d > 1 beyond that size);
    * ``sliced_w1``, ``sliced_w2``: Monte-Carlo sliced Wasserstein;
    * ``mmd``: unbiased MMD², Gaussian kernel, median-heuristic bandwidth;
    * ``energy``: energy distance (SciPy's convention);

    MMD and energy distance cost O(n m): above ``MAX_KERNEL_N = 10000`` points per sample
    they are computed on a random subsample of that size (said in the report).

    Every estimate comes with a ``1 - alpha`` half-sampling confidence interval and the
    p-value of a permutation test of :math:`H_0: P = Q` (``n_resamples`` each; see
    :mod:`divlab.estimators.resampling`). Each metric draws from its own random stream
    derived from ``rng``, so its result does not depend on which other metrics are asked for.

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d), or 1-D
        The two samples (rows are observations). Integers are allowed.
    metrics : list of str or comma-separated str, optional
        Any of ``kl, js, w1, w2, sliced_w1, sliced_w2, mmd, energy``; default
        ``kl, js, w1, sliced_w2, mmd, energy`` (categorical data: without ``sliced_w2``).
    n_resamples : int, default 200
        Half-samples per CI and relabellings per permutation test; 0 skips both.
    alpha : float, default 0.05
        CI level ``1 - alpha``.
    rng : None, int or numpy.random.Generator
        Seed for resampling, subsampling and random directions.
    progress : bool, optional
        Progress bar on stderr (tqdm if installed); default: only when stderr is a terminal.
    max_exact_n : int, default 2000
        Exact OT in d > 1 on at most this many points per sample.
    categorical : bool, optional
        Force categorical (plug-in) or continuous (k-NN) estimators; default: detected
        (:func:`~divlab.estimators.plugin.is_categorical`: at most 256 distinct rows, and
        integer values or at most N/4 distinct rows).

    Returns
    -------
    CompareReport
        ``print(report)`` shows the table; ``report["kl"]`` is an :class:`Estimate`;
        ``to_dict()``, ``to_json()``, ``to_markdown()``.

    Raises
    ------
    NonFiniteError, EmptyInputError, ShapeMismatchError, DTypeError
        Bad samples (NaN, empty, different dimensions, non-numeric).
    ParameterError
        Unknown metric, bad ``n_resamples``/``alpha``/``max_exact_n``.

    Notes
    -----
    ``compare`` validates ``x`` and ``y`` once and makes one host (NumPy float64) copy of
    each: the k-NN and exact-OT estimators it uses are CPU algorithms (kd-trees, network
    simplex). Every metric then runs the estimator's private kernel on these copies (no
    further validation and no further host round trip). Call :func:`~divlab.estimators.mmd`,
    :func:`~divlab.estimators.energy_distance`, :func:`~divlab.estimators.knn_kl` (brute
    force) or :func:`divlab.sliced_wasserstein` directly to keep CuPy arrays on the GPU.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(500, 2)), rng.normal(0.5, 1.0, size=(500, 2))
    >>> report = compare(x, y, metrics=["kl", "mmd"], n_resamples=50, rng=0)
    >>> report["mmd"].p_value < 0.05
    True
    """
    start = time.perf_counter()
    _, x, y = check_sample_pair(x, y, names=("x", "y"), min_n=2)
    n_resamples = check_int(n_resamples, "n_resamples", min_value=0)
    alpha = check_alpha(alpha)
    max_exact_n = check_int(max_exact_n, "max_exact_n", min_value=2)
    gen = check_rng(rng)
    xn, yn = to_numpy(x).astype(np.float64), to_numpy(y).astype(np.float64)
    if categorical is None:
        categorical = is_categorical(np.concatenate([xn, yn]))
    else:
        categorical = check_bool(categorical, "categorical")
    names = _parse_metrics(metrics, bool(categorical))
    root = int(gen.integers(2**63 - 1))
    rows: list[CompareRow] = []
    notes: list[str] = []
    order = list(METRICS)
    with Progress(len(names), enabled=progress_enabled(progress)) as bar:
        for name in names:
            res = {"n_resamples": n_resamples, "alpha": alpha,
                   "gen": np.random.default_rng([root, order.index(name)])}
            try:
                est, why = _run(name, xn, yn, categorical=bool(categorical), res=res,
                                max_exact_n=max_exact_n)
            except EstimationError as exc:
                est = Estimate(float("nan"), None, "not estimable", (xn.shape[0], yn.shape[0]),
                               {"error": str(exc)})
                why = f"could not be estimated: {exc}"
            rows.append(CompareRow(name, est, why))
            bar.step(name)
    if n_resamples:
        notes.append(
            f"CI: {100 * (1 - alpha):g} % half-sampling basic interval from {n_resamples} random "
            "half-samples (sampling variability around the estimate, not estimator bias)")
        notes.append(
            f"p-value: permutation test of 'x and y come from the same distribution' with "
            f"{n_resamples} relabellings; smallest possible value 1/{n_resamples + 1}")
    if categorical:
        notes.append("data detected as categorical: plug-in estimators on the distinct values")
    return CompareReport(
        rows=tuple(rows), x_shape=tuple(xn.shape), y_shape=tuple(yn.shape),
        data_kind="categorical" if categorical else "continuous", alpha=alpha,
        n_resamples=n_resamples, notes=tuple(notes), elapsed_s=time.perf_counter() - start,
    )
