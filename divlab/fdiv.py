r"""f-divergences: the :class:`FDivergence` object and the registry of named generators.

An f-divergence between distributions :math:`P` and :math:`Q` with densities (or pmfs)
:math:`p, q` is

.. math:: D_f(P\,\|\,Q) = \int q(x)\, f\!\left(\frac{p(x)}{q(x)}\right) dx,

for a convex generator :math:`f:[0,\infty)\to\mathbb{R}\cup\{+\infty\}` with :math:`f(1)=0`.
The f-GAN variational representation (Nguyen, Wainwright & Jordan; Nowozin et al.) is

.. math:: D_f(P\,\|\,Q) = \sup_T\; \mathbb{E}_P[T(x)] - \mathbb{E}_Q[f^*(T(x))],

with the Fenchel conjugate :math:`f^*(t) = \sup_{u\ge 0}\, ut - f(u)`, attained at the
optimal critic :math:`T^*(x) = f'(p(x)/q(x))`. A critic network outputs an unconstrained
:math:`v` and the output activation :math:`g_f` maps it into :math:`\operatorname{dom} f^*`.

Every :class:`FDivergence` carries :math:`f`, :math:`f'`, the *true* conjugate :math:`f^*`
(``+inf`` outside its domain), :math:`g_f`, the fused and overflow-free
:math:`f^*\!\circ g_f`, the domain of :math:`f^*`, :math:`f'(1)`, the limits :math:`f(0)`
and :math:`f'(\infty)` (needed when the supports differ: terms with :math:`p = 0 < q`
contribute :math:`q f(0)`, terms with :math:`q = 0 < p` contribute :math:`p f'(\infty)`),
and LaTeX for the documentation table.

The six rows of the f-GAN table of the lecture are reachable as printed through
:data:`LECTURE_TABLE`; what the printed table gets wrong is recorded in each entry's
``erratum`` (see ``docs/fdivergences.rst``).

Examples
--------
>>> from divlab.fdiv import get_fdivergence
>>> kl = get_fdivergence("kl")
>>> float(kl.f(2.0))  # 2 log 2
1.3862943611198906
>>> float(kl.conjugate(1.0))  # exp(t - 1)
1.0
>>> gan = get_fdivergence("gan")
>>> float(gan.conjugate_activation(1000.0))  # softplus(v): no overflow
1000.0
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from ._array import array_namespace, from_numpy, is_numpy, sigmoid, softplus, to_numpy, xlogy
from ._validate import as_float_array
from .errors import NotConvexError, ParameterError

__all__ = [
    "FDivergence",
    "Interval",
    "FDIVERGENCES",
    "LECTURE_TABLE",
    "get_fdivergence",
    "register_fdivergence",
    "alpha_fdivergence",
]

LOG2 = math.log(2.0)
INF = math.inf

#: Registry keys of the six rows of the lecture's f-GAN table, in printed order.
LECTURE_TABLE: tuple[str, ...] = (
    "kl",
    "reverse_kl",
    "pearson",
    "squared_hellinger",
    "fgan_js",
    "gan",
)

Kernel = Callable[[Any, ModuleType], Any]


# ---------------------------------------------------------------------------------------
# small numerics helpers (xp-generic, warning-free for the operations we guard)
# ---------------------------------------------------------------------------------------


def _np_dtype(dtype: Any, xp: ModuleType) -> type:
    return np.float32 if xp.finfo(dtype).bits == 32 else np.float64


@functools.lru_cache(maxsize=64)
def _below_np(value: float, bits: int) -> float:
    dt = np.float32 if bits == 32 else np.float64
    return float(np.nextafter(dt(value), dt(-np.inf)))


def _below(value: float, x: Any, xp: ModuleType) -> float:
    """The largest float of ``x``'s dtype that is strictly below ``value``."""
    return _below_np(float(value), xp.finfo(x.dtype).bits)


@functools.lru_cache(maxsize=8)
def _exp_limit(bits: int) -> float:
    dt = np.float32 if bits == 32 else np.float64
    lim = dt(np.log(np.finfo(dt).max))
    with np.errstate(over="ignore"):
        while not np.isfinite(np.exp(lim)):
            lim = np.nextafter(lim, dt(-np.inf))
    return float(lim)


def _exp_sat(x: Any, xp: ModuleType) -> Any:
    """``exp(x)`` saturated at the largest finite float instead of overflowing to ``inf``."""
    return xp.exp(xp.minimum(x, _exp_limit(xp.finfo(x.dtype).bits)))


def _exp_inf(x: Any, xp: ModuleType) -> Any:
    """``exp(x)``, ``inf`` where it overflows, without an overflow warning."""
    lim = _exp_limit(xp.finfo(x.dtype).bits)
    return xp.where(x > lim, INF, xp.exp(xp.minimum(x, lim)))


def _pos(x: Any, xp: ModuleType) -> Any:
    """``x`` where ``x > 0``, else 1 (a safe argument for ``log`` / division)."""
    return xp.where(x > 0, x, xp.ones_like(x))


def _log(x: Any, xp: ModuleType) -> Any:
    """``log(x)`` with ``log(0) = -inf`` and no divide-by-zero warning (``x >= 0``)."""
    return xp.where(x > 0, xp.log(_pos(x, xp)), -INF)


def _log_softplus(x: Any, xp: ModuleType) -> Any:
    """Stable ``log(softplus(x))``: equals ``x`` to double precision for ``x < -40``."""
    xs = xp.maximum(x, xp.full_like(x, -40.0))
    return xp.where(x < -40.0, x, xp.log(softplus(xs, xp)))


# ---------------------------------------------------------------------------------------
# Interval
# ---------------------------------------------------------------------------------------

_KNOWN_CONSTANTS: tuple[tuple[float, str, str], ...] = (
    (LOG2, "log 2", r"\log 2"),
    (0.5 * LOG2, "(log 2)/2", r"\tfrac12\log 2"),
    (2.0 * LOG2, "2 log 2", r"2\log 2"),
    (0.5, "1/2", r"\tfrac12"),
    (-0.5, "-1/2", r"-\tfrac12"),
)


def _fmt(x: float, latex: bool = False) -> str:
    if math.isinf(x):
        return (r"\infty" if latex else "inf") if x > 0 else (r"-\infty" if latex else "-inf")
    for value, text, tex in _KNOWN_CONSTANTS:
        if math.isclose(x, value, rel_tol=1e-14, abs_tol=0.0):
            return tex if latex else text
    return f"{x:g}"


@dataclass(frozen=True)
class Interval:
    r"""An interval of the real line, used for :math:`\operatorname{dom} f^*`.

    Parameters
    ----------
    lo, hi : float
        End points (``-inf`` / ``inf`` allowed).
    lo_closed, hi_closed : bool
        Whether each finite end point belongs to the interval.

    Examples
    --------
    >>> import math
    >>> dom = Interval(-math.inf, math.log(2.0))
    >>> str(dom)
    't < log 2'
    >>> dom.contains([0.0, 0.7]).tolist()
    [True, False]
    """

    lo: float = -INF
    hi: float = INF
    lo_closed: bool = False
    hi_closed: bool = False

    def __post_init__(self) -> None:
        lo, hi = float(self.lo), float(self.hi)
        if math.isnan(lo) or math.isnan(hi) or lo > hi:
            raise ParameterError(f"`Interval` needs lo <= hi, got lo={self.lo!r}, hi={self.hi!r}")
        object.__setattr__(self, "lo", lo)
        object.__setattr__(self, "hi", hi)
        # infinite end points are never members
        object.__setattr__(self, "lo_closed", bool(self.lo_closed) and math.isfinite(lo))
        object.__setattr__(self, "hi_closed", bool(self.hi_closed) and math.isfinite(hi))

    def contains(self, t: Any) -> Any:
        """Boolean array: which entries of ``t`` lie in the interval (NaN -> False)."""
        xp = array_namespace(t)
        t = as_float_array(t, "t", xp)
        above = (t >= self.lo) if self.lo_closed else (t > self.lo)
        below = (t <= self.hi) if self.hi_closed else (t < self.hi)
        return xp.logical_and(above, below)

    def scaled(self, c: float) -> Interval:
        """The image of the interval under ``t -> c t`` for ``c > 0``."""
        return Interval(c * self.lo, c * self.hi, self.lo_closed, self.hi_closed)

    def _text(self, latex: bool) -> str:
        le, lt = (r"\le", "<") if latex else ("<=", "<")
        if math.isinf(self.lo) and math.isinf(self.hi):
            return r"\mathbb{R}" if latex else "t ∈ ℝ"
        parts = []
        if math.isfinite(self.lo):
            parts.append(f"{_fmt(self.lo, latex)} {le if self.lo_closed else lt} ")
        parts.append("t")
        if math.isfinite(self.hi):
            parts.append(f" {le if self.hi_closed else lt} {_fmt(self.hi, latex)}")
        return "".join(parts)

    def __str__(self) -> str:
        return self._text(latex=False)

    def latex(self) -> str:
        """LaTeX form, e.g. ``t < \\log 2``."""
        return self._text(latex=True)


REALS = Interval()


# ---------------------------------------------------------------------------------------
# FDivergence
# ---------------------------------------------------------------------------------------

_LATEX_KEYS = ("f", "conjugate", "activation", "domain", "optimal_critic", "divergence")


