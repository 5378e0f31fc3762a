"""Optimal transport: exact and dual Wasserstein/EMD, 1-D closed forms, Sinkhorn, sliced W.

Conventions (compared with POT and SciPy in the docs): functions named ``wasserstein*``
return :math:`W_p` (not :math:`W_p^p`); the ground metric is stated by ``metric``.
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
    "sinkhorn": "divlab.ot.sinkhorn",
    "sinkhorn_divergence": "divlab.ot.sinkhorn",
    "sliced_wasserstein": "divlab.ot.sliced",
    "max_sliced_wasserstein": "divlab.ot.sliced",
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
