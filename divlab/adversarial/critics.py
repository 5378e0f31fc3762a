r"""Multilayer-perceptron critics with hand-derived gradients, written against the array API.

The critic is a fully connected network :math:`V_\omega : \mathbb{R}^d \to \mathbb{R}`

.. math::

    h_0 = x,\qquad a_l = h_{l-1} W_l + b_l,\quad h_l = \sigma(a_l)\ (l = 1..L),\qquad
    V = h_L w_{\mathrm{out}} + b_{\mathrm{out}},

with ``L = depth`` hidden layers of ``width`` units. Three hand-derived passes are provided
(no autodiff framework; only ``xp.*`` operations, so the same code runs on NumPy, CuPy and
``array_api_strict``; float32 parameters stay float32):

* :func:`backward` -- reverse-mode gradient of :math:`\sum_i c_i V(x_i)` with respect to every
  weight and bias (ordinary backprop);
* :func:`input_gradient` -- :math:`\nabla_x V(x)` per sample
  (:math:`g_L = w_{\mathrm{out}}^\top`, :math:`u_l = g_l \odot \sigma'(a_l)`,
  :math:`g_{l-1} = u_l W_l^\top`, :math:`\nabla_x V = g_0`);
* :func:`gradient_penalty` -- the improved-WGAN penalty
  :math:`P = \lambda\,\frac1n\sum_i (\lVert\nabla_x V(\hat x_i)\rVert - 1)^2` **and its
  gradient with respect to the weights** (double backprop, derived by hand): the adjoint
  :math:`\bar g_0 = \partial P/\partial g_0` is pushed back through the input-gradient pass
  (:math:`\bar W_l \mathrel{+}= \bar g_{l-1}^\top u_l`, :math:`\bar u_l = \bar g_{l-1} W_l`,
  :math:`\bar g_l = \bar u_l \odot \sigma'(a_l)`, and the second-order injection
  :math:`\bar a_l = \bar u_l \odot g_l \odot \sigma''(a_l)`), then :math:`\bar a_l` is
  back-propagated through the forward pass like ordinary backprop.

  For piecewise-linear activations (``relu``, ``leaky_relu``) :math:`\sigma'' = 0` almost
  everywhere, so the second-order injection vanishes: the penalty then depends on the
  weights only through the products :math:`W_l` along the active paths and its gradient
  with respect to the hidden biases is exactly zero (a.e.). This is the a.e. derivative, the
  same one autodiff frameworks return; the smooth activations (``tanh``, ``softplus``,
  ``elu``, ``sigmoid``) give a penalty that is differentiable everywhere (``elu`` has a jump
  in :math:`\sigma''` at 0 only).

  The norm is smoothed as :math:`\lVert g\rVert = \sqrt{\sum_k g_k^2 + \epsilon}` with
  :math:`\epsilon = 10^{-12}` so that the penalty is differentiable when :math:`\nabla_x V = 0`.

Spectral normalisation (Miyato et al., 2018) is supported by :func:`spectral_normalize` and
:func:`spectral_backward`: the layer uses :math:`W = \tilde W/\sigma` with
:math:`\sigma = u^\top \tilde W v` from power iteration; the weight gradient is the exact
derivative of :math:`\tilde W / (u^\top\tilde W v)` with :math:`u, v` held fixed (what autodiff
computes in Miyato et al.'s implementation), :math:`\partial L/\partial\tilde W =
(G - \langle G, W\rangle\, u v^\top)/\sigma`; it is the exact derivative of
:math:`\tilde W/\sigma_{\max}(\tilde W)` once the power iteration has converged.

Every gradient is checked against central finite differences in float64 in
``tests/test_adversarial_gradients.py``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np

from .._array import from_numpy, sigmoid, softplus
from .._validate import check_choice, check_int
from ..errors import ParameterError

__all__ = [
    "ACTIVATIONS",
    "MLPSpec",
    "activation",
    "activation_derivatives",
    "init_params",
    "forward",
    "backward",
    "input_gradient",
    "gradient_penalty",
    "power_iteration",
    "spectral_normalize",
    "spectral_backward",
]

#: Activations understood by the critic.
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "softplus", "elu", "sigmoid")

#: Negative slope of ``leaky_relu``.
LEAKY_SLOPE = 0.2

#: Smoothing added under the square root of the gradient norm in the gradient penalty.
GP_NORM_EPS = 1e-12

Params = list[tuple[Any, Any]]


@dataclass(frozen=True)
class MLPSpec:
    """Architecture of an MLP critic.

    Parameters
    ----------
    width : int
        Units per hidden layer (default 64).
    depth : int
        Number of hidden layers (default 2); 0 gives a linear critic.
    activation : str
        One of ``"relu"``, ``"leaky_relu"`` (slope 0.2), ``"tanh"``, ``"softplus"``,
        ``"elu"``, ``"sigmoid"``.
    """

    width: int = 64
    depth: int = 2
    activation: str = "softplus"

    def __post_init__(self) -> None:
        check_int(self.width, "width", min_value=1)
        check_int(self.depth, "depth", min_value=0)
        check_choice(self.activation, "activation", ACTIVATIONS)

    @classmethod
    def coerce(cls, spec: Any, default: MLPSpec | None = None) -> MLPSpec:
        """Accept ``None`` (default), an :class:`MLPSpec` or a dict of its fields."""
        if spec is None:
            return default if default is not None else cls()
        if isinstance(spec, cls):
            return spec
        if isinstance(spec, dict):
            unknown = set(spec) - {"width", "depth", "activation"}
            if unknown:
                raise ParameterError(
                    f"`critic` has unknown key(s) {sorted(unknown)}; use width, depth, activation"
                )
            base = default if default is not None else cls()
            return cls(**{**base.__dict__, **spec})
        raise ParameterError(
            "`critic` must be None, an MLPSpec or a dict(width=, depth=, activation=), got "
            f"{type(spec).__name__}"
        )


def activation(name: str, a: Any, xp: ModuleType) -> Any:
    """Apply activation ``name`` elementwise."""
    if name == "relu":
        return xp.maximum(a, xp.zeros_like(a))
    if name == "leaky_relu":
        return xp.where(a > 0, a, a * LEAKY_SLOPE)
    if name == "tanh":
        return xp.tanh(a)
    if name == "softplus":
        return softplus(a, xp)
    if name == "elu":
        return xp.where(a > 0, a, xp.expm1(xp.minimum(a, xp.zeros_like(a))))
    if name == "sigmoid":
        return sigmoid(a, xp)
    raise ParameterError(f"`activation`={name!r} is not one of: {', '.join(ACTIVATIONS)}")


def activation_derivatives(name: str, a: Any, xp: ModuleType, *, second: bool = False):
    """Return ``(sigma'(a), sigma''(a))``; the second is ``None`` unless ``second=True``.

    For ``relu``/``leaky_relu`` the second derivative is 0 (almost everywhere).
    """
    one = xp.ones_like(a)
    d2 = None
    if name == "relu":
        d1 = xp.where(a > 0, one, xp.zeros_like(a))
        if second:
            d2 = xp.zeros_like(a)
    elif name == "leaky_relu":
        d1 = xp.where(a > 0, one, one * LEAKY_SLOPE)
        if second:
            d2 = xp.zeros_like(a)
    elif name == "tanh":
        t = xp.tanh(a)
        d1 = 1.0 - t * t
        if second:
            d2 = -2.0 * t * d1
    elif name == "softplus":
        s = sigmoid(a, xp)
        d1 = s
        if second:
            d2 = s * (1.0 - s)
    elif name == "elu":
        e = xp.exp(xp.minimum(a, xp.zeros_like(a)))
        d1 = xp.where(a > 0, one, e)
        if second:
            d2 = xp.where(a > 0, xp.zeros_like(a), e)
    elif name == "sigmoid":
        s = sigmoid(a, xp)
        d1 = s * (1.0 - s)
        if second:
            d2 = d1 * (1.0 - 2.0 * s)
    else:
        raise ParameterError(f"`activation`={name!r} is not one of: {', '.join(ACTIVATIONS)}")
    return d1, d2


def init_params(
    d: int, spec: MLPSpec, rng: np.random.Generator, xp: ModuleType, *, dtype: Any, like: Any
) -> Params:
    """Draw initial weights on the host from ``rng`` and move them to ``like``'s device.

    He/Glorot-style uniform init: ``W ~ U(-s, s)`` with ``s = sqrt(6 / (fan_in + fan_out))``
    (times ``sqrt(2)`` for the ReLU family), biases 0.
    """
    sizes = [d] + [spec.width] * spec.depth + [1]
    gain = math.sqrt(2.0) if spec.activation in ("relu", "leaky_relu", "elu") else 1.0
    params: Params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        s = gain * math.sqrt(6.0 / (fan_in + fan_out))
        w = rng.uniform(-s, s, size=(fan_in, fan_out))
        params.append(
            (from_numpy(w, xp, like=like, dtype=dtype), from_numpy(np.zeros(fan_out), xp,
                                                                    like=like, dtype=dtype))
        )
    return params


def forward(params: Params, x: Any, act: str, xp: ModuleType):
    """Evaluate the critic; return ``(V, cache)`` with ``V`` of shape ``(n,)``.

    ``cache = (hs, pre)``: the layer inputs ``h_0..h_L`` and pre-activations ``a_1..a_L``.
    """
    hs = [x]
    pre = []
    h = x
    for w, b in params[:-1]:
        a = h @ w + b
        h = activation(act, a, xp)
        pre.append(a)
        hs.append(h)
    w, b = params[-1]
    v = xp.reshape(h @ w + b, (-1,))
    return v, (hs, pre)


def backward(params: Params, cache, gv: Any, act: str, xp: ModuleType) -> Params:
    r"""Gradient of :math:`\sum_i gv_i V(x_i)` w.r.t. each ``(W, b)`` (ordinary backprop)."""
    hs, pre = cache
    w_out = params[-1][0]
    gcol = xp.reshape(gv, (-1, 1))
    grads: Params = [None] * len(params)  # type: ignore[list-item]
    grads[-1] = (hs[-1].T @ gcol, xp.reshape(xp.sum(gv), (1,)))
    delta = gcol @ w_out.T
    for layer in range(len(params) - 2, -1, -1):
        d1, _ = activation_derivatives(act, pre[layer], xp)
        da = delta * d1
        grads[layer] = (hs[layer].T @ da, xp.sum(da, axis=0))
        if layer > 0:
            delta = da @ params[layer][0].T
    return grads


def _input_gradient_pass(params: Params, cache, act: str, xp: ModuleType, *, second: bool):
    """Backward pass of ``V`` w.r.t. the input; keeps ``g_l``, ``u_l`` and the derivatives."""
    hs, pre = cache
    n = hs[0].shape[0]
    w_out = params[-1][0]
    g = xp.ones((n, 1), dtype=w_out.dtype) @ w_out.T
    n_hidden = len(params) - 1
    gs = [None] * (n_hidden + 1)
    us = [None] * (n_hidden + 1)
    d1s = [None] * (n_hidden + 1)
    d2s = [None] * (n_hidden + 1)
    gs[n_hidden] = g
    for layer in range(n_hidden, 0, -1):
        d1, d2 = activation_derivatives(act, pre[layer - 1], xp, second=second)
        u = gs[layer] * d1
        us[layer], d1s[layer], d2s[layer] = u, d1, d2
        gs[layer - 1] = u @ params[layer - 1][0].T
    return gs, us, d1s, d2s


def input_gradient(params: Params, cache, act: str, xp: ModuleType) -> Any:
    r""":math:`\nabla_x V(x_i)` for every sample, shape ``(n, d)``."""
    gs, _, _, _ = _input_gradient_pass(params, cache, act, xp, second=False)
    return gs[0]


def gradient_penalty(params: Params, xhat: Any, act: str, xp: ModuleType, weight: float):
    r"""Gradient penalty :math:`\lambda\,\mathrm{mean}_i(\lVert\nabla_x V(\hat x_i)\rVert-1)^2`.

    Returns ``(penalty, grads, grad_norms)``: the penalty (0-d array), its gradient with
    respect to every ``(W, b)`` (double backprop, see the module docstring) and the per-sample
    norms :math:`\lVert\nabla_x V(\hat x_i)\rVert`.
    """
    _, cache = forward(params, xhat, act, xp)
    hs, _pre = cache
    gs, us, d1s, d2s = _input_gradient_pass(params, cache, act, xp, second=True)
    n = xhat.shape[0]
    g0 = gs[0]
    nrm = xp.sqrt(xp.sum(g0 * g0, axis=1) + GP_NORM_EPS)
    dev = nrm - 1.0
    penalty = weight * xp.mean(dev * dev)
    # adjoint of g_0
    bar_g = xp.reshape((2.0 * weight / n) * dev / nrm, (-1, 1)) * g0
    n_hidden = len(params) - 1
    grad_w = [None] * len(params)
    bar_a = [None] * (n_hidden + 1)
    for layer in range(1, n_hidden + 1):
        w = params[layer - 1][0]
        grad_w[layer - 1] = bar_g.T @ us[layer]
        bar_u = bar_g @ w
        bar_a[layer] = bar_u * gs[layer] * d2s[layer]
        bar_g = bar_u * d1s[layer]
    # g_L is w_out^T broadcast over samples
    grad_w[-1] = xp.reshape(xp.sum(bar_g, axis=0), (-1, 1))
    grads: Params = [None] * len(params)  # type: ignore[list-item]
    grads[-1] = (grad_w[-1], xp.zeros_like(params[-1][1]))
    bar_h = None
    for layer in range(n_hidden, 0, -1):
        d1 = d1s[layer]
        tot = bar_a[layer] if bar_h is None else bar_a[layer] + bar_h * d1
        grads[layer - 1] = (grad_w[layer - 1] + hs[layer - 1].T @ tot, xp.sum(tot, axis=0))
        if layer > 1:
            bar_h = tot @ params[layer - 1][0].T
    return penalty, grads, nrm


# ----------------------------------------------------------------------------------------
# spectral normalisation
# ----------------------------------------------------------------------------------------


def power_iteration(w: Any, u: Any, xp: ModuleType, n_iter: int = 1):
    r"""``n_iter`` power-iteration steps for the top singular pair of ``w`` (shape (m, k)).

    ``u`` has shape ``(m,)``; returns ``(u, v, sigma)`` with :math:`\sigma = u^\top w v`.
    """
    v = None
    for _ in range(max(1, n_iter)):
        v = xp.reshape(xp.reshape(u, (1, -1)) @ w, (-1,))
        v = v / (xp.sqrt(xp.sum(v * v)) + 1e-30)
        u = xp.reshape(w @ xp.reshape(v, (-1, 1)), (-1,))
        u = u / (xp.sqrt(xp.sum(u * u)) + 1e-30)
    sigma = xp.sum(u * xp.reshape(w @ xp.reshape(v, (-1, 1)), (-1,)))
    return u, v, sigma


def spectral_normalize(raw: Params, us: list, xp: ModuleType, n_iter: int = 1):
    """Divide every weight matrix by its top singular value.

    Returns ``(params, us, vs, sigmas)``.
    """
    params: Params = []
    new_us, vs, sigmas = [], [], []
    for (w, b), u in zip(raw, us, strict=True):
        u, v, s = power_iteration(w, u, xp, n_iter)
        params.append((w / s, b))
        new_us.append(u)
        vs.append(v)
        sigmas.append(s)
    return params, new_us, vs, sigmas


def spectral_backward(grads: Params, params: Params, us: list, vs: list, sigmas: list, xp):
    r"""Map gradients w.r.t. the normalised weights to the raw weights.

    :math:`\partial L/\partial\tilde W = (G - \langle G, W\rangle u v^\top)/\sigma`.
    """
    out: Params = []
    for (g, gb), (w, _), u, v, s in zip(grads, params, us, vs, sigmas, strict=True):
        inner = xp.sum(g * w)
        outer = xp.reshape(u, (-1, 1)) @ xp.reshape(v, (1, -1))
        out.append(((g - inner * outer) / s, gb))
    return out
