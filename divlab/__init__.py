"""divlab: divergences and distribution distances.

Exact f-divergences on arrays (KL, reverse KL, JS, ... and the whole f-GAN registry),
closed forms for Gaussians, optimal transport (exact, dual, 1-D, Sinkhorn, sliced),
adversarial (f-GAN / WGAN critic) estimators and two-dataset comparison, on NumPy and
CuPy from the same code.

>>> from divlab import kl, js
>>> float(js([1.0, 0.0], [0.0, 1.0]))  # disjoint supports: exactly log 2
0.6931471805599453

Public names are imported lazily on first use, so ``import divlab`` is cheap and never
imports CuPy.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    # discrete divergences
    **{
        name: "divlab.discrete"
        for name in (
            "kl",
            "reverse_kl",
            "js",
            "js_distance",
            "total_variation",
            "squared_hellinger",
            "hellinger",
            "pearson_chi2",
            "neyman_chi2",
            "jeffreys",
            "renyi",
            "alpha_divergence",
            "entropy",
            "cross_entropy",
            "f_divergence",
        )
    },
    # f-divergence registry
    "FDivergence": "divlab.fdiv",
    "FDIVERGENCES": "divlab.fdiv",
    "get_fdivergence": "divlab.fdiv",
    "register_fdivergence": "divlab.fdiv",
    # Gaussian closed forms, densities
    **{
        name: "divlab.gaussian"
        for name in (
            "gaussian_kl",
            "gaussian_w2",
            "gaussian_squared_hellinger",
            "gaussian_bhattacharyya",
            "fit_gaussian",
        )
    },
    "density_f_divergence": "divlab.densities",
    # optimal transport
    "pairwise_cost": "divlab.costs",
    **{
        name: "divlab.ot"
        for name in (
            "wasserstein",
            "wasserstein_1d",
            "wasserstein_1d_plan",
            "emd",
            "kr_witness",
            "sinkhorn",
            "sinkhorn_divergence",
            "sliced_wasserstein",
            "max_sliced_wasserstein",
            "OTResult",
        )
    },
    # dataset comparison
    "compare": "divlab.estimators",
    "CompareReport": "divlab.estimators",
    "Estimate": "divlab.estimators",
    "hill_tail_index": "divlab.estimators",
    # the lecture's quantities (optimal discriminator, GAN value, mode collapse)
    **{
        name: "divlab.gan_theory"
        for name in ("optimal_discriminator", "gan_value", "mode_collapse_decomposition")
    },
    "as_samples": "divlab.io",
    # judging generative models on features
    **{
        name: "divlab.generative"
        for name in ("frechet_distance", "fid", "fid_infinity", "kid", "prdc", "FrechetStats",
                     "KIDState")
    },
    "read_samples": "divlab.io",
    # helpers
    "to_numpy": "divlab._array",
}

_SUBMODULES = {"adversarial", "estimators", "ot", "testing", "errors", "fdiv", "discrete",
               "gaussian", "densities", "costs", "cli", "info", "io",
               "generative", "gan_theory"}

__all__ = sorted([*_LAZY, *_SUBMODULES, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"divlab.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'divlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
