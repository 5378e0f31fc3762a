"""
Detecting data drift with permutation tests
===========================================

A model is trained on a *reference* batch of data; later batches should come from the same
distribution. :func:`divlab.compare` tests "same distribution" with permutation p-values and
measures *how much* the data moved.

The data are the 569 tumour measurements (30 features) of scikit-learn's breast-cancer
dataset, shipped with scikit-learn (no download); without scikit-learn, a generated
30-dimensional dataset of the same size stands in. The reference batch is a random half; the
new batch is the other half, after a simulated *sensor drift*: a few features are rescaled by
``1 + s`` for growing ``s``. A batch with a different class mix (only benign tumours) shows a
*population shift*.
"""

import matplotlib.pyplot as plt
import numpy as np

from divlab import compare

try:  # scikit-learn is not a divlab dependency: use it only when installed
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    X, label = data.data, data.target
    source = "scikit-learn breast-cancer data"
except ImportError:
    gen = np.random.default_rng(0)
    label = (gen.random(569) < 0.63).astype(int)
    X = gen.normal(size=(569, 30)) + 0.8 * label[:, None] * gen.normal(size=30)
    source = "generated data (scikit-learn not installed)"

rng = np.random.default_rng(0)
perm = rng.permutation(len(X))
ref_idx, new_idx = perm[: len(X) // 2], perm[len(X) // 2 :]
mu, sd = X[ref_idx].mean(axis=0), X[ref_idx].std(axis=0)
Z = (X - mu) / sd  # standardise with the reference statistics
ref = Z[ref_idx]

# %%
# No drift: the two halves of one dataset
report = compare(ref, Z[new_idx], metrics=["mmd", "energy", "sliced_w1"], n_resamples=200,
                 rng=0)
print(source)
print(report)

# %%
# Sensor drift of growing size on five features
drifted = [0, 3, 7, 12, 20]
scales = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5]
pvals = {"mmd": [], "energy": [], "sliced_w1": []}
for s in scales:
    new = X[new_idx].copy()
    new[:, drifted] *= 1.0 + s
    rep = compare(ref, (new - mu) / sd, metrics=list(pvals), n_resamples=200, rng=0)
    for m in pvals:
        pvals[m].append(rep[m].p_value)
    print(f"s = {s:4.2f}: " + ", ".join(f"{m} p = {rep[m].p_value:.3f}" for m in pvals))

# %%
# Population shift: the new batch holds benign tumours only
benign = new_idx[label[new_idx] == 1]
print(compare(ref, Z[benign], metrics=["mmd", "energy", "sliced_w1"], n_resamples=200,
              rng=0).to_markdown())

# %%
fig, ax = plt.subplots(figsize=(6, 3.6), constrained_layout=True)
for m, p in pvals.items():
    ax.plot(scales, p, "o-", label=m)
ax.axhline(0.05, color="k", ls=":", label="5 % level")
ax.set_yscale("log")
ax.set_xlabel("relative rescaling s of 5 of the 30 features")
ax.set_ylabel("permutation p-value")
ax.set_title("Drift detection: p-value of 'same distribution'")
ax.legend()
fig.savefig("drift_detection.png", dpi=100)
plt.show()
