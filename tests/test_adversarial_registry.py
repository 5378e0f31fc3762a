"""f-GAN for every f-divergence of the registry (and user-built ones), end to end.

Truth: D_f(N(0, 1) || N(1, 1)) by adaptive quadrature (divlab.gaussian.density_f_divergence,
itself checked against closed forms in tests/test_gaussian.py). Small, fast runs: the estimate
must be finite, a lower bound of the truth up to its held-out sampling error, and close
enough to show that the critic learned (within 40 % of |D_f| or 3 standard errors).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats

from divlab import adversarial
from divlab.densities import density_f_divergence
from divlab.errors import ConvergenceWarning
from divlab.fdiv import FDIVERGENCES, FDivergence, get_fdivergence

KW = {"steps": 100, "eval_every": 25, "batch_size": 64, "n_bootstrap": 100, "rng": 0}

CASES = [(name, None) for name in sorted(FDIVERGENCES)] + [
    ("alpha", {"alpha": 0.5}), ("alpha", {"alpha": 2.0}), ("alpha", {"alpha": -1.0}),
]


@pytest.fixture(scope="module")
def gaussians():
    rng = np.random.default_rng(0)
    return rng.normal(0.0, 1.0, size=(800, 1)), rng.normal(1.0, 1.0, size=(800, 1))


def _truth(fd):
    return float(density_f_divergence(stats.norm(0.0, 1.0), stats.norm(1.0, 1.0), fd))


def _check(r, truth):
    se = r.details["standard_error"]
    assert math.isfinite(r.estimate) and r.ci[0] <= r.estimate <= r.ci[1]
    assert r.estimate <= truth + 3 * se  # lower bound up to held-out sampling error
    assert r.estimate >= truth - max(0.4 * abs(truth), 3 * se)  # and the critic learned


def test_registry_is_covered():
    assert {name for name, _ in CASES} >= set(FDIVERGENCES)


@pytest.mark.parametrize(("name", "params"), CASES, ids=lambda v: str(v))
def test_fgan_every_registry_entry(name, params, gaussians):
    x, y = gaussians
    fd = get_fdivergence(name, **(params or {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = adversarial.fgan(x, y, divergence=name, divergence_params=params, **KW)
    assert r.details["divergence"] == fd.name
    _check(r, _truth(fd))
    # the critic's activated output lies in dom f* (g_f maps R into it)
    t = np.asarray(r.critic(np.linspace(-4.0, 5.0, 50)[:, None]))
    dom = fd.conjugate_domain
    assert np.all(t >= dom.lo - 1e-12) and np.all(t <= dom.hi + 1e-12)


def test_fgan_user_built_fdivergence_from_generator(gaussians):
    """A divergence the registry does not have, built from its generator alone (numerical
    conjugate, activation and derivatives): f(u) = (u - 1)^2 / (u + 1) (triangular
    discrimination, twice the Vincze--Le Cam divergence)."""
    x, y = gaussians
    fd = FDivergence.from_generator(lambda u: (u - 1.0) ** 2 / (u + 1.0), name="triangular")
    assert "triangular" not in FDIVERGENCES
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        r = adversarial.fgan(x, y, divergence=fd, **KW)
    assert r.details["divergence"] == "triangular"
    _check(r, _truth(fd))


@pytest.mark.parametrize(("name", "scale", "shift"),
                         [("gan", 1.0, 0.0), ("fgan_js", 1.0, math.log(2)),
                          ("js", 0.5, 0.5 * math.log(2))])
def test_fused_conjugate_is_used_for_large_logits(name, scale, shift):
    """The objective uses the fused f*(g_f(v)) = scale * softplus(v) - shift: finite and exact
    at logits where the naive composition f*(g_f(v)) overflows or loses all precision."""
    import array_api_compat.numpy as npx

    from divlab.adversarial.objectives import FGANObjective

    fd = FDIVERGENCES[name]
    obj = FGANObjective(fd)
    v = np.array([40.0, 800.0])
    with np.errstate(all="raise"):  # no overflow anywhere on the training path
        val, gp, gq = obj.value_and_grad(v, v, npx)
    assert np.isfinite(val) and np.all(np.isfinite(gp)) and np.all(np.isfinite(gq))
    fused = np.asarray(obj.conjugate_activation(v), dtype=float)
    np.testing.assert_allclose(fused, scale * v - shift, rtol=1e-15)
    with np.errstate(all="ignore"):
        naive = np.asarray(fd.conjugate(np.asarray(fd.activation(v))), dtype=float)
    assert not np.isfinite(naive[1]) or abs(naive[1] - fused[1]) > 1e-3 * abs(fused[1])
