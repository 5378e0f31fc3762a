"""The input contract (DESIGN section 5), in one place.

Every public function validates its inputs with these helpers before computing, so that
bad input gets one kind of clear error everywhere:

* NaN / +-inf entries -> :class:`~divlab.errors.NonFiniteError`
* negative probabilities or weights -> :class:`~divlab.errors.NegativeValueError`
* empty input or zero total mass -> :class:`~divlab.errors.EmptyInputError`
* shape mismatch (both shapes shown) -> :class:`~divlab.errors.ShapeMismatchError`
* unnormalised probability vectors -> :class:`~divlab.errors.NormalizationError`
* complex / object / str dtypes -> :class:`~divlab.errors.DTypeError`
* out-of-range options -> :class:`~divlab.errors.ParameterError`

Integer and boolean arrays become float64; float16 becomes float32. Each message names the
argument in backticks. The diagnostics that locate the first bad entry run only once a
problem is known to exist, so the happy path costs a handful of reductions.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from ._array import array_namespace, is_lazy, to_numpy
from .errors import (
    DTypeError,
    EmptyInputError,
    InputError,
    NegativeValueError,
    NonFiniteError,
    NormalizationError,
    ParameterError,
    ShapeMismatchError,
)

__all__ = [
    "check_bool",
    "check_broadcastable",
    "check_cost_matrix",
    "broadcast_probability_pair",
    "ProbabilityPair",
    "probability_pair_problem",
    "settle",
    "check_matrix_memory",
    "available_memory",
    "argument_hints",
    "NORMALIZATION_RTOL",
    "as_float_array",
    "check_finite",
    "check_nonnegative",
    "check_not_empty",
    "check_probability",
    "check_samples",
    "check_sample_pair",
    "check_weights",
    "check_positive",
    "check_nonnegative_scalar",
    "check_int",
    "check_choice",
    "check_axis",
    "check_rng",
    "normalize_mass",
]

#: Relative tolerance on ``|sum(p) - 1|`` accepted without ``normalize=True``.
NORMALIZATION_RTOL = 1e-6


def _first_bad(mask_np: np.ndarray) -> tuple[int, ...] | int:
    idx = np.argwhere(mask_np)[0]
    return int(idx[0]) if idx.size == 1 else tuple(int(i) for i in idx)


def as_float_array(x: Any, name: str, xp: ModuleType | None = None) -> Any:
    """Convert ``x`` to a floating array of namespace ``xp``.

    Integers and booleans become float64, float16 becomes float32; float32/float64 are kept.

    Raises
    ------
    DTypeError
        For complex, object, string or other non-numeric data.
    """
    if xp is None:
        xp = array_namespace(x)
    if isinstance(x, (list, tuple, numbers.Number)) or isinstance(x, np.generic):
        try:
            x = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise DTypeError(f"`{name}` could not be converted to a numeric array: {exc}") from exc
        if x.dtype == object:
            raise DTypeError(f"`{name}` is ragged or holds non-numeric objects (dtype=object)")
        x = xp.asarray(x)
    dt = getattr(x, "dtype", None)
    if dt is None:
        raise DTypeError(f"`{name}` must be an array, got {type(x).__name__}")
    np_dt = dt if isinstance(dt, np.dtype) else None
    if np_dt is not None and np_dt.kind in "OUSVMm":
        raise DTypeError(f"`{name}` has dtype {np_dt}, which is not numeric; pass real numbers")
    try:
        if xp.isdtype(dt, "real floating"):
            f16 = getattr(xp, "float16", None)  # not every namespace has it (Dask's: no)
            if f16 is not None and dt == f16:
                return xp.astype(x, xp.float32)
            return x
        if xp.isdtype(dt, "complex floating"):
            raise DTypeError(f"`{name}` is complex ({dt}); divergences need real numbers")
        if xp.isdtype(dt, "integral") or xp.isdtype(dt, "bool"):
            return xp.astype(x, xp.float64)
    except TypeError as exc:
        raise DTypeError(f"`{name}` has unsupported dtype {dt}") from exc
    if np_dt is not None and np_dt.kind == "f":  # longdouble etc.
        return xp.astype(x, xp.float64)
    raise DTypeError(f"`{name}` has unsupported dtype {dt}")


def check_bool(value: Any, name: str) -> bool:
    """``value`` as a bool if it is one (Python or NumPy ``bool_``), else ParameterError.

    Strings, 0/1 and ``None`` are rejected: ``categorical='no'`` must not mean True.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ParameterError(f"`{name}` must be True or False, got {value!r}")


