r"""Streaming, mergeable states: the same numbers from chunked data, on one machine or a cluster.

Every dataset statistic that decomposes is a state with ``update(chunk)``, ``merge(other)``
and ``result()`` (:class:`StreamingState`); :func:`fold_rows` and :func:`fold_samples` run a
state over NumPy arrays (one chunk) or over Dask arrays (one task per chunk, states merged in a
tree on the workers). See the "Larger than memory" page of the documentation.
"""

from ._base import (
    StreamingState,
    fold_rows,
    fold_rows_delayed,
    fold_samples,
    fold_samples_delayed,
    is_dask_array,
)
from .discrete import (
    DivergenceState,
    HistogramPairState,
    HistogramState,
    TotalsState,
    divergence_from_chunks,
    equal_width_edges,
    plugin_divergence,
    plugin_divergence_from_chunks,
)
from .moments import ColumnMoments
from .neighbors import KnnState, knn_distances, knn_distances_delayed
from .pairwise import PairwiseSums, pairwise_sums, pairwise_sums_delayed
from .wasserstein import (
    WassersteinBounds,
    WassersteinHistogram,
    WassersteinSketch,
    sliced_wasserstein_bounds,
    wasserstein_1d_bounds,
)

__all__ = [
    "StreamingState",
    "fold_rows",
    "fold_rows_delayed",
    "fold_samples",
    "fold_samples_delayed",
    "is_dask_array",
    "ColumnMoments",
    "DivergenceState",
    "TotalsState",
    "HistogramState",
    "HistogramPairState",
    "plugin_divergence",
    "equal_width_edges",
    "divergence_from_chunks",
    "plugin_divergence_from_chunks",
    "PairwiseSums",
    "pairwise_sums",
    "pairwise_sums_delayed",
    "KnnState",
    "knn_distances",
    "knn_distances_delayed",
    "WassersteinBounds",
    "WassersteinSketch",
    "WassersteinHistogram",
    "wasserstein_1d_bounds",
    "sliced_wasserstein_bounds",
]
