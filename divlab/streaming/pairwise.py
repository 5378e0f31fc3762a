r"""MMD² and the energy distance as sums over pairs of row blocks (a mergeable state).

Both statistics of :mod:`divlab.estimators.kernel` are functions of three sums over pairs
of points and the sample sizes :math:`n, m`. With the Gaussian kernel
:math:`k(u, v) = \exp(-\|u - v\|^2 / (2h^2))` and the Euclidean distance
:math:`\delta(u, v) = \|u - v\|`,

.. math::
    K_{xx} = \sum_{i, j} k(x_i, x_j),\quad K_{yy} = \sum_{i, j} k(y_i, y_j),\quad
    K_{xy} = \sum_{i, j} k(x_i, y_j)

(all ordered pairs, the diagonal :math:`i = j` included, where :math:`k = 1`), and
:math:`D_{xx}, D_{yy}, D_{xy}` the same sums of :math:`\delta`. Then

.. math::
    \widehat{MMD}^2_u = \frac{K_{xx} - n}{n(n-1)} + \frac{K_{yy} - m}{m(m-1)}
    - \frac{2 K_{xy}}{nm},\qquad
    \mathcal E = \sqrt{\frac{2 D_{xy}}{nm} - \frac{D_{xx}}{n^2} - \frac{D_{yy}}{m^2}},

the unbiased MMD² (U-statistic) of :func:`divlab.estimators.mmd` and the energy distance in
SciPy's convention (:func:`scipy.stats.energy_distance`, V-statistic means) of
:func:`divlab.estimators.energy_distance`. A sum over all pairs is a sum over pairs of row
blocks, so :class:`PairwiseSums` is updated with one pair of blocks at a time
(:meth:`PairwiseSums.update_pair`) and merged by adding: the numbers do not depend on how the
rows were blocked, up to float64 rounding of the sums.

Each pair of blocks is computed by the in-memory kernels
(:func:`divlab.estimators.kernel._block_sums_multi`: squared distances from exact coordinate
differences, formed once for both sums), in float64, after the exact power-of-two rescaling
of :func:`divlab._array.device_rescale_pair` (coordinates near the float range or the
underflow threshold). The distance sums of blocks rescaled by different powers of two are
kept in one common power-of-two unit (exact rescaling), so nothing overflows that the
in-memory functions would not.

The bandwidth is fixed: the median heuristic of :func:`divlab.estimators.mmd` needs a pass
of its own. Compute it once on a random subsample with
:func:`divlab.estimators.median_bandwidth` (``mmd`` itself uses at most 1000 pooled points),
then pass ``bandwidth=h``; for Dask arrays bring only the subsample into memory::

    rng = np.random.default_rng(0)
    ix = np.sort(rng.choice(x.shape[0], 500, replace=False))
    iy = np.sort(rng.choice(y.shape[0], 500, replace=False))
    h = median_bandwidth(x[ix].compute(), y[iy].compute())

(``mmd(x, y).details["bandwidth"]`` is the bandwidth an in-memory call chose, to reproduce
it exactly). The energy distance has no parameter (``bandwidth=None`` computes only it).

:func:`pairwise_sums` runs the state over NumPy (or CuPy, PyTorch) arrays in memory, and over
Dask arrays as one task per pair of row chunks (the x-x and y-y upper triangles with their
diagonal blocks, all x-y pairs) whose states are merged in a tree of ``merge`` calls. Its cost
is :math:`O((n + m)^2 d)`: every chunk is read once per chunk of the pooled sample. (On the
line the in-memory :func:`~divlab.estimators.energy_distance` is :math:`O(n \log n)` by
sorting; the pair sums stay quadratic.)
"""

from __future__ import annotations

import math
from typing import Any

from .._array import array_namespace, chunk_slices, device_rescale_pair, host_floats
from .._validate import check_bool, check_choice, check_int, check_positive, check_samples
from ..errors import BackendError, EstimationError, ParameterError, ShapeMismatchError
from ..estimators._result import Estimate
from ..estimators.kernel import _block_sums_multi, energy2_from_sums, mmd2_from_sums
from ._base import _check_split_every, _row_blocks, _tree, is_dask_array

__all__ = ["PairwiseSums", "pairwise_sums", "pairwise_sums_delayed"]

_KINDS = ("xx", "yy", "xy")