def check_not_empty(x: Any, name: str) -> None:
    """Raise :class:`EmptyInputError` if ``x`` has no elements."""
    if x.size is None or x.size == 0:
        raise EmptyInputError(f"`{name}` is empty (shape {tuple(x.shape)})")


def check_finite(x: Any, name: str, xp: ModuleType | None = None) -> None:
    """Raise :class:`NonFiniteError` if ``x`` contains NaN or +-inf, naming the first one."""
    xp = xp or array_namespace(x)
    if not bool(xp.all(xp.isfinite(x))):
        _raise_nonfinite(x, name)


def _raise_nonfinite(x: Any, name: str) -> None:
    xn = to_numpy(x)
    bad = ~np.isfinite(xn)
    where = _first_bad(bad)
    val = xn[where] if xn.ndim else xn
    what = "NaN" if np.isnan(val) else ("+inf" if val > 0 else "-inf")
    raise NonFiniteError(
        f"`{name}` contains {int(bad.sum())} non-finite value(s); first is {what} at index {where}"
    )


def check_nonnegative(x: Any, name: str, xp: ModuleType | None = None) -> None:
    """Raise :class:`NegativeValueError` if ``x`` has a negative entry, naming the first one."""
    xp = xp or array_namespace(x)
    if bool(xp.any(x < 0)):
        xn = to_numpy(x)
        where = _first_bad(xn < 0)
        raise NegativeValueError(
            f"`{name}` has a negative entry ({float(xn[where])!r} at index {where}); "
            "probabilities and weights must be >= 0"
        )


def check_axis(axis: int, ndim: int, name: str = "axis") -> int:
    """Normalise ``axis`` to ``0 <= axis < ndim`` or raise :class:`ParameterError`."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise ParameterError(f"`{name}` must be an integer, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ParameterError(f"`{name}`={axis} is out of range for an array of {ndim} dimension(s)")
    return int(axis) % ndim


def normalize_mass(p: Any, xp: ModuleType, *, axis: int = -1) -> Any:
    """Divide ``p`` by its sum along ``axis`` without overflow (values up to 1e308 are fine)."""
    scale = xp.max(p, axis=axis, keepdims=True)
    scale = xp.where(scale > 0, scale, xp.ones_like(scale))
    ps = p / scale
    if type(ps) is np.ndarray:  # NumPy: the second division in place (same bits, no copy)
        ps /= np.sum(ps, axis=axis, keepdims=True)
        return ps
    return ps / xp.sum(ps, axis=axis, keepdims=True)


def _storage_eps(x: Any) -> float:
    """Machine epsilon of ``x``'s dtype when it is half precision, else 0."""
    return float(np.finfo(np.float16).eps) if str(getattr(x, "dtype", "")) == "float16" else 0.0


