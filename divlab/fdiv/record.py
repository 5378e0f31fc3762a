r"""The :class:`FDivergence` record and the :class:`Interval` of its conjugate domain.

An f-divergence between distributions :math:`P` and :math:`Q` with densities (or pmfs)
:math:`p, q` is

.. math:: D_f(P\,\|\,Q) = \int q(x)\, f\!\left(\frac{p(x)}{q(x)}\right) dx,

for a convex generator :math:`f:[0,\infty)\to\mathbb{R}\cup\{+\infty\}` with :math:`f(1)=0`.
The f-GAN variational representation (Nguyen, Wainwright & Jordan; Nowozin et al.) is

.. math:: D_f(P\,\|\,Q) = \sup_T\; \mathbb{E}_P[T(x)] - \mathbb{E}_Q[f^*(T(x))],

with the Fenchel conjugate :math:`f^*(t) = \sup_{u\ge 0}\, ut - f(u)`, attained at the
optimal critic :math:`T^*(x) = f'(p(x)/q(x))`. A critic network outputs an unconstrained
:math:`v` and the output activation :math:`g_f` maps it into :math:`\operatorname{dom} f^*`.

A record carries everything any part of divlab needs about one generator: :math:`f`,
:math:`f'`, the true conjugate :math:`f^*`, :math:`g_f`, the fused :math:`f^*\circ g_f`,
their derivatives, the limits :math:`f(0)`, :math:`f'(\infty)`, :math:`f(1)`, :math:`f'(1)`,
the accurate per-entry :class:`~divlab.fdiv.terms.Terms` used by every door that sums the
divergence over arrays, and LaTeX for the documentation table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from .._array import array_namespace
from .._validate import as_float_array
from ..errors import ParameterError
from ._numerics import INF, LOG2
from .terms import Terms

__all__ = ["FDivergence", "Interval", "REALS", "Kernel"]

Kernel = Callable[[Any, ModuleType], Any]

# ---------------------------------------------------------------------------------------
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
    from .registry import get_fdivergence

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
    activation_derivative_fn, conjugate_activation_derivative_fn : callable, optional
        Closed forms of :math:`g_f'` and :math:`(f^*\circ g_f)'` (central differences if
        absent).
    terms : Terms, optional
        Accurate per-entry terms :math:`q\,\tilde f(p/q)` used by every door that sums the
        divergence over arrays (:func:`divlab.kl`, :func:`divlab.f_divergence`, ...). If
        absent, the terms are formed from ``f`` (accurate where :math:`p/q` is moderate).

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
    terms: Terms | None = field(default=None, repr=False, compare=False)

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
        >>> f"{float(hel.conjugate_activation(40.0)):.12e}"  # e^40 - 1
        '2.353852668370e+17'
        >>> float(hel.conjugate(hel.activation(40.0)))  # 1 - e^-40 rounds: all digits lost
        9007199254740991.0
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
            terms=None if self.terms is None else self.terms.scaled(c),
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
        from .numeric import build_from_generator

        return build_from_generator(
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

