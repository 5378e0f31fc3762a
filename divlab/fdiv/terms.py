r"""Per-entry terms of an f-divergence: the one formula every array door sums.

For probability vectors :math:`p, q` a record's divergence is evaluated as

.. math::

    D_f(P\|Q) = f(1) + \sum_i q_i\,\tilde f(p_i/q_i), \qquad
    \tilde f(u) = f(u) - f(1) - f'(1)\,(u - 1),

which equals :math:`\sum_i q_i f(p_i/q_i)` when :math:`\sum p = \sum q = 1` and has every
term :math:`\ge 0` (:math:`\tilde f` is convex with :math:`\tilde f(1) = \tilde f'(1) = 0`),
so sums never cancel. For KL the terms are :math:`p\log(p/q) - p + q`
(``scipy.special.kl_div``). A :class:`Terms` object holds the terms where both
:math:`p_i, q_i > 0`; the zero cases come from the record's limits
(:math:`q\,\tilde f(0)` and :math:`p\,\tilde f'(\infty)`) and are added by
:mod:`divlab.fdiv.engine`.

A term is given in pieces: ``key`` computes an auxiliary array once (typically the
relative difference :math:`d`); ``main`` is accurate wherever no ``case`` applies; each
case is a ``(mask, piece)`` pair whose piece is used where its mask (a function of the
key) holds -- the first matching case wins -- for example a Taylor series where
:math:`|d|` is small or a log-difference where :math:`p/q` would overflow. How the pieces
are combined is a backend decision (:func:`divlab._array.piecewise`): masked selection on
array-API backends (every piece sees safe inputs, so autograd gradients stay finite),
index fix-ups on NumPy (a piece is only evaluated where it is needed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any

from .._array import piecewise

__all__ = ["Terms", "PairKernel", "MainKernel", "Mask"]

#: ``(p, q, xp) -> array`` written with ``xp`` only; ``p, q > 0`` (float64).
PairKernel = Callable[[Any, Any, ModuleType], Any]
#: ``(p, q, key, xp) -> array``
MainKernel = Callable[[Any, Any, Any, ModuleType], Any]
#: ``(key, xp) -> boolean array``
Mask = Callable[[Any, ModuleType], Any]


@dataclass(frozen=True)
class Terms:
    r"""The accurate per-entry terms :math:`q\,\tilde f(p/q)` of one record (``p, q > 0``).

    Parameters
    ----------
    key : callable
        ``(p, q, xp) -> k``, an auxiliary array computed once (e.g. ``(p - q) / q``).
    main : callable
        ``(p, q, k, xp) -> terms``, accurate wherever no case applies.
    cases : tuple of (mask, piece) or (mask, piece, hint)
        ``mask(k, xp)`` selects entries for which ``piece(p, q, xp)`` is used instead;
        the optional ``hint(kmin, kmax)`` is False when no key in that range can match
        (the NumPy strategy then skips the mask: most blocks have no extreme entry).
    scale : float
        Constant factor (``c f`` has terms ``c`` times those of ``f``); a power of two
        keeps the scaled terms bit-exact multiples.
    swap : bool
        Evaluate with ``p`` and ``q`` exchanged: the terms of :math:`D_f(Q\|P)`-type entries
        (reverse KL from KL, Neyman from Pearson) are those of the forward entry.
    latex : str
        The term as a formula, for the documentation.
    p_zero, q_zero : callable, optional
        ``(q, xp) -> terms`` where ``p = 0 < q`` and ``(p, xp) -> terms`` where
        ``q = 0 < p``, for limits better computed by a division than as ``q * f~(0)``
        (the α family: ``q / α`` stays finite where ``1/α`` overflows). Default: the
        record's limits.

    Examples
    --------
    >>> import numpy as np, array_api_compat.numpy as xp
    >>> tv = Terms(lambda p, q, xp: p - q, lambda p, q, d, xp: 0.5 * xp.abs(d))
    >>> tv.evaluate(np.array([0.2, 0.8]), np.array([0.5, 0.5]), xp).tolist()
    [0.15, 0.15000000000000002]
    """

    key: PairKernel
    main: MainKernel
    cases: tuple[tuple[Any, ...], ...] = ()
    scale: float = 1.0
    swap: bool = False
    latex: str = ""
    p_zero: Callable[[Any, ModuleType], Any] | None = None
    q_zero: Callable[[Any, ModuleType], Any] | None = None

    def scaled(self, c: float) -> Terms:
        """The terms of ``c f``."""
        return replace(self, scale=self.scale * c)

    def swapped(self) -> Terms:
        """The terms of the generator :math:`u f(1/u)` (arguments exchanged)."""
        return replace(self, swap=not self.swap, p_zero=self.q_zero, q_zero=self.p_zero)

    def one_sided(self, x: Any, xp: ModuleType, *, p_is_zero: bool) -> Any | None:
        """The terms at entries where ``p = 0 < q = x`` (``p_is_zero``) or ``q = 0 < p = x``,
        or ``None`` when the record's limits give them."""
        fn = self.p_zero if p_is_zero else self.q_zero
        if fn is None:
            return None
        out = fn(x, xp)
        return out if self.scale == 1.0 else self.scale * out

    def evaluate(self, p: Any, q: Any, xp: ModuleType) -> Any:
        """The terms at strictly positive ``p, q`` (same shape, float64)."""
        if self.swap:
            p, q = q, p
        out = piecewise(p, q, xp, self.key, self.main, self.cases)
        return out if self.scale == 1.0 else self.scale * out