class _FrozenDict(Mapping[str, str]):
    """A read-only, picklable mapping (``MappingProxyType`` cannot be copied or pickled)."""

    __slots__ = ("_d",)

    def __init__(self, d: Mapping[str, str] | None = None) -> None:
        self._d = dict(d or {})

    def __getitem__(self, key: str) -> str:
        return self._d[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __repr__(self) -> str:
        return repr(self._d)

    def __reduce__(self) -> tuple:
        return (_FrozenDict, (self._d,))


def _freeze(d: Mapping[str, str] | None) -> Mapping[str, str] | None:
    return None if d is None else _FrozenDict(d)


def _from_spec(name: str, params: tuple[tuple[str, float], ...]) -> FDivergence:
    """Rebuild an entry from its identity (used when unpickling)."""
    p = dict(params)
    if "scale" in p:
        c = p.pop("scale")
        base = name.split("*", 1)[1]
        rest = tuple((k, v) for k, v in params if k != "scale")
        return _from_spec(base, rest).scaled(c)
    return get_fdivergence(name, **p)


@dataclass(frozen=True)
class FDivergence:
    r"""A convex generator :math:`f` with everything an f-divergence / f-GAN needs.

    Instances are immutable and compare equal when ``name`` and ``params`` agree. Get one
    from the registry (:func:`get_fdivergence`, :data:`FDIVERGENCES`), build one from a
    generator alone with :meth:`from_generator`, or rescale one with :meth:`scaled`.

    The elementwise methods accept arrays of any supported namespace (NumPy, CuPy,
    array-API libraries; Python floats and lists are NumPy) and return an array of the same
    namespace, device and float dtype (float32 stays float32, integers become float64).

    Parameters
    ----------
    name : str
        Registry key, e.g. ``"kl"``.
    display_name : str
        Human-readable name.
    f_fn, f_prime_fn, conjugate_fn, activation_fn, conjugate_activation_fn : callable
        Kernels ``(x, xp) -> array`` written with the namespace ``xp`` only. They receive a
        float array and need not validate it: ``f_fn`` gets entries in :math:`(0, \infty)`
        (the methods supply ``f_at_0``), ``f_prime_fn`` entries in :math:`[0, \infty)`,
        ``conjugate_fn`` finite entries; ``activation_fn`` / ``conjugate_activation_fn``
        any floats.
    conjugate_domain : Interval
        :math:`\operatorname{dom} f^* = \{t : f^*(t) < \infty\}`.
    f_prime_at_1, f_at_0, f_prime_at_inf : float
        :math:`f'(1)`, :math:`f(0) = \lim_{u\downarrow 0} f(u)` and
        :math:`f'(\infty) = \lim_{u\to\infty} f'(u) = \lim_{u\to\infty} f(u)/u` (may be inf).
    f_at_1 : float
        :math:`f(1)`; 0 for a proper f-divergence (``-log 4`` for the lecture's GAN row).
    latex : Mapping[str, str]
        LaTeX for the documentation table, keys ``"f"``, ``"conjugate"``, ``"activation"``,
        ``"domain"``, ``"optimal_critic"``, ``"divergence"``.
    lecture_row : str or None
        Name of the lecture's f-GAN table row this entry reproduces exactly as printed.
    erratum : str or None
        What the printed lecture table gets wrong for this row.
    lecture_latex : Mapping[str, str] or None
        The row exactly as printed in the lecture (for comparison with ``latex``).
    params : tuple of (str, float)
        Parameters of a parametric family (``(("alpha", 2.0),)``), part of the identity.

    Examples
    --------
    >>> from divlab.fdiv import FDIVERGENCES
    >>> js = FDIVERGENCES["js"]
    >>> float(js.f_at_0), float(js.f_prime_at_inf)  # both (log 2)/2
    (0.34657359027997264, 0.34657359027997264)
    >>> str(js.conjugate_domain)
    't < (log 2)/2'
    >>> round(float(js.conjugate_activation(50.0)), 12)  # (softplus(v) - log 2) / 2
    24.65342640972
    """

    name: str
    display_name: str
    f_fn: Kernel = field(repr=False, compare=False)
    f_prime_fn: Kernel = field(repr=False, compare=False)
    conjugate_fn: Kernel = field(repr=False, compare=False)
    activation_fn: Kernel = field(repr=False, compare=False)
    conjugate_activation_fn: Kernel = field(repr=False, compare=False)
    conjugate_domain: Interval = field(compare=False)
    f_prime_at_1: float = field(compare=False)
    f_at_0: float = field(compare=False)
    f_prime_at_inf: float = field(compare=False)
    f_at_1: float = field(default=0.0, compare=False)
    latex: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)
    lecture_row: str | None = field(default=None, compare=False)
    erratum: str | None = field(default=None, repr=False, compare=False)
    lecture_latex: Mapping[str, str] | None = field(default=None, repr=False, compare=False)
    params: tuple[tuple[str, float], ...] = ()
    activation_derivative_fn: Kernel | None = field(default=None, repr=False, compare=False)
    conjugate_activation_derivative_fn: Kernel | None = field(
        default=None, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ParameterError(f"`name` must be a non-empty string, got {self.name!r}")
        if not isinstance(self.conjugate_domain, Interval):
            raise ParameterError("`conjugate_domain` must be a divlab.fdiv.Interval")
        for attr in ("f_prime_at_1", "f_at_0", "f_prime_at_inf", "f_at_1"):
            object.__setattr__(self, attr, float(getattr(self, attr)))
        latex = {k: "" for k in _LATEX_KEYS}
        latex.update(dict(self.latex or {}))
        object.__setattr__(self, "latex", _FrozenDict(latex))
        object.__setattr__(self, "lecture_latex", _freeze(self.lecture_latex))
        object.__setattr__(self, "params", tuple((str(k), float(v)) for k, v in self.params))

    # -- copying and pickling: immutable, so copies are the object itself ----------------

    def __copy__(self) -> FDivergence:
        return self

    def __deepcopy__(self, memo: dict) -> FDivergence:
        return self

    def __reduce__(self) -> tuple:
        """Pickle by identity (registry name, family parameters, scale) when it resolves."""
        try:
            other = _from_spec(self.name, self.params)
        except (ParameterError, IndexError):
            other = None
        # registry entries must be the registered object; family / scaled ones are
        # deterministic functions of (name, params)
        same = other is self if not self.params else other == self
        if not same:
            raise TypeError(
                f"FDivergence {self.name!r} cannot be pickled: it is not in the registry "
                "(register it with register_fdivergence, in every process that unpickles it)"
            )
        return (_from_spec, (self.name, self.params))

    # -- elementwise methods -------------------------------------------------------------

    def _prepare(self, x: Any, name: str) -> tuple[ModuleType, Any]:
        xp = array_namespace(x)
        return xp, as_float_array(x, name, xp)

    @staticmethod
    def _masked(
        kernel: Kernel,
        x: Any,
        good: Any,
        xp: ModuleType,
        specials: tuple[tuple[float, float], ...],
        negative: float = math.nan,
    ) -> Any:
        """``kernel(x)`` where ``good``; elsewhere the value paired with ``x`` in
        ``specials`` (``(input, output)`` pairs), else ``negative`` for ``x < 0``, else NaN."""
        if is_numpy(xp) and bool(xp.all(good)):  # common case: no fix-up passes
            return kernel(x, xp)
        out = kernel(xp.where(good, x, xp.ones_like(x)), xp)
        special = xp.full_like(out, math.nan)
        if not math.isnan(negative):
            special = xp.where(x < 0, xp.full_like(out, negative), special)
        for value, result in specials:
            special = xp.where(x == value, xp.full_like(out, result), special)
        return xp.where(good, out, special)

    def f(self, u: Any) -> Any:
        r"""The generator :math:`f(u)` for :math:`u \ge 0`.

        ``u = 0`` gives the limit :math:`f(0)` (``f_at_0``, possibly ``inf``); ``u = inf``
        gives :math:`\pm\infty` (the sign of :math:`f'(\infty)`); negative ``u`` gives
        ``+inf`` (the convex extension of :math:`f` outside :math:`[0, \infty)`); NaN gives NaN.

        Examples
        --------
        >>> from divlab.fdiv import FDIVERGENCES
        >>> FDIVERGENCES["squared_hellinger"].f([0.0, 1.0, 4.0]).tolist()
        [1.0, 0.0, 1.0]
        """
        xp, u = self._prepare(u, "u")
        f_inf = INF if self.f_prime_at_inf > 0 else -INF
        with np.errstate(over="ignore", under="ignore"):
            good = xp.logical_and(u > 0, u < INF)  # False for NaN
            specials = ((0.0, self.f_at_0), (INF, f_inf))
            return self._masked(self.f_fn, u, good, xp, specials, negative=INF)

    generator = f

    def f_prime(self, u: Any) -> Any:
        r"""The derivative :math:`f'(u)`; :math:`f'(0^+)` at 0, :math:`f'(\infty)` at ``inf``.

        Negative ``u`` gives NaN.

        Examples
        --------
        >>> from divlab.fdiv import FDIVERGENCES
        >>> FDIVERGENCES["kl"].f_prime([1.0]).tolist()  # 1 + log u
        [1.0]
        """
        xp, u = self._prepare(u, "u")
        with np.errstate(over="ignore", under="ignore"):
            good = xp.logical_and(u >= 0, u < INF)  # the kernels give f'(0+) at 0
            return self._masked(self.f_prime_fn, u, good, xp, ((INF, self.f_prime_at_inf),))

    def conjugate(self, t: Any) -> Any:
        r"""The true Fenchel conjugate :math:`f^*(t) = \sup_{u \ge 0}\, ut - f(u)`.

        Returns ``+inf`` outside :math:`\operatorname{dom} f^*` (without warnings), and
        ``inf`` also where the finite value exceeds the float range.

        Examples
        --------
        >>> from divlab.fdiv import FDIVERGENCES
        >>> FDIVERGENCES["pearson"].conjugate([-3.0, 2.0]).tolist()  # -1 below t = -2
        [-1.0, 3.0]
        >>> FDIVERGENCES["gan"].conjugate([0.5]).tolist()  # outside t < 0
        [inf]
        """
        xp, t = self._prepare(t, "t")
        with np.errstate(over="ignore", under="ignore"):
            # limits: f*(-inf) = -f(0), f*(+inf) = +inf
            specials = ((-INF, -self.f_at_0), (INF, INF))
            return self._masked(self.conjugate_fn, t, xp.isfinite(t), xp, specials)

    def activation(self, v: Any) -> Any:
        r"""The f-GAN output activation :math:`g_f(v)`, mapping :math:`\mathbb{R}` into
        :math:`\operatorname{dom} f^*`.

        Where the exact value is not representable the result saturates at the nearest
        float inside the domain (e.g. ``-exp(-v)`` for ``v = -1000`` gives ``-1.8e308``).

        Examples
        --------
        >>> from divlab.fdiv import FDIVERGENCES
        >>> FDIVERGENCES["total_variation"].activation([0.0, 100.0]).tolist()
        [0.0, 0.5]
        """
        xp, v = self._prepare(v, "v")
        with np.errstate(over="ignore", under="ignore"):
            return self.activation_fn(v, xp)

    def conjugate_activation(self, v: Any) -> Any:
        r"""Fused :math:`f^*(g_f(v))`, in a closed form that is stable for all finite ``v``.

        For GAN it is :math:`\operatorname{softplus}(v)`, for the lecture's JS row
        :math:`\operatorname{softplus}(v) - \log 2`, for KL :math:`e^{v-1}`; the naive
        composition ``conjugate(activation(v))`` loses all precision near ``v = 30`` and
        returns ``inf`` beyond ``v = 37``-``745`` depending on the entry.

        Examples
        --------
        >>> from divlab.fdiv import FDIVERGENCES
        >>> hel = FDIVERGENCES["squared_hellinger"]  # fused: expm1(v)
        >>> float(hel.conjugate_activation(40.0)), float(hel.conjugate(hel.activation(40.0)))
        (2.3538526683701997e+17, 9007199254740991.0)
        """
        xp, v = self._prepare(v, "v")
        with np.errstate(over="ignore", under="ignore"):
            return self.conjugate_activation_fn(v, xp)

    def _derivative(self, kernel: Kernel | None, fun: Kernel, v: Any) -> Any:
        xp, v = self._prepare(v, "v")
        with np.errstate(over="ignore", under="ignore"):
            if kernel is not None:
                return kernel(v, xp)
            # central difference, step eps^(1/3) (1 + |v|)
            h = float(xp.finfo(v.dtype).eps) ** (1.0 / 3.0) * (1.0 + xp.abs(v))
            return (fun(v + h, xp) - fun(v - h, xp)) / (2.0 * h)

    def activation_derivative(self, v: Any) -> Any:
        r""":math:`g_f'(v)`, closed form for the built-in entries (central differences else).

        Examples
        --------
        >>> from divlab.fdiv import FDIVERGENCES
        >>> FDIVERGENCES["gan"].activation_derivative([0.0]).tolist()  # sigmoid(-v)
        [0.5]
        """
        return self._derivative(self.activation_derivative_fn, self.activation_fn, v)

    def conjugate_activation_derivative(self, v: Any) -> Any:
        r""":math:`\frac{d}{dv} f^*(g_f(v)) = (f^*)'(g_f(v))\, g_f'(v)`, the f-GAN loss gradient.

        Closed form for the built-in entries (central differences else).

        Examples
        --------
        >>> from divlab.fdiv import FDIVERGENCES
        >>> FDIVERGENCES["gan"].conjugate_activation_derivative([0.0]).tolist()  # sigmoid(v)
        [0.5]
        """
        return self._derivative(
            self.conjugate_activation_derivative_fn, self.conjugate_activation_fn, v
        )

    def optimal_critic(self, ratio: Any) -> Any:
        r"""The optimal f-GAN critic :math:`T^* = f'(p/q)` as a function of ``ratio = p/q``.

        ``ratio = inf`` (``q = 0 < p``) gives :math:`f'(\infty)`.

        Examples
        --------
        >>> from divlab.fdiv import FDIVERGENCES
        >>> FDIVERGENCES["gan"].optimal_critic([1.0]).tolist()  # log(r / (1 + r))
        [-0.6931471805599453]
        """
        return self.f_prime(ratio)

    # -- derived entries -----------------------------------------------------------------

    def scaled(self, c: float) -> FDivergence:
        r"""The f-divergence of :math:`c f` for a constant :math:`c > 0`.

        :math:`(cf)^*(t) = c f^*(t/c)`, :math:`g_{cf} = c g_f`, fused
        :math:`c\,(f^*\circ g_f)`, :math:`\operatorname{dom}(cf)^* = c\,\operatorname{dom} f^*`.

        Examples
        --------
        >>> from divlab.fdiv import FDIVERGENCES
        >>> two_js = FDIVERGENCES["js"].scaled(2.0)
        >>> float(two_js.conjugate(0.5)), float(FDIVERGENCES["fgan_js"].conjugate(0.5))
        (1.0461752700778737, 1.0461752700778737)
        """
        try:
            c = float(c)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"`c` must be a positive finite number, got {c!r}") from exc
        if not (math.isfinite(c) and c > 0):
            raise ParameterError(f"`c` must be a positive finite number, got {c!r}")
        if c == 1.0:
            return self
        f_fn, fp_fn, cj_fn = self.f_fn, self.f_prime_fn, self.conjugate_fn
        act_fn, fused_fn = self.activation_fn, self.conjugate_activation_fn
        dg, dh = self.activation_derivative_fn, self.conjugate_activation_derivative_fn
        cs = f"{c:g}"
        latex = {
            "f": rf"{cs}\left[{self.latex['f']}\right]",
            "conjugate": rf"{cs}\,f^*\!\left(\tfrac{{t}}{{{cs}}}\right)",
            "activation": rf"{cs}\left[{self.latex['activation']}\right]",
            "domain": self.conjugate_domain.scaled(c).latex(),
            "optimal_critic": rf"{cs}\left[{self.latex['optimal_critic']}\right]",
            "divergence": rf"{cs}\left[{self.latex['divergence']}\right]",
        }
        return FDivergence(
            name=f"{cs}*{self.name}",
            display_name=f"{cs} × {self.display_name}",
            f_fn=lambda u, xp: c * f_fn(u, xp),
            f_prime_fn=lambda u, xp: c * fp_fn(u, xp),
            conjugate_fn=lambda t, xp: c * cj_fn(t / c, xp),
            activation_fn=lambda v, xp: c * act_fn(v, xp),
            conjugate_activation_fn=lambda v, xp: c * fused_fn(v, xp),
            activation_derivative_fn=None if dg is None else (lambda v, xp: c * dg(v, xp)),
            conjugate_activation_derivative_fn=None
            if dh is None
            else (lambda v, xp: c * dh(v, xp)),
            conjugate_domain=self.conjugate_domain.scaled(c),
            f_prime_at_1=c * self.f_prime_at_1,
            f_at_0=c * self.f_at_0,
            f_prime_at_inf=c * self.f_prime_at_inf,
            f_at_1=c * self.f_at_1,
            latex=latex,
            params=(*self.params, ("scale", c)),
        )

    @classmethod
    def from_generator(
        cls,
        f: Callable[[np.ndarray], Any],
        *,
        name: str,
        f_prime: Callable[[np.ndarray], Any] | None = None,
        display_name: str | None = None,
        f_at_1: float = 0.0,
        f_at_0: float | None = None,
        f_prime_at_inf: float | None = None,
        conjugate: Callable[[np.ndarray], Any] | None = None,
        conjugate_domain: Interval | None = None,
        activation: Callable[[np.ndarray], Any] | None = None,
        conjugate_activation: Callable[[np.ndarray], Any] | None = None,
        latex: Mapping[str, str] | None = None,
    ) -> FDivergence:
        r"""Build an entry from the generator alone (everything else numerically).

        * checks :math:`f(1) =` ``f_at_1`` and convexity (non-decreasing slopes on a
          geometric grid of :math:`[10^{-6}, 10^6]` and at 0);
        * :math:`f'` by Richardson-extrapolated central differences if not given;
        * :math:`f(0)` and :math:`f'(\infty)` as limits of :math:`f(u)` and of the secant
          slopes :math:`(f(2u) - f(u))/u` along
          :math:`u = 10^{\mp 50}, 10^{\mp 100}, 10^{\mp 200}, 10^{\mp 300}`;
        * :math:`\operatorname{dom} f^* = (-\infty, f'(\infty))`, closed at the right end
          when :math:`u f'(\infty) - f(u)` converges as :math:`u \to \infty` (its limit
          is then :math:`f^*` at the end point);
        * :math:`f^*(t)` by a vectorised golden-section search of the concave
          :math:`ut - f(u)` over :math:`u = e^s`, :math:`s \in [\log 10^{-300},
          \log 10^{300}]` (90 steps), the value :math:`\max(ut - f(u), -f(0))`;
        * default activation: identity if :math:`\operatorname{dom} f^* = \mathbb{R}`, else
          :math:`\mathrm{hi} - \operatorname{softplus}(-v)` kept strictly inside the domain;
        * fused :math:`f^*\circ g_f` = ``conjugate(activation(v))``.

        The user callables receive and return NumPy ``float64`` arrays; for other namespaces
        the methods make one host round trip and return the input's namespace and dtype.
        Numerical accuracy: :math:`f'` about ``1e-10`` relative, :math:`f^*` about ``1e-12``
        plus ``1e-16 * u* |t|`` absolute (``u*`` the maximiser), so values near a finite
        domain end (``u*`` huge) are less accurate.

        Parameters
        ----------
        f : callable
            The convex generator on ``[0, inf)`` (NumPy in, NumPy out).
        name : str
            Name of the new entry (registry key if registered).
        f_prime, conjugate, activation, conjugate_activation : callable, optional
            Closed forms to use instead of the numerical ones.
        display_name : str, optional
            Defaults to ``name``.
        f_at_1 : float
            Required value of :math:`f(1)` (0 for an f-divergence).
        f_at_0, f_prime_at_inf : float, optional
            Exact limits, if known.
        conjugate_domain : Interval, optional
            Exact domain of :math:`f^*`, if known.
        latex : mapping, optional
            LaTeX for the documentation table.

        Returns
        -------
        FDivergence

        Raises
        ------
        NotConvexError
            If :math:`f(1) \ne` ``f_at_1`` (the message shows :math:`f(1)`), if ``f`` is not
            finite on :math:`(0, \infty)`, or not convex on the grid.

        Examples
        --------
        >>> import numpy as np
        >>> from divlab.fdiv import FDivergence
        >>> kl = FDivergence.from_generator(lambda u: u * np.log(u), name="my_kl")
        >>> round(float(kl.conjugate(0.5)), 10)  # exp(-0.5)
        0.6065306597
        >>> kl.f_at_0, kl.f_prime_at_inf
        (0.0, inf)
        """
        return _build_from_generator(
            cls,
            f,
            name=name,
            f_prime=f_prime,
            display_name=display_name,
            f_at_1=f_at_1,
            f_at_0=f_at_0,
            f_prime_at_inf=f_prime_at_inf,
            conjugate=conjugate,
            conjugate_domain=conjugate_domain,
            activation=activation,
            conjugate_activation=conjugate_activation,
            latex=latex,
        )


