"""Input contract, result structure and backend behaviour of divlab.adversarial."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from divlab import adversarial
from divlab.errors import (
    ConvergenceWarning,
    EmptyInputError,
    EstimationError,
    NonFiniteError,
    ParameterError,
    ShapeMismatchError,
)

FAST = {"steps": 60, "eval_every": 20, "n_bootstrap": 20, "batch_size": 64}


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(200, 2)), rng.normal(0.5, 1.0, size=(200, 2))


def _quiet(fun, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fun(*args, **kw)


@pytest.mark.parametrize("est", [adversarial.fgan, adversarial.wgan])
def test_too_few_samples(est):
    x = np.zeros((5, 2))
    with pytest.raises(EmptyInputError, match=r"`x` has 5 sample\(s\).*at least 10"):
        est(x, np.ones((50, 2)), **FAST)


@pytest.mark.parametrize("est", [adversarial.fgan, adversarial.wgan])
def test_dimension_mismatch(est, data):
    x, _y = data
    with pytest.raises(ShapeMismatchError, match=r"`x` and `y`.*\(200, 2\).*\(200, 3\)"):
        est(x, np.ones((200, 3)), **FAST)


@pytest.mark.parametrize("est", [adversarial.fgan, adversarial.wgan])
def test_nan_in_samples(est, data):
    x, y = data
    y = y.copy()
    y[3, 1] = np.nan
    with pytest.raises(NonFiniteError, match=r"`y`.*NaN"):
        est(x, y, **FAST)


def test_unknown_divergence(data):
    x, y = data
    with pytest.raises(ParameterError, match="no_such_divergence"):
        adversarial.fgan(x, y, divergence="no_such_divergence", **FAST)


@pytest.mark.parametrize(
    ("kw", "name"),
    [({"lr": -1.0}, "lr"), ({"holdout": 1.0}, "holdout"), ({"steps": 0}, "steps"),
     ({"batch_size": 0}, "batch_size"), ({"critic": {"width": 0}}, "width"),
     ({"critic": {"activation": "swish"}}, "activation"), ({"critic": {"colour": 1}}, "critic"),
     ({"confidence": 1.5}, "confidence"), ({"rng": -1}, "rng")],
)
def test_bad_options_name_the_argument(kw, name, data):
    x, y = data
    with pytest.raises(ParameterError, match=f"`{name}`"):
        adversarial.fgan(x, y, **{**FAST, **kw})


def test_bad_wgan_options(data):
    x, y = data
    with pytest.raises(ParameterError, match="`lipschitz`"):
        adversarial.wgan(x, y, lipschitz="l2", **FAST)
    with pytest.raises(ParameterError, match="`clip`"):
        adversarial.wgan(x, y, lipschitz="clip", clip=0.0, **FAST)


def test_divergent_training_raises_estimation_error(data):
    """A huge learning rate on KL (exp conjugate) overflows: clear error, never a NaN."""
    x, y = data
    with pytest.raises(EstimationError, match="lower the learning rate `lr`"):
        adversarial.fgan(10 * x, y, divergence="kl", lr=1e4, **FAST)


def test_result_structure_and_reproducibility(data):
    x, y = data
    r1 = _quiet(adversarial.fgan, x, y, divergence="gan", rng=3, **FAST)
    r2 = _quiet(adversarial.fgan, x, y, divergence="gan", rng=3, **FAST)
    assert r1.value == r2.value
    assert isinstance(r1.value, float) and np.isfinite(r1.value)
    lo, hi = r1.ci
    assert lo <= hi
    assert set(r1.history) == {"fold", "step", "train", "validation"}
    assert r1.history["step"] == [20, 40, 60] * 2 and r1.history["fold"] == [0] * 3 + [1] * 3
    assert r1.details["n_eval"] == (200, 200)  # cross-fitting: every sample is evaluated
    assert len(r1.details["critics"]) == 2 and r1.details["critics"][0] is r1.critic
    assert repr(r1).count("\n") == 0 and len(repr(r1)) < 120  # short repr, no weights
    assert r1.details["divergence"] == "gan"
    t = r1.critic(x[:7])
    assert t.shape == (7,)
    assert np.all(t < 0)  # g_f(v) = -softplus(-v) lies in dom f* = R_-
    d = r1.critic.discriminator(x[:7])
    np.testing.assert_allclose(np.log(d), t, rtol=1e-10)
    assert r1.critic.gradient(x[:7]).shape == (7, 2)
    with pytest.raises(ShapeMismatchError, match="`z`"):
        r1.critic(np.zeros((3, 5)))
    with pytest.raises(AttributeError):
        r1.value = 0.0  # frozen


def test_discriminator_only_for_gan_like(data):
    x, y = data
    r = _quiet(adversarial.fgan, x, y, divergence="kl", rng=0, **FAST)
    with pytest.raises(ParameterError, match="discriminator"):
        r.critic.discriminator(x)


def test_callback_progress_and_stop(data):
    x, y = data
    seen = []

    def cb(step, info):
        seen.append((step, info["objective"], info["fold"]))
        return step >= 40

    r = _quiet(adversarial.wgan, x, y, callback=cb, progress=True, rng=0, **FAST)
    assert seen[-1][:1] == (40,) and r.details["steps_run"] == 80  # 40 steps in each fold
    assert [f["steps_run"] for f in r.details["folds"]] == [40, 40]
    assert seen[19][1] is not None and seen[0][1] is None
    assert seen[0][2] == 0 and seen[-1][2] == 1


def test_convergence_warning_when_steps_run_out(data):
    x, y = data
    with pytest.warns(ConvergenceWarning, match="increase `steps`"):
        r = adversarial.fgan(x, y, steps=5, eval_every=5, n_bootstrap=0)
    assert r.converged is False and r.ci is None


@pytest.mark.parametrize("lip", ["clip", "gp", "sn"])
def test_wgan_modes_run(lip, data):
    x, y = data
    r = _quiet(adversarial.wgan, x, y, lipschitz=lip, rng=0, **FAST)
    assert np.isfinite(r.value)
    if lip == "clip":
        for w, b in r.critic.params:
            assert np.max(np.abs(w)) <= 0.01 + 1e-15 and np.max(np.abs(b)) <= 0.01 + 1e-15
    if lip == "sn":
        for w, _ in r.critic.params:
            assert np.linalg.svd(w, compute_uv=False)[0] == pytest.approx(1.0, rel=1e-6)
        assert r.details["lipschitz_estimate"] <= 1.0 + 1e-6


def test_backends_float32_and_array_api(backend):
    rng = np.random.default_rng(1)
    x_np = rng.normal(size=(120, 2)).astype(np.float32)
    y_np = rng.normal(1.0, 1.0, size=(120, 2)).astype(np.float32)
    x, y = backend.asarray(x_np), backend.asarray(y_np)
    r = _quiet(adversarial.fgan, x, y, divergence="js", rng=0, **FAST)
    w, _ = r.critic.params[0]
    assert w.dtype == x.dtype  # float32 training
    out = r.critic(x[:5, ...])
    assert out.dtype == x.dtype and type(out) is type(x)
    ref = _quiet(adversarial.fgan, x_np, y_np, divergence="js", rng=0, **FAST)
    assert r.value == pytest.approx(ref.value, abs=1e-4)
    rw = _quiet(adversarial.wgan, x, y, lipschitz="gp", rng=0, **FAST)
    refw = _quiet(adversarial.wgan, x_np, y_np, lipschitz="gp", rng=0, **FAST)
    assert rw.value == pytest.approx(refw.value, abs=1e-4)


def test_user_built_fdivergence_matches_registry_entry(data):
    """A KL built from its generator alone (numerical conjugate and derivatives) trains like
    the registry's closed-form KL."""
    from divlab.fdiv import FDivergence

    x, y = data
    my_kl = FDivergence.from_generator(lambda u: u * np.log(u), name="my_kl")
    r = _quiet(adversarial.fgan, x, y, divergence=my_kl, rng=0, **FAST)
    ref = _quiet(adversarial.fgan, x, y, divergence="kl", rng=0, **FAST)
    assert r.details["derivative_source"] in ("closed-form", "finite-difference")
    assert r.value == pytest.approx(ref.value, abs=1e-3)


