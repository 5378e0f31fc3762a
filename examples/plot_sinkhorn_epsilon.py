"""
Sinkhorn plans and costs as epsilon goes to zero
================================================

Entropic optimal transport between two small 2-D point clouds (squared Euclidean cost) for a
range of :math:`\\varepsilon`. As :math:`\\varepsilon \\to 0` the entropic plan sharpens into
the exact (EMD) plan, and the costs obey the entropic-bias sandwich

.. math::

   \\mathrm{OT}_0 \\le \\langle P_\\varepsilon, C\\rangle \\le \\mathrm{OT}_\\varepsilon
   \\le \\mathrm{OT}_0 + \\varepsilon \\log n .

The smallest :math:`\\varepsilon` here is :math:`10^{-4}\\max C`, where the kernel
:math:`e^{-C/\\varepsilon}` of the textbook Sinkhorn iteration underflows to 0 on whole rows;
divlab's stabilised solver is unaffected. The exact value comes from POT's ``ot.emd2``.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import ot

from divlab import pairwise_cost
from divlab.errors import ConvergenceWarning
from divlab.ot import sinkhorn

rng = np.random.default_rng(0)
n = 40
x = np.concatenate([rng.normal(size=(n // 2, 2)) * 0.4, rng.normal(size=(n // 2, 2)) * 0.4 + 3])
y = rng.normal(size=(n, 2)) * 0.6 + [1.5, 1.5]
a = np.full(n, 1.0 / n)
C = pairwise_cost(x, y, metric="sqeuclidean")
exact = ot.emd2(a, a, C)
exact_plan = ot.emd(a, a, C)

epsilons = C.max() * np.logspace(0, -4, 13)
values, objectives, results = [], [], {}
for eps in epsilons:
    with warnings.catch_warnings():
        # at the smallest epsilon, 1e-8 marginal accuracy can take more sweeps than allowed
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = sinkhorn(a, a, C, epsilon=eps, max_iter=3000)
    values.append(res.value)
    objectives.append(res.details["entropic_objective"])
    results[eps] = res
    print(f"eps/maxC={eps / C.max():8.1e}  <P,C>={res.value:9.5f}  "
          f"OT_eps={objectives[-1]:9.5f}  marginal error={res.marginal_error:.1e}")
print(f"exact OT (ot.emd2) = {exact:.5f}")

fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
ax = axes[0]
ax.loglog(epsilons, np.array(values) - exact + 1e-12, "o-",
          label=r"$\langle P_\varepsilon,C\rangle - OT_0$")
ax.loglog(epsilons, np.array(objectives) - exact, "s-", label=r"$OT_\varepsilon - OT_0$")
ax.loglog(epsilons, epsilons * np.log(n), "k--", label=r"bound $\varepsilon\log n$")
ax.set_xlabel(r"$\varepsilon$")
ax.set_title("entropic bias")
ax.legend(fontsize=8)

for ax, eps in zip(axes[1:3], (epsilons[4], epsilons[-1]), strict=True):
    ax.imshow(np.asarray(results[eps].plan), cmap="magma_r")
    ax.set_title(rf"plan, $\varepsilon$ = {eps / C.max():.0e} max C")
    ax.set_xticks([])
    ax.set_yticks([])
axes[3].imshow(exact_plan, cmap="magma_r")
axes[3].set_title("exact plan (ot.emd)")
axes[3].set_xticks([])
axes[3].set_yticks([])
fig.tight_layout()
fig.savefig("sinkhorn_epsilon.png", dpi=100)  # also without a display (MPLBACKEND=Agg)
plt.show()
