r"""Critic objectives: the f-GAN variational bound and the Wasserstein (KR) objective.

f-GAN (Nowozin et al., 2016; lecture slide "f-GAN"): for a critic output :math:`V_\omega`,
:math:`T_\omega = g_f(V_\omega)` and

.. math::

    F(\omega) = \mathbb{E}_P[g_f(V_\omega(x))] - \mathbb{E}_Q[f^*(g_f(V_\omega(y)))]
    \le D_f(P\,\|\,Q),

with equality at :math:`T^* = f'(p/q)`. The second term uses the registry's fused, numerically
stable :math:`f^*\circ g_f` (``FDivergence.conjugate_activation``).

Backprop needs :math:`\frac{d}{dv} g_f(v)` and :math:`\frac{d}{dv} f^*(g_f(v))`. They are taken,
in this order, from

1. the :class:`~divlab.fdiv.FDivergence` itself, when it offers ``activation_derivative`` and
   ``conjugate_activation_derivative`` methods;
2. closed forms for the lecture's table (``kl``, ``reverse_kl``, ``pearson``,
   ``squared_hellinger``, ``gan``, ``fgan_js``, ``js`` and their ``scaled`` versions), used
   only after they are verified numerically against the entry's own ``activation`` and
   ``conjugate_activation`` (so a differently parametrised entry never gets a wrong
   derivative);
3. a central finite difference of ``activation``/``conjugate_activation`` (step
   :math:`\epsilon^{1/3}(1+|v|)`, relative accuracy about :math:`\epsilon^{2/3}`: 1e-11 in
   float64, 5e-5 in float32) -- the path taken for user-built divergences.

Wasserstein (Kantorovich--Rubinstein): :math:`\mathbb{E}_P[V] - \mathbb{E}_Q[V]` with a
Lipschitz constraint imposed by the trainer (clipping, gradient penalty, spectral norm).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from .._array import from_numpy, sigmoid

__all__ = ["FGANObjective", "resolve_fdivergence"]


def resolve_fdivergence(divergence: Any, params: dict | None = None):
    """Registry lookup: a name or an ``FDivergence``-like object -> ``FDivergence``.

    Unknown names raise the registry's :class:`~divlab.errors.ParameterError` (which lists the
    available names).
    """
    from .. import fdiv as _fdiv  # lazily: fdiv is a sibling module

    return _fdiv.resolve_fdivergence(divergence, params, argname="divergence")


def _closed_forms(name: str):
    """Closed-form ``(d g_f/dv, d f*(g_f)/dv)`` for the lecture's parametrisation."""

    def one(v, xp):
        return xp.ones_like(v)

    if name == "kl":
        return one, lambda v, xp: xp.exp(v - 1.0)
    if name == "reverse_kl":
        return lambda v, xp: xp.exp(-v), one
    if name in ("pearson", "pearson_chi2"):
        # true conjugate of (u-1)^2 on u >= 0: f*(t) = t^2/4 + t for t >= -2, -1 below
        return one, lambda v, xp: xp.where(v > -2.0, 0.5 * v + 1.0, xp.zeros_like(v))
    if name in ("squared_hellinger", "hellinger"):
        return lambda v, xp: xp.exp(-v), lambda v, xp: xp.exp(v)
    if name in ("gan", "fgan_js"):
        return lambda v, xp: sigmoid(-v, xp), lambda v, xp: sigmoid(v, xp)
    if name == "js":  # half the lecture's JS row
        return lambda v, xp: 0.5 * sigmoid(-v, xp), lambda v, xp: 0.5 * sigmoid(v, xp)
    if "*" in name:  # FDivergence.scaled(c): name "c*base", g = c g_base, fused = c fused_base
        head, _, base = name.partition("*")
        try:
            c = float(head)
        except ValueError:
            return None
        forms = _closed_forms(base)
        if forms is None:
            return None
        dg, dh = forms
        return (lambda v, xp: c * dg(v, xp)), (lambda v, xp: c * dh(v, xp))
    return None