def test_critic_gradient_is_the_gradient_of_t(data):
    """critic.gradient = d/dz g_f(V(z)) (chain rule through the output activation)."""
    x, y = data
    r = _quiet(adversarial.fgan, x, y, divergence="reverse_kl", rng=0, **FAST)
    z = x[:4]
    g = np.asarray(r.critic.gradient(z))
    h = 1e-6
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        num = (np.asarray(r.critic(z + e)) - np.asarray(r.critic(z - e))) / (2 * h)
        np.testing.assert_allclose(g[:, k], num, rtol=1e-6, atol=1e-8)


def test_infinite_sample_is_rejected(data):
    x, y = data
    x = x.copy()
    x[0, 0] = np.inf
    with pytest.raises(NonFiniteError, match=r"`x`"):
        adversarial.wgan(x, y, **FAST)


def test_bad_critic_type_names_the_argument(data):
    x, y = data
    with pytest.raises(ParameterError, match=r"`critic` must be None, an MLPSpec or a dict"):
        adversarial.fgan(x, y, critic=64, **FAST)


def _fgan_value(critic, x, y):
    obj = critic.objective
    return np.mean(critic(x)) - np.mean(obj.conjugate_activation(critic.logits(y)))


def test_value_is_the_cross_fitted_objective(data):
    """Cross-fitting: each critic is evaluated on the half it did not train on (disjoint from
    its training and validation rows) and the value is the mean over all evaluation terms."""
    x, y = data
    r = _quiet(adversarial.fgan, x, y, divergence="kl", rng=4, **FAST)
    folds, critics = r.details["folds"], r.details["critics"]
    terms_p, terms_q = [], []
    for f, c in zip(folds, critics, strict=True):
        (tx, ty), (vx, vy), (ex, ey) = f["train_index"], f["validation_index"], f["eval_index"]
        assert len(ex) == len(ey) == 100 and len(vx) == len(vy) == 20
        assert not (set(ex) & set(vx)) and not (set(ex) & set(tx)) and not (set(ey) & set(ty))
        terms_p.append(np.asarray(c(x[ex])))
        terms_q.append(np.asarray(c.objective.conjugate_activation(c.logits(y[ey]))))
        assert f["value"] == pytest.approx(_fgan_value(c, x[ex], y[ey]), rel=1e-12, abs=1e-14)
    # the folds' evaluation rows are the two halves: together every row once
    assert sorted(np.r_[folds[0]["eval_index"][0], folds[1]["eval_index"][0]]) == list(range(200))
    est = np.mean(np.concatenate(terms_p)) - np.mean(np.concatenate(terms_q))
    assert r.value == pytest.approx(est, rel=1e-12, abs=1e-14)
    # the training rows give a different (optimistic) value: the estimate is not computed there
    tx, ty = folds[0]["train_index"]
    assert _fgan_value(critics[0], x[tx], y[ty]) != pytest.approx(folds[0]["value"], abs=1e-6)


