r"""The metrics of :func:`divlab.compare`, one record each.

Every metric ``compare`` can compute is a :class:`Metric` record in :data:`METRIC_TABLE`:
its name, what it measures, its range, the data it applies to, which estimator computes it
and why, how its uncertainty is obtained, its known bias, and where it stops being
trustworthy (the sizes above which ``compare`` subsamples, the dimension above which it
warns). ``compare``, its defaults, the command line's ``--help`` and the documentation's
metric table all read this one table.

Metrics that share work form a *group* (``"knn"``: one neighbour search for KL and JS;
``"pairwise"``: one distance computation for MMD and the energy distance); ``compare``
runs a group once for all of its requested members.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .kernel import MAX_KERNEL_N

__all__ = ["Metric", "METRIC_TABLE", "METRIC_ALIASES", "metric_names", "default_metrics",
           "get_metric"]

LOG2 = math.log(2.0)


@dataclass(frozen=True)
class Metric:
    """One metric of :func:`divlab.compare`.

    Attributes
    ----------
    name : str
        The name ``compare(metrics=...)`` and ``divlab compare --metrics`` take.
    description : str
        One line: the quantity and its units.
    lower, upper : float
        The metric's range; estimates and interval ends are kept inside it.
    kinds : tuple of str
        Data kinds it applies to (``"continuous"``, ``"categorical"``).
    default_for : tuple of str
        Data kinds for which it is computed when ``metrics=None``.
    estimator : str
        Which estimator computes it, per data kind, and why it was picked.
    resampling : str
        How the confidence interval and the p-value are obtained.
    bias : str
        The estimator's known bias.
    limits : str
        When ``compare`` subsamples, warns, flags or refuses.
    group : str or None
        Metrics of one group share their expensive step (neighbour search, distances).
    max_n : int or None
        ``compare`` estimates on a random subsample of at most this many points per
        sample above it (``None``: any size; KL and JS on categorical data, whose plug-in
        estimators are O(n), use every point). The interval is that of the subsample
        estimate, which is an estimate from an i.i.d. sample of that size.
    affine_invariant : bool
        The population value is unchanged by a common invertible affine map of the
        features (f-divergences are); the estimator is built to be as well.
    unit_scaling : float or None
        The population value scales as ``c ** unit_scaling`` when every feature is
        multiplied by ``c`` (1 for W_p and SciPy's energy distance; ``None``: no such law).
    standardizable : bool
        ``compare(standardize=True)`` divides the features by their pooled standard
        deviations before this metric (the metrics that depend on the units of each column;
        not the feature-space metrics of generative models, whose features are used as given).
    """

    name: str
    description: str
    lower: float
    upper: float
    kinds: tuple[str, ...]
    default_for: tuple[str, ...]
    estimator: str
    resampling: str
    bias: str
    limits: str
    group: str | None = None
    max_n: int | None = None
    affine_invariant: bool = False
    unit_scaling: float | None = None
    standardizable: bool = False

    def applies_to(self, kind: str) -> bool:
        """Whether the metric can be estimated on data of this kind."""
        return kind in self.kinds


_HALF = ("half-sampling basic interval (random halves without replacement; "
         "finite-population scaling) and a permutation p-value")
_SCORE = ("score interval from the half-sampling variance (random halves without replacement, "
          "finite-population scaling), its growth with the value taken from the permutation "
          "variance; a permutation p-value")
_W_INTERVAL = ("d = 1: " + _HALF + "; d > 1: normal interval from the variance of the optimal "
               "dual potentials (central limit theorem of the empirical transport cost) and a "
               "permutation p-value")

#: Every metric of :func:`divlab.compare`, in the order reports list them.
METRIC_TABLE: Mapping[str, Metric] = {m.name: m for m in (
    Metric(
        name="kl", description="Kullback-Leibler divergence KL(P||Q), nats",
        lower=0.0, upper=math.inf, kinds=("continuous", "categorical"),
        default_for=("continuous", "categorical"),
        estimator=("continuous: k-NN (Wang-Kulkarni-Verdu 2009) on the whitened pooled "
                   "sample, needs no density model; categorical: plug-in on the observed "
                   "frequencies with pseudo-count 0.5 for values unseen in y"),
        resampling=_HALF, group="knn", max_n=20_000, affine_invariant=True,
        bias=("k-NN: low, growing with d (measured -15 to -45 % at d = 5 to 50); "
              "plug-in: biased up for sparse tables"),
        limits=("inf on supports that cannot overlap (different constant columns, a sample "
                "on a subspace); flags and opens the interval above when the overlap index "
                "is below 0.1; warns above 5 whitened dimensions (bias beyond 1/3 measured); "
                "negative estimates clipped at 0"),
    ),
    Metric(
        name="js", description="Jensen-Shannon divergence (<= log 2), nats",
        lower=0.0, upper=LOG2, kinds=("continuous", "categorical"),
        default_for=("continuous", "categorical"),
        estimator=("continuous: H(M) - (H(P) + H(Q))/2 with Kozachenko-Leonenko k-NN "
                   "entropies on the whitened pooled sample; categorical: plug-in"),
        resampling=_HALF, group="knn", max_n=20_000, affine_invariant=True,
        bias=("k-NN: within 1/3 up to d = 50 in the bias study (+9 to +27 % for small JS at "
              "d = 20 to 50); plug-in: high for sparse tables"),
        limits=("clipped to [0, log 2]; log 2 on supports that cannot overlap; flags nearly "
                "disjoint supports (overlap index below 0.1); warns above 50 dimensions"),
    ),
    Metric(
        name="w1", description="Wasserstein-1 distance, Euclidean ground metric (data units)",
        lower=0.0, upper=math.inf, kinds=("continuous", "categorical"),
        default_for=("continuous", "categorical"),
        estimator=("d = 1: exact closed form by sorting, any n; d > 1: exact optimal "
                   "transport (network simplex) up to max_exact_n points per sample"),
        resampling=_W_INTERVAL, unit_scaling=1.0, standardizable=True,
        bias="d > 1: the empirical W_p is biased upwards, O(n^(-1/d))",
        limits=("tail check: warns when the samples look like they have no first moment "
                "(the population W1 may be infinite)"),
    ),
    Metric(
        name="w2", description="Wasserstein-2 distance, Euclidean ground metric (data units)",
        lower=0.0, upper=math.inf, kinds=("continuous", "categorical"), default_for=(),
        estimator="as w1 with squared Euclidean cost",
        resampling=_W_INTERVAL, unit_scaling=1.0, standardizable=True,
        bias="d > 1: biased upwards, O(n^(-1/d))",
        limits="tail check for a second moment",
    ),
    Metric(
        name="sliced_w1", description="sliced Wasserstein-1 distance (random directions)",
        lower=0.0, upper=math.inf, kinds=("continuous", "categorical"), default_for=(),
        estimator="average of exact 1-D W1 over random directions; O(n log n), any n and d",
        resampling=_HALF + "; the interval includes the Monte-Carlo error of the directions",
        unit_scaling=1.0, standardizable=True,
        bias="small (1-D empirical W is O(n^(-1/2)) biased)",
        limits="tail check as for w1",
    ),
    Metric(
        name="sliced_w2", description="sliced Wasserstein-2 distance (random directions)",
        lower=0.0, upper=math.inf, kinds=("continuous", "categorical"),
        default_for=("continuous",),
        estimator="average of exact 1-D W2^2 over random directions, then the square root",
        resampling=_HALF + "; the interval includes the Monte-Carlo error of the directions",
        unit_scaling=1.0, standardizable=True,
        bias="small (1-D empirical W is O(n^(-1/2)) biased)",
        limits="tail check as for w2",
    ),
    Metric(
        name="mmd",
        description="squared maximum mean discrepancy, Gaussian kernel, median-heuristic bandwidth",
        lower=0.0, upper=math.inf, kinds=("continuous", "categorical"),
        default_for=("continuous", "categorical"),
        estimator=("unbiased U-statistic (reported clipped at 0, the unclipped value kept in "
                   "details); the bandwidth is the median pooled distance"),
        resampling=_SCORE, group="pairwise", max_n=MAX_KERNEL_N, standardizable=True,
        bias="none before clipping at 0 (the U-statistic is unbiased)",
        limits="O(n^2): a random subsample above max_n points per sample",
    ),
    Metric(
        name="energy", description="energy distance (SciPy's convention, data units)",
        lower=0.0, upper=math.inf, kinds=("continuous", "categorical"),
        default_for=("continuous", "categorical"),
        estimator=("V-statistic of Euclidean distances, as scipy.stats.energy_distance; "
                   "O(n log n) in d = 1"),
        resampling=_SCORE, group="pairwise", max_n=MAX_KERNEL_N, unit_scaling=1.0,
        standardizable=True,
        bias="V-statistic: biased up by O(1/n)",
        limits="O(n^2) in d > 1: a random subsample above max_n points per sample",
    ),
    Metric(
        name="fid",
        description="Frechet distance (FID): squared W2 between Gaussians fitted to the features",
        lower=0.0, upper=math.inf, kinds=("continuous",), default_for=(),
        estimator=("fitted means and covariances, Bures term through a symmetric eigen route "
                   "(exact when n < d); picked because it is the standard score of generative "
                   "models on features"),
        resampling="half-sampling basic interval (no p-value)", unit_scaling=2.0,
        bias="biased up by O(1/n) (fid_infinity extrapolates it away)",
        limits=("blind to everything beyond means and covariances (multi-modality, "
                "mode collapse inside a mode)"),
    ),
    Metric(
        name="kid",
        description="kernel inception distance: unbiased MMD^2, cubic polynomial kernel",
        lower=0.0, upper=math.inf, kinds=("continuous",), default_for=(),
        estimator=("average of unbiased MMD^2 over 100 random subsets of min(1000, n) rows "
                   "(Binkowski et al. 2018, the torch-fidelity defaults); unbiased at any n"),
        resampling="normal interval from the disjoint-block standard error (no p-value)",
        bias="none before clipping at 0",
        limits="a polynomial kernel compares moments up to order 3 only",
    ),
    *(Metric(
        name=name, description=description, lower=0.0, upper=upper, kinds=("continuous",),
        default_for=(), group="prdc",
        estimator=("k-NN balls (k = 5) around the real and generated features "
                   "(Kynkaanniemi et al. 2019; Naeem et al. 2020), chunked distances; picked "
                   "to separate fidelity from diversity"),
        resampling="half-sampling basic interval (no p-value)", bias=bias, limits=limits,
    ) for name, description, upper, bias, limits in (
        ("precision", "precision: share of generated points inside the real manifold", 1.0,
         "depends on k and n; outliers in the real set inflate it",
         "blind to diversity (a collapsed generator can have precision 1)"),
        ("recall", "recall: share of real points inside the generated manifold", 1.0,
         "depends on k and n; outliers in the generated set inflate it",
         "blind to fidelity"),
        ("density", "density: mean count of real k-NN balls holding a generated point, / k",
         math.inf, "robust to outliers; expected value 1 when P = Q",
         "blind to diversity"),
        ("coverage", "coverage: share of real k-NN balls holding a generated point", 1.0,
         "robust to outliers; below 1 when P = Q (about 1 - (1/2)^k)",
         "blind to fidelity outside the real manifold"),
    )),
)}

#: Names that stand for several metrics (``metrics="prdc"``).
METRIC_ALIASES: Mapping[str, tuple[str, ...]] = {
    "prdc": ("precision", "recall", "density", "coverage"),
}


def metric_names() -> tuple[str, ...]:
    """All metric names, in table order."""
    return tuple(METRIC_TABLE)


def default_metrics(kind: str) -> tuple[str, ...]:
    """The metrics ``compare`` computes by default on data of this kind."""
    return tuple(n for n, m in METRIC_TABLE.items() if kind in m.default_for)


def get_metric(name: str) -> Metric:
    """The record of one metric (``KeyError`` names the known ones)."""
    try:
        return METRIC_TABLE[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; known: {', '.join(METRIC_TABLE)}") from None

