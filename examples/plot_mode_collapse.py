"""
Mode collapse: recall and coverage see it, FID hardly does
==========================================================

The lecture's failure mode of GANs: the generator drops modes of the data distribution.
Here the "features" of real images are a mixture of 100 Gaussian modes in d = 16 (the
mode centres drawn from :math:`\\mathcal N(0, 4I)`, within-mode spread 0.5). Two kinds of
generator are compared against 2000 real points:

* **mode collapse**: samples of the right shape, but only from a fraction of the modes;
* **shift**: all modes, every sample moved by the same small offset (a fidelity error).

Left: as modes are dropped, recall and coverage fall in proportion to the modes kept, while
precision and density (fidelity) stay put. Right: FID cannot tell the two failures apart:
dropping 20 % of the modes gives the FID of a barely visible shift, and dropping 60 % the
FID of a shift that halves precision. FID only compares means and covariances, which a
generator keeping most modes barely changes; the k-NN manifold metrics separate fidelity
(precision, density) from diversity (recall, coverage). Error bars: 95 % half-sampling
intervals.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from divlab.generative import fid, prdc

rng = np.random.default_rng(0)
d, n_modes, n = 16, 100, 2000
centres = 2.0 * rng.standard_normal((n_modes, d))


def sample(m, keep=n_modes, shift=0.0):
    """``m`` points from the first ``keep`` modes, all moved by ``shift`` per coordinate."""
    lab = rng.integers(0, keep, m)
    return centres[lab] + 0.5 * rng.standard_normal((m, d)) + shift


x = sample(n)


def evaluate(y):
    f = fid(x, y, n_resamples=20, rng=1)
    r = prdc(x, y, n_resamples=20, rng=1)
    return f, r


fractions = [1.0, 0.8, 0.6, 0.4, 0.2]
shifts = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
collapse = [evaluate(sample(n, keep=round(f * n_modes))) for f in fractions]
shifted = [evaluate(sample(n, shift=s)) for s in shifts]

for f, (e, r) in zip(fractions, collapse, strict=True):
    print(f"modes kept {f:.0%}: FID {e.value:6.3f}  " + "  ".join(
        f"{k} {v.value:.3f}" for k, v in r.items()))
for s, (e, r) in zip(shifts, shifted, strict=True):
    print(f"shift {s:.1f}:      FID {e.value:6.3f}  " + "  ".join(
        f"{k} {v.value:.3f}" for k, v in r.items()))


def bars(est):
    v = np.array([e.value for e in est])
    lo = np.array([e.ci[0] for e in est])
    hi = np.array([e.ci[1] for e in est])
    return v, np.vstack([v - lo, hi - v]).clip(0)


fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
ax = axes[0]
for key, style in (("recall", "o-"), ("coverage", "s-"), ("precision", "^--"),
                   ("density", "v--")):
    v, err = bars([r[key] for _, r in collapse])
    ax.errorbar(fractions, v, yerr=err, fmt=style, capsize=3, label=key)
ax.plot([0.2, 1.0], [0.2, 1.0], color="0.7", lw=1, zorder=0, label="fraction kept")
ax.set_xlabel("fraction of modes the generator keeps")
ax.set_ylabel("metric")
ax.set_title("mode collapse: diversity metrics fall, fidelity stays")
ax.invert_xaxis()
ax.legend(fontsize=8, loc="lower left")

ax = axes[1]
for family, runs, marker, labels in (("mode collapse", collapse, "o", fractions),
                                     ("shift", shifted, "s", shifts)):
    fv, ferr = bars([e for e, _ in runs])
    rv = np.array([r["recall"].value for _, r in runs])
    pv = np.array([r["precision"].value for _, r in runs])
    ax.errorbar(fv, rv, xerr=ferr, fmt=marker + "-", capsize=3, label=f"{family}: recall")
    ax.plot(fv, pv, marker + ":", color=ax.lines[-1].get_color(), alpha=0.6,
            label=f"{family}: precision")
    for f, r_, lab in zip(fv, rv, labels, strict=True):
        if lab in (0.0, 1.0) or f > 6:
            continue
        text = f"{lab:.0%} kept" if family == "mode collapse" else f"shift {lab}"
        ax.annotate(text, (f, r_), textcoords="offset points", xytext=(4, 4), fontsize=7)
ax.set_xlim(0, 6)
ax.text(5.9, 0.21, f"20 % kept: FID {collapse[-1][0].value:.1f} (off the axis)", ha="right",
        fontsize=7)
ax.set_xlabel("FID (squared W2 of the fitted Gaussians)")
ax.set_ylabel("recall / precision")
ax.set_title("same FID, different failures")
ax.legend(fontsize=8)
fig.tight_layout()
plt.savefig("mode_collapse.png", dpi=100)