# ---------------------------------------------------------------------------------------
# closed-form kernels; each receives a float array (u >= 0 finite for f / f')
# ---------------------------------------------------------------------------------------


def _identity(v: Any, xp: ModuleType) -> Any:
    return v


# KL: f = u log u
def _kl_f(u, xp):
    return xlogy(u, u, xp)


def _kl_fp(u, xp):
    return _log(u, xp) + 1.0


def _kl_conj(t, xp):
    return xp.exp(t - 1.0)


def _kl_fused(v, xp):
    return xp.exp(v - 1.0)


# reverse KL: f = -log u
def _rkl_f(u, xp):
    return -xp.log(u)


def _rkl_fp(u, xp):
    return xp.where(u > 0, -1.0 / _pos(u, xp), -INF)


def _rkl_conj(t, xp):
    neg = t < 0
    ts = xp.where(neg, -t, xp.ones_like(t))
    return xp.where(neg, -1.0 - xp.log(ts), INF)


def _below_act(out: Any, hi: float, xp: ModuleType) -> Any:
    """Keep an activation strictly below an open upper end ``hi`` despite rounding."""
    return xp.minimum(out, xp.full_like(out, _below(hi, out, xp)))


def _rkl_act(v, xp):
    return _below_act(-_exp_sat(-v, xp), 0.0, xp)


