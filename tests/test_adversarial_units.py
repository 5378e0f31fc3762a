"""Issue 14: the adversarial estimators do not depend on the units of the data.

One affine map fitted on the pooled sample standardises the data inside and is folded into the
returned critic. f-divergence estimates are then invariant under a common rescaling and shift
(before: KL 0.0016 at scale 1e-3, -2.7e35 at 1e3, 0.148 after a shift of 100) and W1 estimates
scale exactly (before: WGAN-GP 4.0e4 at scale 1e3 where 884 was expected). The remaining
differences are rounding of the standardised data (relative ~1e-16 for a scale, ~1e-10 for a
shift of 1e6 on unit-scale data), which training does not amplify beyond the stated 1e-6.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from divlab import adversarial
from divlab.errors import ConvergenceWarning

KW = {"steps": 80, "eval_every": 20, "batch_size": 64, "n_bootstrap": 50, "rng": 0}


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(400, 2))
    y = rng.normal(size=(400, 2)) * np.array([1.0, 1.5]) + np.array([1.0, 0.0])
    return x, y


def _quiet(fun, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no scale warning, no RuntimeWarning
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fun(*args, **kw)


TRANSFORMS = [(1e-6, 0.0), (1e-3, 0.0), (1e3, 0.0), (1e6, 0.0), (1.0, 1e6), (1e3, -1e6),
              (1e-6, 1e2)]


@pytest.fixture(scope="module")
def references(pair):
    x, y = pair
    return (_quiet(adversarial.fgan, x, y, "kl", **KW),
            _quiet(adversarial.wgan, x, y, "gp", **KW))


@pytest.mark.parametrize(("scale", "shift"), TRANSFORMS)
def test_fgan_is_invariant_and_wgan_scales_exactly(scale, shift, pair, references):
    x, y = pair
    ref_f, ref_w = references
    f = _quiet(adversarial.fgan, x * scale + shift, y * scale + shift, "kl", **KW)
    w = _quiet(adversarial.wgan, x * scale + shift, y * scale + shift, "gp", **KW)
    rel = 1e-6 if shift == 0 or abs(shift) <= 1e3 * scale else 1e-4
    assert f.value == pytest.approx(ref_f.value, rel=rel)
    assert f.ci[0] == pytest.approx(ref_f.ci[0], rel=rel)
    assert w.value == pytest.approx(scale * ref_w.value, rel=rel)
    assert w.details["scale"] == pytest.approx(scale * ref_w.details["scale"], rel=1e-9)
    # the returned critics take data in the caller's units
    z = np.array([[0.3, -0.2], [1.0, 0.5]])
    np.testing.assert_allclose(f.critic(z * scale + shift), ref_f.critic(z), rtol=rel * 10)
    np.testing.assert_allclose(w.critic(z * scale + shift) - w.critic(z[:1] * scale + shift),
                               scale * (ref_w.critic(z) - ref_w.critic(z[:1])),
                               rtol=1e-3, atol=1e-6 * scale)
    # and the W1 critic's gradient is scale-free (1-Lipschitz in any units)
    np.testing.assert_allclose(w.critic.gradient(z * scale + shift), ref_w.critic.gradient(z),
                               rtol=1e-3, atol=1e-6)


def test_anisotropic_units_do_not_change_an_f_divergence(pair):
    """Per-coordinate units (metres vs millimetres): f-divergences are invariant under any
    affine bijection; the f-GAN standardises each coordinate."""
    x, y = pair
    a = np.array([1e-3, 1e4])
    ref = _quiet(adversarial.fgan, x, y, "js", **KW)
    r = _quiet(adversarial.fgan, x * a, y * a, "js", **KW)
    assert r.value == pytest.approx(ref.value, rel=1e-6)


def test_standardize_false_keeps_the_old_behaviour(pair):
    x, y = pair
    r = _quiet(adversarial.fgan, x, y, "kl", standardize=False, **KW)
    assert r.details["scale"] == 1.0 and r.critic.affine[0] == 1.0
    assert np.all(np.asarray(r.critic.affine[1]) == 0)
    assert np.all(np.asarray(r.critic.affine[2]) == 1)


def test_options_object_is_shared_and_validated(pair):
    from divlab.adversarial import CriticOptions
    from divlab.errors import ParameterError

    x, y = pair
    opts = CriticOptions(steps=40, eval_every=20, batch_size=64, n_bootstrap=0)
    a = _quiet(adversarial.fgan, x, y, "kl", options=opts, rng=0)
    b = _quiet(adversarial.fgan, x, y, "kl", options=opts.replace(steps=80), steps=40, rng=0)
    assert a.value == b.value  # keyword overrides win over the object
    assert a.details["options"] == opts
    w = _quiet(adversarial.wgan, x, y, options=opts, rng=0)
    assert w.details["options"] == opts
    with pytest.raises(ParameterError, match=r"unknown option.*'step'"):
        adversarial.fgan(x, y, step=10)
    with pytest.raises(ParameterError, match="`cross_fit` must be True or False"):
        CriticOptions(cross_fit="yes")
    with pytest.raises(ParameterError, match="`options` must be"):
        adversarial.wgan(x, y, options=3)
    assert repr(opts) == "CriticOptions(steps=40, batch_size=64, eval_every=20, n_bootstrap=0)"
    with pytest.warns(DeprecationWarning, match=r"\.value"):
        assert a.estimate == a.value
