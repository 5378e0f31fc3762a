r"""One options object for both adversarial estimators, :func:`~divlab.adversarial.fgan` and
:func:`~divlab.adversarial.wgan`.

Everything that is about *training a critic and reporting its objective* (architecture,
optimiser, early stopping, how the samples are split, the interval) lives here once; what is
specific to one estimator (the divergence; the Lipschitz constraint) stays an argument of that
estimator.

>>> from divlab.adversarial import CriticOptions
>>> opts = CriticOptions(steps=500, lr=2e-3)
>>> opts.replace(n_bootstrap=0).n_bootstrap, opts.steps
(0, 500)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._validate import check_int, check_nonnegative_scalar, check_positive
from ..errors import ParameterError
from .critics import MLPSpec

__all__ = ["CriticOptions", "coerce_options"]


def _fraction(v: Any, name: str) -> float:
    v = check_positive(v, name)
    if not v < 1.0:
        raise ParameterError(f"`{name}` must be a fraction in (0, 1), got {v!r}")
    return float(v)


@dataclass(frozen=True)
class CriticOptions:
    r"""Training and reporting options shared by :func:`fgan` and :func:`wgan`.

    Parameters
    ----------
    critic : MLPSpec or dict, optional
        Architecture. ``None`` means the estimator's default
        (``MLPSpec(64, 2, "softplus")`` for f-GAN, ``MLPSpec(64, 2, "leaky_relu")`` for WGAN).
    steps, batch_size, lr : int, int, float
        Maximum number of Adam steps per critic (3000), minibatch size per sample set (256)
        and learning rate (``1e-3``; Adam betas (0.5, 0.9)).
    cross_fit : bool
        ``True`` (default): split each sample set into two halves, train one critic on each
        half and evaluate it on the other half, so that *every* sample enters the reported
        objective, evaluated by a critic that never saw it (the interval then rests on all
        ``n + m`` samples). ``False``: one critic, evaluated on a held-out fraction
        ``holdout``.
    holdout : float
        Held-out fraction when ``cross_fit=False`` (0.3).
    validation : float
        Fraction of each training part used for early stopping (0.2).
    eval_every, patience, tol : int, int, float
        The validation objective is computed every ``eval_every`` steps (25). The first time
        it has not improved by ``tol * max(1, |best|)`` for ``patience`` (20) evaluations, the
        learning rate is divided by 10 and training resumes from the best iterate; the second
        time, training stops (``converged=True``). The best validation iterate is kept.
    n_bootstrap, confidence : int, float
        Bootstrap replicates for the percentile interval ``ci`` (200; 0 disables it) and its
        level (0.95).
    standardize : bool
        ``True`` (default): fit one affine map :math:`z \mapsto (z - c)/s` on the pooled
        sample, train on the standardised data and fold the map into the returned critic.
        f-divergence estimates are then invariant under common affine changes of units and
        :math:`W_1` estimates scale exactly (WGAN uses one scalar :math:`s`).
    callback : callable, optional
        ``callback(step, info)`` after every step; ``info["objective"]`` and
        ``info["validation"]`` are filled at evaluation steps, ``info["fold"]`` is the fold
        (0 or 1). Return ``True`` to stop training that critic.
    progress : bool
        Show a tqdm progress bar (when tqdm is installed).

    Raises
    ------
    ParameterError
        An out-of-range value; the message names the option.
    """

    critic: Any = None
    steps: int = 3000
    batch_size: int = 256
    lr: float = 1e-3
    cross_fit: bool = True
    holdout: float = 0.3
    validation: float = 0.2
    eval_every: int = 25
    patience: int = 20
    tol: float = 1e-3
    n_bootstrap: int = 200
    confidence: float = 0.95
    standardize: bool = True
    callback: Callable | None = None
    progress: bool = False

    def __post_init__(self) -> None:
        s = object.__setattr__
        if self.critic is not None:
            s(self, "critic", MLPSpec.coerce(self.critic))
        s(self, "steps", check_int(self.steps, "steps", min_value=1))
        s(self, "batch_size", check_int(self.batch_size, "batch_size", min_value=1))
        s(self, "lr", float(check_positive(self.lr, "lr")))
        s(self, "holdout", _fraction(self.holdout, "holdout"))
        s(self, "validation", _fraction(self.validation, "validation"))
        s(self, "eval_every", check_int(self.eval_every, "eval_every", min_value=1))
        s(self, "patience", check_int(self.patience, "patience", min_value=1))
        s(self, "tol", float(check_nonnegative_scalar(self.tol, "tol")))
        s(self, "n_bootstrap", check_int(self.n_bootstrap, "n_bootstrap", min_value=0))
        s(self, "confidence", _fraction(self.confidence, "confidence"))
        for name in ("cross_fit", "standardize", "progress"):
            v = getattr(self, name)
            if not isinstance(v, bool):
                raise ParameterError(f"`{name}` must be True or False, got {v!r}")
        if self.callback is not None and not callable(self.callback):
            raise ParameterError(
                "`callback` must be None or callable(step, info), got "
                f"{type(self.callback).__name__}"
            )

    def replace(self, **changes: Any) -> CriticOptions:
        """A copy with some fields changed (validated like the constructor)."""
        return coerce_options(self, changes)

    def __repr__(self) -> str:
        default = CriticOptions()
        diff = [f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self)
                if getattr(self, f.name) != getattr(default, f.name)]
        return f"CriticOptions({', '.join(diff)})"


_FIELDS = frozenset(f.name for f in dataclasses.fields(CriticOptions))


def coerce_options(options: CriticOptions | dict | None, overrides: dict) -> CriticOptions:
    """``options`` (None, a :class:`CriticOptions` or a dict of its fields) with ``overrides``.

    Unknown names raise :class:`~divlab.errors.ParameterError` listing the valid ones.
    """
    if options is None:
        base: dict = {}
    elif isinstance(options, CriticOptions):
        base = {f: getattr(options, f) for f in _FIELDS}
    elif isinstance(options, dict):
        base = dict(options)
    else:
        raise ParameterError(
            f"`options` must be None, a CriticOptions or a dict, got {type(options).__name__}"
        )
    merged = {**base, **overrides}
    unknown = sorted(set(merged) - _FIELDS)
    if unknown:
        raise ParameterError(
            f"unknown option(s) {', '.join(map(repr, unknown))}; the options of the adversarial "
            f"estimators are: {', '.join(sorted(_FIELDS))}"
        )
    return CriticOptions(**merged)
