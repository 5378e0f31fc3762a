"""
The GAN critic recovers the optimal discriminator
=================================================

The lecture's optimal discriminator for fixed :math:`p_r, p_\\theta` is
:math:`D^*(x) = p_r(x)/(p_r(x)+p_\\theta(x))`, and at :math:`D^*` the GAN objective equals
:math:`2\\,\\mathrm{JS}(p_r\\|p_\\theta) - 2\\log 2`. We train the f-GAN critic of the ``"gan"``
entry (:math:`T = g_f(V) = -\\log(1+e^{-V})`, i.e. :math:`D = \\mathrm{sigmoid}(V)`) on
samples of :math:`P = 0.5\\,N(-1, 0.5^2) + 0.5\\,N(1.5, 0.7^2)` and :math:`Q = N(0.5, 1)`
and compare with the exact :math:`D^*` and with the objective computed by quadrature.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from scipy import integrate, stats

from divlab import adversarial

p = lambda z: 0.5 * stats.norm(-1.0, 0.5).pdf(z) + 0.5 * stats.norm(1.5, 0.7).pdf(z)  # noqa: E731
q = stats.norm(0.5, 1.0).pdf
rng = np.random.default_rng(0)
n = 10_000
comp = rng.integers(0, 2, n)
x = np.where(comp == 0, rng.normal(-1.0, 0.5, n), rng.normal(1.5, 0.7, n))
y = rng.normal(0.5, 1.0, n)

res = adversarial.fgan(x, y, divergence="gan", critic={"width": 32}, steps=6000, patience=60,
                      rng=0)


def js_integrand(z):
    m = 0.5 * (p(z) + q(z))
    return 0.5 * p(z) * math.log(p(z) / m) + 0.5 * q(z) * math.log(q(z) / m)


js = integrate.quad(js_integrand, -10, 10, limit=200)[0]
# central 95 % of the mixture mass (P + Q) / 2
grid = np.linspace(-6, 7, 20001)
cdf = np.cumsum(0.5 * (p(grid) + q(grid)))
cdf /= cdf[-1]
lo, hi = np.interp([0.025, 0.975], cdf, grid)
z = np.linspace(lo, hi, 400)
d_star = p(z) / (p(z) + q(z))
d_hat = np.asarray(res.critic.discriminator(z[:, None]))
print(f"max |D - D*| on the central 95 % of mass [{lo:.2f}, {hi:.2f}]: "
      f"{np.max(np.abs(d_hat - d_star)):.4f}")
print(f"held-out GAN objective {res.value:.4f} (CI {res.ci[0]:.4f}..{res.ci[1]:.4f}); "
      f"2 JS - 2 log 2 = {2 * js - 2 * math.log(2):.4f} (quadrature)")

zz = np.linspace(-4, 5, 400)
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(zz, p(zz), label="$p_r$")
ax.plot(zz, q(zz), label=r"$p_\theta$")
ax.plot(zz, p(zz) / (p(zz) + q(zz)), "k--", label="$D^*$")
ax.plot(zz, np.asarray(res.critic.discriminator(zz[:, None])), "C3", label="learned $D$")
ax.axvspan(lo, hi, color="0.9", zorder=-1)
ax.legend()
fig.tight_layout()
fig.savefig("fgan_discriminator.png", dpi=100)
plt.show()
