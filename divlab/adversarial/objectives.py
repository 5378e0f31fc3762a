r"""Critic objectives: the f-GAN variational bound and the Wasserstein (KR) objective.

f-GAN (Nowozin et al., 2016; lecture slide "f-GAN"): for a critic output :math:`V_\omega`,
:math:`T_\omega = g_f(V_\omega)` and

.. math::

    F(\omega) = \mathbb{E}_P[g_f(V_\omega(x))] - \mathbb{E}_Q[f^*(g_f(V_\omega(y)))]
    \le D_f(P\,\|\,Q),

with equality at :math:`T^* = f'(p/q)`. The second term uses the registry's fused, numerically
stable :math:`f^*\circ g_f` (``FDivergence.conjugate_activation``).

Backprop needs :math:`\frac{d}{dv} g_f(v)` and :math:`\frac{d}{dv} f^*(g_f(v))`: both come
from the record (``FDivergence.activation_derivative`` and
``conjugate_activation_derivative``): closed forms for the built-in entries, central
differences for user-built ones (relative accuracy about :math:`\epsilon^{2/3}`).

Wasserstein (Kantorovich--Rubinstein): :math:`\mathbb{E}_P[V] - \mathbb{E}_Q[V]` with a
Lipschitz constraint imposed by the trainer (clipping, gradient penalty, spectral norm).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

__all__ = ["FGANObjective", "resolve_fdivergence"]


def resolve_fdivergence(divergence: Any, params: dict | None = None):
    """Registry lookup: a name or an ``FDivergence``-like object -> ``FDivergence``.

    Unknown names raise the registry's :class:`~divlab.errors.ParameterError` (which lists the
    available names).
    """
    from .. import fdiv as _fdiv  # lazily: fdiv is a sibling module

    return _fdiv.resolve_fdivergence(divergence, params, argname="divergence")


class FGANObjective:
    """Per-sample f-GAN terms and their derivatives for one f-divergence.

    Parameters
    ----------
    fdiv : FDivergence or str
        A registry entry (or its name) or a user-built divergence.
    """

    def __init__(self, fdiv: Any) -> None:
        self.fdiv = resolve_fdivergence(fdiv)
        self.name = self.fdiv.name
        closed = (self.fdiv.activation_derivative_fn is not None
                  and self.fdiv.conjugate_activation_derivative_fn is not None)
        self.derivative_source = "closed-form" if closed else "finite-difference"

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
        return self.fdiv.activation_derivative(v)

    def conjugate_activation_derivative(self, v: Any, xp: ModuleType) -> Any:
        r""":math:`\frac{d}{dv} f^*(g_f(v))`."""
        return self.fdiv.conjugate_activation_derivative(v)

    # -- objective ------------------------------------------------------------------------
    def value_and_grad(self, v_p: Any, v_q: Any, xp: ModuleType):
        """Batch objective ``mean g_f(v_p) - mean f*(g_f(v_q))`` and its gradient in ``v``."""
        t_p = self.activation(v_p)
        h_q = self.conjugate_activation(v_q)
        val = xp.mean(t_p) - xp.mean(h_q)
        gp = self.activation_derivative(v_p, xp) / v_p.shape[0]
        gq = -self.conjugate_activation_derivative(v_q, xp) / v_q.shape[0]
        return val, gp, gq