def test_single_split_without_cross_fitting(data):
    x, y = data
    r = _quiet(adversarial.fgan, x, y, divergence="kl", rng=4, cross_fit=False, **FAST)
    (f,) = r.details["folds"]
    (ex, ey), (vx, vy) = f["eval_index"], f["validation_index"]
    assert len(ex) == len(ey) == 60 and len(vx) == len(vy) == 28
    assert r.details["n_eval"] == (60, 60)
    assert r.value == pytest.approx(_fgan_value(r.critic, x[ex], y[ey]), rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("est", ["fgan", "wgan_clip"])
def test_early_stopping_keeps_the_best_validation_iterate(est, data):
    """Early stopping on the validation objective: plateau -> converged before `steps`, and
    the returned critic is the best validation iterate (its validation objective, recomputed,
    is the maximum of the recorded curve)."""
    x, y = data
    kw = {"steps": 4000, "eval_every": 10, "patience": 3, "n_bootstrap": 0, "batch_size": 64,
          "rng": 2}
    if est == "fgan":
        r = adversarial.fgan(x, y, divergence="js", **kw)
    else:
        r = adversarial.wgan(x, y, lipschitz="clip", clip=0.05, **kw)
    assert r.converged
    for k, (f, c) in enumerate(zip(r.details["folds"], r.details["critics"], strict=True)):
        assert f["converged"] and f["steps_run"] < 4000
        mine = np.asarray(r.history["fold"]) == k
        hist = np.asarray(r.history["validation"])[mine]
        assert f["best_validation"] == max(hist)
        assert f["best_step"] == np.asarray(r.history["step"])[mine][int(np.argmax(hist))]
        vx, vy = f["validation_index"]
        if est == "fgan":
            val = _fgan_value(c, x[vx], y[vy])
        else:  # history is in standardised units: the critic's output is s times the network's
            val = (np.mean(c(x[vx])) - np.mean(c(y[vy]))) / r.details["scale"]
        assert val == pytest.approx(f["best_validation"], rel=1e-10, abs=1e-12)


def test_progress_bar_is_a_tqdm_bar(data, capsys):
    pytest.importorskip("tqdm")
    x, y = data
    _quiet(adversarial.fgan, x, y, divergence="kl", progress=True, rng=0, **FAST)
    err = capsys.readouterr().err
    assert "fgan[kl]" in err and "60/60" in err
    _quiet(adversarial.fgan, x, y, divergence="kl", progress=False, rng=0, **FAST)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("scale", [1e200, 1e300])
def test_wgan_on_data_near_the_float_range(scale):
    """Critic outputs of order 1e198..1e298: the estimate, CI and standard error are
    summarised without overflow (found: RuntimeWarning 'overflow encountered in square'),
    and with standardisation inside the answer is the unit-scale one times the scale."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(100, 1)), rng.normal(size=(100, 1))
    from divlab.errors import DivlabWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("error", DivlabWarning)
        r = _quiet(adversarial.wgan, x * scale, y * scale + scale, rng=0, **FAST)
    assert np.isfinite(r.value) and np.isfinite(r.details["standard_error"])
    assert r.ci[0] <= r.value <= r.ci[1]
    ref = _quiet(adversarial.wgan, x, y + 1.0, rng=0, **FAST)
    assert r.value / scale == pytest.approx(ref.value, rel=1e-9)


def _gauss_pair(shift=1.0):
    rng = np.random.default_rng(2)
    return rng.normal(size=(400, 1)), rng.normal(size=(400, 1)) + shift


def test_wgan_diagnostics_inflated_or_negative_estimates():
    """An unconstrained critic is not a W1 estimate: gp_weight=0 is rejected, a critic
    far from 1-Lipschitz and a negative estimate (too large lr) give a DivlabWarning."""
    from divlab.errors import DivlabWarning

    x, y = _gauss_pair()
    with pytest.raises(ParameterError, match="`gp_weight`"):
        adversarial.wgan(x, y, gp_weight=0.0, **FAST)
    with pytest.warns(DivlabWarning, match="1-Lipschitz"):
        _quiet(adversarial.wgan, x, y, gp_weight=1e-4, rng=0, steps=150, n_bootstrap=0)
    with pytest.warns(DivlabWarning, match="negative"):
        _quiet(adversarial.wgan, x, y, rng=0, steps=100, lr=0.1)


def test_callback_stop_before_first_evaluation_evaluates_that_iterate():
    """Stopping at step 1 (before any evaluation) returned the untrained critic with
    best_validation = -inf (found in review): the stopped iterate is evaluated and kept."""
    x, y = _gauss_pair()
    r = _quiet(adversarial.fgan, x, y, rng=0, steps=100, callback=lambda s, i: True)
    assert r.history["step"] == [1, 1] and r.history["fold"] == [0, 1]
    for f in r.details["folds"]:
        assert f["best_step"] == 1 and np.isfinite(f["best_validation"])


def test_callback_and_divergence_params_are_validated():
    x, y = _gauss_pair()
    with pytest.raises(ParameterError, match="`callback` must be None or callable"):
        adversarial.fgan(x, y, callback=5, **FAST)
    with pytest.raises(ParameterError, match="`callback` must return True"):
        adversarial.fgan(x, y, callback=lambda s, i: np.array([1, 0]), **FAST)
    with pytest.raises(ParameterError, match="`divergence_params` must be a dict"):
        adversarial.fgan(x, y, divergence="alpha", divergence_params=[1], **FAST)
