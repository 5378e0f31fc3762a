r"""f-divergences: the :class:`FDivergence` record and the registry of named generators.

An f-divergence between distributions :math:`P` and :math:`Q` with densities (or pmfs)
:math:`p, q` is

.. math:: D_f(P\,\|\,Q) = \int q(x)\, f\!\left(\frac{p(x)}{q(x)}\right) dx,

for a convex generator :math:`f` with :math:`f(1)=0`; the f-GAN variational form is
:math:`D_f = \sup_T \mathbb{E}_P[T] - \mathbb{E}_Q[f^*(T)]`, attained at
:math:`T^* = f'(p/q)`.

One record per generator, read by every door of divlab (:func:`divlab.kl`, ...,
:func:`divlab.f_divergence`, the adversarial objectives, the documentation table).
The package is split along its concepts:

* :mod:`~divlab.fdiv.record` -- the :class:`FDivergence` object and :class:`Interval`;
* :mod:`~divlab.fdiv.terms` -- accurate per-entry terms, the formula every array door sums;
* :mod:`~divlab.fdiv.entries` -- the built-in entries, one block each; :mod:`~divlab.fdiv.alpha`
  -- the α family;
* :mod:`~divlab.fdiv.lecture` -- the lecture's f-GAN table as printed, and its errata;
* :mod:`~divlab.fdiv.registry` -- :data:`FDIVERGENCES`, lookup and registration;
* :mod:`~divlab.fdiv.numeric` -- numeric construction from a generator alone;
* :mod:`~divlab.fdiv.engine` -- evaluation of a record over arrays.

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

from .alpha import alpha_fdivergence
from .lecture import LECTURE_TABLE
from .record import REALS, FDivergence, Interval
from .registry import FDIVERGENCES, get_fdivergence, register_fdivergence, resolve_fdivergence
from .terms import Terms

__all__ = [
    "FDivergence",
    "Interval",
    "REALS",
    "Terms",
    "FDIVERGENCES",
    "LECTURE_TABLE",
    "get_fdivergence",
    "register_fdivergence",
    "resolve_fdivergence",
    "alpha_fdivergence",
]
