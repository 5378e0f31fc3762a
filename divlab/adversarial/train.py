r"""Critic training and the two adversarial estimators, :func:`fgan` and :func:`wgan`.

Both estimators

1. **standardise inside**: one affine map :math:`z \mapsto (z - c)/s` is fitted on the pooled
   sample (``x`` and ``y`` together), the critics train on standardised data and the map is
   folded into the returned :class:`Critic` (which takes data in the caller's units).
   f-divergences are invariant under an affine bijection applied to both samples, so an
   f-GAN estimate does not depend on the units; WGAN uses one scalar :math:`s` (the
   Euclidean ground metric is only equivariant under isotropic scaling), so
   :math:`W_1` scales exactly: its critic's output is multiplied by :math:`s`;
2. **cross-fit** (default): each sample set is split into two halves; one critic is trained
   on each half (with early stopping on a validation part of that half) and evaluated on the
   *other* half. Every sample then enters the reported objective, through a critic that did
   not see it, and the interval rests on all ``n + m`` per-sample terms. (``cross_fit=False``:
   one critic, reported on a held-out fraction.)

Because a critic is only one member of the variational family, the f-GAN objective of a fixed
critic is a **lower bound** of :math:`D_f(P\|Q)` (and the spectrally normalised WGAN objective
a lower bound of :math:`W_1`), up to the sampling error of the evaluation means.
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
from .._validate import check_choice, check_int, check_positive, check_rng, check_sample_pair
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
from .options import CriticOptions, coerce_options

__all__ = ["Critic", "CriticResult", "fgan", "wgan", "MIN_SAMPLES"]

#: Fewest samples per set accepted by the estimators (train, validation and evaluation parts
#: all need a few points).
MIN_SAMPLES = 10

_EVAL_CHUNK = 8192


# ----------------------------------------------------------------------------------------
# the affine map fitted on the pooled sample
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Affine:
    """``z -> (z / unit - centre) / scale`` with ``unit`` an exact power of two (so that data
    near the float range are summarised without overflow) and ``centre``, ``scale`` arrays of
    shape ``(d,)`` in the data's namespace and dtype."""

    unit: float
    centre: Any
    scale: Any
    iso_scale: float  # the pooled standard deviation in the caller's units (unit * s)

    def apply(self, z: Any) -> Any:
        return (z / self.unit - self.centre) / self.scale


def _fit_affine(x: Any, y: Any, xp: ModuleType, *, isotropic: bool, enabled: bool) -> _Affine:
    d = x.shape[1]
    if not enabled:
        one = xp.ones((d,), dtype=x.dtype)
        return _Affine(1.0, xp.zeros_like(one), one, 1.0)
    z = xp.concat([x, y], axis=0)
    top = scalar(xp.max(xp.abs(z)))
    unit = pow2_scale(top) if 0.0 < top < math.inf else 1.0
    zu = z / unit
    centre = xp.mean(zu, axis=0)
    var = xp.mean((zu - centre) ** 2, axis=0)
    iso = math.sqrt(scalar(xp.mean(var)))
    if not iso > 0.0:  # every point identical: any scale will do
        iso = 1.0
    if isotropic:
        scale = xp.ones_like(var) * iso
    else:  # coordinates that do not vary get the pooled scale
        sd = xp.sqrt(var)
        scale = xp.where(sd > 0, sd, xp.ones_like(sd) * iso)
    return _Affine(unit, centre, scale, iso * unit)