def _rkl_fused(v, xp):
    return v - 1.0


# Pearson chi^2: f = (u - 1)^2
def _pearson_f(u, xp):
    return (u - 1.0) ** 2


def _pearson_fp(u, xp):
    return 2.0 * (u - 1.0)


def _pearson_conj(t, xp):
    return xp.where(t < -2.0, xp.full_like(t, -1.0), t * (0.25 * t + 1.0))  # NaN stays NaN


# Neyman chi^2: f = (1 - u)^2 / u
def _neyman_f(u, xp):
    return (1.0 - u) ** 2 / u


def _neyman_fp(u, xp):
    # 1 - 1/u^2 is below -max float once u^2 < 1/max: -inf there, without forming 1/0
    lim = 1.0 / math.sqrt(float(xp.finfo(u.dtype).max))
    ok = u > lim
    us = xp.where(ok, u, xp.ones_like(u))
    return xp.where(ok, 1.0 - 1.0 / (us * us), -INF)


def _neyman_conj(t, xp):
    ok = t <= 1.0
    ts = xp.where(ok, t, xp.ones_like(t))
    return xp.where(ok, 2.0 - 2.0 * xp.sqrt(1.0 - ts), INF)


def _neyman_act(v, xp):
    return 1.0 - _exp_sat(v, xp)


def _neyman_fused(v, xp):
    # f*(1 - e^v) = 2 - 2 sqrt(e^v) = 2 - 2 e^{v/2}
    return 2.0 - 2.0 * xp.exp(0.5 * v)


# squared Hellinger: f = (sqrt u - 1)^2
def _hel_f(u, xp):
    return (xp.sqrt(u) - 1.0) ** 2


def _hel_fp(u, xp):
    return xp.where(u > 0, 1.0 - 1.0 / xp.sqrt(_pos(u, xp)), -INF)


def _hel_conj(t, xp):
    ok = t < 1.0
    ts = xp.where(ok, t, xp.zeros_like(t))
    return xp.where(ok, ts / (1.0 - ts), INF)


def _hel_act(v, xp):
    return _below_act(1.0 - _exp_sat(-v, xp), 1.0, xp)


def _hel_fused(v, xp):
    # t = 1 - e^{-v}:  t / (1 - t) = e^v - 1
    return xp.expm1(v)


# lecture JS row ("fgan_js"): f = u log u - (u + 1) log((u + 1) / 2)  (= 2 x true JS generator)
def _fganjs_f(u, xp):
    # u log(2u/(u+1)) - log((u+1)/2) with log(2u/(1+u)) = -log1p((1-u)/(2u)): no cancellation
    return -u * xp.log1p((1.0 - u) / (2.0 * u)) - xp.log1p(0.5 * (u - 1.0))


def _fganjs_fp(u, xp):
    return xp.where(u > 0, -xp.log1p((1.0 - u) / (2.0 * _pos(u, xp))), -INF)


def _fganjs_conj(t, xp):
    ok = t < LOG2
    ts = xp.where(ok, t, xp.zeros_like(t))
    # -log(2 - e^t) = -log 2 - log1p(-e^{t - log 2})
    return xp.where(ok, -LOG2 - xp.log1p(-xp.exp(ts - LOG2)), INF)


def _fganjs_act(v, xp):
    return _below_act(LOG2 - softplus(-v, xp), LOG2, xp)


def _fganjs_fused(v, xp):
    return softplus(v, xp) - LOG2


# GAN: f = u log u - (u + 1) log(u + 1),  f(1) = -log 4
def _gan_f(u, xp):
    # u log u - (u + 1) log(u + 1) = -u log1p(1/u) - log1p(u), cancellation-free
    return -u * xp.log1p(1.0 / u) - xp.log1p(u)


def _gan_fp(u, xp):
    return xp.where(u > 0, -xp.log1p(1.0 / _pos(u, xp)), -INF)


def _gan_conj(t, xp):
    ok = t < 0
    ts = xp.where(ok, t, xp.full_like(t, -1.0))
    return xp.where(ok, -xp.log(-xp.expm1(ts)), INF)


def _gan_act(v, xp):
    return _below_act(-softplus(-v, xp), 0.0, xp)


def _gan_fused(v, xp):
    return softplus(v, xp)


# total variation: f = |u - 1| / 2
def _tv_f(u, xp):
    return 0.5 * xp.abs(u - 1.0)


def _tv_fp(u, xp):
    return 0.5 * xp.sign(u - 1.0)


def _tv_conj(t, xp):
    return xp.where(t <= 0.5, xp.maximum(t, xp.full_like(t, -0.5)), INF)


def _tv_act(v, xp):
    return 0.5 * xp.tanh(v)


# Jeffreys: f = (u - 1) log u
def _jeffreys_f(u, xp):
    return (u - 1.0) * xp.log(u)


def _jeffreys_fp(u, xp):
    us = _pos(u, xp)
    return xp.where(u > 0, xp.log(us) + 1.0 - 1.0 / us, -INF)


def _log_wright_omega(L: Any, xp: ModuleType, n_iter: int = 8) -> Any:
    r"""``y = log W(e^L)``, i.e. the root of :math:`e^y + y = L`, for any real ``L``.

    Newton's method on the convex increasing :math:`h(y) = e^y + y - L`, started to the
    right of the root (``y0 = log L`` for ``L > 1`` else ``L``) so the iterates decrease
    monotonically; 8 steps reach machine precision for every finite ``L``.
    """
    big = L > 1.0
    y = xp.where(big, xp.log(xp.where(big, L, xp.ones_like(L))), L)
    for _ in range(n_iter):
        ey = xp.exp(y)
        y = y - (ey + y - L) / (ey + 1.0)
    return y


def _jeffreys_conj(t, xp):
    r"""f*(t) = t - 2 + W + 1/W, W = W(e^{1-t}) (Lambert W), y = log W.

    Evaluated as ``t + 4 sinh(y/2)^2`` for ``t >= -1`` and as ``e^{-y} - y - 1`` (using
    ``t + W = 1 - y``) for ``t < -1``, so neither form cancels.
    """
    finite = xp.isfinite(t)
    y = _log_wright_omega(1.0 - xp.where(finite, t, xp.zeros_like(t)), xp)
    s = xp.sinh(0.5 * y)
    near = t + 4.0 * s * s  # no cancellation for t >= -1
    # t + W = 1 - log W, so f* = -1 - y + e^{-y}: no cancellation for t < -1
    far = xp.exp(-y) - y - 1.0
    return xp.where(finite, xp.where(t < -1.0, far, near), t)


# alpha family: f = (u^a - 1 - a (u - 1)) / (a (a - 1))
def _alpha_kernels(a: float) -> tuple:
    den = a * (a - 1.0)
    k = a / (a - 1.0)

    def f_fn(u, xp):
        return (xp.expm1(a * xp.log(u)) - a * (u - 1.0)) / den

    def fp_fn(u, xp):
        lu = xp.log(_pos(u, xp))
        val = xp.expm1((a - 1.0) * lu) / (a - 1.0)
        fp0 = -1.0 / (a - 1.0) if a > 1 else -INF
        return xp.where(u > 0, val, fp0)

    if a > 1:
        kink = -1.0 / (a - 1.0)
        domain = REALS

        def conj_fn(t, xp):
            low = t <= kink  # False for NaN, which stays NaN
            ts = xp.where(low, xp.zeros_like(t), t)
            val = xp.expm1(k * xp.log1p((a - 1.0) * ts)) / a
            return xp.where(low, -1.0 / a, val)

        act_fn = _identity
        fused_fn = conj_fn
        dg = _one

        def dh(v, xp):
            ok = v > kink
            vs = xp.where(ok, v, xp.zeros_like(v))
            return xp.where(ok, xp.exp(xp.log1p((a - 1.0) * vs) / (a - 1.0)), 0.0)

    else:
        hi = 1.0 / (1.0 - a)
        domain = Interval(-INF, hi, hi_closed=a < 0)

        def conj_fn(t, xp):
            inside = t < hi
            ts = xp.where(inside, t, xp.zeros_like(t))
            val = xp.expm1(k * xp.log1p((a - 1.0) * ts)) / a
            edge = -1.0 / a if a < 0 else INF  # value at t = hi
            out = xp.where(t == hi, xp.full_like(t, edge), INF)
            return xp.where(inside, val, out)

        def act_fn(v, xp):
            return _below_act(hi - softplus(-v, xp), hi, xp)

        def fused_fn(v, xp):
            # 1 + (a-1) g(v) = (1-a) softplus(-v)
            log_s = math.log1p(-a) + _log_softplus(-v, xp)
            return xp.expm1(k * log_s) / a

        dg = _sigmoid_neg

        def dh(v, xp):
            # u*(g(v)) g'(v) with u* = s^{1/(a-1)}, s = (1-a) softplus(-v), and
            # g'(v) = sigmoid(-v) = exp(-softplus(v)): one exp of the summed logs (the
            # factors alone overflow / underflow for large v, and inf * 0 is NaN)
            log_s = math.log1p(-a) + _log_softplus(-v, xp)
            return _exp_inf(log_s / (a - 1.0) - softplus(v, xp), xp)

    return f_fn, fp_fn, conj_fn, act_fn, fused_fn, domain, dg, dh


