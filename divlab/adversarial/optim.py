r"""Adam optimiser over a list of ``(W, b)`` parameter pairs, written against the array API.

Kingma & Ba (2015), minimising a loss:

.. math::

    m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad
    \theta_t = \theta_{t-1} - \eta\,\frac{m_t/(1-\beta_1^t)}{\sqrt{v_t/(1-\beta_2^t)} + \epsilon}.

Arrays are never updated in place (``array_api_strict`` has no ``out=``), so the optimiser
returns the new parameter list.
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Any

from .._validate import check_nonnegative_scalar, check_positive
from ..errors import ParameterError

__all__ = ["Adam"]


class Adam:
    """Adam with bias correction.

    Parameters
    ----------
    params : list of (W, b)
        Initial parameters (used for shapes and dtype only).
    xp : module
        Array namespace of the parameters.
    lr : float
        Step size :math:`\\eta` (default ``1e-3``).
    betas : (float, float)
        Moment decay rates (default ``(0.5, 0.9)`` as in WGAN-GP; ``(0.9, 0.999)`` is Kingma &
        Ba's default).
    eps : float
        Denominator floor (default ``1e-8``).

    Examples
    --------
    >>> import numpy as np, array_api_compat.numpy as xp
    >>> opt = Adam([(np.ones((2, 1)), np.zeros(1))], xp, lr=0.1)
    >>> p = opt.step([(np.ones((2, 1)), np.zeros(1))], [(np.ones((2, 1)), np.zeros(1))])
    >>> [round(float(w), 6) for w in p[0][0].ravel()]
    [0.9, 0.9]
    """

    def __init__(
        self,
        params: list,
        xp: ModuleType,
        *,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.5, 0.9),
        eps: float = 1e-8,
    ) -> None:
        self.lr = check_positive(lr, "lr")
        if len(betas) != 2 or not all(0.0 <= float(b) < 1.0 for b in betas):
            raise ParameterError(f"`betas` must be two numbers in [0, 1), got {betas!r}")
        self.b1, self.b2 = float(betas[0]), float(betas[1])
        self.eps = check_nonnegative_scalar(eps, "eps")
        self.xp = xp
        self.t = 0
        self.m = [tuple(xp.zeros_like(a) for a in pair) for pair in params]
        self.v = [tuple(xp.zeros_like(a) for a in pair) for pair in params]

    def step(self, params: list, grads: list) -> list:
        """Return the parameters after one descent step along ``grads`` (a loss gradient)."""
        xp = self.xp
        self.t += 1
        c1 = 1.0 - self.b1**self.t
        c2 = 1.0 - self.b2**self.t
        lr_t = self.lr * math.sqrt(c2) / c1
        eps_t = self.eps * math.sqrt(c2)
        new_params, new_m, new_v = [], [], []
        for pair, gpair, mpair, vpair in zip(params, grads, self.m, self.v, strict=True):
            out_p, out_m, out_v = [], [], []
            for p, g, m, v in zip(pair, gpair, mpair, vpair, strict=True):
                m = self.b1 * m + (1.0 - self.b1) * g
                v = self.b2 * v + (1.0 - self.b2) * (g * g)
                out_p.append(p - lr_t * m / (xp.sqrt(v) + eps_t))
                out_m.append(m)
                out_v.append(v)
            new_params.append(tuple(out_p))
            new_m.append(tuple(out_m))
            new_v.append(tuple(out_v))
        self.m, self.v = new_m, new_v
        return new_params

    def state(self) -> dict[str, Any]:
        """Step count and hyper-parameters (for ``details``)."""
        return {"t": self.t, "lr": self.lr, "betas": (self.b1, self.b2), "eps": self.eps}