class PairwiseSums:
    r"""Mergeable kernel and distance sums over pairs of points of two samples.

    Holds :math:`K_{xx}, K_{yy}, K_{xy}` (Gaussian kernel of bandwidth ``h``) and
    :math:`D_{xx}, D_{yy}, D_{xy}` (Euclidean distances) as float64 sums over ordered pairs,
    the sample sizes and the number of pairs added (module docstring for the formulas).

    Parameters
    ----------
    bandwidth : float or None
        Gaussian bandwidth ``h > 0`` of the MMD (fixed: see the module docstring for how to
        get the median heuristic); ``None`` computes only the energy distance.
    energy : bool, default True
        Also keep the distance sums (the energy distance). ``False`` with a bandwidth skips
        the square roots.

    Attributes
    ----------
    n_x, n_y : int
        Rows of ``x`` and of ``y`` seen (in diagonal blocks).
    pairs : dict
        Ordered pairs added per kind (``"xx"``, ``"yy"``, ``"xy"``); :meth:`result` checks
        that they are exactly :math:`n^2, m^2, nm` (every pair once).

    Notes
    -----
    Blocks of one sample fed through :meth:`update_pair` must be disjoint sets of rows, each
    row in exactly one diagonal block: a pair ``(a, b)`` of different blocks of ``x`` stands
    for both orders (it adds twice its sum). :meth:`update` adds whole samples at once (the
    in-memory call); calling it again with further rows would miss the pairs across calls,
    which :meth:`result` detects from the pair counts (counts only: a missing pair of blocks
    replaced by a repeated one of the same size is not detected).

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.estimators import mmd, energy_distance
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(60, 2)), rng.normal(0.5, 1.0, size=(50, 2))
    >>> a, b = PairwiseSums(1.0), PairwiseSums(1.0)
    >>> _ = a.update_pair(x[:30], kind="xx").update_pair(x[30:], kind="xx")
    >>> _ = a.update_pair(x[:30], x[30:], kind="xx").update_pair(y, kind="yy")
    >>> _ = b.update_pair(x, y, kind="xy")
    >>> r = a.merge(b).result()
    >>> bool(np.isclose(r["mmd"].value, mmd(x, y, bandwidth=1.0).value, rtol=1e-12))
    True
    >>> bool(np.isclose(r["energy"].value, energy_distance(x, y).value, rtol=1e-12))
    True
    """

    def __init__(self, bandwidth: float | None, *, energy: bool = True) -> None:
        self.bandwidth = None if bandwidth is None else check_positive(bandwidth, "bandwidth")
        self.energy = check_bool(energy, "energy")
        if self.bandwidth is None and not self.energy:
            raise ParameterError("PairwiseSums with `bandwidth=None` and `energy=False` "
                                 "computes nothing: give a bandwidth (MMD) or keep energy")
        self.n_x = 0
        self.n_y = 0
        self.dim: int | None = None
        #: Name of the array namespace of the blocks (``None`` before the first).
        self.backend: str | None = None
        self.pairs = dict.fromkeys(_KINDS, 0)
        self.gauss: dict[str, Any] = dict.fromkeys(_KINDS, 0.0)
        self.dist: dict[str, Any] = dict.fromkeys(_KINDS, 0.0)
        #: Power of two: the true distance sums are ``dist[kind] * dist_unit``.
        self.dist_unit = 1.0

    def _kinds(self) -> tuple[str, ...]:
        return (("gauss",) if self.bandwidth is not None else ()) + (
            ("dist",) if self.energy else ())

    def _check_backend(self, name: str | None) -> None:
        if None not in (name, self.backend) and name != self.backend:
            raise BackendError(f"PairwiseSums: blocks from {name} and from {self.backend}; "
                               "feed one array library into a state (move the blocks first)")
        self.backend = self.backend or name

    def _check_block(self, a: Any, name: str, xp: Any) -> Any:
        a = check_samples(a, name, xp=xp)
        if self.dim is not None and a.shape[1] != self.dim:
            raise ShapeMismatchError(
                f"`{name}` has dimension {a.shape[1]}, earlier blocks had {self.dim} "
                f"(shape {tuple(a.shape)})")
        self.dim = int(a.shape[1])
        return xp.astype(a, xp.float64)

    def _add_dist(self, kind: str, value: Any, unit: float) -> None:
        """Add a distance sum given in units of ``unit`` (a power of two), exactly rescaled."""
        if unit > self.dist_unit:
            for k in _KINDS:
                self.dist[k] = self.dist[k] * (self.dist_unit / unit)
            self.dist_unit = unit
        self.dist[kind] = self.dist[kind] + value * (unit / self.dist_unit)

    def update_pair(self, a: Any, b: Any = None, *, kind: str) -> PairwiseSums:
        r"""Add the sums over the pairs of one pair of row blocks; returns ``self``.

        Parameters
        ----------
        a, b : array_like, shape (r, d) and (s, d)
            ``kind="xx"`` (or ``"yy"``): ``b=None`` is the diagonal block of the rows ``a``
            of ``x`` (all :math:`r^2` ordered pairs; ``a`` counts as ``r`` rows of ``x``);
            ``b`` given is a second, disjoint block of ``x`` (both orders: :math:`2rs`
            pairs). ``kind="xy"``: ``a`` rows of ``x``, ``b`` rows of ``y`` (:math:`rs`
            pairs; counts no rows).
        kind : {"xx", "yy", "xy"}
            Which sum the block pair belongs to.

        Raises
        ------
        ParameterError
            Unknown ``kind``, or ``b`` missing for ``"xy"``.
        ShapeMismatchError, NonFiniteError, DTypeError
            Blocks of a different dimension than earlier ones, non-finite or non-numeric.
        """
        kind = check_choice(kind, "kind", _KINDS)
        if kind == "xy" and b is None:
            raise ParameterError("`kind='xy'` needs both blocks: `a` rows of x, `b` rows of y")
        xp = array_namespace(a, b)
        self._check_backend(xp.__name__)
        a = self._check_block(a, "a", xp)
        diagonal = b is None
        b = a if diagonal else self._check_block(b, "b", xp)
        r, s = a.shape[0], b.shape[0]
        a, b, scale = device_rescale_pair(a, b, xp, power=2.0)
        unit, = host_floats(xp, scale)  # the kernel needs h in the rescaled units
        h = 1.0 if self.bandwidth is None else self.bandwidth / unit
        sums = _block_sums_multi(a, b, xp, self._kinds(), h)
        twice = 1.0 if diagonal or kind == "xy" else 2.0
        if "gauss" in sums:
            self.gauss[kind] = self.gauss[kind] + sums["gauss"] * twice
        if "dist" in sums:
            self._add_dist(kind, sums["dist"] * twice, unit)
        self.pairs[kind] += r * s * int(twice)
        if diagonal and kind == "xx":
            self.n_x += r
        elif diagonal and kind == "yy":
            self.n_y += r
        return self

    def update(self, x: Any = None, y: Any = None) -> PairwiseSums:
        """Add whole samples: the diagonal blocks of ``x`` and ``y`` and, when both are given,
        their cross block (the in-memory call); returns ``self``.

        Rows added by a later :meth:`update` do not meet the earlier rows; use
        :meth:`update_pair` (or :func:`pairwise_sums`) for samples that arrive in chunks.
        """
        if x is None and y is None:
            raise ParameterError("PairwiseSums.update needs `x`, `y` or both")
        if x is not None:
            self.update_pair(x, kind="xx")
        if y is not None:
            self.update_pair(y, kind="yy")
        if x is not None and y is not None:
            self.update_pair(x, y, kind="xy")
        return self

    def merge(self, other: PairwiseSums) -> PairwiseSums:
        """Add the sums and counts of ``other`` (same bandwidth and statistics); returns
        ``self``. ``other`` is left unchanged."""
        if not isinstance(other, PairwiseSums):
            raise TypeError(f"can only merge a PairwiseSums, got {type(other).__name__}")
        if (other.bandwidth, other.energy) != (self.bandwidth, self.energy):
            raise ParameterError(
                "cannot merge PairwiseSums with different settings: bandwidth/energy "
                f"{other.bandwidth}/{other.energy} into {self.bandwidth}/{self.energy}")
        if self.dim is not None and other.dim is not None and other.dim != self.dim:
            raise ShapeMismatchError(
                f"cannot merge sums of dimension {other.dim} into dimension {self.dim}")
        self._check_backend(other.backend)
        self.dim = other.dim if self.dim is None else self.dim
        for k in _KINDS:
            self.gauss[k] = self.gauss[k] + other.gauss[k]
            self._add_dist(k, other.dist[k], other.dist_unit)
            self.pairs[k] += other.pairs[k]
        self.n_x += other.n_x
        self.n_y += other.n_y
        return self

    def _check_complete(self, min_n: int) -> tuple[int, int]:
        n, m = self.n_x, self.n_y
        if n < min_n or m < min_n:
            raise EstimationError(
                f"PairwiseSums has seen {n} row(s) of x and {m} of y; at least {min_n} of "
                "each are needed (diagonal blocks count the rows)")
        want = {"xx": n * n, "yy": m * m, "xy": n * m}
        if self.pairs != want:
            raise EstimationError(
                f"the block pairs added do not cover every pair once: ordered pairs "
                f"{self.pairs}, expected {want} for n={n}, m={m} (a missing or repeated pair "
                "of blocks, or rows added by separate update() calls)")
        return n, m

    def result(self) -> dict[str, Estimate]:
        r"""The statistics from the sums: ``{"mmd": Estimate, "energy": Estimate}`` (the keys
        of the statistics kept).

        ``"mmd"``: unbiased MMD² (may be slightly negative), ``details["bandwidth"]``;
        ``"energy"``: energy distance, ``details["squared"]`` its square (clipped at 0).
        One host read of the six sums. No intervals (``ci`` is ``None``).

        Raises
        ------
        EstimationError
            Fewer than 2 rows (MMD) or 1 row (energy) of a sample, or pairs of blocks
            missing or repeated (the pair counts differ from :math:`n^2, m^2, nm`).
        """
        n, m = self._check_complete(2 if self.bandwidth is not None else 1)
        xp = array_namespace(*self.gauss.values(), *self.dist.values())
        kxx, kyy, kxy, dxx, dyy, dxy = host_floats(
            xp, *(self.gauss[k] for k in _KINDS), *(self.dist[k] for k in _KINDS))
        out: dict[str, Estimate] = {}
        if self.bandwidth is not None:
            value = mmd2_from_sums(kxx - n, kyy - m, kxy, n, m)
            h = self.bandwidth
            out["mmd"] = Estimate(float(value), None,
                                  f"unbiased MMD^2, Gaussian kernel (h={h:.3g})", (n, m),
                                  {"bandwidth": h, "kernel": "gaussian",
                                   "bandwidth_rule": "given", "streaming": "pairwise sums"})
        if self.energy:
            e2 = energy2_from_sums(dxx, dyy, dxy, n, m)
            out["energy"] = Estimate(math.sqrt(e2) * math.sqrt(self.dist_unit), None,
                                     "energy distance (V-statistic, Szekely-Rizzo)", (n, m),
                                     {"squared": e2 * self.dist_unit,
                                      "streaming": "pairwise sums"})
        return out

    def __repr__(self) -> str:
        return (f"PairwiseSums(bandwidth={self.bandwidth}, energy={self.energy}, "
                f"n_x={self.n_x}, n_y={self.n_y})")