# ---------------------------------------------------------------------------------------
# the built-in entries
# ---------------------------------------------------------------------------------------

_R = r"\frac{p}{q}"

# The lecture's f-GAN tables, exactly as printed (two tables merged per row).
_LECTURE: dict[str, dict[str, str]] = {
    "kl": {
        "name": "Kullback-Leibler",
        "divergence": r"\int p(x) \log \frac{p(x)}{q(x)} dx",
        "f": r"u \log u",
        "optimal_critic": r"1 + \log \frac{p(x)}{q(x)}",
        "activation": "v",
        "domain": r"\mathbb{R}",
        "conjugate": r"\exp(t - 1)",
        "f_prime_at_1": "1",
    },
    "reverse_kl": {
        "name": "Reverse KL",
        "divergence": r"\int q(x) \log \frac{q(x)}{p(x)} dx",
        "f": r"-\log u",
        "optimal_critic": r"-\frac{q(x)}{p(x)}",
        "activation": r"-\exp(-v)",
        "domain": r"\mathbb{R}_-",
        "conjugate": r"-1 - \log(-t)",
        "f_prime_at_1": "-1",
    },
    "pearson": {
        "name": "Pearson χ^2",
        "divergence": r"\int \frac{(q(x)-p(x))^2}{p(x)} dx",
        "f": r"(u-1)^2",
        "optimal_critic": r"2\left(\frac{p(x)}{q(x)} - 1\right)",
        "activation": "v",
        "domain": r"\mathbb{R}",
        "conjugate": r"\frac{1}{4}t^2 + t",
        "f_prime_at_1": "0",
    },
    "squared_hellinger": {
        "name": "Squared Hellinger",
        "divergence": r"\int \left(\sqrt{p(x)} - \sqrt{q(x)}\right)^2 dx",
        "f": r"(\sqrt{u}-1)^2",
        "optimal_critic": r"\left(\sqrt{\frac{p(x)}{q(x)}} - 1\right) \cdot "
        r"\sqrt{\frac{q(x)}{p(x)}}",
        "activation": r"1 - \exp(-v)",
        "domain": r"t < 1",
        "conjugate": r"\frac{t}{1-t}",
        "f_prime_at_1": "0",
    },
    "fgan_js": {
        "name": "Jensen-Shannon",
        "divergence": r"\frac{1}{2} \int p(x) \log \frac{2p(x)}{p(x)+q(x)} + q(x) \log "
        r"\frac{2q(x)}{p(x)+q(x)} dx",
        "f": r"-(u+1) \log \frac{1+u}{2} + u \log u",
        "optimal_critic": r"\log \frac{2p(x)}{p(x)+q(x)}",
        "activation": r"\log(2) - \log(1 + \exp(-v))",
        "domain": r"t < \log(2)",
        "conjugate": r"-\log(2 - \exp(t))",
        "f_prime_at_1": "0",
    },
    "gan": {
        "name": "GAN",
        "divergence": r"\int p(x) \log \frac{2p(x)}{p(x)+q(x)} + q(x) \log "
        r"\frac{2q(x)}{p(x)+q(x)} dx - \log(4)",
        "f": r"u \log u - (u+1) \log(u+1)",
        "optimal_critic": r"\log \frac{p(x)}{p(x)+q(x)}",
        "activation": r"-\log(1 + \exp(-v))",
        "domain": r"\mathbb{R}_-",
        "conjugate": r"-\log(1 - \exp(t))",
        "f_prime_at_1": r"-\log(2)",
    },
}

_ERRATA = {
    "pearson": (
        "The printed D_f column ∫(q−p)²/p is Neyman χ² (generator (1−u)²/u, entry "
        "'neyman'); the generator (u−1)² gives ∫(p−q)²/q. The printed conjugate t²/4 + t is "
        "the conjugate of (u−1)² extended to u < 0: over u ≥ 0 the true f*(t) = −1 for "
        "t ≤ −2 (they agree for t ≥ −2, which contains every T* = 2(p/q − 1), so the f-GAN "
        "supremum is unchanged; dom f* = ℝ either way)."
    ),
    "fgan_js": (
        "The generator −(u+1) log((1+u)/2) + u log u integrates to 2·JS, not to the "
        "½-weighted JS of the printed D_f column; the printed f* = −log(2 − eᵗ), "
        "g_f = log 2 − log(1 + e^{−v}), dom f* = {t < log 2} and T* = log(2p/(p+q)) belong "
        "to this unhalved generator. The true JS (≤ log 2) is entry 'js' = "
        "fgan_js.scaled(1/2)."
    ),
    "gan": (
        "f(1) = −log 4 ≠ 0, so this is not an f-divergence in the strict sense: "
        "D_GAN(P‖Q) = Σ q f(p/q) = 2·JS − log 4 (≥ −log 4, zero only when JS = log 2), "
        "the lecture's L(G|D*) = 2 JS − 2 log 2. The printed columns are otherwise right."
    ),
}


def _one(v, xp):
    return xp.ones_like(v)


def _sigmoid(v, xp):
    return sigmoid(v, xp)


def _sigmoid_neg(v, xp):
    return sigmoid(-v, xp)


def _half_sech2(v, xp):
    th = xp.tanh(v)
    return 0.5 * (1.0 - th * th)


def _exp_neg(v, xp):
    return xp.exp(-v)


def _jeffreys_dconj(v, xp):
    # (f*)'(t) = argmax u = 1 / W(e^{1-t}) = exp(-y)
    finite = xp.isfinite(v)
    y = _log_wright_omega(1.0 - xp.where(finite, v, xp.zeros_like(v)), xp)
    lim = xp.where(v > 0, xp.full_like(v, INF), xp.zeros_like(v))
    return xp.where(finite, xp.exp(-y), lim)


#: closed-form (g_f', (f* o g_f)') of the built-in entries
_DERIVATIVES: dict[str, tuple[Kernel, Kernel]] = {
    "kl": (_one, _kl_fused),
    "reverse_kl": (_exp_neg, _one),
    "pearson": (_one, lambda v, xp: xp.where(v > -2.0, 0.5 * v + 1.0, xp.zeros_like(v))),
    "neyman": (lambda v, xp: -xp.exp(v), lambda v, xp: -xp.exp(0.5 * v)),
    "squared_hellinger": (_exp_neg, lambda v, xp: xp.exp(v)),
    "fgan_js": (_sigmoid_neg, _sigmoid),
    "gan": (_sigmoid_neg, _sigmoid),
    "total_variation": (_half_sech2, _half_sech2),
    "jeffreys": (_one, _jeffreys_dconj),
}


def _entry(name: str, display: str, kernels: tuple, domain: Interval, **kw: Any) -> FDivergence:
    f_fn, fp_fn, conj_fn, act_fn, fused_fn = kernels
    dg, dh = _DERIVATIVES[name]
    lec = _LECTURE.get(name)
    return FDivergence(
        name=name,
        display_name=display,
        f_fn=f_fn,
        f_prime_fn=fp_fn,
        conjugate_fn=conj_fn,
        activation_fn=act_fn,
        conjugate_activation_fn=fused_fn,
        conjugate_domain=domain,
        lecture_row=None if lec is None else lec["name"],
        lecture_latex=lec,
        erratum=_ERRATA.get(name),
        activation_derivative_fn=dg,
        conjugate_activation_derivative_fn=dh,
        **kw,
    )


