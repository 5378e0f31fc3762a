"""
Estimates, confidence intervals and truth as the sample size grows
==================================================================

:func:`divlab.compare` on the two Gaussians of ``divlab compare --demo``
(:math:`P = \\mathcal N(0, I_2)`, :math:`Q = \\mathcal N((1, 0), \\mathrm{diag}(2, 1/2))`),
whose KL divergence, Jensen–Shannon divergence and :math:`W_2` distance are known (closed forms
and quadrature, see :mod:`divlab._demo`). For each sample size the estimate and its 95 %
half-sampling confidence interval are drawn against the true value.

The intervals shrink like :math:`1/\\sqrt n`. They describe sampling variability only: the
empirical :math:`W_2` approaches the truth from above (plug-in bias), the k-NN KL estimate
from below for small ``n``.
"""

import matplotlib.pyplot as plt
import numpy as np

from divlab import compare
from divlab._demo import demo_data, demo_truth

truth = demo_truth()
sizes = [100, 250, 500, 1000, 2000]
metrics = ["kl", "js", "w2"]
rows = {m: [] for m in metrics}
for n in sizes:
    x, y = demo_data(n, rng=n)
    report = compare(x, y, metrics=metrics, n_resamples=100, rng=0)
    for m in metrics:
        e = report[m]
        rows[m].append((e.value, e.ci[0], e.ci[1]))

# %%
# The last report, as ``print(report)`` shows it:
print(report.with_truth(truth))

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), constrained_layout=True)
labels = {"kl": "KL(P||Q) [nats]", "js": "JS(P, Q) [nats]", "w2": "W2(P, Q)"}
for ax, m in zip(axes, metrics, strict=True):
    v = np.array(rows[m])
    ax.errorbar(sizes, v[:, 0], yerr=[v[:, 0] - v[:, 1], v[:, 2] - v[:, 0]], fmt="o-",
                capsize=3, label="estimate, 95 % CI")
    ax.axhline(truth[m], color="k", ls="--", label="truth")
    ax.set_xscale("log")
    ax.set_xlabel("n = m (samples per dataset)")
    ax.set_title(labels[m])
axes[0].legend(loc="lower right")
fig.savefig("compare_convergence.png", dpi=100)
plt.show()