# ----------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Critic:
    r"""A trained critic: callable, evaluates it on new samples in the caller's units.

    For f-GAN critics ``critic(z)`` is the activated output :math:`T = g_f(V_\omega(z))`
    (an estimate of :math:`f'(p/q)`); for WGAN critics it is :math:`V_\omega(z)` (an estimate
    of the Kantorovich--Rubinstein potential, up to an additive constant, 1-Lipschitz in the
    caller's units).

    The network :math:`N` was trained on standardised data; the fitted map is folded in:
    :math:`V_\omega(z) = \text{output\_scale}\cdot N((z/\text{unit} - c)/s)`.

    Attributes
    ----------
    params : tuple of (W, b)
        Weights of :math:`N` in the namespace/device/dtype of the training data (spectral
        normalisation, when used, is already folded in).
    spec : MLPSpec
        Architecture.
    kind : {"fgan", "wgan"}
    objective : FGANObjective or None
        The f-divergence objective (f-GAN critics only).
    affine : tuple
        ``(unit, c, s)`` of the standardising map (``unit`` a power of two; ``c`` and ``s``
        arrays of shape ``(d,)``).
    output_scale : float
        :math:`s` for WGAN critics (so that :math:`W_1` scales with the data), 1 for f-GAN.
    """

    params: tuple
    spec: C.MLPSpec
    kind: str
    objective: FGANObjective | None = None
    affine: tuple | None = None
    output_scale: float = 1.0

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
        if zx.__name__ != xp.__name__ and not (
                zx.__name__.endswith("numpy") and xp.__name__.endswith("numpy")):
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
        if self.affine is not None:
            unit, centre, scale = self.affine
            z = (z / unit - centre) / scale
        return z

    def logits(self, z: Any) -> Any:
        r"""Raw output :math:`V_\omega(z)`, shape ``(n,)`` (the WGAN potential in data units)."""
        z = self._prepare(z)
        v = _forward_chunked(list(self.params), z, self.spec.activation, self.xp)
        return v * self.output_scale if self.output_scale != 1.0 else v

    def __call__(self, z: Any) -> Any:
        v = self.logits(z)
        if self.kind == "fgan":
            return self.objective.activation(v)
        return v

    def gradient(self, z: Any) -> Any:
        r""":math:`\nabla_z T_\omega(z)` in the caller's units, shape ``(n, d)`` (chain rule
        through the standardising map and :math:`g_f`)."""
        z = self._prepare(z)
        xp = self.xp
        params = list(self.params)
        v, cache = C.forward(params, z, self.spec.activation, xp)
        g = C.input_gradient(params, cache, self.spec.activation, xp)
        if self.affine is not None:
            unit, _, scale = self.affine
            g = g / (scale * unit)
        if self.output_scale != 1.0:
            g = g * self.output_scale
            v = v * self.output_scale
        if self.kind == "fgan":
            g = xp.reshape(self.objective.activation_derivative(v, xp), (-1, 1)) * g
        return g

    def discriminator(self, z: Any) -> Any:
        r"""GAN discriminator :math:`D(z) = \mathrm{sigmoid}(V_\omega(z))`.

        Only for critics trained with the ``"gan"`` divergence (:math:`T = \log D`) or the
        f-GAN-table JS entries (:math:`T = \log 2D` up to the entry's scale); the optimum is
        the lecture's :math:`D^*(x) = p(x)/(p(x)+q(x))`
        (:func:`divlab.gan_theory.optimal_discriminator`).
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
    value : float
        The critics' objective on samples they did not train on: with cross-fitting, the
        mean over all samples of the per-sample terms, each computed by the critic trained on
        the other half (a lower bound of the divergence, up to sampling error).
    ci : tuple of float or None
        Bootstrap percentile interval of ``value`` over the evaluation samples (``None`` when
        ``n_bootstrap=0``).
    critic : Critic
        The trained critic of the first fold (best validation iterate); ``critic(z)``
        evaluates it. Both fold critics are in ``details["critics"]``.
    history : dict
        ``"fold"``, ``"step"``, ``"train"`` (mean minibatch objective since the previous
        evaluation) and ``"validation"`` (objective on the fold's validation part) at every
        evaluation of every fold.
    converged : bool
        True when early stopping found a plateau of the validation objective in every fold.
    details : dict
        ``"standard_error"``, ``"n_eval"``, ``"steps_run"``, ``"scale"`` (the pooled standard
        deviation :math:`s`), ``"folds"`` (per fold: ``"train_index"``,
        ``"validation_index"``, ``"eval_index"`` -- pairs of NumPy row indices into ``x``
        and ``y`` --, ``"value"``, ``"steps_run"``, ``"best_step"``, ``"best_validation"``,
        ``"converged"``), the options and estimator-specific entries.
    """

    value: float
    ci: tuple[float, float] | None
    critic: Critic
    history: dict = field(repr=False)
    converged: bool
    details: dict = field(repr=False)

    @property
    def estimate(self) -> float:
        """Deprecated alias of :attr:`value`."""
        warnings.warn("CriticResult.estimate is deprecated; use .value", DeprecationWarning,
                      stacklevel=2)
        return self.value

    def __repr__(self) -> str:
        ci = "None" if self.ci is None else f"({self.ci[0]:.6g}, {self.ci[1]:.6g})"
        what = self.details.get("divergence") or f"W1, {self.details.get('lipschitz')}"
        return (f"CriticResult({what}: value={self.value:.6g}, ci={ci}, "
                f"converged={self.converged}, steps={self.details.get('steps_run', '?')})")


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