def _pair_task(bandwidth: float | None, energy: bool, a: Any, b: Any,
               kind: str) -> PairwiseSums:
    """One task: a fresh state updated with one pair of blocks (runs on a worker)."""
    return PairwiseSums(bandwidth, energy=energy).update_pair(a, b, kind=kind)


def _block_pairs(nx: int, ny: int) -> list[tuple[str, int, int | None]]:
    """The pairs of blocks that cover every pair of points once: ``(kind, i, j)`` with
    ``j=None`` for a diagonal block (x-x and y-y upper triangles, all x-y pairs)."""
    out: list[tuple[str, int, int | None]] = []
    for kind, nb in (("xx", nx), ("yy", ny)):
        out += [(kind, i, None) for i in range(nb)]
        out += [(kind, i, j) for i in range(nb) for j in range(i + 1, nb)]
    out += [("xy", i, j) for i in range(nx) for j in range(ny)]
    return out


def _check_dask_pair(x: Any, y: Any, block_rows: int | None) -> tuple[Any, Any]:
    for name, a in (("x", x), ("y", y)):
        if a.ndim not in (1, 2):
            raise ShapeMismatchError(f"`{name}` must be 1-D (n,) or 2-D (n, d) samples, got "
                                     f"shape {tuple(a.shape)}")
    dx = 1 if x.ndim == 1 else x.shape[1]
    dy = 1 if y.ndim == 1 else y.shape[1]
    if dx != dy:
        raise ShapeMismatchError("`x` and `y` must have the same dimension d, got shapes "
                                 f"{tuple(x.shape)} and {tuple(y.shape)}")
    if block_rows is not None:
        x, y = x.rechunk({0: block_rows}), y.rechunk({0: block_rows})
    return x, y


