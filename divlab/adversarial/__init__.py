"""Adversarial divergence estimators: f-GAN variational bounds and WGAN critics.

>>> from divlab import adversarial
>>> sorted(n for n in adversarial.__all__ if n in ("fgan", "wgan"))
['fgan', 'wgan']

``fgan(x, y, divergence)`` trains an MLP critic on the f-GAN objective
:math:`\\mathbb{E}_P[g_f(V)] - \\mathbb{E}_Q[f^*(g_f(V))]` for any f-divergence of the registry
and reports it on samples the critic did not train on (a lower bound of :math:`D_f`);
``wgan(x, y, "gp" | "clip" | "sn")`` estimates :math:`W_1` by Kantorovich--Rubinstein
duality. Both standardise the data inside (one affine map fitted on the pooled sample, folded
into the returned critic), cross-fit two critics, and share one options object,
:class:`CriticOptions`; results have ``.value`` like every other divlab result.
The critics are small MLPs with hand-derived gradients (:mod:`divlab.adversarial.critics`),
trained with Adam (:mod:`divlab.adversarial.optim`) on NumPy, CuPy or any array-API backend.
"""

from __future__ import annotations

from .critics import ACTIVATIONS, MLPSpec
from .objectives import FGANObjective
from .optim import Adam
from .options import CriticOptions
from .train import Critic, CriticResult, fgan, wgan

__all__ = [
    "ACTIVATIONS",
    "Adam",
    "Critic",
    "CriticOptions",
    "CriticResult",
    "FGANObjective",
    "MLPSpec",
    "fgan",
    "wgan",
]
