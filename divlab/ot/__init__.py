"""Optimal transport: exact and dual Wasserstein/EMD, 1-D closed forms, Sinkhorn, sliced W.

Conventions (compared with POT and SciPy in the docs): functions named ``wasserstein*``
return :math:`W_p` (not :math:`W_p^p`); the ground metric is stated by ``metric``.

Modules: :mod:`~divlab.ot.exact` (POT's network simplex, the one host round trip; POT is
imported only when a simplex is solved), :mod:`~divlab.ot.dual` (Kantorovich–Rubinstein
witness, dual LP), :mod:`~divlab.ot.oned` (closed form on the line),
:mod:`~divlab.ot.entropic` (:func:`sinkhorn`, :func:`sinkhorn_divergence`) and
:mod:`~divlab.ot.sliced`. ``divlab.ot.sinkhorn`` is the function, never a module.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._result import OTResult as OTResult

_LAZY = {
    "emd": "divlab.ot.exact",
    "wasserstein": "divlab.ot.exact",
    "kr_witness": "divlab.ot.dual",
    "KRWitness": "divlab.ot.dual",
    "dual_lp": "divlab.ot.dual",
    "wasserstein_1d": "divlab.ot.oned",
    "wasserstein_1d_plan": "divlab.ot.oned",
    "MonotonePlan": "divlab.ot.oned",
    "sinkhorn": "divlab.ot.entropic",
    "sinkhorn_divergence": "divlab.ot.entropic",
    "sliced_wasserstein": "divlab.ot.sliced",
    "max_sliced_wasserstein": "divlab.ot.sliced",
    "SlicedResult": "divlab.ot.sliced",
}

__all__ = sorted([*_LAZY, "OTResult"])


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'divlab.ot' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
