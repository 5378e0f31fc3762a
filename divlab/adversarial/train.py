r"""Critic training and the two adversarial estimators, :func:`fgan` and :func:`wgan`.

Both split each sample set at random into *train / validation / held-out* parts. The critic
is trained with Adam on minibatches of the training part; the validation part drives early
stopping (the best validation iterate is kept); the reported estimate is evaluated on the
held-out part, which the critic never saw, with a bootstrap confidence interval over the
held-out samples. Because the critic is only one member of the variational family, the f-GAN
estimate is (up to sampling error of the held-out means) a **lower bound** of
:math:`D_f(P\|Q)`, and the spectrally normalised WGAN estimate a lower bound of :math:`W_1`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from .._array import (
    chunk_slices,
    from_numpy,
    pow2_scale,
    scalar,
    sigmoid,
    single_thread_blas,
    to_numpy,
)
from .._validate import (
    check_choice,
    check_int,
    check_nonnegative_scalar,
    check_positive,
    check_rng,
    check_sample_pair,
)
from ..errors import (
    BackendError,
    ConvergenceWarning,
    DivlabWarning,
    EmptyInputError,
    EstimationError,
    ParameterError,
)
from . import critics as C
from .objectives import FGANObjective, resolve_fdivergence
from .optim import Adam

__all__ = ["Critic", "CriticResult", "fgan", "wgan", "MIN_SAMPLES"]

#: Fewest samples per set accepted by the estimators (train, validation and held-out parts
#: all need a few points).
MIN_SAMPLES = 10

_EVAL_CHUNK = 8192


# ----------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Critic:
    r"""A trained critic: callable, evaluates :math:`T_\omega(z)` on new samples.

    For f-GAN critics ``critic(z)`` is the activated output :math:`T = g_f(V_\omega(z))`
    (an estimate of :math:`f'(p/q)`); for WGAN critics it is :math:`V_\omega(z)` (an estimate
    of the Kantorovich--Rubinstein potential, up to an additive constant).

    Attributes
    ----------
    params : tuple of (W, b)
        Weights in the namespace/device/dtype of the training data (spectral normalisation,
        when used, is already folded in).
    spec : MLPSpec
        Architecture.
    kind : {"fgan", "wgan"}
    objective : FGANObjective or None
        The f-divergence objective (f-GAN critics only).
    """

    params: tuple
    spec: C.MLPSpec
    kind: str
    objective: FGANObjective | None = None

    @property
    def xp(self) -> ModuleType:
        from .._array import array_namespace

        return array_namespace(self.params[0][0])

    def __repr__(self) -> str:
        widths = [int(w.shape[1]) for w, _ in self.params]
        d = int(self.params[0][0].shape[0])
        n_par = sum(int(w.shape[0]) * int(w.shape[1]) + int(b.shape[-1]) for w, b in self.params)
        what = f"f-GAN, {self.objective.name}" if self.objective is not None else self.kind
        return (f"Critic({what}: {d} -> {' -> '.join(map(str, widths))}, "
                f"{self.spec.activation}, {n_par} parameters, dtype {self.params[0][0].dtype})")

    def _prepare(self, z: Any) -> Any:
        from .._array import array_namespace
        from .._validate import check_samples

        xp = self.xp
        zx = array_namespace(z)
        if isinstance(z, (list, tuple)):
            z = np.asarray(z, dtype=float)
            zx = array_namespace(z)
        if zx.__name__ != xp.__name__:
            if (zx.__name__.endswith("numpy") and xp.__name__.endswith("numpy")):
                pass
            else:
                raise BackendError(
                    f"`z` is a {zx.__name__} array but the critic lives on {xp.__name__}; "
                    "convert `z` to the training data's array library first"
                )
        z = check_samples(z, "z", xp=xp)
        d = self.params[0][0].shape[0]
        if z.shape[1] != d:
            from ..errors import ShapeMismatchError

            raise ShapeMismatchError(
                f"`z` must have dimension d={d} like the training data, got shape "
                f"{tuple(z.shape)}"
            )
        w0 = self.params[0][0]
        if z.dtype != w0.dtype:
            z = xp.astype(z, w0.dtype)
        return z

    def logits(self, z: Any) -> Any:
        r"""Raw network output :math:`V_\omega(z)`, shape ``(n,)``."""
        z = self._prepare(z)
        return _forward_chunked(list(self.params), z, self.spec.activation, self.xp)

    def __call__(self, z: Any) -> Any:
        v = self.logits(z)
        if self.kind == "fgan":
            return self.objective.activation(v)
        return v

    def gradient(self, z: Any) -> Any:
        r""":math:`\nabla_z T_\omega(z)`, shape ``(n, d)`` (chain rule through :math:`g_f`)."""
        z = self._prepare(z)
        xp = self.xp
        params = list(self.params)
        v, cache = C.forward(params, z, self.spec.activation, xp)
        g = C.input_gradient(params, cache, self.spec.activation, xp)
        if self.kind == "fgan":
            g = xp.reshape(self.objective.activation_derivative(v, xp), (-1, 1)) * g
        return g

    def discriminator(self, z: Any) -> Any:
        r"""GAN discriminator :math:`D(z) = \mathrm{sigmoid}(V_\omega(z))`.

        Only for critics trained with the ``"gan"`` divergence (:math:`T = \log D`) or the
        f-GAN-table JS entries (:math:`T = \log 2D` up to the entry's scale); the optimum is
        the lecture's :math:`D^*(x) = p(x)/(p(x)+q(x))`.
        """
        if self.kind != "fgan" or not _is_gan_like(self.objective.name):
            raise ParameterError(
                "`discriminator` is defined for critics trained with divergence='gan' or a "
                f"JS entry, not {self.objective.name if self.objective else self.kind!r}"
            )
        return sigmoid(self.logits(z), self.xp)


def _is_gan_like(name: str) -> bool:
    return name in ("gan", "js", "fgan_js", "jensen_shannon")


@dataclass(frozen=True)
class CriticResult:
    """Result of an adversarial estimator.

    Attributes
    ----------
    estimate : float
        The objective evaluated on the held-out samples (a lower bound of the divergence, up
        to held-out sampling error).
    ci : tuple of float or None
        Bootstrap percentile interval over the held-out samples (``None`` when
        ``n_bootstrap=0``).
    critic : Critic
        The trained critic (best validation iterate); ``critic(z)`` evaluates it.
    history : dict
        ``"step"``, ``"train"`` (mean minibatch objective since the previous evaluation) and
        ``"validation"`` (objective on the validation split) at every evaluation.
    converged : bool
        True when early stopping found a plateau of the validation objective.
    details : dict
        Split sizes, steps run, best step and its validation objective
        (``"best_validation"``), the held-out standard error, the options used, the
        derivative source, and the split itself: ``"validation_index"`` and
        ``"holdout_index"``, each a pair of NumPy index arrays into the rows of ``x`` and
        ``y`` (the reported estimate is the objective on ``x[holdout_index[0]]`` and
        ``y[holdout_index[1]]``).
    """

    estimate: float
    ci: tuple[float, float] | None
    critic: Critic
    history: dict = field(repr=False)
    converged: bool
    details: dict = field(repr=False)

    def __repr__(self) -> str:
        ci = "None" if self.ci is None else f"({self.ci[0]:.6g}, {self.ci[1]:.6g})"
        steps = self.details.get("steps", "?")
        return (f"CriticResult(estimate={self.estimate:.6g}, ci={ci}, converged={self.converged}, "
                f"steps={steps},\n             critic={self.critic!r})")


# ----------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------


def _forward_chunked(params, z, act, xp):
    n = z.shape[0]
    if n <= _EVAL_CHUNK:
        return C.forward(params, z, act, xp)[0]
    parts = [C.forward(params, z[sl, ...], act, xp)[0] for sl in chunk_slices(n, _EVAL_CHUNK)]
    return xp.concat(parts)


def _take(a, idx_np, xp, like):
    return xp.take(a, from_numpy(idx_np, xp, like=like), axis=0)


def _split(n: int, holdout: float, validation: float, rng: np.random.Generator, name: str):
    perm = rng.permutation(n)
    n_test = max(2, round(holdout * n))
    n_rest = n - n_test
    n_val = max(2, round(validation * n_rest))
    n_train = n_rest - n_val
    if n_train < 2:
        raise EmptyInputError(
            f"`{name}` has {n} samples: too few for a train/validation/held-out split "
            f"(holdout={holdout}, validation={validation}); pass more samples or lower "
            "`holdout`/`validation`"
        )
    return perm[:n_train], perm[n_train:n_rest], perm[n_rest:]


def _check_fraction(v: float, name: str) -> float:
    v = check_positive(v, name)
    if not v < 1.0:
        raise ParameterError(f"`{name}` must be a fraction in (0, 1), got {v!r}")
    return v


def _bootstrap_ci(a: np.ndarray, b: np.ndarray, n_boot: int, conf: float, rng) -> tuple:
    """Percentile interval of mean(a) - mean(b), resampling a and b independently."""
    if n_boot == 0:
        return None
    ia = rng.integers(0, a.size, size=(n_boot, a.size))
    ib = rng.integers(0, b.size, size=(n_boot, b.size))
    stats = a[ia].mean(axis=1) - b[ib].mean(axis=1)
    lo, hi = np.quantile(stats, [(1 - conf) / 2, (1 + conf) / 2])
    return float(lo), float(hi)


def _progress_bar(progress: bool, total: int, desc: str):
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is optional
        return None
    return tqdm(total=total, desc=desc, leave=False)


def _diverged(step: int, what: str, lr: float) -> EstimationError:
    return EstimationError(
        f"critic training diverged at step {step} (non-finite {what}); lower the learning "
        f"rate `lr` (currently {lr:g}), e.g. to {lr / 10:g}, or standardise the data"
    )


@dataclass
class _Problem:
    """What the generic loop needs from an estimator."""

    step: Callable  # (state, xb, yb, rng) -> (objective 0-d array, grads)
    validate: Callable  # (state) -> float
    finalize: Callable  # (state) -> params (effective)
    post_step: Callable | None = None  # (state) -> state


def _stop(answer: Any) -> bool:
    """A callback's answer: ``True`` stops training; ``None``/``False`` go on."""
    if answer is None or isinstance(answer, (bool, np.bool_)):
        return bool(answer)
    raise ParameterError(
        f"`callback` must return True (stop), False or None, got {type(answer).__name__}"
    )


def _train_loop(problem, state, opt, x_tr, y_tr, *, xp, **kwargs):
    # overflow inside a diverging run yields inf/NaN, caught (with advice) at the next evaluation
    with single_thread_blas(xp), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _train_loop_inner(problem, state, opt, x_tr, y_tr, xp=xp, **kwargs)


def _train_loop_inner(problem, state, opt, x_tr, y_tr, *, xp, steps, batch_size, eval_every,
                      patience, tol, rng, callback, progress, desc, lr_drops=1):
    nx, ny = x_tr.shape[0], y_tr.shape[0]
    bx, by = min(batch_size, nx), min(batch_size, ny)
    history: dict[str, list] = {"step": [], "train": [], "validation": []}
    best_val = -math.inf
    best_state = state
    best_step = 0
    since_best = 0
    converged = False
    run_sum = None
    run_n = 0
    drops_left = lr_drops
    bar = _progress_bar(progress, steps, desc)
    step = 0
    try:
        for step in range(1, steps + 1):
            xb = _take(x_tr, rng.integers(0, nx, size=bx), xp, x_tr)
            yb = _take(y_tr, rng.integers(0, ny, size=by), xp, y_tr)
            obj, grads = problem.step(state, xb, yb, rng)
            state = dict(state, params=opt.step(state["params"], grads))
            if problem.post_step is not None:
                state = problem.post_step(state)
            run_sum = obj if run_sum is None else run_sum + obj
            run_n += 1
            if bar is not None:
                bar.update(1)
            evaluate = step % eval_every == 0 or step == steps
            stop = False
            if not evaluate and callback is not None and _stop(callback(step, {"objective": None})):
                # stopped between evaluations: evaluate this iterate, so the result is never
                # the untrained (or an older) critic only because no evaluation ran yet
                evaluate = stop = True
            if evaluate:
                train_obj = float(to_numpy(run_sum)) / run_n
                run_sum, run_n = None, 0
                if not math.isfinite(train_obj):
                    raise _diverged(step, "training objective", opt.lr)
                val = problem.validate(state)
                if not math.isfinite(val):
                    raise _diverged(step, "validation objective", opt.lr)
                history["step"].append(step)
                history["train"].append(train_obj)
                history["validation"].append(val)
                if val > best_val + tol * max(1.0, abs(best_val) if best_val > -math.inf else 1):
                    since_best = 0
                else:
                    since_best += 1
                if val > best_val:
                    best_val, best_state, best_step = val, state, step
                info = {"objective": train_obj, "validation": val, "best": best_val}
                if bar is not None:
                    bar.set_postfix(validation=f"{val:.4g}")
                if stop or (callback is not None and _stop(callback(step, info))):
                    break
                if since_best >= patience:
                    if drops_left > 0:  # plateau: refine with a smaller step from the best
                        drops_left -= 1
                        opt.lr *= 0.1
                        state, since_best = best_state, 0
                        continue
                    converged = True
                    break
    finally:
        if bar is not None:
            bar.close()
    return best_state, history, converged, step, best_step, best_val


def _common_setup(x, y, holdout, validation, steps, batch_size, lr, eval_every, patience, tol,
                  n_bootstrap, confidence, rng):
    xp, x, y = check_sample_pair(x, y)
    for arr, name in ((x, "x"), (y, "y")):
        if arr.shape[0] < MIN_SAMPLES:
            raise EmptyInputError(
                f"`{name}` has {arr.shape[0]} sample(s); adversarial estimators need at least "
                f"{MIN_SAMPLES} per set (train, validation and held-out splits)"
            )
    holdout = _check_fraction(holdout, "holdout")
    validation = _check_fraction(validation, "validation")
    opts = {
        "steps": check_int(steps, "steps", min_value=1),
        "batch_size": check_int(batch_size, "batch_size", min_value=1),
        "lr": check_positive(lr, "lr"),
        "eval_every": check_int(eval_every, "eval_every", min_value=1),
        "patience": check_int(patience, "patience", min_value=1),
        "tol": check_nonnegative_scalar(tol, "tol"),
        "n_bootstrap": check_int(n_bootstrap, "n_bootstrap", min_value=0),
    }
    confidence = check_positive(confidence, "confidence")
    if not confidence < 1:
        raise ParameterError(f"`confidence` must be in (0, 1), got {confidence!r}")
    opts["confidence"] = confidence
    gen = check_rng(rng)
    sx = _split(x.shape[0], holdout, validation, gen, "x")
    sy = _split(y.shape[0], holdout, validation, gen, "y")
    parts = [(_take(x, i, xp, x), _take(y, j, xp, y)) for i, j in zip(sx, sy, strict=True)]
    # host index arrays of the split, reported in ``details`` (rows of x / y)
    opts["split"] = {"validation_index": (sx[1], sy[1]), "holdout_index": (sx[2], sy[2])}
    _check_data_scale(*parts[0], xp)
    return xp, x, y, gen, parts, opts


#: Pooled standard deviations (and offsets of the mean, in standard deviations) beyond which
#: the training data are flagged as far from unit scale.
_SCALE_WARN = 16.0


def _check_data_scale(x_tr: Any, y_tr: Any, xp: ModuleType) -> None:
    """Warn when the training data are far from unit scale.

    The critic's initialisation, learning rate and gradient penalty assume inputs of order 1:
    at scale 1e-3 or 1e3 the f-GAN KL estimate of a 0.5-nats pair came out as 4e-4 or -54.
    """
    z = xp.concat([x_tr, y_tr], axis=0)
    top = scalar(xp.max(xp.abs(z)))
    unit = pow2_scale(top) if 0.0 < top < math.inf else 1.0  # no overflow in the moments
    z = z / unit
    centre = xp.mean(z, axis=0)
    sd = scalar(xp.sqrt(xp.mean((z - centre) ** 2))) * unit
    offset = scalar(xp.max(xp.abs(centre))) * unit
    if not (1 / _SCALE_WARN <= sd <= _SCALE_WARN) or offset > _SCALE_WARN * max(sd, 1.0):
        warnings.warn(
            f"the samples have standard deviation {sd:.3g} and mean offset {offset:.3g}: the "
            "critic assumes roughly unit-scale inputs and the estimate may be far off; "
            "standardise x and y with one common affine map z -> (z - c) / s (f-divergences "
            "do not change; multiply a W1 estimate by s)",
            DivlabWarning,
            stacklevel=4,
        )


def _check_callback(callback: Any) -> None:
    if callback is not None and not callable(callback):
        raise ParameterError(
            f"`callback` must be None or callable(step, info), got {type(callback).__name__}"
        )


def _finish(kind, problem, state, spec, objective, test, per_sample, xp, opts, gen, history,
            converged, step, best_step, best_val, extra):
    params = problem.finalize(state)
    x_te, y_te = test
    with np.errstate(over="ignore", invalid="ignore"):
        a, b = per_sample(params, x_te, y_te)
    a, b = np.asarray(to_numpy(a), dtype=float), np.asarray(to_numpy(b), dtype=float)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise _diverged(step, "critic output on the held-out samples", opts["lr"])
    # summaries of the unit-scaled outputs (exact power of two), so that critic values near
    # the float range (data at 1e200, say) give no overflow in sums and variances
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    scale = pow2_scale(scale) if 0.0 < scale < math.inf else 1.0  # values / scale in [-2, 2]
    a, b = a / scale, b / scale
    estimate = float(a.mean() - b.mean()) * scale
    if not math.isfinite(estimate):
        raise _diverged(step, "estimate (beyond the float range)", opts["lr"])
    ci = _bootstrap_ci(a, b, opts["n_bootstrap"], opts["confidence"], gen)
    if ci is not None:
        ci = (ci[0] * scale, ci[1] * scale)
    if not converged:
        warnings.warn(
            f"{kind}: early stopping found no plateau of the validation objective within "
            f"{step} steps (best {best_val:.4g} at step {best_step}); increase `steps` (or "
            "`lr`), or lower `patience`",
            ConvergenceWarning,
            stacklevel=3,
        )
    critic = Critic(tuple(params), spec, kind, objective)
    details = {
        "n_holdout": (int(x_te.shape[0]), int(y_te.shape[0])),
        "steps_run": step,
        "best_step": best_step,
        "best_validation": best_val,
        "standard_error": float(math.sqrt(a.var() / a.size + b.var() / b.size)) * scale,
        **{k: v for k, v in opts.items() if k not in ("confidence", "split")},
        "confidence": opts["confidence"],
        **opts["split"],
        **extra,
    }
    return CriticResult(estimate, ci, critic, history, converged, details)


# ----------------------------------------------------------------------------------------
# f-GAN
# ----------------------------------------------------------------------------------------


def fgan(
    x: Any,
    y: Any,
    *,
    divergence: Any = "kl",
    divergence_params: dict | None = None,
    critic: Any = None,
    steps: int = 3000,
    batch_size: int = 256,
    lr: float = 1e-3,
    holdout: float = 0.3,
    validation: float = 0.2,
    eval_every: int = 25,
    patience: int = 20,
    tol: float = 1e-3,
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    callback: Callable | None = None,
    progress: bool = False,
    rng: Any = None,
) -> CriticResult:
    r"""Variational (f-GAN) estimate of :math:`D_f(P\|Q)` from samples ``x ~ P``, ``y ~ Q``.

    Trains an MLP critic :math:`V_\omega` to maximise

    .. math::

        F(\omega) = \frac1{n}\sum_i g_f(V_\omega(x_i)) - \frac1{m}\sum_j f^*(g_f(V_\omega(y_j)))

    (Nowozin et al., 2016; lecture slide "f-GAN") with the registry entry's output activation
    :math:`g_f` and fused stable conjugate :math:`f^*\circ g_f`, then reports :math:`F` on
    held-out samples the critic never trained on. Since :math:`F(\omega) \le D_f` for every
    critic, the estimate is a lower bound of :math:`D_f` up to the sampling error of the
    held-out means (shown by ``ci``).

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d)
        Samples of :math:`P` and :math:`Q` (1-D input is read as ``d = 1``); NumPy, CuPy or any
        array-API array. Training runs on the data's namespace and device, in its float dtype.
    divergence : str or FDivergence
        Any entry of :data:`divlab.FDIVERGENCES` (``"kl"``, ``"reverse_kl"``, ``"js"``,
        ``"gan"``, ``"pearson"``, ``"squared_hellinger"``, ...) or a user-built
        :class:`~divlab.fdiv.FDivergence`.
    divergence_params : dict, optional
        Parameters of a parametrised entry (e.g. ``{"alpha": 0.5}``).
    critic : MLPSpec or dict, optional
        Architecture, default ``MLPSpec(width=64, depth=2, activation="softplus")``.
    steps, batch_size, lr : int, int, float
        Maximum number of Adam steps (default 3000), minibatch size per sample set (256) and
        learning rate (``1e-3``; Adam betas (0.5, 0.9)).
    holdout, validation : float
        Fraction of each sample set held out for the estimate (0.3) and fraction of the rest
        used for early stopping (0.2).
    eval_every, patience, tol : int, int, float
        The validation objective is computed every ``eval_every`` steps. The first time it has
        not improved by ``tol * max(1, |best|)`` for ``patience`` evaluations, the learning
        rate is divided by 10 and training resumes from the best iterate; the second time,
        training stops (``converged=True``). The best validation iterate is returned.
    n_bootstrap, confidence : int, float
        Bootstrap replicates over the held-out samples for ``ci`` (0 disables it) and its level.
    callback : callable, optional
        ``callback(step, info)`` after every step; ``info["objective"]`` and
        ``info["validation"]`` are filled at evaluation steps. Return ``True`` to stop.
    progress : bool
        Show a tqdm progress bar (when tqdm is installed).
    rng : None, int or numpy.random.Generator
        Seeds the split, the initial weights (drawn on the host) and the minibatches.

    Returns
    -------
    CriticResult
        ``estimate``, ``ci``, ``critic`` (``critic(z)`` = :math:`g_f(V(z))`; for ``"gan"``
        ``critic.discriminator(z)`` = :math:`\mathrm{sigmoid}(V(z))`), ``history``,
        ``converged``, ``details``.

    Raises
    ------
    EmptyInputError
        Fewer than 10 samples in ``x`` or ``y``.
    ShapeMismatchError
        ``x`` and ``y`` have different dimensions.
    NonFiniteError
        NaN or inf in the samples.
    ParameterError
        Unknown ``divergence`` name or out-of-range option.
    EstimationError
        Training produced a non-finite objective (lower ``lr``).

    Warns
    -----
    ConvergenceWarning
        When the validation objective was still improving after ``steps`` steps.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab import adversarial
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(0.0, 1.0, size=(2000, 1))
    >>> y = rng.normal(1.0, 1.0, size=(2000, 1))
    >>> r = adversarial.fgan(x, y, divergence="kl", rng=0)  # truth 0.5
    >>> lo, hi = r.ci  # held-out sampling error: the KL bound has a heavy-tailed exp term
    >>> 0.3 < r.estimate < 0.8, lo < 0.5 < hi
    (True, True)
    """
    xp, x, y, gen, parts, opts = _common_setup(
        x, y, holdout, validation, steps, batch_size, lr, eval_every, patience, tol,
        n_bootstrap, confidence, rng)
    _check_callback(callback)
    fd = resolve_fdivergence(divergence, divergence_params)
    obj = FGANObjective(fd)
    spec = C.MLPSpec.coerce(critic, C.MLPSpec(activation="softplus"))
    (x_tr, y_tr), (x_va, y_va), test = parts
    act = spec.activation
    params = C.init_params(x.shape[1], spec, gen, xp, dtype=x.dtype, like=x)

    def step(state, xb, yb, _rng):
        ps = state["params"]
        n = xb.shape[0]
        v, cache = C.forward(ps, xp.concat([xb, yb], axis=0), act, xp)
        val, gp, gq = obj.value_and_grad(v[:n], v[n:], xp)
        grads = C.backward(ps, cache, -xp.concat([gp, gq]), act, xp)
        return val, grads

    def per_sample(ps, xs, ys):
        return (obj.activation(_forward_chunked(ps, xs, act, xp)),
                obj.conjugate_activation(_forward_chunked(ps, ys, act, xp)))

    def validate(state):
        a, b = per_sample(state["params"], x_va, y_va)
        return float(to_numpy(xp.mean(a) - xp.mean(b)))

    problem = _Problem(step=step, validate=validate, finalize=lambda s: s["params"])
    opt = Adam(params, xp, lr=opts["lr"])
    best, history, converged, n_steps, best_step, best_val = _train_loop(
        problem, {"params": params}, opt, x_tr, y_tr, xp=xp, steps=opts["steps"],
        batch_size=opts["batch_size"], eval_every=opts["eval_every"],
        patience=opts["patience"], tol=opts["tol"], rng=gen, callback=callback,
        progress=progress, desc=f"fgan[{obj.name}]")
    extra = {"divergence": obj.name, "derivative_source": obj.derivative_source,
             "critic_spec": spec, "n_train": (int(x_tr.shape[0]), int(y_tr.shape[0])),
             "n_validation": (int(x_va.shape[0]), int(y_va.shape[0]))}
    return _finish("fgan", problem, best, spec, obj, test, per_sample, xp, opts, gen, history,
                   converged, n_steps, best_step, best_val, extra)


# ----------------------------------------------------------------------------------------
# WGAN
# ----------------------------------------------------------------------------------------


def wgan(
    x: Any,
    y: Any,
    *,
    lipschitz: str = "gp",
    clip: float = 0.01,
    gp_weight: float = 10.0,
    power_iterations: int = 1,
    critic: Any = None,
    steps: int = 3000,
    batch_size: int = 256,
    lr: float = 1e-3,
    holdout: float = 0.3,
    validation: float = 0.2,
    eval_every: int = 25,
    patience: int = 20,
    tol: float = 1e-3,
    n_bootstrap: int = 200,
    confidence: float = 0.95,
    callback: Callable | None = None,
    progress: bool = False,
    rng: Any = None,
) -> CriticResult:
    r"""WGAN critic estimate of :math:`W_1(P, Q)` (Euclidean ground metric) from samples.

    Kantorovich--Rubinstein duality (lecture):
    :math:`W_1 = \sup_{\lVert f\rVert_L\le 1} \mathbb{E}_P f - \mathbb{E}_Q f`. The critic
    maximises :math:`\frac1n\sum_i V(x_i) - \frac1m\sum_j V(y_j)` under one of three
    Lipschitz constraints:

    * ``"clip"`` -- weight clipping to :math:`[-c, c]` after every step (Arjovsky et al.,
      2017; lecture :math:`\max_{w\in[-k,k]^l}`). The critic is then :math:`K`-Lipschitz for
      some unknown :math:`K` that depends on ``clip`` and the architecture, so the estimate is
      :math:`\approx K\cdot W_1`, **biased** (see ``examples/plot_wgan_clipping.py``).
    * ``"gp"`` -- gradient penalty :math:`\lambda\,\mathbb{E}(\lVert\nabla_x V(\hat x)\rVert-1)^2`
      at :math:`\hat x = t x + (1-t) y`, :math:`t\sim U(0,1)` (Gulrajani et al., 2017), with the
      exact weight gradient of the penalty (double backprop derived by hand).
    * ``"sn"`` -- spectral normalisation of every weight matrix (Miyato et al., 2018;
      ``power_iterations`` per step, exact top singular value recomputed for the returned
      critic). With 1-Lipschitz activations the critic is 1-Lipschitz, so the estimate is a
      lower bound of :math:`W_1` (often a loose one: the product of layer norms over-bounds
      the Lipschitz constant).

    The estimate :math:`\frac1{n'}\sum V(x'_i) - \frac1{m'}\sum V(y'_j)` is evaluated on held-out
    samples. Parameters shared with :func:`fgan` have the same meaning; the default critic is
    ``MLPSpec(width=64, depth=2, activation="leaky_relu")``.

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d)
        Samples of :math:`P` and :math:`Q`.
    lipschitz : {"gp", "clip", "sn"}
        How the Lipschitz constraint is imposed.
    clip : float
        Clip value :math:`c` for ``"clip"`` (default 0.01, the original WGAN's).
    gp_weight : float
        :math:`\lambda` for ``"gp"`` (default 10).
    power_iterations : int
        Power-iteration steps per training step for ``"sn"`` (default 1).
    critic, steps, batch_size, lr, holdout, validation, eval_every, patience, tol
        As in :func:`fgan` (default critic ``MLPSpec(width=64, depth=2,
        activation="leaky_relu")``).
    n_bootstrap, confidence, callback, progress, rng
        As in :func:`fgan`.

    Returns
    -------
    CriticResult
        ``critic(z)`` is :math:`V(z)`, ``critic.gradient(z)`` its gradient.
        ``details["lipschitz_estimate"]``: the largest :math:`\lVert\nabla_x V\rVert` seen at
        held-out samples and interpolates (a lower bound of the Lipschitz constant).

    Raises
    ------
    EmptyInputError, ShapeMismatchError, NonFiniteError, ParameterError, EstimationError
        As in :func:`fgan`.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab import adversarial
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(0.0, 1.0, size=(1000, 1))
    >>> y = rng.normal(2.0, 1.0, size=(1000, 1))
    >>> w = adversarial.wgan(x, y, lipschitz="gp", rng=0)  # W1 = 2
    >>> 1.8 < w.estimate < 2.4, w.converged
    (True, True)
    """
    lipschitz = check_choice(lipschitz, "lipschitz", ("gp", "clip", "sn"))
    xp, x, y, gen, parts, opts = _common_setup(
        x, y, holdout, validation, steps, batch_size, lr, eval_every, patience, tol,
        n_bootstrap, confidence, rng)
    _check_callback(callback)
    clip = check_positive(clip, "clip")
    gp_weight = check_positive(gp_weight, "gp_weight")  # 0 leaves the critic unconstrained
    power_iterations = check_int(power_iterations, "power_iterations", min_value=1)
    spec = C.MLPSpec.coerce(critic, C.MLPSpec(activation="leaky_relu"))
    (x_tr, y_tr), (x_va, y_va), test = parts
    act = spec.activation
    params = C.init_params(x.shape[1], spec, gen, xp, dtype=x.dtype, like=x)
    state: dict[str, Any] = {"params": params}
    if lipschitz == "clip":
        params = [(xp.clip(w, -clip, clip), xp.clip(b, -clip, clip)) for w, b in params]
        state["params"] = params
    if lipschitz == "sn":
        us = [from_numpy(gen.normal(size=w.shape[0]), xp, like=x, dtype=x.dtype)
              for w, _ in params]
        _, us, _, _ = C.spectral_normalize(params, us, xp, n_iter=20)
        state["us"] = us

    def effective(st, n_iter=0):
        if lipschitz != "sn":
            return st["params"], st
        eff, us, vs, sig = C.spectral_normalize(st["params"], st["us"], xp,
                                                n_iter=max(n_iter, power_iterations))
        return eff, dict(st, us=us, _vs=vs, _sig=sig)

    # fixed validation interpolates for the penalised validation objective
    nv = min(x_va.shape[0], y_va.shape[0])
    t_va = from_numpy(gen.uniform(size=(nv, 1)), xp, like=x, dtype=x.dtype)
    xhat_va = t_va * x_va[:nv, ...] + (1.0 - t_va) * y_va[:nv, ...]

    def step(st, xb, yb, rng_):
        eff, st2 = effective(st)
        if lipschitz == "sn":
            st.update(us=st2["us"])  # persistent power-iteration vectors
        n = xb.shape[0]
        v, cache = C.forward(eff, xp.concat([xb, yb], axis=0), act, xp)
        val = xp.mean(v[:n]) - xp.mean(v[n:])
        gv = xp.concat([xp.ones_like(v[:n]) * (-1.0 / n),
                        xp.ones_like(v[n:]) * (1.0 / (v.shape[0] - n))])
        grads = C.backward(eff, cache, gv, act, xp)
        if lipschitz == "gp" and gp_weight > 0:
            m = min(n, yb.shape[0])
            t = from_numpy(rng_.uniform(size=(m, 1)), xp, like=xb, dtype=xb.dtype)
            xhat = t * xb[:m, ...] + (1.0 - t) * yb[:m, ...]
            pen, gpen, _ = C.gradient_penalty(eff, xhat, act, xp, gp_weight)
            grads = [(gw + pw, gb + pb) for (gw, gb), (pw, pb) in zip(grads, gpen, strict=True)]
            val = val - pen
        if lipschitz == "sn":
            grads = C.spectral_backward(grads, eff, st2["us"], st2["_vs"], st2["_sig"], xp)
        return val, grads

    def post_step(st):
        if lipschitz == "clip":
            st = dict(st, params=[(xp.clip(w, -clip, clip), xp.clip(b, -clip, clip))
                                  for w, b in st["params"]])
        return st

    def per_sample(ps, xs, ys):
        return _forward_chunked(ps, xs, act, xp), _forward_chunked(ps, ys, act, xp)

    def validate(st):
        eff, _ = effective(st)
        a, b = per_sample(eff, x_va, y_va)
        val = xp.mean(a) - xp.mean(b)
        if lipschitz == "gp" and gp_weight > 0:
            val = val - C.gradient_penalty(eff, xhat_va, act, xp, gp_weight)[0]
        return float(to_numpy(val))

    def finalize(st):
        return effective(st, n_iter=50)[0] if lipschitz == "sn" else st["params"]

    problem = _Problem(step=step, validate=validate, finalize=finalize, post_step=post_step)
    opt = Adam(state["params"], xp, lr=opts["lr"])
    best, history, converged, n_steps, best_step, best_val = _train_loop(
        problem, state, opt, x_tr, y_tr, xp=xp, steps=opts["steps"],
        batch_size=opts["batch_size"], eval_every=opts["eval_every"],
        patience=opts["patience"], tol=opts["tol"], rng=gen, callback=callback,
        progress=progress, desc=f"wgan[{lipschitz}]")
    # Lipschitz diagnostic on held-out points and their interpolates
    final = finalize(best)
    x_te, y_te = test
    m = min(x_te.shape[0], y_te.shape[0])
    t = from_numpy(gen.uniform(size=(m, 1)), xp, like=x, dtype=x.dtype)
    probe = xp.concat([x_te, y_te, t * x_te[:m, ...] + (1.0 - t) * y_te[:m, ...]], axis=0)
    _, cache = C.forward(final, probe, act, xp)
    gnorm = xp.sqrt(xp.sum(C.input_gradient(final, cache, act, xp) ** 2, axis=1))
    extra = {"lipschitz": lipschitz, "clip": clip if lipschitz == "clip" else None,
             "gp_weight": gp_weight if lipschitz == "gp" else None,
             "lipschitz_estimate": float(to_numpy(xp.max(gnorm))),
             "gradient_norm_q90": float(np.quantile(np.asarray(to_numpy(gnorm)), 0.9)),
             "critic_spec": spec, "n_train": (int(x_tr.shape[0]), int(y_tr.shape[0])),
             "n_validation": (int(x_va.shape[0]), int(y_va.shape[0]))}
    result = _finish("wgan", problem, best, spec, None, test, per_sample, xp, opts, gen,
                     history, converged, n_steps, best_step, best_val, extra)
    _check_wgan_result(result, lipschitz)
    return result


#: Largest 90th percentile of the critic's gradient norm (held-out points and interpolates)
#: accepted silently for the "gp" and "sn" critics; a W1 critic is 1-Lipschitz (the maximum
#: of short, noisy runs reaches ~1.8, so a robust statistic with margin is used).
_LIPSCHITZ_WARN = 2.0


def _check_wgan_result(result: CriticResult, lipschitz: str) -> None:
    """Warn when a WGAN result cannot be a W1 estimate: a critic far from 1-Lipschitz (the
    estimate is inflated by about that factor) or an estimate whose CI lies below 0 (W1 >= 0:
    training went the wrong way, typically a too large learning rate)."""
    lip = result.details["gradient_norm_q90"]
    if lipschitz in ("gp", "sn") and lip > _LIPSCHITZ_WARN:
        warnings.warn(
            f"wgan: the critic's gradient norm is {lip:.3g} or more on 10 % of the held-out "
            "points and interpolates (a W1 critic is 1-Lipschitz), "
            f"so the estimate {result.estimate:.4g} is inflated; standardise the data (W1 "
            "scales with it) or raise `gp_weight`",
            DivlabWarning,
            stacklevel=3,
        )
    hi = result.ci[1] if result.ci is not None else result.estimate
    if hi < 0:
        warnings.warn(
            f"wgan: the estimate {result.estimate:.4g} is negative (W1 >= 0): the critic "
            f"learned the wrong direction; lower the learning rate `lr` (now "
            f"{result.details['lr']:g})",
            DivlabWarning,
            stacklevel=3,
        )