class FGANObjective:
    """Per-sample f-GAN terms and their derivatives for one f-divergence.

    Parameters
    ----------
    fdiv : FDivergence
        Any registry entry or user-built divergence with ``activation`` and
        ``conjugate_activation``.
    """

    def __init__(self, fdiv: Any) -> None:
        self.fdiv = fdiv
        self.name = str(getattr(fdiv, "name", type(fdiv).__name__))
        self.derivative_source = "finite-difference"
        self._dg = self._dh = None
        if hasattr(fdiv, "activation_derivative") and hasattr(
            fdiv, "conjugate_activation_derivative"
        ):
            self._dg = lambda v, xp: fdiv.activation_derivative(v)
            self._dh = lambda v, xp: fdiv.conjugate_activation_derivative(v)
            self.derivative_source = "fdivergence"
        else:
            forms = _closed_forms(self.name)
            if forms is not None and self._verify(*forms):
                self._dg, self._dh = forms
                self.derivative_source = "closed-form"

    # -- values ---------------------------------------------------------------------------
    def activation(self, v: Any) -> Any:
        r""":math:`T = g_f(v)`."""
        return self.fdiv.activation(v)

    def conjugate_activation(self, v: Any) -> Any:
        r""":math:`f^*(g_f(v))` (fused, stable)."""
        return self.fdiv.conjugate_activation(v)

    # -- derivatives ----------------------------------------------------------------------
    def activation_derivative(self, v: Any, xp: ModuleType) -> Any:
        r""":math:`g_f'(v)`."""
        if self._dg is not None:
            return self._dg(v, xp)
        return self._central(self.fdiv.activation, v, xp)

    def conjugate_activation_derivative(self, v: Any, xp: ModuleType) -> Any:
        r""":math:`\frac{d}{dv} f^*(g_f(v))`."""
        if self._dh is not None:
            return self._dh(v, xp)
        return self._central(self.fdiv.conjugate_activation, v, xp)

    @staticmethod
    def _central(fun, v: Any, xp: ModuleType) -> Any:
        eps = float(xp.finfo(v.dtype).eps)
        h = eps ** (1.0 / 3.0) * (1.0 + xp.abs(v))
        return (fun(v + h) - fun(v - h)) / (2.0 * h)

    def _verify(self, dg, dh) -> bool:
        """Check closed forms against central differences of the entry's own functions."""
        import array_api_compat.numpy as npx

        v = np.linspace(-4.0, 4.0, 33) + 0.0123
        try:
            with np.errstate(all="ignore"):
                for closed, fun in ((dg, self.fdiv.activation),
                                    (dh, self.fdiv.conjugate_activation)):
                    a = np.asarray(closed(v, npx), dtype=float)
                    b = np.asarray(self._central(fun, v, npx), dtype=float)
                    if not np.allclose(a, b, rtol=1e-6, atol=1e-8):
                        return False
        except Exception:  # the entry cannot evaluate these points: do not trust the forms
            return False
        return True

    # -- objective ------------------------------------------------------------------------
    def value_and_grad(self, v_p: Any, v_q: Any, xp: ModuleType):
        """Batch objective ``mean g_f(v_p) - mean f*(g_f(v_q))`` and its gradient in ``v``."""
        t_p = self.activation(v_p)
        h_q = self.conjugate_activation(v_q)
        val = xp.mean(t_p) - xp.mean(h_q)
        gp = self.activation_derivative(v_p, xp) / v_p.shape[0]
        gq = -self.conjugate_activation_derivative(v_q, xp) / v_q.shape[0]
        return val, gp, gq


def as_backend(a: Any, xp: ModuleType, like: Any) -> Any:
    """Host array -> ``xp`` array on ``like``'s device and dtype."""
    return from_numpy(a, xp, like=like, dtype=like.dtype)
