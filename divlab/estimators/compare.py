"""``compare(x, y)``: how far apart are two datasets? Estimates, CIs, p-values, in one call."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from .._array import array_namespace, to_numpy
from .._validate import check_bool, check_int, check_rng, check_sample_pair
from ..errors import (
    CompareInterrupted,
    DivlabWarning,
    EmptyInputError,
    EstimationError,
    ParameterError,
    ShapeMismatchError,
)
from ..io import as_samples
from ..streaming._base import is_dask_array
from ._lazy_input import LazyScan, scan_dask_pair
from ._progress import Progress, progress_enabled
from ._report import CompareReport, CompareRow
from ._result import Estimate
from .kernel import _mmd_energy
from .knn import DEFAULT_K_JS, DEFAULT_K_KL, _knn_js, _knn_kl, _knn_kl_js
from .metrics import METRIC_ALIASES, METRIC_TABLE, Metric, default_metrics
from .plugin import DEFAULT_SMOOTHING, _plugin, is_categorical
from .resampling import check_alpha
from .transport import (
    DEFAULT_N_PROJECTIONS,
    MAX_EXACT_N,
    _sliced_estimate,
    _wasserstein_estimate,
)

__all__ = ["compare", "METRICS", "DEFAULT_METRICS", "DEFAULT_METRICS_CATEGORICAL"]

#: Every metric name :func:`compare` understands, with a one-line description
#: (derived from :data:`~divlab.estimators.metrics.METRIC_TABLE`).
METRICS: dict[str, str] = {name: m.description for name, m in METRIC_TABLE.items()}
#: Metrics computed when ``metrics=None`` for continuous data.
DEFAULT_METRICS = default_metrics("continuous")
#: Metrics computed when ``metrics=None`` for categorical data.
DEFAULT_METRICS_CATEGORICAL = default_metrics("categorical")

#: Pooled per-column standard deviations that differ by more than this factor make
#: ``compare`` warn that W, MMD and the energy distance are dominated by the widest columns.
SCALE_RATIO_WARN = 100.0


def _parse_metrics(metrics: Any, kind: str) -> list[str]:
    if metrics is None:
        return list(default_metrics(kind))
    if isinstance(metrics, str):
        metrics = [metrics]
    try:
        items = list(metrics)
    except TypeError:
        raise ParameterError(f"`metrics` must be a list of names, got {metrics!r}") from None
    names = []
    for item in items:
        if not isinstance(item, str):
            raise ParameterError(f"`metrics` must be a list of names, got {metrics!r}")
        names += [t.strip().lower().replace("-", "_") for t in item.split(",") if t.strip()]
    if not names:
        raise ParameterError("`metrics` is empty; choose from " + ", ".join(METRIC_TABLE))
    names = [part for m in names for part in METRIC_ALIASES.get(m, (m,))]
    bad = [m for m in names if m not in METRIC_TABLE]
    if bad:
        raise ParameterError(
            f"`metrics`: unknown metric(s) {', '.join(repr(b) for b in bad)}; "
            f"choose from {', '.join([*METRIC_TABLE, *METRIC_ALIASES])}"
        )
    wrong_kind = [m for m in names if not METRIC_TABLE[m].applies_to(kind)]
    if wrong_kind:
        raise ParameterError(f"`metrics`: {', '.join(wrong_kind)} cannot be estimated on {kind} "
                             "data")
    return list(dict.fromkeys(names))  # drop repeats, keep order


def _matched_columns(x: Any, y: Any, feature_names: Any) -> tuple[Any, Any, list[str] | None]:
    """Columns of DataFrame inputs matched by name (y reordered to x's order)."""
    x, names_x = as_samples(x, name="x")
    y, names_y = as_samples(y, name="y")
    if names_x == [None]:  # an unnamed Series
        names_x = None
    if names_y == [None]:
        names_y = None
    for arg, nm in (("x", names_x), ("y", names_y)):
        if nm is not None and len(set(nm)) < len(nm):
            dup = sorted({c for c in nm if nm.count(c) > 1})
            raise ShapeMismatchError(f"`{arg}` has repeated column names {dup}: columns cannot "
                                     "be matched by name; rename them")
    if (names_x is not None and names_y is not None and getattr(x, "ndim", 0) == 1
            and getattr(y, "ndim", 0) == 1):  # two single columns (Series): nothing to match
        names_y = names_x
    if names_x is not None and names_y is not None and names_x != names_y:
        if sorted(names_x) != sorted(names_y):
            raise ShapeMismatchError(
                f"`x` and `y` have different columns: only in x: "
                f"{sorted(set(names_x) - set(names_y)) or '-'}, only in y: "
                f"{sorted(set(names_y) - set(names_x)) or '-'}")
        y = np.asarray(y)[:, [names_y.index(c) for c in names_x]]
    names = names_x or names_y
    if feature_names is not None:
        names = [str(c) for c in feature_names]
    return x, y, names


def _pooled_scales(xn: np.ndarray, yn: np.ndarray) -> np.ndarray:
    """Standard deviation of each column of the pooled sample (0 for constant columns)."""
    z = np.concatenate([xn, yn])
    return z.std(axis=0)


def _scale_note(scales: np.ndarray, names: list[str]) -> str:
    shown = ", ".join(f"{c} {s:.3g}" for c, s in zip(names[:12], scales[:12], strict=False))
    more = f", ... ({len(names) - 12} more)" if len(names) > 12 else ""
    return f"column scales (pooled standard deviation): {shown}{more}"


def _bounded(est: Estimate, metric: Metric) -> Estimate:
    """Keep the estimate and its interval inside the metric's range; the interval contains
    the estimate. The value before clipping is kept in ``details["unclipped"]``."""
    lo, hi = metric.lower, metric.upper
    value = float(est.value)
    details = dict(est.details)
    if math.isfinite(value) and not lo <= value <= hi:
        details["unclipped"] = value
        value = min(max(value, lo), hi)
    ci = est.ci
    if ci is not None and math.isfinite(value):
        a, b = (min(max(float(c), lo), hi) for c in ci)
        ci = (min(a, value), max(b, value))
    if value == est.value and ci == est.ci:
        return est
    return replace(est, value=value, ci=ci, details=details)


def _subsample(gen: np.random.Generator, a: np.ndarray, limit: int | None) -> np.ndarray:
    if limit is None or a.shape[0] <= limit:
        return a
    return a[np.sort(gen.choice(a.shape[0], limit, replace=False))]


def _mark_subsampled(est: Estimate, na: int, nb: int, n: int, m: int) -> Estimate:
    """An estimate computed on a subsample of ``na`` x ``nb`` of the ``n`` x ``m`` points, said
    as the kernels that subsample themselves say it: ``n`` the full sizes, the method names
    the subsample, ``details["subsampled_to"]``."""
    if "subsampled_to" in est.details:
        return est
    return replace(est, n=(n, m), method=f"{est.method} on {na}+{nb} subsample",
                   details={**est.details, "subsampled_to": [na, nb]})


def _members(name: str, requested: list[str]) -> list[str]:
    """The requested metrics computed together with ``name`` (its group), in request order."""
    group = METRIC_TABLE[name].group
    if group is None:
        return [name]
    return [m for m in requested if METRIC_TABLE[m].group == group]


def _group_limit(name: str) -> int | None:
    """The subsample cap of ``name``'s group: the smallest ``max_n`` of its members in the
    table, so a metric's sample does not depend on which others were asked for."""
    group = METRIC_TABLE[name].group
    if group is None:
        return METRIC_TABLE[name].max_n
    caps = [m.max_n for m in METRIC_TABLE.values() if m.group == group and m.max_n is not None]
    return min(caps) if caps else None


def _stream_key(name: str) -> int:
    """Index of the random stream for subsampling ``name``'s data: shared by its group, so a
    metric's result does not depend on which other metrics were asked for."""
    group = METRIC_TABLE[name].group
    names = list(METRIC_TABLE)
    if group is None:
        return names.index(name)
    return min(names.index(m) for m in names if METRIC_TABLE[m].group == group)


def _run_members(members: list[str], x: np.ndarray, y: np.ndarray, *, categorical: bool,
                 n_resamples: int, alpha: float, gens: dict[str, np.random.Generator],
                 group_gen: np.random.Generator, max_exact_n: int
                 ) -> dict[str, tuple[Estimate, str]]:
    """Estimate the metrics of one group on the same (sub)samples, sharing the expensive
    step where the group has a shared kernel."""
    if METRIC_TABLE[members[0]].group == "prdc":
        from ..generative.manifold import _prdc_estimates

        ests = _prdc_estimates(x, y, n_resamples=n_resamples, alpha=alpha, gen=group_gen)
        why = (f"k-NN balls (k={ests['precision'].details.get('k', 5)}) of the real (x) and "
               "generated (y) features; chunked exact distances")
        return {m: (ests[m], why) for m in members}
    if METRIC_TABLE[members[0]].group == "pairwise":
        ests = _mmd_energy(x, y, n_resamples=n_resamples, alpha=alpha, gen=group_gen,
                           want=tuple(members), max_n=METRIC_TABLE[members[0]].max_n)
        return {m: (ests[m], _pairwise_why(m, ests[m])) for m in members}
    if len(members) == 2 and members[0] in ("kl", "js") and not categorical:
        est = _knn_kl_js(x, y, n_resamples=n_resamples, alpha=alpha, want=tuple(members),
                         gen={m: gens[m] for m in members})
        return {m: (est[m], _knn_why(m, est[m], x.shape[1])) for m in members}
    out = {}
    for m in members:
        res = {"n_resamples": n_resamples, "alpha": alpha, "gen": gens[m]}
        out[m] = _run(m, x, y, categorical=categorical, res=res, max_exact_n=max_exact_n)
    return out


def _knn_why(metric: str, est: Estimate, d: int) -> str:
    """Why a k-NN estimator, and what its flags say."""
    det = est.details
    k = det.get("k")
    dim = det.get("dim", d)
    if metric == "kl":
        why = (f"continuous data in d={d}: k-NN estimator on the whitened pooled sample "
               f"(affine invariant, no density model); k={k}")
    else:
        why = (f"continuous data in d={d}: JS = H(M) - (H(P) + H(Q))/2 with "
               f"Kozachenko-Leonenko k-NN entropies on the whitened pooled sample (k={k})")
    if dim != d:
        why += f"; {d - dim} constant or collinear direction(s) dropped"
    flags = det.get("flags") or []
    if "disjoint_supports" in flags:
        why += "; FLAG: the supports do not overlap"
    if "nearly_disjoint_supports" in flags:
        why += "; FLAG: the samples barely overlap (estimate unreliable, interval open above)"
    if "high_dimension" in flags:
        why += (f"; FLAG: {dim} whitened dimensions is beyond where the calibration study "
                "found k-NN reliable")
    raw = det.get("raw")
    if raw is not None and raw != est.value:
        why += f"; raw value {raw:.4g} clipped to the metric's range"
    return why


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
            if metric == "js":  # jackknife: the smallest bias on sparse tables (+25 % -> -3 %)
                est = _plugin("js", x, y, bins="categorical", smoothing=0.0,
                              correction="jackknife", **res)
            else:
                est = _plugin("kl", x, y, bins="categorical",
                              smoothing=DEFAULT_SMOOTHING["kl"], **res)
            why = (f"categorical data ({est.details['cells']} distinct values): exact divergence "
                   "of the empirical frequencies")
            if metric == "kl":
                why += "; pseudo-count 0.5 keeps KL finite for values unseen in y"
            else:
                why += "; jackknife bias correction for sparse tables"
            return est, why
        if metric == "kl":
            est = _knn_kl(x, y, xp, k=min(DEFAULT_K_KL, n - 1, m), variant="fixed", **res)
        else:
            est = _knn_js(x, y, xp, k=min(DEFAULT_K_JS, small - 1), **res)
        return est, _knn_why(metric, est, d)
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
    if metric == "fid":
        from ..generative.frechet import _fid_estimate

        est = _fid_estimate(x, y, **res)
        return est, (f"Gaussians fitted to the {d}-dimensional features; symmetric eigen route "
                     "for the Bures term" + (" (exact for n < d)" if min(n, m) <= d else ""))
    if metric == "kid":
        from ..generative.kid import _kid_estimate

        est = _kid_estimate(x, y, **res)
        return est, ("unbiased MMD^2 with the cubic polynomial kernel averaged over random "
                     "subsets (torch-fidelity defaults): unbiased at any n, unlike FID")
    raise ParameterError(f"no estimator for metric {metric!r}")  # pragma: no cover


#: Random stream (after the metrics' own) of the rows gathered from Dask input.
_GATHER_STREAM = 1000


def _mentions(metrics: Any, name: str) -> bool:
    """Whether ``metrics`` (not yet validated) asks for ``name``."""
    items = [metrics] if isinstance(metrics, str) else metrics
    try:
        return any(isinstance(m, str) and name in m.lower() for m in items or ())
    except TypeError:
        return False


def _lazy_note(scan: LazyScan, requested: list[str]) -> str:
    (n, _), (m, _) = scan.shape_x, scan.shape_y
    full = "checks, column scales, data kind" + (", FID" if "fid" in requested else "")
    return (f"Dask input of {n} and {m} rows: {full} from every row in one pass; the metrics "
            f"on a uniform random subsample of {scan.xn.shape[0]} and {scan.yn.shape[0]} rows "
            "gathered in the same pass (estimators with a smaller size limit subsample it "
            "further, as in memory; intervals are those of the subsample estimates)")


def _all_rows_interval(est: Estimate, value: float, ratio: float,
                       guaranteed: tuple[float, float] | None = None) -> Any:
    """The subsample's interval moved to ``value`` and scaled by ``ratio`` (its deviations are
    O(n^-1/2)), widened to contain the ``guaranteed`` bounds of the all-row value."""
    if est.ci is None:
        return None
    lo, hi = est.ci
    a, b = value - (est.value - lo) * ratio, value + (hi - est.value) * ratio
    if guaranteed is not None:
        a, b = min(a, guaranteed[0]), max(b, guaranteed[1])
    return (a, b)


def _ratio(scan: LazyScan) -> float:
    return math.sqrt(min(scan.xn.shape[0] / scan.shape_x[0],
                         scan.yn.shape[0] / scan.shape_y[0]))


def _fid_all_rows(est: Estimate, why: str, scan: LazyScan) -> tuple[Estimate, str]:
    """FID of every row (streamed Fréchet statistics) for a subsampled Dask input."""
    import array_api_compat.numpy as npx

    from ..generative.frechet import _fid_stats

    (sx, sy) = scan.frechet
    (m1, c1), (m2, c2) = sx.result(ddof=1), sy.result(ddof=1)
    value = float(_fid_stats(np.asarray(m1), np.asarray(c1), np.asarray(m2), np.asarray(c2),
                             npx))
    ratio = _ratio(scan)
    details = dict(est.details, subsample_value=est.value, ci_scaled_by=ratio)
    why += ("; value from the Fréchet statistics of every row (streamed); interval of the "
            f"subsample scaled by sqrt(subsample/rows) = {ratio:.3g}")
    return replace(est, value=value, ci=_all_rows_interval(est, value, ratio),
                   n=(scan.shape_x[0], scan.shape_y[0]), details=details), why


def _w1d_all_rows(metric: str, est: Estimate, why: str, scan: LazyScan,
                  divisor: float) -> tuple[Estimate, str]:
    """W_p of every row of 1-D Dask samples: cell counts in two to four passes, with an
    interval guaranteed to contain the exact all-row value (:mod:`divlab.streaming`)."""
    from ..streaming.wasserstein import wasserstein_1d_bounds

    p = 1.0 if metric == "w1" else 2.0
    b = wasserstein_1d_bounds(scan.x[:, 0], scan.y[:, 0], p=p)
    value, lo, hi = b.value / divisor, b.lower / divisor, b.upper / divisor
    ratio = _ratio(scan)
    details = dict(est.details, subsample_value=est.value, ci_scaled_by=ratio,
                   all_rows_bounds=(lo, hi), passes=b.passes)
    why += (f"; value from all {scan.shape_x[0]} + {scan.shape_y[0]} rows by cell counts in "
            f"{b.passes} passes (exact value guaranteed in [{lo:.6g}, {hi:.6g}]); interval of "
            f"the subsample scaled by sqrt(subsample/rows) = {ratio:.3g}")
    return replace(est, value=value, ci=_all_rows_interval(est, value, ratio, (lo, hi)),
                   n=(scan.shape_x[0], scan.shape_y[0]), details=details), why


def _pairwise_why(metric: str, est: Estimate) -> str:
    det = est.details
    if metric == "mmd":
        why = ("unbiased U-statistic (0 in expectation when P = Q); "
               f"median-heuristic bandwidth h={det['bandwidth']:.3g}")
    else:
        why = "V-statistic of Euclidean distances, matches scipy.stats.energy_distance"
    note = det.get("subsample_note")
    return why + (f"; {note}" if note else "")


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
    standardize: bool = False,
    feature_names: Sequence[str] | None = None,
) -> CompareReport:
    r"""Compare two datasets: estimate divergences/distances with CIs and permutation p-values.

    For each requested metric an estimator is chosen from the data (dimension, size,
    categorical vs continuous) and the reason is reported. The metrics, their estimators,
    ranges, known biases and limits are the records of
    :data:`~divlab.estimators.metrics.METRIC_TABLE` (table in the docs):

    * ``kl``: k-NN (:func:`~divlab.estimators.knn_kl`) for continuous data, plug-in with
      pseudo-count 0.5 (:func:`~divlab.estimators.plugin_kl`) for categorical data;
    * ``js``: k-NN entropies (:func:`~divlab.estimators.knn_js`), or plug-in;
    * ``w1``, ``w2``: exact OT (1-D closed form; random subsamples of ``max_exact_n`` points
      in d > 1 beyond that size);
    * ``sliced_w1``, ``sliced_w2``: Monte-Carlo sliced Wasserstein;
    * ``mmd``: unbiased MMD², Gaussian kernel, median-heuristic bandwidth;
    * ``energy``: energy distance (SciPy's convention);

    A metric whose record has a ``max_n`` (MMD and the energy distance: O(n m) cost) is
    computed on a random subsample of that many points per sample beyond it (said in the
    report; its interval is that of the subsample estimate). Estimates and interval ends are
    kept inside the metric's range (KL >= 0, 0 <= JS <= log 2, ...), and every interval
    contains its estimate.

    Every estimate comes with a ``1 - alpha`` confidence interval (half-sampling, except
    where the metric's record says otherwise: exact W_p in d > 1 uses the central limit
    theorem with the dual potentials' variance; MMD² and the energy distance a score interval
    whose variance grows with the value) and the p-value of a permutation test of
    :math:`H_0: P = Q` (``n_resamples`` each; see :mod:`divlab.estimators.resampling`).
    Each metric draws from its own random stream derived from ``rng``, so its result does not
    depend on which other metrics are asked for.

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d), or 1-D
        The two samples (rows are observations). Integers are allowed. pandas or polars
        DataFrames are matched by column name (``y``'s columns are put in ``x``'s order;
        different column sets raise) and the names appear in the report.
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
    standardize : bool, default False
        Divide every feature by its pooled standard deviation before computing the metrics
        that depend on units (``w1``, ``w2``, sliced, ``mmd``, ``energy``). KL and JS do not
        depend on units. Without it, ``compare`` warns when the columns' scales differ by
        more than ``SCALE_RATIO_WARN = 100`` times.
    feature_names : sequence of str, optional
        Column names for the report (default: a DataFrame's column names, else ``x0, x1,
        ...``).

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
    CompareInterrupted
        On Ctrl-C: a :class:`KeyboardInterrupt` whose ``report`` holds the metrics that
        finished.

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
    lazy = is_dask_array(x) or is_dask_array(y)
    if lazy:
        names = None if feature_names is None else [str(c) for c in feature_names]
    else:
        x, y, names = _matched_columns(x, y, feature_names)
        _, x, y = check_sample_pair(x, y, names=("x", "y"), min_n=2)
    n_resamples = check_int(n_resamples, "n_resamples", min_value=0)
    alpha = check_alpha(alpha)
    max_exact_n = check_int(max_exact_n, "max_exact_n", min_value=2)
    standardize = check_bool(standardize, "standardize")
    gen = check_rng(rng)
    root = int(gen.integers(2**63 - 1))
    scan = None
    if lazy:
        scan = scan_dask_pair(x, y, gen=np.random.default_rng([root, _GATHER_STREAM]),
                              frechet=_mentions(metrics, "fid"))
        xn, yn = scan.xn, scan.yn
    else:
        xn, yn = to_numpy(x).astype(np.float64), to_numpy(y).astype(np.float64)
    d = xn.shape[1]
    if names is None:
        names = [f"x{j}" for j in range(d)]
    elif len(names) != d:
        raise ShapeMismatchError(f"`feature_names` has {len(names)} names for {d} columns")
    if categorical is not None:
        categorical = check_bool(categorical, "categorical")
    elif scan is not None:
        categorical = scan.categorical
    else:
        categorical = is_categorical(np.concatenate([xn, yn]))
    kind = "categorical" if categorical else "continuous"
    requested = _parse_metrics(metrics, kind)
    scales = scan.scales if scan is not None else _pooled_scales(xn, yn)
    notes: list[str] = []
    if scan is not None and scan.subsampled:
        notes.append(_lazy_note(scan, requested))
    unit_metrics = [m for m in requested if METRIC_TABLE[m].standardizable]
    if standardize:
        divisor = np.where(scales > 0, scales, 1.0)
        xs, ys = xn / divisor, yn / divisor
        if unit_metrics:
            notes.append(f"standardize=True: {', '.join(unit_metrics)} computed on features "
                         "divided by their pooled standard deviation (unit-free)")
    else:
        xs, ys = xn, yn
        spread = scales[scales > 0]
        if unit_metrics and spread.size > 1 and spread.max() > SCALE_RATIO_WARN * spread.min():
            msg = (f"column scales differ by {spread.max() / spread.min():.3g}x: "
                   f"{', '.join(unit_metrics)} are dominated by the widest columns; "
                   "pass standardize=True (CLI: --standardize) to weigh columns equally")
            warnings.warn(msg, DivlabWarning, stacklevel=2)
            notes.append(msg)
    order = list(METRIC_TABLE)
    results: dict[str, CompareRow] = {}

    def report(done: dict[str, CompareRow], elapsed: float) -> CompareReport:
        rows = tuple(done[m] for m in requested if m in done)
        all_notes = list(notes)
        if n_resamples and any(r.estimate.ci is not None for r in rows):
            all_notes.append(
                f"CI: {100 * (1 - alpha):g} % interval from {n_resamples} resamples (half-"
                "sampling unless the method says otherwise; sampling variability around the "
                "estimate, not estimator bias)")
        if n_resamples and any(r.estimate.p_value is not None for r in rows):
            all_notes.append(
                f"p-value: permutation test of 'x and y come from the same distribution' with "
                f"{n_resamples} relabellings; smallest possible value 1/{n_resamples + 1}")
        if categorical:
            all_notes.append("data detected as categorical: plug-in estimators on the distinct "
                             "values")
        all_notes.append(_scale_note(scales, names))
        shapes = (scan.shape_x, scan.shape_y) if scan is not None else (xn.shape, yn.shape)
        return CompareReport(
            rows=rows, x_shape=tuple(shapes[0]), y_shape=tuple(shapes[1]), data_kind=kind,
            alpha=alpha, n_resamples=n_resamples, notes=tuple(all_notes), elapsed_s=elapsed,
            extra={"columns": list(names), "column_scales": [float(v) for v in scales],
                   "standardize": standardize},
        )

    try:
        with Progress(len(requested), enabled=progress_enabled(progress)) as bar:
            for name in requested:
                if name in results:  # computed with its group
                    continue
                bar.start(name)
                members = _members(name, requested)
                key = _stream_key(name)
                gens = {m: np.random.default_rng([root, order.index(m)]) for m in members}
                a, b = (xs, ys) if name in unit_metrics else (xn, yn)
                limit = _group_limit(name)
                if METRIC_TABLE[name].group == "pairwise":
                    limit = None  # the kernel subsamples (never the 1-D energy distance)
                elif categorical and METRIC_TABLE[name].group == "knn":
                    limit = None  # the plug-in estimators are O(n): every point counts
                sub_gen = np.random.default_rng([root, key, 1])
                a, b = _subsample(sub_gen, a, limit), _subsample(sub_gen, b, limit)
                try:
                    done = _run_members(members, a, b, categorical=bool(categorical),
                                        n_resamples=n_resamples, alpha=alpha, gens=gens,
                                        group_gen=np.random.default_rng([root, key]),
                                        max_exact_n=max_exact_n)
                except (EstimationError, EmptyInputError) as exc:  # too few points for it
                    nan = Estimate(float("nan"), None, "not estimable",
                                   (xn.shape[0], yn.shape[0]), {"error": str(exc)})
                    done = {m: (nan, f"could not be estimated: {exc}") for m in members}
                for m in members:
                    est, why = done[m]
                    if scan is not None and scan.subsampled and m == "fid":
                        if math.isnan(est.value):  # too few gathered rows: all-row value only
                            est = replace(est, method="FID (squared W2 of fitted Gaussians)")
                            why = f"no interval (subsample: {why})"
                        est, why = _fid_all_rows(est, why, scan)
                    elif scan is not None and scan.subsampled and not math.isnan(est.value):
                        if m in ("w1", "w2") and d == 1:
                            est, why = _w1d_all_rows(m, est, why, scan, float(
                                divisor[0]) if standardize else 1.0)
                    if not math.isnan(est.value):
                        est = _bounded(est, METRIC_TABLE[m])
                        if a.shape[0] < xn.shape[0] or b.shape[0] < yn.shape[0]:
                            est = _mark_subsampled(est, a.shape[0], b.shape[0], xn.shape[0],
                                                   yn.shape[0])
                            why += (f"; beyond {limit} points per sample: computed on a random "
                                    f"subsample of {a.shape[0]} x {b.shape[0]} points (the "
                                    "interval is that of the subsample estimate)")
                    results[m] = CompareRow(m, est, why)
                    bar.step(m)
    except KeyboardInterrupt:
        raise CompareInterrupted(report(results, time.perf_counter() - start)) from None
    return report(results, time.perf_counter() - start)
