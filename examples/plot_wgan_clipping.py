"""
Weight clipping biases the WGAN estimate
========================================

The original WGAN (Arjovsky et al., 2017; lecture: :math:`\\max_{w\\in[-k,k]^l}`) keeps the
critic Lipschitz by clipping every weight to :math:`[-c, c]`. The critic is then
:math:`K`-Lipschitz for some :math:`K` fixed by :math:`c` and the architecture, not 1, so the
trained objective estimates roughly :math:`K(c)\\cdot W_1` rather than :math:`W_1`: tiny for
small :math:`c`, growing with :math:`c` (and with no guarantee of being below :math:`W_1`).
Gradient penalty and spectral normalisation, shown for comparison, target :math:`K = 1`.
The divided column uses the largest observed gradient norm as a stand-in for :math:`K`.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np

from divlab import adversarial
from divlab.errors import ConvergenceWarning
from divlab.ot import wasserstein

warnings.simplefilter("ignore", ConvergenceWarning)
rng = np.random.default_rng(0)
n = 1500
k = rng.integers(0, 8, n)
x = 2.0 * np.c_[np.cos(2 * np.pi * k / 8), np.sin(2 * np.pi * k / 8)] + 0.2 * rng.normal(
    size=(n, 2))
y = rng.normal(size=(n, 2))
w1 = float(wasserstein(x, y, p=1))

clips = [0.003, 0.01, 0.03, 0.1, 0.3]
est, lip = [], []
print(f"exact W1 = {w1:.4f}")
print("| clip c | estimate | estimate / W1 | max grad norm K | estimate / K |")
print("|---|---|---|---|---|")
for c in clips:
    r = adversarial.wgan(x, y, lipschitz="clip", clip=c, steps=1000, rng=0, cross_fit=False)
    est.append(r.value)
    lip.append(r.details["lipschitz_estimate"])
    print(f"| {c:g} | {r.value:.4f} | {r.value / w1:.3f} | {lip[-1]:.3f} | "
          f"{r.value / lip[-1]:.4f} |")
gp = adversarial.wgan(x, y, lipschitz="gp", rng=0).value
sn = adversarial.wgan(x, y, lipschitz="sn", rng=0).value
print(f"gradient penalty: {gp:.4f}; spectral normalisation: {sn:.4f}")

fig, ax = plt.subplots(figsize=(6, 4))
ax.loglog(clips, est, "o-", label="weight clipping")
ax.axhline(w1, color="k", ls="--", label="exact $W_1$")
ax.axhline(gp, color="C1", ls=":", label="gradient penalty")
ax.axhline(sn, color="C2", ls="-.", label="spectral norm")
ax.set_xlabel("clip value $c$")
ax.set_ylabel("held-out estimate")
ax.legend()
fig.tight_layout()
fig.savefig("wgan_clipping.png", dpi=100)
plt.show()