def _split_parts(n: int, opts: CriticOptions, rng: np.random.Generator, name: str):
    """Row indices ``[(train, validation, eval), ...]``: two folds when cross-fitting."""
    perm = rng.permutation(n)
    if opts.cross_fit:
        half = n // 2
        chunks = [(perm[:half], perm[half:]), (perm[half:], perm[:half])]
    else:
        n_eval = max(2, round(opts.holdout * n))
        chunks = [(perm[:n - n_eval], perm[n - n_eval:])]
    out = []
    for train_part, eval_part in chunks:
        n_val = max(2, round(opts.validation * train_part.size))
        n_train = train_part.size - n_val
        if n_train < 2:
            raise EmptyInputError(
                f"`{name}` has {n} samples: too few for the train/validation/evaluation split "
                f"(cross_fit={opts.cross_fit}, holdout={opts.holdout}, "
                f"validation={opts.validation}); pass more samples or lower `validation`"
            )
        out.append((train_part[:n_train], train_part[n_train:], eval_part))
    return out


def _bootstrap_ci(a: np.ndarray, b: np.ndarray, n_boot: int, conf: float, rng) -> tuple:
    """Percentile interval of mean(a) - mean(b), resampling a and b independently."""
    if n_boot == 0:
        return None
    stats = np.empty(n_boot)
    block = max(1, 2_000_000 // max(a.size, b.size))  # bounded memory for large n
    for start in range(0, n_boot, block):
        k = min(block, n_boot - start)
        ia = rng.integers(0, a.size, size=(k, a.size))
        ib = rng.integers(0, b.size, size=(k, b.size))
        stats[start:start + k] = a[ia].mean(axis=1) - b[ib].mean(axis=1)
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
        f"rate `lr` (currently {lr:g}), e.g. to {lr / 10:g}"
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


def _train_loop_inner(problem, state, opt, x_tr, y_tr, *, xp, opts, rng, desc, fold,
                      lr_drops=1):
    steps, eval_every, patience, tol = opts.steps, opts.eval_every, opts.patience, opts.tol
    callback = opts.callback
    nx, ny = x_tr.shape[0], y_tr.shape[0]
    bx, by = min(opts.batch_size, nx), min(opts.batch_size, ny)
    history: dict[str, list] = {"step": [], "train": [], "validation": []}
    best_val = -math.inf
    best_state = state
    best_step = 0
    since_best = 0
    converged = False
    run_sum = None
    run_n = 0
    drops_left = lr_drops
    bar = _progress_bar(opts.progress, steps, desc)
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
            if not evaluate and callback is not None and _stop(
                    callback(step, {"objective": None, "fold": fold})):
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
                info = {"objective": train_obj, "validation": val, "best": best_val,
                        "fold": fold}
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


@dataclass
class _Setup:
    xp: ModuleType
    x: Any  # standardised
    y: Any
    affine: _Affine
    gen: np.random.Generator
    opts: CriticOptions
    folds: list  # [((ix_tr, iy_tr), (ix_va, iy_va), (ix_ev, iy_ev)), ...]


def _setup(x, y, options, overrides, rng, *, isotropic: bool) -> _Setup:
    opts = coerce_options(options, overrides)
    xp, x, y = check_sample_pair(x, y)
    for arr, name in ((x, "x"), (y, "y")):
        if arr.shape[0] < MIN_SAMPLES:
            raise EmptyInputError(
                f"`{name}` has {arr.shape[0]} sample(s); adversarial estimators need at least "
                f"{MIN_SAMPLES} per set (train, validation and evaluation parts)"
            )
    gen = check_rng(rng)
    sx = _split_parts(x.shape[0], opts, gen, "x")
    sy = _split_parts(y.shape[0], opts, gen, "y")
    folds = [tuple((a, b) for a, b in zip(fx, fy, strict=True))
             for fx, fy in zip(sx, sy, strict=True)]
    affine = _fit_affine(x, y, xp, isotropic=isotropic, enabled=opts.standardize)
    return _Setup(xp, affine.apply(x), affine.apply(y), affine, gen, opts, folds)


@dataclass
class _FoldResult:
    params: list
    a: np.ndarray  # per-sample P terms on the evaluation part
    b: np.ndarray  # per-sample Q terms
    history: dict
    converged: bool
    steps_run: int
    best_step: int
    best_validation: float
    extra: dict


def _run_folds(kind: str, st: _Setup, build: Callable, desc: str) -> list[_FoldResult]:
    """Train one critic per fold; ``build(x_tr, y_tr, x_va, y_va)`` returns
    ``(problem, state, per_sample, diagnose)``."""
    xp, opts = st.xp, st.opts
    out = []
    for k, ((ix_tr, iy_tr), (ix_va, iy_va), (ix_ev, iy_ev)) in enumerate(st.folds):
        x_tr, y_tr = _take(st.x, ix_tr, xp, st.x), _take(st.y, iy_tr, xp, st.y)
        x_va, y_va = _take(st.x, ix_va, xp, st.x), _take(st.y, iy_va, xp, st.y)
        x_ev, y_ev = _take(st.x, ix_ev, xp, st.x), _take(st.y, iy_ev, xp, st.y)
        problem, state, per_sample, diagnose = build(x_tr, y_tr, x_va, y_va)
        opt = Adam(state["params"], xp, lr=opts.lr)
        best, history, converged, n_steps, best_step, best_val = _train_loop(
            problem, state, opt, x_tr, y_tr, xp=xp, opts=opts, rng=st.gen,
            desc=f"{desc} fold {k}" if len(st.folds) > 1 else desc, fold=k)
        params = problem.finalize(best)
        with np.errstate(over="ignore", invalid="ignore"):
            a, b = per_sample(params, x_ev, y_ev)
        a = np.asarray(to_numpy(a), dtype=float)
        b = np.asarray(to_numpy(b), dtype=float)
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
            raise _diverged(n_steps, "critic output on the evaluation samples", opts.lr)
        extra = diagnose(params, x_ev, y_ev) if diagnose is not None else {}
        out.append(_FoldResult(params, a, b, history, converged, n_steps, best_step, best_val,
                               extra))
    return out


def _finish(kind: str, st: _Setup, folds: list[_FoldResult], spec, objective, extra: dict,
            output_scale: float) -> CriticResult:
    opts = st.opts
    a = np.concatenate([f.a for f in folds])
    b = np.concatenate([f.b for f in folds])
    # summaries of unit-scaled terms (exact power of two): no overflow in sums and variances
    top = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    unit = pow2_scale(top) if 0.0 < top < math.inf else 1.0
    a_u, b_u = a / unit, b / unit
    factor = unit * output_scale
    value = float(a_u.mean() - b_u.mean()) * factor
    steps_run = sum(f.steps_run for f in folds)
    if not math.isfinite(value):
        raise _diverged(steps_run, "estimate (beyond the float range)", opts.lr)
    ci = _bootstrap_ci(a_u, b_u, opts.n_bootstrap, opts.confidence, st.gen)
    if ci is not None:
        ci = (ci[0] * factor, ci[1] * factor)
    converged = all(f.converged for f in folds)
    if not converged:
        worst = next(f for f in folds if not f.converged)
        warnings.warn(
            f"{kind}: early stopping found no plateau of the validation objective within "
            f"{worst.steps_run} steps (best {worst.best_validation:.4g} at step "
            f"{worst.best_step}); increase `steps` (or `lr`), or lower `patience`",
            ConvergenceWarning,
            stacklevel=3,
        )
    affine = (st.affine.unit, st.affine.centre, st.affine.scale)
    critics = tuple(Critic(tuple(f.params), spec, kind, objective, affine, output_scale)
                    for f in folds)
    history: dict[str, list] = {"fold": [], "step": [], "train": [], "validation": []}
    fold_info = []
    for k, (f, (tr, va, ev)) in enumerate(zip(folds, st.folds, strict=True)):
        n = len(f.history["step"])
        history["fold"] += [k] * n
        for key in ("step", "train", "validation"):
            history[key] += f.history[key]
        fa, fb = f.a / unit, f.b / unit
        fold_info.append({
            "train_index": tr, "validation_index": va, "eval_index": ev,
            "value": float(fa.mean() - fb.mean()) * factor,
            "steps_run": f.steps_run, "best_step": f.best_step,
            "best_validation": f.best_validation,
            "converged": f.converged, **f.extra,
        })
    details = {
        "n_eval": (int(a.size), int(b.size)),
        "standard_error": float(math.sqrt(a_u.var() / a.size + b_u.var() / b.size)) * factor,
        "steps_run": steps_run,
        "scale": st.affine.iso_scale if opts.standardize else 1.0,
        "critics": critics,
        "folds": tuple(fold_info),
        "critic_spec": spec,
        "options": opts,
        **extra,
    }
    return CriticResult(value, ci, critics[0], history, converged, details)


# ----------------------------------------------------------------------------------------
# f-GAN
# ----------------------------------------------------------------------------------------


def fgan(
    x: Any,
    y: Any,
    divergence: Any = "kl",
    *,
    divergence_params: dict | None = None,
    options: CriticOptions | dict | None = None,
    rng: Any = None,
    **option_overrides: Any,
) -> CriticResult:
    r"""Variational (f-GAN) estimate of :math:`D_f(P\|Q)` from samples ``x ~ P``, ``y ~ Q``.

    Trains MLP critics :math:`V_\omega` to maximise

    .. math::

        F(\omega) = \frac1{n}\sum_i g_f(V_\omega(x_i)) - \frac1{m}\sum_j f^*(g_f(V_\omega(y_j)))

    (Nowozin et al., 2016; lecture slide "f-GAN") with the registry entry's output activation
    :math:`g_f` and fused stable conjugate :math:`f^*\circ g_f`, on data standardised by one
    affine map fitted on the pooled sample (so the estimate does not depend on the units),
    and reports :math:`F` on samples each critic never trained on (cross-fitting: two
    critics, each evaluated on the other half). Since :math:`F(\omega) \le D_f` for every
    critic, the estimate is a lower bound of :math:`D_f` up to the sampling error of the
    evaluation means (shown by ``ci``).

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
    options : CriticOptions or dict, optional
        Training and reporting options shared with :func:`wgan` (see
        :class:`~divlab.adversarial.CriticOptions`; default critic
        ``MLPSpec(64, 2, "softplus")``).
    rng : None, int or numpy.random.Generator
        Seeds the split, the initial weights (drawn on the host) and the minibatches.
    **option_overrides
        Any field of :class:`~divlab.adversarial.CriticOptions` (``steps=``, ``lr=``,
        ``critic=``, ...), applied on top of ``options``.

    Returns
    -------
    CriticResult
        ``value``, ``ci``, ``critic`` (``critic(z)`` = :math:`g_f(V(z))` in the caller's
        units; for ``"gan"`` ``critic.discriminator(z)`` = :math:`\mathrm{sigmoid}(V(z))`),
        ``history``, ``converged``, ``details``.

    Raises
    ------
    EmptyInputError
        Fewer than 10 samples in ``x`` or ``y``.
    ShapeMismatchError
        ``x`` and ``y`` have different dimensions.
    NonFiniteError
        NaN or inf in the samples.
    ParameterError
        Unknown ``divergence`` name or option, or an out-of-range option.
    EstimationError
        Training produced a non-finite objective (lower ``lr``), or the evaluation terms are
        so heavy-tailed that the estimate and its interval are meaningless (the message says
        which; typical of :math:`\chi^2`-type divergences whose variational objective has
        unbounded variance for the pair).

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
    >>> import warnings
    >>> from divlab.errors import ConvergenceWarning
    >>> warnings.simplefilter("ignore", ConvergenceWarning)  # a short run
    >>> r = adversarial.fgan(x, y, "kl", steps=800, rng=0)  # truth 0.5
    >>> lo, hi = r.ci
    >>> bool(0.4 < r.value < 0.65 and lo < 0.5 < hi)
    True
    """
    st = _setup(x, y, options, option_overrides, rng, isotropic=False)
    xp, opts = st.xp, st.opts
    fd = resolve_fdivergence(divergence, divergence_params)
    obj = FGANObjective(fd)
    spec = C.MLPSpec.coerce(opts.critic, C.MLPSpec(activation="softplus"))
    act = spec.activation
    d = st.x.shape[1]

    def per_sample(ps, xs, ys):
        return (obj.activation(_forward_chunked(ps, xs, act, xp)),
                obj.conjugate_activation(_forward_chunked(ps, ys, act, xp)))

    def build(x_tr, y_tr, x_va, y_va):
        params = C.init_params(d, spec, st.gen, xp, dtype=st.x.dtype, like=st.x)

        def step(state, xb, yb, _rng):
            ps = state["params"]
            n = xb.shape[0]
            v, cache = C.forward(ps, xp.concat([xb, yb], axis=0), act, xp)
            val, gp, gq = obj.value_and_grad(v[:n], v[n:], xp)
            grads = C.backward(ps, cache, -xp.concat([gp, gq]), act, xp)
            return val, grads

        def validate(state):
            a, b = per_sample(state["params"], x_va, y_va)
            return float(to_numpy(xp.mean(a) - xp.mean(b)))

        problem = _Problem(step=step, validate=validate, finalize=lambda s: s["params"])
        return problem, {"params": params}, per_sample, None

    folds = _run_folds("fgan", st, build, f"fgan[{obj.name}]")
    extra = {"divergence": obj.name, "derivative_source": obj.derivative_source}
    result = _finish("fgan", st, folds, spec, obj, extra, 1.0)
    _check_tails(folds, fd, result.value, result.details["standard_error"])
    return result


#: Largest share of the evaluation sum that one sample may carry before the f-GAN estimate
#: is refused as dominated by a heavy tail.
_TAIL_SHARE = 0.25

#: chi^2-type entries: refused when the standard error exceeds this fraction of the estimate
#: (and ``_CHI2_SE_FLOOR``).
_CHI2_REL_SE = 0.25
_CHI2_SE_FLOOR = 0.05


def _is_chi2_type(fd: Any) -> bool:
    """Generators that grow like a power at 0 or at infinity (``f(u) ~ u^2`` or ``1/u``:
    Pearson, Neyman, alpha outside [0, 1]): the optimal critic's terms involve
    ``(p/q)^2`` or ``(q/p)^2``, whose variance (a fourth moment of the likelihood ratio) is
    infinite or enormous for many pairs. KL-like entries grow only logarithmically."""
    with np.errstate(all="ignore"):
        big, small = (float(v) for v in np.asarray(fd.f(np.array([1e6, 1e-6])), dtype=float))
    return not (abs(big) / 1e6 < 1e3 and abs(small) < 1e3)


def _check_tails(folds: list[_FoldResult], fd: Any, value: float, se: float) -> None:
    r"""Refuse estimates dominated by a few evaluation terms.

    For :math:`\chi^2`-type divergences the optimal critic's terms grow like
    :math:`(p/q)^2` or :math:`(q/p)^2`, whose variance is infinite or enormous for many
    pairs; the sample mean is then ruled by the few largest terms and the interval is
    meaningless. Criteria: one term carries more than 25 % of the summed absolute deviations
    from its part's median and moves that part's mean by more than a quarter of the standard
    error (any entry), or, for :math:`\chi^2`-type entries, the standard error exceeds 25 %
    of the estimate (and 0.05).
    """
    reasons = []
    for part, what in ((np.concatenate([f.a for f in folds]), "E_P[T]"),
                       (np.concatenate([f.b for f in folds]), "E_Q[f*(T)]")):
        dev = np.abs(part - np.median(part))
        tot = float(dev.sum())
        # one term holds a large share of the spread AND moves the mean by a visible fraction
        # of the standard error (a saturated bounded critic with one odd value does not)
        if (tot > 0 and float(dev.max()) > _TAIL_SHARE * tot and part.size >= 40
                and float(dev.max()) / part.size > 0.25 * se):
            reasons.append(f"one sample carries {dev.max() / tot:.0%} of the spread of {what}")
    if _is_chi2_type(fd) and se > max(_CHI2_REL_SE * abs(value), _CHI2_SE_FLOOR):
        reasons.append(f"standard error {se:.3g} for an estimate of {value:.4g}")
    if reasons:
        raise EstimationError(
            f"fgan[{fd.name}]: the variational objective is dominated by a heavy tail ("
            + "; ".join(reasons) + "): its variance is unbounded or enormous for this pair, "
            "so no estimate or interval is reported. chi^2-type divergences (pearson, "
            "neyman, alpha outside [0, 1]) have this problem whenever p/q or q/p has heavy "
            "tails; use a bounded divergence (js, squared_hellinger, total_variation), KL, or "
            "a closed form"
        )


# ----------------------------------------------------------------------------------------
# WGAN
# ----------------------------------------------------------------------------------------


def wgan(
    x: Any,
    y: Any,
    lipschitz: str = "gp",
    *,
    clip: float = 0.01,
    gp_weight: float = 30.0,
    power_iterations: int = 1,
    options: CriticOptions | dict | None = None,
    rng: Any = None,
    **option_overrides: Any,
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
      lower bound of :math:`W_1` (often a loose one).

    The data are standardised by :math:`z \mapsto (z - c)/s` with one scalar :math:`s` (the
    pooled standard deviation) fitted on the pooled sample; the critic is trained there and
    its output multiplied by :math:`s`, so the estimate scales exactly with the data and the
    constraints (``clip``, ``gp_weight``) act in standardised units. Cross-fitting as in
    :func:`fgan`.

    Parameters
    ----------
    x, y : array_like, shape (n, d) and (m, d)
        Samples of :math:`P` and :math:`Q`.
    lipschitz : {"gp", "clip", "sn"}
        How the Lipschitz constraint is imposed.
    clip : float
        Clip value :math:`c` for ``"clip"`` (default 0.01, the original WGAN's).
    gp_weight : float
        :math:`\lambda` for ``"gp"`` (default 30, in standardised units). The penalty lets
        the critic's slope exceed 1 where that raises the objective: for a linear optimal
        critic the slope settles at :math:`1 + W_1/(2\lambda s)`, so the estimate is inflated
        by that factor. With Gulrajani et al.'s :math:`\lambda = 10` this was +4.9 % on a
        unit translation and the intervals missed; 30 gives about +1.6 %.
    power_iterations : int
        Power-iteration steps per training step for ``"sn"`` (default 1).
    options, rng, **option_overrides
        As in :func:`fgan` (default critic ``MLPSpec(64, 2, "leaky_relu")``).

    Returns
    -------
    CriticResult
        ``critic(z)`` is :math:`V(z)` in the caller's units, ``critic.gradient(z)`` its
        gradient. ``details["lipschitz_estimate"]``: the largest
        :math:`\lVert\nabla_x V\rVert` seen at evaluation samples and interpolates (a lower
        bound of the Lipschitz constant).

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
    >>> w = adversarial.wgan(x, y, "gp", steps=600, rng=0)  # W1 = 2
    >>> bool(1.8 < w.value < 2.2 and w.ci[0] < 2.0 < w.ci[1])
    True
    """
    lipschitz = check_choice(lipschitz, "lipschitz", ("gp", "clip", "sn"))
    clip = check_positive(clip, "clip")
    gp_weight = check_positive(gp_weight, "gp_weight")  # 0 leaves the critic unconstrained
    power_iterations = check_int(power_iterations, "power_iterations", min_value=1)
    st = _setup(x, y, options, option_overrides, rng, isotropic=True)
    xp, opts, gen = st.xp, st.opts, st.gen
    spec = C.MLPSpec.coerce(opts.critic, C.MLPSpec(activation="leaky_relu"))
    act = spec.activation
    d = st.x.shape[1]
    like = st.x

    def per_sample(ps, xs, ys):
        return _forward_chunked(ps, xs, act, xp), _forward_chunked(ps, ys, act, xp)

    def build(x_tr, y_tr, x_va, y_va):
        params = C.init_params(d, spec, gen, xp, dtype=like.dtype, like=like)
        state: dict[str, Any] = {"params": params}
        if lipschitz == "clip":
            state["params"] = [(xp.clip(w, -clip, clip), xp.clip(b, -clip, clip))
                               for w, b in params]
        if lipschitz == "sn":
            us = [from_numpy(gen.normal(size=w.shape[0]), xp, like=like, dtype=like.dtype)
                  for w, _ in params]
            _, us, _, _ = C.spectral_normalize(params, us, xp, n_iter=20)
            state["us"] = us

        def effective(st_, n_iter=0):
            if lipschitz != "sn":
                return st_["params"], st_
            eff, us_, vs, sig = C.spectral_normalize(st_["params"], st_["us"], xp,
                                                     n_iter=max(n_iter, power_iterations))
            return eff, dict(st_, us=us_, _vs=vs, _sig=sig)

        # fixed validation interpolates for the penalised validation objective
        nv = min(x_va.shape[0], y_va.shape[0])
        t_va = from_numpy(gen.uniform(size=(nv, 1)), xp, like=like, dtype=like.dtype)
        xhat_va = t_va * x_va[:nv, ...] + (1.0 - t_va) * y_va[:nv, ...]

        def step(st_, xb, yb, rng_):
            eff, st2 = effective(st_)
            if lipschitz == "sn":
                st_.update(us=st2["us"])  # persistent power-iteration vectors
            n = xb.shape[0]
            v, cache = C.forward(eff, xp.concat([xb, yb], axis=0), act, xp)
            val = xp.mean(v[:n]) - xp.mean(v[n:])
            gv = xp.concat([xp.ones_like(v[:n]) * (-1.0 / n),
                            xp.ones_like(v[n:]) * (1.0 / (v.shape[0] - n))])
            grads = C.backward(eff, cache, gv, act, xp)
            if lipschitz == "gp":
                m = min(n, yb.shape[0])
                t = from_numpy(rng_.uniform(size=(m, 1)), xp, like=xb, dtype=xb.dtype)
                xhat = t * xb[:m, ...] + (1.0 - t) * yb[:m, ...]
                pen, gpen, _ = C.gradient_penalty(eff, xhat, act, xp, gp_weight)
                grads = [(gw + pw, gb + pb)
                         for (gw, gb), (pw, pb) in zip(grads, gpen, strict=True)]
                val = val - pen
            if lipschitz == "sn":
                grads = C.spectral_backward(grads, eff, st2["us"], st2["_vs"], st2["_sig"], xp)
            return val, grads

        def post_step(st_):
            if lipschitz == "clip":
                st_ = dict(st_, params=[(xp.clip(w, -clip, clip), xp.clip(b, -clip, clip))
                                        for w, b in st_["params"]])
            return st_

        def validate(st_):
            eff, _ = effective(st_)
            a, b = per_sample(eff, x_va, y_va)
            val = xp.mean(a) - xp.mean(b)
            if lipschitz == "gp":
                val = val - C.gradient_penalty(eff, xhat_va, act, xp, gp_weight)[0]
            return float(to_numpy(val))

        def finalize(st_):
            return effective(st_, n_iter=500)[0] if lipschitz == "sn" else st_["params"]

        def diagnose(ps, x_ev, y_ev):
            # Lipschitz diagnostic on evaluation points and their interpolates (scale-free:
            # the standardising map and the output factor s cancel in the gradient norm)
            m = min(x_ev.shape[0], y_ev.shape[0])
            t = from_numpy(gen.uniform(size=(m, 1)), xp, like=like, dtype=like.dtype)
            probe = xp.concat([x_ev, y_ev, t * x_ev[:m, ...] + (1.0 - t) * y_ev[:m, ...]],
                              axis=0)
            _, cache = C.forward(ps, probe, act, xp)
            gnorm = np.asarray(to_numpy(
                xp.sqrt(xp.sum(C.input_gradient(ps, cache, act, xp) ** 2, axis=1))))
            return {"lipschitz_estimate": float(gnorm.max()),
                    "gradient_norm_q90": float(np.quantile(gnorm, 0.9))}

        problem = _Problem(step=step, validate=validate, finalize=finalize,
                           post_step=post_step)
        return problem, state, per_sample, diagnose

    folds = _run_folds("wgan", st, build, f"wgan[{lipschitz}]")
    s_out = st.affine.iso_scale if opts.standardize else 1.0
    extra = {"lipschitz": lipschitz, "clip": clip if lipschitz == "clip" else None,
             "gp_weight": gp_weight if lipschitz == "gp" else None,
             "lipschitz_estimate": max(f.extra["lipschitz_estimate"] for f in folds),
             "gradient_norm_q90": max(f.extra["gradient_norm_q90"] for f in folds)}
    result = _finish("wgan", st, folds, spec, None, extra, s_out)
    _check_wgan_result(result, lipschitz)
    return result


#: Largest 90th percentile of the critic's gradient norm (evaluation points and
#: interpolates) accepted silently for the "gp" and "sn" critics; a W1 critic is 1-Lipschitz
#: (the maximum of short, noisy runs reaches ~1.8, so a robust statistic with margin is used).
_LIPSCHITZ_WARN = 2.0


def _check_wgan_result(result: CriticResult, lipschitz: str) -> None:
    """Warn when a WGAN result cannot be a W1 estimate: a critic far from 1-Lipschitz (the
    estimate is inflated by about that factor) or an estimate whose CI lies below 0 (W1 >= 0:
    training went the wrong way, typically a too large learning rate)."""
    lip = result.details["gradient_norm_q90"]
    if lipschitz in ("gp", "sn") and lip > _LIPSCHITZ_WARN:
        warnings.warn(
            f"wgan: the critic's gradient norm is {lip:.3g} or more on 10 % of the evaluation "
            "points and interpolates (a W1 critic is 1-Lipschitz), "
            f"so the estimate {result.value:.4g} is inflated; raise `gp_weight`",
            DivlabWarning,
            stacklevel=3,
        )
    hi = result.ci[1] if result.ci is not None else result.value
    if hi < 0:
        warnings.warn(
            f"wgan: the estimate {result.value:.4g} is negative (W1 >= 0): the critic "
            f"learned the wrong direction; lower the learning rate `lr` (now "
            f"{result.details['options'].lr:g})",
            DivlabWarning,
            stacklevel=3,
        )
