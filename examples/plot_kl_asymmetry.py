"""
Forward KL covers, reverse KL seeks a mode
==========================================

The lecture's picture of the two KL divergences. The "real" distribution :math:`p_r` is a
mixture of two narrow bumps; the model :math:`p_\\theta` is a single Gaussian bump with
mean :math:`\\mu` and width :math:`\\sigma`. Everything lives on a grid of 241 points, so
:func:`divlab.kl` and :func:`divlab.reverse_kl` are exact sums.

* Minimising the **forward** KL :math:`D_{KL}(p_r\\|p_\\theta) = \\sum p_r \\log(p_r/p_\\theta)`
  punishes :math:`p_\\theta \\approx 0` wherever :math:`p_r > 0`: the fit spreads over both
  modes (mass-covering, what maximum likelihood does).
* Minimising the **reverse** KL :math:`D_{KL}(p_\\theta\\|p_r)` punishes :math:`p_\\theta > 0`
  wherever :math:`p_r \\approx 0`: the fit locks onto one mode (mode-seeking). The GAN
  generator's :math:`-\\log D^*` objective contains :math:`D_{KL}(p_\\theta\\|p_r)` -- the
  lecture's explanation of mode collapse.

We fit :math:`(\\mu, \\sigma)` by a grid search (no optimiser needed). The reverse-KL fit
reproduces one component exactly, where :math:`p_r = p_\\theta / 2`, so its value is
exactly :math:`\\log 2`.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from divlab import js, kl, reverse_kl

x = np.linspace(-6.0, 6.0, 241)


def bump(mu, sigma):
    """A Gaussian bump discretised on the grid (normalised to sum 1)."""
    w = np.exp(-0.5 * ((x - mu) / sigma) ** 2)
    return w / w.sum()


p_r = 0.5 * bump(-2.5, 0.6) + 0.5 * bump(2.5, 0.6)

mus = np.linspace(-4.0, 4.0, 81)
sigmas = np.linspace(0.2, 4.0, 77)
forward = np.empty((mus.size, sigmas.size))
reverse = np.empty_like(forward)
for i, mu in enumerate(mus):
    for j, s in enumerate(sigmas):
        q = bump(mu, s)
        forward[i, j] = kl(p_r, q)  # D_KL(p_r || p_theta)
        reverse[i, j] = reverse_kl(p_r, q)  # D_KL(p_theta || p_r)

i_f, j_f = np.unravel_index(np.argmin(forward), forward.shape)
i_r, j_r = np.unravel_index(np.argmin(reverse), reverse.shape)
q_f = bump(mus[i_f], sigmas[j_f])
q_r = bump(mus[i_r], sigmas[j_r])
print(f"forward KL fit: mu = {mus[i_f]:+.2f}, sigma = {sigmas[j_f]:.2f}, "
      f"KL(p_r||q) = {forward[i_f, j_f]:.3f}, JS = {float(js(p_r, q_f)):.3f}")
print(f"reverse KL fit: mu = {mus[i_r]:+.2f}, sigma = {sigmas[j_r]:.2f}, "
      f"KL(q||p_r) = {reverse[i_r, j_r]:.3f}, JS = {float(js(p_r, q_r)):.3f}")

fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
ax = axes[0]
ax.fill_between(x, p_r, color="0.8", label=r"$p_r$ (bimodal)")
ax.plot(x, q_f, label=r"argmin $D_{KL}(p_r\|p_\theta)$ (forward)")
ax.plot(x, q_r, label=r"argmin $D_{KL}(p_\theta\|p_r)$ (reverse)")
ax.set_xlabel("x")
ax.set_title("best single-bump fits")
ax.legend(fontsize=8)
extent = [sigmas[0], sigmas[-1], mus[0], mus[-1]]
for ax, values, title, (ii, jj) in (
    (axes[1], forward, r"forward $\log D_{KL}(p_r\|p_\theta)$", (i_f, j_f)),
    (axes[2], reverse, r"reverse $\log D_{KL}(p_\theta\|p_r)$", (i_r, j_r)),
):
    im = ax.imshow(np.log(values), origin="lower", aspect="auto", extent=extent, cmap="viridis")
    ax.plot(sigmas[jj], mus[ii], "r*", ms=12)
    ax.set_xlabel(r"$\sigma$")
    ax.set_ylabel(r"$\mu$")
    ax.set_title(title)
    fig.colorbar(im, ax=ax)
fig.tight_layout()
plt.savefig("kl_asymmetry.png", dpi=100)