def _builtin_entries() -> list[FDivergence]:
    kl = _entry(
        "kl",
        "Kullback-Leibler",
        (_kl_f, _kl_fp, _kl_conj, _identity, _kl_fused),
        REALS,
        f_prime_at_1=1.0,
        f_at_0=0.0,
        f_prime_at_inf=INF,
        latex={
            "f": r"u\log u",
            "conjugate": r"e^{t-1}",
            "activation": "v",
            "domain": r"\mathbb{R}",
            "optimal_critic": rf"1+\log{_R}",
            "divergence": r"\int p\log\frac{p}{q}\,dx",
        },
    )
    rkl = _entry(
        "reverse_kl",
        "Reverse KL",
        (_rkl_f, _rkl_fp, _rkl_conj, _rkl_act, _rkl_fused),
        Interval(-INF, 0.0),
        f_prime_at_1=-1.0,
        f_at_0=INF,
        f_prime_at_inf=0.0,
        latex={
            "f": r"-\log u",
            "conjugate": r"-1-\log(-t)",
            "activation": r"-e^{-v}",
            "domain": r"t < 0",
            "optimal_critic": r"-\frac{q}{p}",
            "divergence": r"\int q\log\frac{q}{p}\,dx",
        },
    )
    pearson = _entry(
        "pearson",
        "Pearson χ²",
        (_pearson_f, _pearson_fp, _pearson_conj, _identity, _pearson_conj),
        REALS,
        f_prime_at_1=0.0,
        f_at_0=1.0,
        f_prime_at_inf=INF,
        latex={
            "f": r"(u-1)^2",
            "conjugate": r"\begin{cases}\tfrac14 t^2+t & t\ge -2\\ -1 & t<-2\end{cases}",
            "activation": "v",
            "domain": r"\mathbb{R}",
            "optimal_critic": rf"2\left({_R}-1\right)",
            "divergence": r"\int\frac{(p-q)^2}{q}\,dx",
        },
    )
    neyman = _entry(
        "neyman",
        "Neyman χ²",
        (_neyman_f, _neyman_fp, _neyman_conj, _neyman_act, _neyman_fused),
        Interval(-INF, 1.0, hi_closed=True),
        f_prime_at_1=0.0,
        f_at_0=INF,
        f_prime_at_inf=1.0,
        latex={
            "f": r"\frac{(1-u)^2}{u}",
            "conjugate": r"2-2\sqrt{1-t}",
            "activation": r"1-e^{v}",
            "domain": r"t\le 1",
            "optimal_critic": r"1-\frac{q^2}{p^2}",
            "divergence": r"\int\frac{(q-p)^2}{p}\,dx",
        },
    )
    hel = _entry(
        "squared_hellinger",
        "Squared Hellinger",
        (_hel_f, _hel_fp, _hel_conj, _hel_act, _hel_fused),
        Interval(-INF, 1.0),
        f_prime_at_1=0.0,
        f_at_0=1.0,
        f_prime_at_inf=1.0,
        latex={
            "f": r"(\sqrt{u}-1)^2",
            "conjugate": r"\frac{t}{1-t}",
            "activation": r"1-e^{-v}",
            "domain": r"t<1",
            "optimal_critic": r"\left(\sqrt{\frac{p}{q}}-1\right)\sqrt{\frac{q}{p}}",
            "divergence": r"\int\left(\sqrt{p}-\sqrt{q}\right)^2dx",
        },
    )
    fgan_js = _entry(
        "fgan_js",
        "Jensen-Shannon (lecture f-GAN row, = 2·JS)",
        (_fganjs_f, _fganjs_fp, _fganjs_conj, _fganjs_act, _fganjs_fused),
        Interval(-INF, LOG2),
        f_prime_at_1=0.0,
        f_at_0=LOG2,
        f_prime_at_inf=LOG2,
        latex={
            "f": r"u\log u-(u+1)\log\frac{u+1}{2}",
            "conjugate": r"-\log\left(2-e^{t}\right)",
            "activation": r"\log 2-\log\left(1+e^{-v}\right)",
            "domain": r"t<\log 2",
            "optimal_critic": r"\log\frac{2p}{p+q}",
            "divergence": r"\int p\log\frac{2p}{p+q}+q\log\frac{2q}{p+q}\,dx = 2\,\mathrm{JS}",
        },
    )
    js = dataclasses.replace(
        fgan_js.scaled(0.5),
        name="js",
        display_name="Jensen-Shannon",
        params=(),
        latex={
            "f": r"\tfrac12\left[u\log u-(u+1)\log\frac{u+1}{2}\right]",
            "conjugate": r"-\tfrac12\log\left(2-e^{2t}\right)",
            "activation": r"\tfrac12\left[\log 2-\log\left(1+e^{-v}\right)\right]",
            "domain": r"t<\tfrac12\log 2",
            "optimal_critic": r"\tfrac12\log\frac{2p}{p+q}",
            "divergence": r"\tfrac12\int p\log\frac{2p}{p+q}+q\log\frac{2q}{p+q}\,dx",
        },
    )
    gan = _entry(
        "gan",
        "GAN (lecture f-GAN row, = 2·JS − log 4)",
        (_gan_f, _gan_fp, _gan_conj, _gan_act, _gan_fused),
        Interval(-INF, 0.0),
        f_prime_at_1=-LOG2,
        f_at_0=0.0,
        f_prime_at_inf=0.0,
        f_at_1=-2.0 * LOG2,
        latex={
            "f": r"u\log u-(u+1)\log(u+1)",
            "conjugate": r"-\log\left(1-e^{t}\right)",
            "activation": r"-\log\left(1+e^{-v}\right)",
            "domain": r"t<0",
            "optimal_critic": r"\log\frac{p}{p+q}",
            "divergence": r"\int p\log\frac{2p}{p+q}+q\log\frac{2q}{p+q}\,dx-\log 4",
        },
    )
    tv = _entry(
        "total_variation",
        "Total variation",
        (_tv_f, _tv_fp, _tv_conj, _tv_act, _tv_act),
        Interval(-INF, 0.5, hi_closed=True),
        f_prime_at_1=0.0,
        f_at_0=0.5,
        f_prime_at_inf=0.5,
        latex={
            "f": r"\tfrac12|u-1|",
            "conjugate": r"\begin{cases}t & -\tfrac12\le t\le\tfrac12\\ -\tfrac12 & t<-\tfrac12"
            r"\end{cases}",
            "activation": r"\tfrac12\tanh v",
            "domain": r"t\le\tfrac12",
            "optimal_critic": r"\tfrac12\operatorname{sign}\left(\frac{p}{q}-1\right)",
            "divergence": r"\tfrac12\int|p-q|\,dx",
        },
    )
    jeffreys = _entry(
        "jeffreys",
        "Jeffreys",
        (_jeffreys_f, _jeffreys_fp, _jeffreys_conj, _identity, _jeffreys_conj),
        REALS,
        f_prime_at_1=0.0,
        f_at_0=INF,
        f_prime_at_inf=INF,
        latex={
            "f": r"(u-1)\log u",
            "conjugate": r"W\!\left(e^{1-t}\right)+\frac{1}{W\left(e^{1-t}\right)}+t-2",
            "activation": "v",
            "domain": r"\mathbb{R}",
            "optimal_critic": r"1+\log\frac{p}{q}-\frac{q}{p}",
            "divergence": r"\int(p-q)\log\frac{p}{q}\,dx",
        },
    )
    return [kl, rkl, pearson, neyman, hel, js, fgan_js, gan, tv, jeffreys]


def alpha_fdivergence(alpha: float) -> FDivergence:
    r"""The α-divergence entry, generator
    :math:`f_\alpha(u) = \frac{u^\alpha - 1 - \alpha(u-1)}{\alpha(\alpha-1)}`.

    Special cases (same divergence between normalised distributions): :math:`\alpha\to 1`
    KL (:math:`u\log u - u + 1`), :math:`\alpha\to 0` reverse KL, :math:`\alpha = 2`
    ½·Pearson χ², :math:`\alpha = \tfrac12` 2·squared Hellinger, :math:`\alpha = -1`
    ½·Neyman χ². The true conjugate (:math:`u \ge 0`) is, with
    :math:`s = 1 + (\alpha-1)t`, :math:`f^*(t) = (s^{\alpha/(\alpha-1)} - 1)/\alpha`; for
    :math:`\alpha > 1` it equals :math:`-1/\alpha` for :math:`t \le -1/(\alpha-1)` and
    :math:`\operatorname{dom} f^* = \mathbb{R}`; for :math:`\alpha < 1`,
    :math:`\operatorname{dom} f^* = \{t < 1/(1-\alpha)\}` (closed for :math:`\alpha < 0`).
    Activation: identity for :math:`\alpha > 1`, else
    :math:`1/(1-\alpha) - \operatorname{softplus}(-v)`.
    Near :math:`\alpha \in \{0, 1\}` the generator loses about
    :math:`\epsilon/|\alpha(\alpha-1)|` relative precision (cancellation).

    Parameters
    ----------
    alpha : float
        Finite, not 0 or 1 (use ``"reverse_kl"`` / ``"kl"``).

    Raises
    ------
    ParameterError
        If ``alpha`` is not a finite real number or is 0 or 1.

    Examples
    --------
    >>> fd = alpha_fdivergence(2.0)
    >>> round(float(fd.f(3.0)), 12)  # (u - 1)^2 / 2
    2.0
    >>> fd.conjugate([-5.0]).tolist()  # -1/alpha below t = -1/(alpha - 1)
    [-0.5]
    """
    try:
        a = float(alpha)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"`alpha` must be a real number, got {alpha!r}") from exc
    if not math.isfinite(a):
        raise ParameterError(f"`alpha` must be finite, got {alpha!r}")
    if a in (0.0, 1.0):
        alt = "reverse_kl" if a == 0.0 else "kl"
        raise ParameterError(
            f"`alpha` = {a:g} is a limit of the alpha family; use get_fdivergence({alt!r})"
        )
    f_fn, fp_fn, conj_fn, act_fn, fused_fn, domain, dg, dh = _alpha_kernels(a)
    if a > 1:
        conj_tex = (
            r"\begin{cases}\frac{(1+(\alpha-1)t)^{\alpha/(\alpha-1)}-1}{\alpha} & "
            r"t>-\frac{1}{\alpha-1}\\ -\frac{1}{\alpha} & t\le-\frac{1}{\alpha-1}\end{cases}"
        )
        act_tex = "v"
    else:
        conj_tex = r"\frac{(1+(\alpha-1)t)^{\alpha/(\alpha-1)}-1}{\alpha}"
        act_tex = r"\frac{1}{1-\alpha}-\log\left(1+e^{-v}\right)"
    return FDivergence(
        name="alpha",
        display_name=f"α-divergence (α = {a:g})",
        f_fn=f_fn,
        f_prime_fn=fp_fn,
        conjugate_fn=conj_fn,
        activation_fn=act_fn,
        conjugate_activation_fn=fused_fn,
        conjugate_domain=domain,
        f_prime_at_1=0.0,
        f_at_0=1.0 / a if a > 0 else INF,
        f_prime_at_inf=INF if a > 1 else 1.0 / (1.0 - a),
        latex={
            "f": r"\frac{u^{\alpha}-1-\alpha(u-1)}{\alpha(\alpha-1)}",
            "conjugate": conj_tex,
            "activation": act_tex,
            "domain": domain.latex(),
            "optimal_critic": r"\frac{(p/q)^{\alpha-1}-1}{\alpha-1}",
            "divergence": r"\frac{1}{\alpha(\alpha-1)}\int\left(p^{\alpha}q^{1-\alpha}-1\right)dx",
        },
        params=(("alpha", a),),
        activation_derivative_fn=dg,
        conjugate_activation_derivative_fn=dh,
    )


# ---------------------------------------------------------------------------------------
# registry
# ---------------------------------------------------------------------------------------


class _Registry(Mapping[str, FDivergence]):
    """Read-only mapping name -> FDivergence; grows only through register_fdivergence."""

    def __init__(self) -> None:
        self._data: dict[str, FDivergence] = {}

    def __getitem__(self, key: str) -> FDivergence:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FDIVERGENCES({', '.join(self._data)})"