def check_probability(
    p: Any,
    name: str = "p",
    *,
    xp: ModuleType | None = None,
    axis: int = -1,
    normalize: bool = False,
    rtol: float = NORMALIZATION_RTOL,
) -> Any:
    """Validate probability vector(s) along ``axis`` and return them as a float array.

    Checks, in order: numeric dtype, non-empty, finite, non-negative, positive mass, and
    ``sum == 1`` within ``rtol`` (or rescales when ``normalize=True``).
    """
    xp = xp or array_namespace(p)
    # float16 input is computed in float32, but it was rounded to float16 (eps ~ 1e-3):
    # its sum is only 1 to within that precision
    rtol = max(rtol, _storage_eps(p))
    p = as_float_array(p, name, xp)
    if p.ndim == 0:
        raise ShapeMismatchError(f"`{name}` must be at least 1-D, got a scalar")
    axis = check_axis(axis, p.ndim)
    check_not_empty(p, name)
    check_finite(p, name, xp)
    check_nonnegative(p, name, xp)
    peak = xp.max(p, axis=axis, keepdims=True)  # entries are >= 0: mass > 0 iff max > 0
    if not bool(xp.all(peak > 0)):
        if p.ndim == 1 or not bool(xp.any(peak > 0)):
            raise EmptyInputError(f"`{name}` has zero total mass")
        raise EmptyInputError(f"`{name}` has a slice with zero total mass along axis {axis}")
    if normalize:
        return normalize_mass(p, xp, axis=axis)
    # A normalised vector has every entry <= 1, so its sum cannot overflow; an entry
    # above 1 + rtol already proves that the vector is not normalised.
    if bool(xp.any(peak > 1.0 + rtol)):
        raise NormalizationError(
            f"`{name}` does not sum to 1 along axis {axis} (it has an entry of "
            f"{float(to_numpy(xp.max(peak))):.3g}); pass normalize=True to rescale"
        )
    total = xp.sum(p, axis=axis, keepdims=True)
    err = float(to_numpy(xp.max(xp.abs(total - 1.0))))
    if err > rtol:
        raise NormalizationError(
            f"`{name}` does not sum to 1 along axis {axis} (largest deviation "
            f"{err:.3g}); pass normalize=True to rescale"
        )
    return p


def check_broadcastable(a: Any, b: Any, names: tuple[str, str] = ("p", "q")) -> tuple[int, ...]:
    """The broadcast shape of ``a`` and ``b`` (NumPy rules), or :class:`ShapeMismatchError`
    showing both shapes."""
    sa, sb = tuple(a.shape), tuple(b.shape)
    out = []
    for i in range(1, max(len(sa), len(sb)) + 1):
        da = sa[-i] if i <= len(sa) else 1
        db = sb[-i] if i <= len(sb) else 1
        if da != db and 1 not in (da, db):
            raise ShapeMismatchError(
                f"`{names[0]}` and `{names[1]}` must have the same shape or shapes that "
                f"broadcast, got {sa} and {sb}"
            )
        out.append(db if da == 1 else da)
    return tuple(reversed(out))


@dataclass(frozen=True)
class ProbabilityPair:
    """Two probability arrays prepared for a row reduction (see
    :func:`broadcast_probability_pair`): broadcast, the reduced axis moved last, reshaped
    to ``(rows, n)``. The value checks are not done yet: they come from the statistics of
    the reduction itself (:meth:`ok`), so that no extra pass reads the data."""

    xp: ModuleType
    p: Any  # the inputs as given (float arrays, before normalisation), for diagnostics
    q: Any
    p2: Any  # (rows, n)
    q2: Any
    axis: int
    normalize: bool
    names: tuple[str, str]
    rtol: tuple[float, float]
    batch_shape: tuple[int, ...]
    out_dtype: Any

    def ok(self, stats: tuple[Any, Any, Any, Any]) -> Any:
        """0-d boolean array: both inputs finite, >= 0, normalised (from ``stats``)."""
        xp = self.xp
        sp, sq, pmin, qmin = stats
        dp = xp.max(xp.abs(sp - 1.0))
        dq = xp.max(xp.abs(sq - 1.0))
        return (pmin >= 0) & (qmin >= 0) & (dp <= self.rtol[0]) & (dq <= self.rtol[1])

    def problem_code(self, stats: tuple[Any, Any, Any, Any]) -> Any:
        """0-d integer array: 0 if valid, else the index of the first problem in
        :data:`PROBLEMS` (used where the check runs inside a lazy task graph)."""
        xp = self.xp
        sp, sq, pmin, qmin = stats
        code = xp.zeros((), dtype=xp.int64)
        checks = []
        for s, m, rtol in ((sp, pmin, self.rtol[0]), (sq, qmin, self.rtol[1])):
            finite = xp.isfinite(m) & xp.all(xp.isfinite(s))
            checks += [~finite, m < 0, xp.any(s == 0), xp.max(xp.abs(s - 1.0)) > rtol]
        for i in reversed(range(len(checks))):
            code = xp.where(checks[i], xp.asarray(i + 1, dtype=xp.int64), code)
        return code

    def finish(
        self, rows: Any, *, keepdims: bool, scale: float | None, transform: Any = None
    ) -> Any:
        """Row results (float64) -> the batch shape, in ``base``, through ``transform``
        (e.g. a square root, still in float64), in the output dtype."""
        xp = self.xp
        if scale is not None:
            rows = rows / scale
        if transform is not None:
            rows = transform(rows, xp)
        if self.out_dtype != rows.dtype:  # beyond the output's range: inf, no cast warning
            big = float(xp.finfo(self.out_dtype).max)
            inf = xp.where(rows > 0, xp.full_like(rows, math.inf), xp.full_like(rows, -math.inf))
            rows = xp.where(xp.abs(rows) > big, inf, rows)
            rows = xp.astype(rows, self.out_dtype)
        shape = list(self.batch_shape)
        if keepdims:
            shape.insert(self.axis, 1)
        return xp.reshape(rows, tuple(shape))


