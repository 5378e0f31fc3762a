"""Non-adversarial estimators of divergences and distances from samples, and ``compare``.

* k-NN: :func:`knn_kl` (Wang–Kulkarni–Verdú), :func:`knn_entropy` (Kozachenko–Leonenko),
  :func:`knn_js`;
* plug-in for categorical data and histograms: :func:`plugin_kl`, :func:`plugin_js`;
* kernel statistics: :func:`mmd` (unbiased MMD², Gaussian kernel), :func:`energy_distance`;
* optimal transport on samples: :func:`wasserstein_estimate`,
  :func:`sliced_wasserstein_estimate`;
* uncertainty: half-sampling CIs and permutation tests (:mod:`.resampling`);
* :func:`compare` — all of the above in one call, returning a :class:`CompareReport`.
"""

from __future__ import annotations

from ._report import CompareReport, CompareRow
from ._result import Estimate
from .compare import DEFAULT_METRICS, METRICS, compare
from .kernel import energy_distance, median_bandwidth, mmd
from .knn import knn_entropy, knn_js, knn_kl
from .plugin import plugin_js, plugin_kl
from .resampling import half_sample_ci, permutation_test
from .transport import hill_tail_index, sliced_wasserstein_estimate, wasserstein_estimate

__all__ = [
    "DEFAULT_METRICS",
    "METRICS",
    "CompareReport",
    "CompareRow",
    "Estimate",
    "compare",
    "energy_distance",
    "half_sample_ci",
    "hill_tail_index",
    "knn_entropy",
    "knn_js",
    "knn_kl",
    "median_bandwidth",
    "mmd",
    "permutation_test",
    "plugin_js",
    "plugin_kl",
    "sliced_wasserstein_estimate",
    "wasserstein_estimate",
]