def pairwise_sums_delayed(x: Any, y: Any, *, bandwidth: float | None, energy: bool = True,
                          block_rows: int | None = None, split_every: int = 8) -> Any:
    """:func:`pairwise_sums` of two Dask arrays as a ``dask.delayed`` state (compute several
    statistics in one pass with ``dask.compute``)."""
    import dask

    split_every = _check_split_every(split_every)
    if not (is_dask_array(x) and is_dask_array(y)):
        raise ParameterError("pairwise_sums_delayed takes Dask arrays; use pairwise_sums")
    if block_rows is not None:
        block_rows = check_int(block_rows, "block_rows", min_value=1)
    PairwiseSums(bandwidth, energy=energy)  # parameter checks before building the graph
    x, y = _check_dask_pair(x, y, block_rows)
    bx, by = _row_blocks(x, "x"), _row_blocks(y, "y")
    blocks = {"xx": (bx, bx), "yy": (by, by), "xy": (bx, by)}
    parts = []
    for kind, i, j in _block_pairs(len(bx), len(by)):
        first, second = blocks[kind]
        other = None if j is None else second[j]
        parts.append(dask.delayed(_pair_task, pure=True)(bandwidth, energy, first[i], other,
                                                         kind))
    return _tree(parts, split_every)


def pairwise_sums(x: Any, y: Any, *, bandwidth: float | None, energy: bool = True,
                  block_rows: int | None = None, split_every: int = 8) -> PairwiseSums:
    r"""Kernel and distance sums of two samples as a merged :class:`PairwiseSums`.

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d)
        Samples: both in memory (NumPy, CuPy, PyTorch, ...) or both Dask arrays.
    bandwidth : float or None
        Gaussian bandwidth of the MMD (fixed; module docstring for the median heuristic);
        ``None`` for the energy distance only.
    energy : bool, default True
        Also compute the distance sums (energy distance).
    block_rows : int, optional
        Rows per block. In memory: ``None`` adds the whole samples at once (exactly the
        in-memory computation, whose kernels work in row blocks of bounded memory); an
        integer adds the pairs of blocks of that size one by one. Dask: the arrays are
        rechunked to this many rows (default: their own row chunks); one task per pair of
        row chunks.
    split_every : int, default 8
        Fan-in of the merge tree (Dask).

    Returns
    -------
    PairwiseSums
        Call :meth:`PairwiseSums.result` for the estimates.

    Raises
    ------
    ShapeMismatchError, NonFiniteError, EmptyInputError, DTypeError
        Bad samples (for Dask input the per-block checks run in the tasks and raise at
        compute time).
    ParameterError
        Bad ``bandwidth``, ``block_rows`` or ``split_every``, or Dask mixed with in-memory
        arrays.

    Examples
    --------
    >>> import numpy as np
    >>> import dask.array as da
    >>> from divlab.estimators import mmd
    >>> rng = np.random.default_rng(1)
    >>> x, y = rng.normal(size=(300, 3)), rng.normal(size=(200, 3)) + 0.2
    >>> ref = mmd(x, y, bandwidth=1.5).value
    >>> s = pairwise_sums(da.from_array(x, chunks=(100, 3)), da.from_array(y, chunks=(64, 3)),
    ...                   bandwidth=1.5)
    >>> bool(np.isclose(s.result()["mmd"].value, ref, rtol=1e-12, atol=0))
    True
    """
    if is_dask_array(x) and is_dask_array(y):
        return pairwise_sums_delayed(x, y, bandwidth=bandwidth, energy=energy,
                                     block_rows=block_rows, split_every=split_every).compute()
    if is_dask_array(x) or is_dask_array(y):
        raise ParameterError("pairwise_sums: mix of Dask and in-memory arrays; convert one side")
    _check_split_every(split_every)
    state = PairwiseSums(bandwidth, energy=energy)
    if block_rows is None:
        return state.update(x=x, y=y)
    block_rows = check_int(block_rows, "block_rows", min_value=1)
    xp = array_namespace(x, y)
    x, y = check_samples(x, "x", xp=xp), check_samples(y, "y", xp=xp)
    if x.shape[1] != y.shape[1]:
        raise ShapeMismatchError("`x` and `y` must have the same dimension d, got shapes "
                                 f"{tuple(x.shape)} and {tuple(y.shape)}")
    bx = [x[sl, :] for sl in chunk_slices(x.shape[0], block_rows)]
    by = [y[sl, :] for sl in chunk_slices(y.shape[0], block_rows)]
    blocks = {"xx": (bx, bx), "yy": (by, by), "xy": (bx, by)}
    for kind, i, j in _block_pairs(len(bx), len(by)):
        first, second = blocks[kind]
        state.update_pair(first[i], None if j is None else second[j], kind=kind)
    return state