#: messages of :meth:`ProbabilityPair.problem_code` (argument name filled in)
PROBLEMS = (
    (NonFiniteError, "`{}` contains NaN or +-inf entries"),
    (NegativeValueError, "`{}` has a negative entry; probabilities must be >= 0"),
    (EmptyInputError, "`{}` has a slice with zero total mass"),
    (NormalizationError, "`{}` does not sum to 1 along the axis; pass normalize=True to rescale"),
)


def problem_error(code: int, names: tuple[str, str]) -> InputError:
    """The error for a nonzero :meth:`ProbabilityPair.problem_code`."""
    cls, msg = PROBLEMS[(code - 1) % len(PROBLEMS)]
    return cls(msg.format(names[(code - 1) // len(PROBLEMS)]))


def broadcast_probability_pair(
    p: Any,
    q: Any,
    *,
    axis: Any = -1,
    normalize: bool = False,
    names: tuple[str, str] = ("p", "q"),
    xp: ModuleType | None = None,
) -> ProbabilityPair:
    """Structural checks of two probability arrays (dtype, dimensions, broadcasting, axis,
    emptiness) and their preparation for a row reduction along ``axis``.

    ``p`` and ``q`` broadcast against each other as in NumPy (``axis`` refers to the
    broadcast shape). The value checks are deferred to :meth:`ProbabilityPair.ok`.
    """
    xp = xp or array_namespace(p, q)
    rtol = (max(NORMALIZATION_RTOL, _storage_eps(p)), max(NORMALIZATION_RTOL, _storage_eps(q)))
    p = as_float_array(p, names[0], xp)
    q = as_float_array(q, names[1], xp)
    for x, name in ((p, names[0]), (q, names[1])):
        if x.ndim == 0:
            raise ShapeMismatchError(f"`{name}` must be at least 1-D, got a scalar")
    shape = check_broadcastable(p, q, names)
    ax = check_axis(axis, len(shape))
    for x, name in ((p, names[0]), (q, names[1])):
        check_not_empty(x, name)
    out_dtype = xp.float32 if (p.dtype == xp.float32 and q.dtype == xp.float32) else xp.float64
    raw = (p, q)
    if tuple(p.shape) != shape or tuple(q.shape) != shape:
        p, q = xp.broadcast_arrays(p, q)
    if normalize:
        with np.errstate(all="ignore"):  # invalid input shows up as NaN in the statistics
            p = normalize_mass(p, xp, axis=ax)
            q = normalize_mass(q, xp, axis=ax)
    batch = tuple(s for i, s in enumerate(shape) if i != ax)
    n = shape[ax]
    p2, q2 = p, q
    if ax != len(shape) - 1:
        p2, q2 = xp.moveaxis(p2, ax, -1), xp.moveaxis(q2, ax, -1)
    if len(shape) != 2:
        rows = math.prod(batch)
        p2, q2 = xp.reshape(p2, (rows, n)), xp.reshape(q2, (rows, n))
    return ProbabilityPair(xp, *raw, p2, q2, ax, normalize, names, rtol, batch, out_dtype)


def probability_pair_problem(pair: ProbabilityPair) -> None:
    """Raise the specific error for an invalid pair (the full checks, on the host).

    The inputs are checked as given, broadcast to the common shape so that ``axis`` means
    the same as in the computation, and normalised first when ``normalize`` was asked for.
    """
    xp = pair.xp
    p, q = pair.p, pair.q
    if tuple(p.shape) != tuple(q.shape):
        p, q = xp.broadcast_arrays(p, q)
    for x, name, rtol in ((p, pair.names[0], pair.rtol[0]), (q, pair.names[1], pair.rtol[1])):
        check_probability(x, name, xp=xp, axis=pair.axis, rtol=rtol, normalize=pair.normalize)


def settle(
    result: Any,
    ok: Any,
    xp: ModuleType,
    diagnose: Callable[[], None],
    code: Callable[[], Any],
    names: tuple[str, str] = ("p", "q"),
) -> Any:
    """Apply a deferred input check to ``result``.

    Eager backends read the 0-d flag ``ok`` back once; if it is false, ``diagnose()``
    raises the specific error. Lazy backends (Dask) get the check embedded in the task
    graph: computing the result raises the error of ``code()`` (a 0-d problem code), so
    the call returns at once and the data are read in a single pass.
    """
    if is_lazy(xp):
        return _embed_check(result, code(), names)
    if not bool(ok):
        diagnose()
    return result


def _raise_on_problem(block: Any, code: Any, names: tuple[str, str]) -> Any:
    c = int(np.asarray(code))
    if c:
        raise problem_error(c, names)
    return block


def _embed_check(result: Any, code: Any, names: tuple[str, str]) -> Any:
    import dask.array as da

    ind = tuple(range(result.ndim))
    return da.blockwise(
        _raise_on_problem, ind, result, ind, code, (), names, None,
        dtype=result.dtype, meta=getattr(result, "_meta", None),
    )


def check_samples(x: Any, name: str = "x", *, xp: ModuleType | None = None, min_n: int = 1) -> Any:
    """Validate a sample set and return it as a 2-D float array of shape ``(n, d)``.

    1-D input of length n is read as n one-dimensional points, shape ``(n, 1)``.
    """
    xp = xp or array_namespace(x)
    x = as_float_array(x, name, xp)
    if x.ndim == 1:
        x = xp.reshape(x, (-1, 1))
    elif x.ndim != 2:
        raise ShapeMismatchError(
            f"`{name}` must be 1-D (n,) or 2-D (n, d) samples, got shape {tuple(x.shape)}"
        )
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise EmptyInputError(f"`{name}` is empty (shape {tuple(x.shape)})")
    if x.shape[0] < min_n:
        raise EmptyInputError(f"`{name}` has {x.shape[0]} sample(s); at least {min_n} are needed")
    check_finite(x, name, xp)
    return x


def check_sample_pair(
    x: Any, y: Any, *, names: tuple[str, str] = ("x", "y"), min_n: int = 1
) -> tuple[ModuleType, Any, Any]:
    """Validate two sample sets with the same dimension; return ``(xp, x, y)`` (2-D, same dtype)."""
    xp = array_namespace(x, y)
    x = check_samples(x, names[0], xp=xp, min_n=min_n)
    y = check_samples(y, names[1], xp=xp, min_n=min_n)
    if x.shape[1] != y.shape[1]:
        raise ShapeMismatchError(
            f"`{names[0]}` and `{names[1]}` must have the same dimension d, "
            f"got shapes {tuple(x.shape)} and {tuple(y.shape)}"
        )
    if x.dtype != y.dtype:
        x = xp.astype(x, xp.float64)
        y = xp.astype(y, xp.float64)
    return xp, x, y


def check_weights(
    a: Any, n: int, name: str, *, xp: ModuleType, dtype: Any, like: Any = None
) -> Any:
    """Validate sample weights of length ``n`` and return them normalised to sum 1.

    ``None`` gives uniform weights ``1/n``.
    """
    if a is None:
        w = xp.ones((n,), dtype=dtype) / n
        if like is not None and hasattr(like, "device"):
            w = xp.asarray(w, device=like.device)
        return w
    a = as_float_array(a, name, xp)
    if a.ndim != 1 or a.shape[0] != n:
        raise ShapeMismatchError(
            f"`{name}` must have shape ({n},) to match the samples, got {tuple(a.shape)}"
        )
    # Two reductions and one read-back for valid weights: a finite sum of entries >= 0 has
    # no NaN or inf among them. Otherwise (or when a finite sum overflowed) the full
    # checks run and name the first bad entry.
    total = xp.sum(a)
    if not bool(xp.isfinite(total) & (xp.min(a) >= 0)):
        check_finite(a, name, xp)
        check_nonnegative(a, name, xp)
    if not bool(total > 0):
        raise EmptyInputError(f"`{name}` has zero total mass")
    return xp.astype(normalize_mass(a, xp, axis=0), dtype, copy=False)


def check_positive(value: Any, name: str, *, allow_inf: bool = False) -> float:
    """Return ``value`` as a float if it is a finite number > 0, else raise ParameterError."""
    v = _as_real_scalar(value, name)
    if not (v > 0) or (np.isinf(v) and not allow_inf):
        raise ParameterError(f"`{name}` must be a positive finite number, got {value!r}")
    return v


def check_nonnegative_scalar(value: Any, name: str) -> float:
    """Return ``value`` as a float if it is finite and >= 0, else raise ParameterError."""
    v = _as_real_scalar(value, name)
    if not (v >= 0) or np.isinf(v):
        raise ParameterError(f"`{name}` must be a finite number >= 0, got {value!r}")
    return v


def _as_real_scalar(value: Any, name: str) -> float:
    if isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"`{name}` must be a real number, got {value!r}")
    if not isinstance(value, numbers.Real):
        # 0-d real arrays of any backend are accepted; strings and containers are not.
        dt = getattr(value, "dtype", None)
        kind = getattr(dt, "kind", None)
        if getattr(value, "ndim", None) == 0 and (kind in ("f", "i", "u") or (
                kind is None and dt is not None and "float" in str(dt))):
            value = float(to_numpy(value))
        else:
            raise ParameterError(f"`{name}` must be a real number, got {value!r}")
    v = float(value)
    if np.isnan(v):
        raise ParameterError(f"`{name}` must be a number, got NaN")
    return v


def check_int(
    value: Any, name: str, *, min_value: int | None = None, max_value: int | None = None
) -> int:
    """Return ``value`` as an int within ``[min_value, max_value]``, else raise ParameterError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ParameterError(f"`{name}` must be an integer, got {value!r}")
    v = int(value)
    if min_value is not None and v < min_value:
        raise ParameterError(f"`{name}` must be >= {min_value}, got {v}")
    if max_value is not None and v > max_value:
        raise ParameterError(f"`{name}` must be <= {max_value}, got {v}")
    return v


def check_choice(value: Any, name: str, choices: tuple[str, ...] | list[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise ParameterError listing them."""
    if value not in choices:
        raise ParameterError(
            f"`{name}`={value!r} is not one of: {', '.join(repr(c) for c in choices)}"
        )
    return value


def check_rng(rng: Any) -> np.random.Generator:
    """Turn ``rng`` (None | int | numpy Generator | SeedSequence) into a NumPy Generator (SPEC 7).

    divlab draws random numbers on the host with this generator and moves them to the
    device, so NumPy and CuPy runs with the same seed see the same numbers.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (numbers.Integral, np.random.SeedSequence)):
        if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and int(rng) < 0:
            raise ParameterError(f"`rng` seed must be >= 0, got {rng}")
        if isinstance(rng, bool):
            raise ParameterError("`rng` must be None, an int seed or a numpy Generator, got bool")
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.RandomState):
        raise ParameterError(
            "`rng` must be None, an int seed or a numpy.random.Generator; "
            "legacy RandomState is not accepted (use np.random.default_rng(seed))"
        )
    raise ParameterError(
        f"`rng` must be None, an int seed or a numpy.random.Generator, got {type(rng).__name__}"
    )


def check_cost_matrix(
    cost: Any, name: str = "cost", *, xp: ModuleType | None = None, allow_posinf: bool = True
) -> Any:
    r"""Validate a ground-cost matrix :math:`C \in (\mathbb R \cup \{+\infty\})^{n \times m}`.

    The one cost-matrix check of every transport solver (:func:`divlab.emd`,
    :func:`divlab.sinkhorn`, :func:`divlab.ot.dual_lp`). Checks, in order: numeric dtype
    (:func:`as_float_array`), 2-D, not empty, no NaN, no ``-inf`` (the transport problem
    would be unbounded) and, unless ``allow_posinf``, no ``+inf`` (``+inf`` marks a
    forbidden pair for the solvers that support it). The happy path reads one flag back to
    the host (``all(isfinite(C) | (C == +inf))``); the first bad entry is located only when
    there is one.

    Returns
    -------
    cost : array, shape (n, m)
        The cost as a float array of namespace ``xp``.

    Raises
    ------
    DTypeError
        Complex, object or string data.
    ShapeMismatchError
        ``cost`` is not 2-D.
    EmptyInputError
        ``n == 0`` or ``m == 0``.
    NonFiniteError
        NaN, ``-inf``, or ``+inf`` with ``allow_posinf=False``; the message counts them and
        gives the index of the first.

    Examples
    --------
    >>> check_cost_matrix([[0.0, float("inf")], [1.0, 0.0]]).shape
    (2, 2)
    >>> check_cost_matrix([[0.0, float("nan")]])
    Traceback (most recent call last):
    ...
    divlab.errors.NonFiniteError: `cost` contains 1 NaN value(s); first at index (0, 1)
    """
    xp = xp or array_namespace(cost)
    c = as_float_array(cost, name, xp)
    if c.ndim != 2:
        raise ShapeMismatchError(
            f"`{name}` must be a 2-D (n, m) matrix, got shape {tuple(c.shape)}"
        )
    n, m = (int(s) for s in c.shape)
    if n == 0 or m == 0:
        raise EmptyInputError(f"`{name}` is empty (shape {(n, m)}); nothing to transport")
    ok = xp.isfinite(c)
    if allow_posinf:
        ok = ok | (c == np.inf)
    if not bool(xp.all(ok)):
        cn = np.asarray(to_numpy(c))
        for bad, what in ((np.isnan(cn), "NaN"),
                          (np.isneginf(cn), "-inf"),
                          (np.isposinf(cn) if not allow_posinf else None, "+inf")):
            if bad is None or not bad.any():
                continue
            i, j = (int(k) for k in np.argwhere(bad)[0])
            hint = {"NaN": "", "-inf": "; the transport problem is unbounded",
                    "+inf": "; this solver needs finite costs"}[what]
            raise NonFiniteError(
                f"`{name}` contains {int(bad.sum())} {what} value(s); first at index "
                f"({i}, {j}){hint}"
            )
    return c


# ---------------------------------------------------------------------------------------
# memory guard and the argument habits of SciPy / POT users
# ---------------------------------------------------------------------------------------

#: Fraction of the available memory a single temporary may take before the guard refuses.
MEMORY_FRACTION = 0.5


def available_memory() -> int | None:
    """Bytes of memory available to this process (``MemAvailable``, capped by a cgroup
    limit), or ``None`` where it cannot be read."""
    avail = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:
        return None
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path, encoding="ascii") as fh:
                text = fh.read().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < (1 << 60):
            avail = int(text) if avail is None else min(avail, int(text))
    return avail


def check_matrix_memory(
    n: int,
    m: int,
    itemsize: int,
    *,
    what: str,
    alternatives: str,
    max_memory: Any = None,
    copies: int = 1,
) -> None:
    """Refuse, with a clear :class:`MemoryLimitError`, to form ``copies`` dense ``n x m``
    matrices that would not fit.

    The limit is ``max_memory`` bytes when given, else half of the memory available to
    the process (:func:`available_memory`); nothing is checked where that cannot be read.
    ``alternatives`` names what to do instead (``online=True``, ``sliced_wasserstein``,
    subsampling), and the message says how much was asked for.

    Examples
    --------
    >>> check_matrix_memory(1000, 1000, 8, what="the cost matrix", alternatives="-",
    ...                     max_memory=2**30)
    >>> check_matrix_memory(10**5, 10**5, 8, what="the cost matrix",  # doctest: +ELLIPSIS
    ...                     alternatives="use sliced_wasserstein", max_memory=2**30)
    Traceback (most recent call last):
    ...
    divlab.errors.MemoryLimitError: the cost matrix needs 74.5 GiB (100000 x 100000 ...
    """
    from .errors import MemoryLimitError

    need = int(n) * int(m) * int(itemsize) * int(copies)
    if max_memory is None:
        avail = available_memory()
        if avail is None:
            return
        limit = int(MEMORY_FRACTION * avail)
        where = "half the memory available"
    else:
        limit = check_positive(max_memory, "max_memory", allow_inf=True)  # inf: no limit
        where = "the limit"
    if need <= limit:
        return
    kind = {8: "float64", 4: "float32"}.get(int(itemsize), f"{itemsize}-byte")
    raise MemoryLimitError(
        f"{what} needs {_gib(need)} ({n} x {m} {kind}"
        + (f", {copies} copies" if copies > 1 else "")
        + f"), above {where} of {_gib(limit)}; {alternatives}"
    )


def _gib(nbytes: float) -> str:
    g = nbytes / 2**30
    return f"{g:.3g} GiB" if g >= 0.1 else f"{nbytes / 2**20:.3g} MiB"


#: Argument names SciPy / POT users reach for, and divlab's name for each.
ARGUMENT_ALIASES = {
    "reg": "epsilon",
    "eps": "epsilon",
    "seed": "rng",
    "random_state": "rng",
    "numItermax": "max_iter",
    "numiter": "max_iter",
    "stopThr": "tol",
    "n_iter": "max_iter",
    "weights_u": "u_weights",
    "weights_v": "v_weights",
    "a_weights": "u_weights",
    "b_weights": "v_weights",
    "metric_params": "metric",
    "log": "the result object (its fields replace POT's log dict)",
    # the prdc package (Naeem et al. 2020)
    "nearest_k": "k",
    "real_features": "x",
    "fake_features": "y",
}


def argument_hints(func: Callable) -> Callable:
    """Decorator: an unknown keyword that is a SciPy / POT habit (``reg``, ``seed``,
    ``numItermax``, ...) raises :class:`ParameterError` naming divlab's argument, instead
    of a bare ``TypeError``. Calls with valid arguments are untouched.

    Examples
    --------
    >>> @argument_hints
    ... def solve(a, *, epsilon=1.0):
    ...     return a * epsilon
    >>> solve(2.0, reg=0.5)
    Traceback (most recent call last):
    ...
    divlab.errors.ParameterError: solve() has no argument `reg`: divlab calls it `epsilon`
    """
    import functools
    import inspect

    params = inspect.signature(func).parameters
    accepts_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not accepts_kwargs:
            for key in kwargs:
                if key not in params and key in ARGUMENT_ALIASES:
                    alias = ARGUMENT_ALIASES[key]
                    target = f"`{alias}`" if alias.isidentifier() else alias
                    raise ParameterError(
                        f"{func.__name__}() has no argument `{key}`: divlab calls it {target}"
                    )
        return func(*args, **kwargs)

    return wrapper
