"""Backend layer: array-namespace dispatch, host/device copies, stable special functions.

Every public divlab function starts with ``xp = array_namespace(*inputs)`` and then uses
only ``xp.*`` (and the helpers below) on its data path, so the same code runs on NumPy,
CuPy and any array-API library (the test-suite runs it on ``array_api_strict``).

Rules implemented here:

* Python lists, tuples and scalars are NumPy.
* Mixing arrays of two libraries (NumPy and CuPy, say) raises :class:`BackendError`.
* ``scipy.special`` is used for NumPy arrays, ``cupyx.scipy.special`` for CuPy arrays, and a
  generic implementation written with ``xp`` for anything else. SciPy is never handed a
  CuPy array (it would silently copy it to the host).
* CuPy is imported lazily, only when a CuPy array is actually passed in.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import array_api_compat
import numpy as np

from .errors import BackendError

__all__ = [
    "array_namespace",
    "is_numpy",
    "is_cupy",
    "device_of",
    "to_numpy",
    "from_numpy",
    "result_float_dtype",
    "xlogy",
    "log1p",
    "expm1",
    "logsumexp",
    "softplus",
    "log_sigmoid",
    "sigmoid",
    "special_module",
    "chunk_slices",
    "scalar",
    "pow2_scale",
    "coordinate_scale",
    "rescale_pair",
]

_ARRAY_TYPES_NATIVE = (int, float, bool, complex, list, tuple)


def _is_array_like(obj: Any) -> bool:
    return not isinstance(obj, _ARRAY_TYPES_NATIVE) and obj is not None


def array_namespace(*arrays: Any) -> ModuleType:
    """Return the array-API namespace shared by ``arrays``.

    Lists, tuples, Python scalars and ``None`` are ignored for dispatch (they are NumPy
    data). If no argument is an array, the NumPy namespace is returned.

    Raises
    ------
    BackendError
        If the arrays come from different array libraries (e.g. NumPy and CuPy).

    Examples
    --------
    >>> import numpy as np
    >>> array_namespace(np.ones(3), [1, 2, 3]).__name__
    'array_api_compat.numpy'
    """
    arrs = [a for a in arrays if _is_array_like(a)]
    # NumPy scalars (np.float64(1.0)) are NumPy data too.
    arrs = [a for a in arrs if not isinstance(a, np.generic)]
    if not arrs:
        return array_api_compat.array_namespace(np.empty(0))
    try:
        return array_api_compat.array_namespace(*arrs)
    except TypeError as exc:
        kinds = sorted({type(a).__module__.split(".")[0] + "." + type(a).__name__ for a in arrs})
        raise BackendError(
            "arguments come from different array libraries "
            f"({', '.join(kinds)}); move them to one backend first "
            "(e.g. cupy.asarray(x) or divlab.to_numpy(x))"
        ) from exc


def is_numpy(xp: ModuleType) -> bool:
    """True when ``xp`` is NumPy (plain or array-api-compat wrapped)."""
    return array_api_compat.is_numpy_namespace(xp)


def is_cupy(xp: ModuleType) -> bool:
    """True when ``xp`` is CuPy (plain or array-api-compat wrapped)."""
    return array_api_compat.is_cupy_namespace(xp)


def device_of(x: Any) -> Any:
    """The device that array ``x`` lives on (``"cpu"`` for NumPy)."""
    return array_api_compat.device(x)


def to_numpy(x: Any) -> np.ndarray:
    """Copy an array of any supported backend to a NumPy array on the host.

    This is the one explicit host round trip used by CPU-only kernels (POT's network
    simplex, HiGHS); NumPy input is returned without a copy.

    Examples
    --------
    >>> to_numpy([1.0, 2.0])
    array([1., 2.])
    """
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, _ARRAY_TYPES_NATIVE) or isinstance(x, np.generic):
        return np.asarray(x)
    if array_api_compat.is_cupy_array(x):
        return x.get()
    if array_api_compat.is_numpy_array(x):
        return np.asarray(x)
    try:
        return np.from_dlpack(x)
    except Exception:  # pragma: no cover - exotic backends
        return np.asarray(x)


def from_numpy(a: Any, xp: ModuleType, *, like: Any = None, dtype: Any = None) -> Any:
    """Move host data ``a`` into namespace ``xp`` (on the device of ``like`` if given)."""
    dev = device_of(like) if like is not None else None
    if dev is not None and not is_numpy(xp):
        return xp.asarray(a, dtype=dtype, device=dev)
    return xp.asarray(a, dtype=dtype)


def result_float_dtype(xp: ModuleType, *arrays: Any) -> Any:
    """Floating dtype of a result: float32 when every array is float16/float32, else float64."""
    use32 = bool(arrays)
    for a in arrays:
        if a is None:
            continue
        dt = getattr(a, "dtype", None)
        if dt is None or dt not in (xp.float32, getattr(xp, "float16", None)):
            use32 = False
            break
    return xp.float32 if use32 else xp.float64


def scalar(x: Any) -> float:
    """Python float of a 0-d array of any backend (a device sync on GPU)."""
    return float(to_numpy(x))


def special_module(xp: ModuleType) -> ModuleType | None:
    """``scipy.special`` for NumPy, ``cupyx.scipy.special`` for CuPy, ``None`` otherwise."""
    if is_numpy(xp):
        import scipy.special

        return scipy.special
    if is_cupy(xp):
        import cupyx.scipy.special

        return cupyx.scipy.special
    return None


def xlogy(x: Any, y: Any, xp: ModuleType) -> Any:
    """``x * log(y)`` with the convention ``0 * log(0) = 0`` (and ``0 * log(inf) = 0``)."""
    sp = special_module(xp)
    if sp is not None:
        return sp.xlogy(x, y)
    safe_y = xp.where(x == 0, xp.ones_like(y), y)
    return xp.where(x == 0, xp.zeros_like(x), x * xp.log(safe_y))


def log1p(x: Any, xp: ModuleType) -> Any:
    """``log(1 + x)`` accurate for small ``x``."""
    return xp.log1p(x)


def expm1(x: Any, xp: ModuleType) -> Any:
    """``exp(x) - 1`` accurate for small ``x``."""
    return xp.expm1(x)


def softplus(x: Any, xp: ModuleType) -> Any:
    """Stable ``log(1 + exp(x))``: ``max(x, 0) + log1p(exp(-|x|))``; no overflow for any x.

    Examples
    --------
    >>> import numpy as np, array_api_compat.numpy as xp
    >>> float(softplus(np.asarray(800.0), xp))
    800.0
    """
    return xp.maximum(x, xp.zeros_like(x)) + xp.log1p(xp.exp(-xp.abs(x)))


def log_sigmoid(x: Any, xp: ModuleType) -> Any:
    """Stable ``log(1 / (1 + exp(-x)))`` = ``-softplus(-x)``."""
    return -softplus(-x, xp)


def sigmoid(x: Any, xp: ModuleType) -> Any:
    """Stable logistic function ``1 / (1 + exp(-x))``, no overflow warnings."""
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def logsumexp(a: Any, xp: ModuleType, *, axis: int | None = None, keepdims: bool = False) -> Any:
    """Stable ``log(sum(exp(a), axis))``; rows that are all ``-inf`` give ``-inf``, no NaN.

    Examples
    --------
    >>> import numpy as np, array_api_compat.numpy as xp
    >>> float(logsumexp(np.asarray([1000.0, 1000.0]), xp))  # doctest: +ELLIPSIS
    1000.693147...
    """
    m = xp.max(a, axis=axis, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    s = xp.sum(xp.exp(a - m), axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):
        out = xp.log(s) + m
    if not keepdims:
        if axis is None:
            out = xp.reshape(out, ())
        else:
            out = xp.squeeze(out, axis=axis)
    return out


def pow2_scale(v: float) -> float:
    """The power of two ``2**(e-1) <= v < 2**e`` for ``v > 0`` (representable in the dtype
    of ``v``). Dividing by it is exact, so it rescales data near the float range (or the
    underflow threshold) without rounding, for 1-homogeneous quantities."""
    return math.ldexp(1.0, math.frexp(v)[1] - 1)


def coordinate_scale(smax: float, dtype: Any, xp: ModuleType, *, power: float = 1.0) -> float:
    """Power of two to divide coordinates by before computing ``|x - y|**power``.

    ``1.0`` (no rescaling, bit-identical results) while ``smax = max|coordinate|`` lies in
    ``[10**-e, 10**e]`` with ``e = min(50, 150 / power)`` for float64 (``min(10, 30 / power)``
    for narrower dtypes), else :func:`pow2_scale` of it: the powers neither overflow nor
    underflow, and homogeneous results are the rescaled ones times a power of the factor.
    """
    wide = float(xp.finfo(dtype).max) > 1e300
    e = min(50.0, 150.0 / power) if wide else min(10.0, 30.0 / power)
    if 10.0**-e <= smax <= 10.0**e or not 0.0 < smax < math.inf:
        return 1.0
    return pow2_scale(smax)


def rescale_pair(x: Any, y: Any, xp: ModuleType, *, power: float = 1.0) -> tuple[Any, Any, float]:
    """``(x / s, y / s, s)`` with ``s`` from :func:`coordinate_scale` (one host sync)."""
    smax = scalar(xp.maximum(xp.max(xp.abs(x)), xp.max(xp.abs(y))))
    s = coordinate_scale(smax, x.dtype, xp, power=power)
    if s != 1.0:
        x, y = x / s, y / s
    return x, y, s


def chunk_slices(n: int, chunk: int) -> Iterator[slice]:
    """Yield consecutive slices of length ``chunk`` covering ``range(n)``."""
    chunk = max(1, int(chunk))
    for start in range(0, n, chunk):
        yield slice(start, min(start + chunk, n))


def default_chunk_rows(n_cols: int, itemsize: int = 8, budget_bytes: int = 64 * 2**20) -> int:
    """Rows per chunk so that a ``(rows, n_cols)`` temporary stays under ``budget_bytes``."""
    return max(1, budget_bytes // max(1, n_cols * itemsize))


def log_finfo_tiny(dtype: Any, xp: ModuleType) -> float:
    """``log`` of the smallest positive normal number of ``dtype``."""
    return math.log(float(xp.finfo(dtype).tiny))