#: Read-only mapping from registry key to :class:`FDivergence`.
FDIVERGENCES: Mapping[str, FDivergence] = _Registry()
for _fd in _builtin_entries():
    FDIVERGENCES._data[_fd.name] = _fd  # type: ignore[attr-defined]
_BUILTIN_NAMES = frozenset(FDIVERGENCES)

#: Parametric families reachable through :func:`get_fdivergence`.
_FAMILIES: dict[str, tuple[Callable[..., FDivergence], tuple[str, ...]]] = {
    "alpha": (alpha_fdivergence, ("alpha",)),
}


def _normalise_name(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _valid_names() -> str:
    fams = [f"{k}({', '.join(p)}=...)" for k, (_, p) in _FAMILIES.items()]
    return ", ".join([*map(repr, FDIVERGENCES), *fams])


def get_fdivergence(spec: str | FDivergence, **params: Any) -> FDivergence:
    r"""Look up an f-divergence by name (or pass an :class:`FDivergence` through).

    Parameters
    ----------
    spec : str or FDivergence
        A key of :data:`FDIVERGENCES` (case-insensitive, ``-`` and spaces read as ``_``),
        a family name (``"alpha"``), or an :class:`FDivergence`.
    **params
        Parameters of a family, e.g. ``alpha=0.5``.

    Returns
    -------
    FDivergence

    Raises
    ------
    ParameterError
        Unknown name (the message lists the valid ones), missing or unexpected parameters,
        or an invalid parameter value.

    Examples
    --------
    >>> get_fdivergence("KL").name
    'kl'
    >>> get_fdivergence("alpha", alpha=0.5).f([4.0]).tolist()  # 2 (sqrt(u) - 1)^2
    [2.0]
    """
    return resolve_fdivergence(spec, params, argname="spec")


def resolve_fdivergence(
    spec: Any, params: Mapping[str, Any] | None = None, *, argname: str = "f"
) -> FDivergence:
    """:func:`get_fdivergence` for functions that take an f-divergence argument:
    error messages name that argument (``argname``) in backticks."""
    if params is not None and not isinstance(params, Mapping):
        where = "divergence_params" if argname == "divergence" else "params"
        raise ParameterError(
            f"`{where}` must be a dict such as {{'alpha': 0.5}}, got {type(params).__name__}"
        )
    params = dict(params or {})
    if isinstance(spec, FDivergence):
        if params:
            raise ParameterError(
                f"parameters {sorted(params)} cannot be applied to an FDivergence instance "
                f"(`{argname}`)"
            )
        return spec
    if not isinstance(spec, str):
        raise ParameterError(
            f"`{argname}` must be a name or an FDivergence, got {type(spec).__name__}; "
            f"valid names: {_valid_names()}"
        )
    key = _normalise_name(spec)
    if key in _FAMILIES:
        factory, names = _FAMILIES[key]
        missing = [n for n in names if n not in params]
        extra = sorted(set(params) - set(names))
        if missing or extra:
            takes = ", ".join(f"`{n}`" for n in names)
            parts = []
            if missing:
                parts.append("missing " + ", ".join(f"`{n}`" for n in missing))
            if extra:
                parts.append("unexpected " + ", ".join(f"`{n}`" for n in extra))
            example = ", ".join(f"{n}=0.5" for n in names)
            if argname == "divergence":  # divlab.adversarial passes them as a dict
                example = "divergence_params={" + ", ".join(f"{n!r}: 0.5" for n in names) + "}"
            raise ParameterError(
                f"`{argname}` = {key!r} is a family with parameter(s) {takes}: "
                f"{'; '.join(parts)} (e.g. {example})"
            )
        return factory(**params)
    if key in FDIVERGENCES:
        if params:
            raise ParameterError(
                f"`{argname}` = {key!r} takes no parameters, got {sorted(params)}"
            )
        return FDIVERGENCES[key]
    raise ParameterError(f"unknown f-divergence `{argname}` = {spec!r}; valid names: "
                         f"{_valid_names()}")


def register_fdivergence(fdiv: FDivergence, *, overwrite: bool = False) -> FDivergence:
    r"""Add a user entry to :data:`FDIVERGENCES` after checking it numerically.

    Checks (on a grid): :math:`f(1) =` ``f_at_1``; convexity of :math:`f`; :math:`f'(1) =`
    ``f_prime_at_1``; :math:`g_f(v) \in \operatorname{dom} f^*`; the fused
    :math:`f^*\circ g_f` equals ``conjugate(activation(v))`` for moderate ``v``;
    Fenchel–Young equality :math:`f(u) + f^*(f'(u)) = u f'(u)`.

    Parameters
    ----------
    fdiv : FDivergence
        The entry; its ``name`` becomes the key.
    overwrite : bool
        Allow replacing an existing user entry (built-in entries are never replaced).

    Returns
    -------
    FDivergence
        ``fdiv`` itself.

    Raises
    ------
    NotConvexError
        If ``f(1)`` is wrong or ``f`` is not convex on the grid.
    ParameterError
        If the name is taken (and ``overwrite`` is false), is a built-in or family name, or
        another check fails.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.fdiv import FDivergence, FDIVERGENCES
    >>> fd = FDivergence.from_generator(lambda u: (u - 1.0) ** 4, name="quartic_doc")
    >>> _ = register_fdivergence(fd)
    >>> "quartic_doc" in FDIVERGENCES
    True
    """
    if not isinstance(fdiv, FDivergence):
        raise ParameterError(f"`fdiv` must be an FDivergence, got {type(fdiv).__name__}")
    key = fdiv.name
    if _normalise_name(key) != key:
        raise ParameterError(
            f"`fdiv.name` must be lower case without spaces or '-', got {key!r} "
            f"(e.g. {_normalise_name(key)!r})"
        )
    if key in _BUILTIN_NAMES or key in _FAMILIES:
        raise ParameterError(f"`fdiv.name` {key!r} is a built-in f-divergence; choose another")
    if key in FDIVERGENCES and not overwrite:
        raise ParameterError(
            f"f-divergence {key!r} is already registered; pass overwrite=True to replace it"
        )
    _check_entry(fdiv)
    FDIVERGENCES._data[key] = fdiv  # type: ignore[attr-defined]
    return fdiv


def _check_entry(fd: FDivergence) -> None:
    """Numerical consistency checks of an entry (used by register_fdivergence)."""
    f1 = float(to_numpy(fd.f(np.asarray([1.0])))[0])
    if not math.isclose(f1, fd.f_at_1, rel_tol=1e-9, abs_tol=1e-9):
        raise NotConvexError(
            f"`f` of {fd.name!r} has f(1) = {f1!r} but f_at_1 = {fd.f_at_1!r}; an "
            "f-divergence generator needs f(1) = 0"
        )
    u = np.geomspace(1e-4, 1e4, 241)
    with np.errstate(all="ignore"):
        fu = np.asarray(to_numpy(fd.f(u)), dtype=np.float64)
    _check_convex_values(u, fu, fd.name)
    fp1 = float(to_numpy(fd.f_prime(np.asarray([1.0])))[0])
    if not math.isclose(fp1, fd.f_prime_at_1, rel_tol=1e-6, abs_tol=1e-6):
        raise ParameterError(
            f"`f_prime_at_1` of {fd.name!r} is {fd.f_prime_at_1!r} but f'(1) = {fp1!r}"
        )
    v = np.linspace(-30.0, 30.0, 121)
    g = to_numpy(fd.activation(v))
    if not bool(np.all(to_numpy(fd.conjugate_domain.contains(g)))):
        raise ParameterError(f"`activation` of {fd.name!r} leaves dom f* = {fd.conjugate_domain}")
    vm = np.linspace(-10.0, 10.0, 41)
    fused = to_numpy(fd.conjugate_activation(vm))
    naive = to_numpy(fd.conjugate(fd.activation(vm)))
    if not np.allclose(fused, naive, rtol=1e-6, atol=1e-8):
        raise ParameterError(
            f"`conjugate_activation` of {fd.name!r} disagrees with conjugate(activation(v))"
        )
    um = np.geomspace(1e-2, 1e2, 41)
    fp = to_numpy(fd.f_prime(um))
    lhs = to_numpy(fd.f(um)) + to_numpy(fd.conjugate(fp))
    if not np.allclose(lhs, um * fp, rtol=1e-6, atol=1e-6):
        raise ParameterError(
            f"`conjugate` of {fd.name!r} violates Fenchel-Young equality f(u) + f*(f'(u)) = u f'(u)"
        )


def _check_convex_values(u: np.ndarray, fu: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(fu)):
        bad = u[~np.isfinite(fu)][0]
        raise NotConvexError(
            f"`f` of {name!r} must be finite on (0, inf); f({bad:g}) = {fu[~np.isfinite(fu)][0]}"
        )
    slopes = np.diff(fu) / np.diff(u)
    scale = 1e-7 * (1.0 + np.abs(slopes[1:]) + np.abs(slopes[:-1]))
    rounding = 64 * np.finfo(np.float64).eps * (np.abs(fu[1:-1]) + 1.0) / np.diff(u)[1:]
    drop = slopes[:-1] - slopes[1:]
    bad = drop > scale + rounding
    if np.any(bad):
        i = int(np.argmax(bad)) + 1
        raise NotConvexError(
            f"`f` of {name!r} is not convex: its slope decreases near u = {u[i]:.4g} "
            f"({slopes[i - 1]:.6g} before, {slopes[i]:.6g} after)"
        )


# ---------------------------------------------------------------------------------------
# user-built entries: numerical f', limits, conjugate (NumPy, on the host)
# ---------------------------------------------------------------------------------------

_S_LO = math.log(1e-300)
_S_HI = math.log(1e300)
_LIMIT_EXPONENTS = (50, 100, 200, 300)


def _host(fn: Callable[[np.ndarray], Any]) -> Kernel:
    """Wrap a NumPy-only callable as a kernel: one host round trip for other namespaces."""

    def kernel(x: Any, xp: ModuleType) -> Any:
        xn = np.asarray(to_numpy(x), dtype=np.float64)
        with np.errstate(all="ignore"):
            out = np.asarray(fn(xn), dtype=np.float64)
        out = np.broadcast_to(out, xn.shape)
        dt = x.dtype
        if is_numpy(xp):
            return xp.asarray(out.astype(_np_dtype(dt, xp), copy=False))
        return from_numpy(np.ascontiguousarray(out), xp, like=x, dtype=dt)

    return kernel


def _call(fn: Callable[[np.ndarray], Any], u: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.broadcast_to(np.asarray(fn(u), dtype=np.float64), np.shape(u)).copy()


def _numeric_derivative(
    f: Callable[[np.ndarray], Any], fp0: float
) -> Callable[[np.ndarray], np.ndarray]:
    """Richardson-extrapolated central difference with relative step 1e-3; ``f'(0) = fp0``.

    Accuracy about ``1e-10`` relative where ``|f(u)| / u`` is moderate; for ``u < 1e-6``
    with ``f(0) != 0`` rounding dominates (about ``1e-13 |f(u)| / u``).
    """

    def fp(u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=np.float64)
        us = np.where(u > 0, u, 1.0)
        h = 1e-3 * us
        d1 = (_call(f, us + h) - _call(f, us - h)) / (2 * h)
        d2 = (_call(f, us + h / 2) - _call(f, us - h / 2)) / h
        return np.where(u > 0, (4.0 * d2 - d1) / 3.0, fp0)

    return fp


def _slope_at_zero(f: Callable, f0: float) -> float:
    """:math:`f'(0^+)` as the limit of secant slopes ``(f(u) - f(0)) / u``; -inf if f(0) = inf."""
    if not math.isfinite(f0):
        return -INF
    u = np.asarray([1e-4, 1e-6, 1e-8])
    s = (_call(f, u) - f0) / u
    if np.all(np.isfinite(s)) and abs(s[-1] - s[-2]) <= 1e-3 * (1.0 + abs(s[-1])):
        return float(s[-1])
    return -INF


def _limit(values: np.ndarray, sign: float) -> float:
    """Limit of a monotone sequence from its finite terms; ``sign * inf`` if not converged.

    Terms that overflowed (non-finite) are dropped; the limit is the last finite term when
    the last two finite terms agree to ``1e-6``, snapped to 0 when indistinguishable from 0.
    """
    vals = values[np.isfinite(values)]
    if vals.size < 2:
        return sign * INF
    a, b = vals[-2], vals[-1]
    if abs(b - a) <= 1e-6 * (1.0 + abs(b)):
        # the limit is known to about |b - a|: snap values indistinguishable from 0
        return 0.0 if abs(b) <= 10.0 * abs(b - a) else float(b)
    return sign * INF


def _value_at_hi(f: Callable, hi: float) -> float:
    """``sup_u (u hi - f(u)) = lim_{u -> inf} (u hi - f(u))`` (f convex, hi = f'(inf)).

    Finite (closed domain end) when ``u hi - f(u)`` has converged over ``u = 1e5 .. 1e8``;
    ``inf`` otherwise.
    """
    u = np.asarray([1e5, 1e6, 1e7, 1e8])
    g = u * hi - _call(f, u)
    if np.all(np.isfinite(g)) and abs(g[-1] - g[-2]) <= 1e-5 * (1.0 + abs(g[-1])):
        return float(g[-1])
    return INF


def _numeric_conjugate(
    f: Callable, f0: float, domain: Interval, value_at_hi: float
) -> Callable[[np.ndarray], np.ndarray]:
    r"""Vectorised :math:`f^*(t) = \sup_{u\ge0} ut - f(u)` by golden-section search.

    :math:`\varphi(u) = ut - f(u)` is concave in :math:`u`, hence unimodal in
    :math:`s = \log u`; the search runs over :math:`s \in [\log 10^{-300}, \log 10^{300}]`
    (90 steps, bracket ``< 1e-15`` wide relative) and the value is
    :math:`\max(\varphi(u_{\rm best}), -f(0))`, so maximisers at ``u = 0`` are exact.
    Ties on a rounding plateau move right (towards the interior maximum), ties at ``-inf``
    (overflow) move left.
    """

    def conj(t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=np.float64)
        shape = t.shape
        t = t.reshape(-1)

        def phi(s: np.ndarray) -> np.ndarray:
            u = np.exp(s)
            with np.errstate(all="ignore"):
                val = u * t - _call(f, u)
            return np.where(np.isnan(val), -INF, val)

        g = (math.sqrt(5.0) - 1.0) / 2.0
        a = np.full(t.shape, _S_LO)
        b = np.full(t.shape, _S_HI)
        c = b - g * (b - a)
        d = a + g * (b - a)
        fc, fd = phi(c), phi(d)
        for _ in range(90):
            right = (fc < fd) | ((fc == fd) & (fc > -INF))
            a = np.where(right, c, a)
            b = np.where(right, b, d)
            new = np.where(right, a + g * (b - a), b - g * (b - a))
            fnew = phi(new)
            c, d, fc, fd = (
                np.where(right, d, new),
                np.where(right, new, c),
                np.where(right, fd, fnew),
                np.where(right, fnew, fc),
            )
        val = np.maximum(fc, fd)
        if math.isfinite(f0):
            val = np.maximum(val, -f0)
        inside = np.asarray(domain.contains(t))
        out = np.where(inside, val, INF)
        if domain.hi_closed:  # the supremum is a limit u -> inf there
            out = np.where(t == domain.hi, value_at_hi, out)
        out = np.where(np.isnan(t), np.nan, out)
        return out.reshape(shape)

    return conj


def _default_activation(domain: Interval) -> Kernel:
    hi = domain.hi
    if math.isinf(hi):
        return _identity

    def act(v: Any, xp: ModuleType) -> Any:
        out = hi - softplus(-v, xp)
        return out if domain.hi_closed else _below_act(out, hi, xp)

    return act


def _build_from_generator(
    cls: type[FDivergence],
    f: Callable[[np.ndarray], Any],
    *,
    name: str,
    f_prime: Callable | None,
    display_name: str | None,
    f_at_1: float,
    f_at_0: float | None,
    f_prime_at_inf: float | None,
    conjugate: Callable | None,
    conjugate_domain: Interval | None,
    activation: Callable | None,
    conjugate_activation: Callable | None,
    latex: Mapping[str, str] | None,
) -> FDivergence:
    if not callable(f):
        raise ParameterError(f"`f` must be callable, got {type(f).__name__}")
    if not isinstance(name, str) or not name:
        raise ParameterError(f"`name` must be a non-empty string, got {name!r}")
    f_at_1 = float(f_at_1)
    f1 = float(_call(f, np.asarray([1.0]))[0])
    if not (math.isfinite(f1) and math.isclose(f1, f_at_1, rel_tol=1e-9, abs_tol=1e-9)):
        raise NotConvexError(
            f"`f` must satisfy f(1) = {f_at_1:g} for an f-divergence, but f(1) = {f1!r} "
            "(subtract the constant, or pass f_at_1= to allow a shifted generator)"
        )
    grid = np.geomspace(1e-6, 1e6, 601)
    _check_convex_values(grid, _call(f, grid), name)
    small = np.asarray([10.0**-k for k in _LIMIT_EXPONENTS])
    large = np.asarray([10.0**k for k in _LIMIT_EXPONENTS])
    if f_at_0 is None:
        direct = float(_call(f, np.asarray([0.0]))[0])
        f_at_0 = direct if not math.isnan(direct) else _limit(_call(f, small), +1.0)
    f_at_0 = float(f_at_0)
    fp = f_prime if f_prime is not None else _numeric_derivative(f, _slope_at_zero(f, f_at_0))
    # convexity across 0: f(0) >= ... slope from 0 to the grid must not exceed later slopes
    if math.isfinite(f_at_0):
        _check_convex_values(
            np.concatenate([[0.0], grid]), np.concatenate([[f_at_0], _call(f, grid)]), name
        )
    if f_prime_at_inf is None:
        if f_prime is not None:
            f_prime_at_inf = _limit(_call(fp, large), +1.0)
        else:  # secant slopes (f(2u) - f(u)) / u lie between f'(u) and f'(2u)
            with np.errstate(all="ignore"):
                secant = (_call(f, 2.0 * large) - _call(f, large)) / large
            f_prime_at_inf = _limit(secant, +1.0)
    f_prime_at_inf = float(f_prime_at_inf)
    hi_value = _value_at_hi(f, f_prime_at_inf) if math.isfinite(f_prime_at_inf) else INF
    if conjugate_domain is None:
        closed = math.isfinite(hi_value)
        conjugate_domain = Interval(-INF, f_prime_at_inf, hi_closed=closed)
    if conjugate is None:
        conjugate = _numeric_conjugate(f, f_at_0, conjugate_domain, hi_value)
    conj = conjugate
    conj_k = _host(conj)
    act_k = _host(activation) if activation is not None else _default_activation(conjugate_domain)
    if conjugate_activation is not None:
        fused_k = _host(conjugate_activation)
    else:

        def fused_k(v: Any, xp: ModuleType) -> Any:
            return conj_k(act_k(v, xp), xp)

    f_k = _host(f)
    fp_k = _host(fp)
    fp1 = float(_call(fp, np.asarray([1.0]))[0])
    tex = {
        "f": rf"\text{{{name}}}",
        "conjugate": r"\text{numerical}",
        "activation": "v"
        if math.isinf(conjugate_domain.hi)
        else rf"{_fmt(conjugate_domain.hi, True)}-\log\left(1+e^{{-v}}\right)",
        "domain": conjugate_domain.latex(),
        "optimal_critic": r"f'\!\left(\frac{p}{q}\right)",
        "divergence": r"\int q\,f\!\left(\frac{p}{q}\right)dx",
    }
    tex.update(dict(latex or {}))
    return cls(
        name=name,
        display_name=display_name or name,
        f_fn=f_k,
        f_prime_fn=fp_k,
        conjugate_fn=conj_k,
        activation_fn=act_k,
        conjugate_activation_fn=fused_k,
        conjugate_domain=conjugate_domain,
        f_prime_at_1=fp1,
        f_at_0=f_at_0,
        f_prime_at_inf=f_prime_at_inf,
        f_at_1=f_at_1,
        latex=tex,
    )
