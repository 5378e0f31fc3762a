"""
Mutual-information staircase (Poole et al., 2019)
=================================================

:math:`x \\sim N(0, I_{20})`, :math:`y = \\rho x + \\sqrt{1-\\rho^2}\\,\\varepsilon`, so that
:math:`I(X;Y) = -\\tfrac{d}{2}\\log(1-\\rho^2)`; the true MI steps through 2, 4, 6, 8, 10 nats.
A joint critic :math:`V(x, y)` (MLP on the concatenated 40-D pair) is trained on minibatches
of 64 pairs: the joint distribution :math:`P` is the 64 aligned pairs, the product of the
marginals :math:`Q` is 512 mismatched pairs :math:`(x_i, y_{i+k})`, :math:`k = 1..8`, of the
same batch (a subset of Poole et al.'s 64·63, to keep the run short on a CPU). MI =
:math:`\\mathrm{KL}(P\\|Q)` and two critics are compared:

* **KL / NWJ**: trained and evaluated with the f-GAN KL bound
  :math:`\\mathbb{E}_P[V] - \\mathbb{E}_Q[e^{V-1}]` (Nguyen–Wainwright–Jordan);
* **JS**: trained with the GAN (Jensen–Shannon) objective, whose optimal logit is
  :math:`V^* = \\log p/q`, then evaluated with the NWJ bound at :math:`T = 1 + V`.

For each stage the table gives the mean (bias = mean - truth) and the standard deviation of
the per-step minibatch estimates over the second half of the stage. Observed (table in
``docs/adversarial.rst``): the NWJ-trained critic's bias grows with the MI, the JS-trained
critic is much less biased, and both NWJ evaluations have a variance that grows roughly like
:math:`e^{I}`. The figure shows the per-step estimates as a running mean over 50 steps
against the true staircase.

Takes about three minutes. Run: ``python examples/mi_staircase.py [--steps-per-stage N]``
(``--save FILE`` stores the summary and the curves as JSON). The documentation build does not
train: it sets ``DIVLAB_DOCS_BUILD=1``, and the script then draws the figure and the table
from ``examples/data/mi_staircase.json``, stored by a full run
(``python examples/mi_staircase.py --save examples/data/mi_staircase.json``).
"""

import argparse
import json
import math
import os
import time
from pathlib import Path

import array_api_compat.numpy as npx
import numpy as np
from threadpoolctl import threadpool_limits

from divlab.adversarial import critics as C
from divlab.adversarial.optim import Adam
from divlab.fdiv import get_fdivergence

D = 20
BATCH = 64
MIS = [2.0, 4.0, 6.0, 8.0, 10.0]


def rho_for(mi):
    return math.sqrt(1.0 - math.exp(-2.0 * mi / D))


N_SHIFTS = 8


def pairs(x, y):
    """Aligned pairs (P) and mismatched pairs (x_i, y_{i+k}), k = 1..8 (Q) of a batch."""
    joint = np.concatenate([x, y], axis=1)
    prod = np.concatenate([np.concatenate([x, np.roll(y, k, axis=0)], axis=1)
                           for k in range(1, N_SHIFTS + 1)])
    return joint, prod


def nwj(v_p, v_q, shift):
    """NWJ bound with T = V + shift: mean_P T - mean_Q exp(T - 1)."""
    t_q = v_q + shift - 1.0
    m = np.max(t_q)
    return float(np.mean(v_p + shift) - np.exp(m) * np.mean(np.exp(t_q - m)))


def run(kind, steps_per_stage, seed):
    rng = np.random.default_rng(seed)
    spec = C.MLPSpec(width=128, depth=2, activation="relu")
    params = C.init_params(2 * D, spec, rng, npx, dtype=np.float64, like=None)
    opt = Adam(params, npx, lr=5e-4, betas=(0.9, 0.999))
    fd = get_fdivergence("kl" if kind == "nwj" else "gan")
    act = spec.activation
    shift = 0.0 if kind == "nwj" else 1.0
    estimates = []
    for mi in MIS:
        rho = rho_for(mi)
        for _ in range(steps_per_stage):
            x = rng.normal(size=(BATCH, D))
            y = rho * x + math.sqrt(1 - rho**2) * rng.normal(size=(BATCH, D))
            joint, prod = pairs(x, y)
            v, cache = C.forward(params, np.concatenate([joint, prod]), act, npx)
            v_p, v_q = v[:BATCH], v[BATCH:]
            estimates.append(nwj(v_p, v_q, shift))
            with np.errstate(over="ignore"):
                gp = fd.activation_derivative(v_p) / BATCH
                gq = -fd.conjugate_activation_derivative(v_q) / v_q.shape[0]
            grads = C.backward(params, cache, -np.concatenate([gp, gq]), act, npx)
            params = opt.step(params, grads)
    return np.asarray(estimates)


SMOOTH = 50  # running-mean window of the figure (steps)
THIN = 10  # one point of the running mean every THIN steps is stored and drawn
# sphinx-gallery runs the examples in their folder and defines no __file__
STORED = (Path(__file__).parent if "__file__" in globals() else Path.cwd()) / "data" / (
    "mi_staircase.json")


def summarise(results, steps_per_stage, seed):
    """Table rows (mean, bias, std over the second half of each stage) and thinned curves."""
    s = steps_per_stage
    table = []
    for k, mi in enumerate(MIS):
        sl = slice(k * s + s // 2, (k + 1) * s)
        a, b = results["nwj"][sl], results["js"][sl]
        table.append([mi, a.mean(), a.mean() - mi, a.std(), b.mean(), b.mean() - mi, b.std()])
    kernel = np.full(SMOOTH, 1.0 / SMOOTH)
    curves = {kind: np.convolve(est, kernel, mode="valid")[::THIN].round(4).tolist()
              for kind, est in results.items()}
    return {"steps_per_stage": s, "seed": seed, "mis": MIS, "smooth": SMOOTH, "thin": THIN,
            "table": np.round(table, 4).tolist(), "curves": curves}


def print_table(summary):
    print("| true MI | NWJ mean | NWJ bias | NWJ std | JS->NWJ mean | JS->NWJ bias | "
          "JS->NWJ std |")
    print("|---|---|---|---|---|---|---|")
    for mi, am, ab, asd, bm, bb, bsd in summary["table"]:
        print(f"| {mi:.0f} | {am:.3f} | {ab:+.3f} | {asd:.3f} | {bm:.3f} | {bb:+.3f} | "
              f"{bsd:.3f} |")


def plot(summary):
    """The staircase: running means of the per-step estimates against the true MI."""
    import matplotlib.pyplot as plt

    s, smooth, thin = summary["steps_per_stage"], summary["smooth"], summary["thin"]
    total = s * len(summary["mis"])
    truth_x = np.arange(total + 1)
    truth_y = np.repeat(summary["mis"], s)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True, constrained_layout=True)
    titles = {"nwj": "KL / NWJ critic", "js": "JS critic, evaluated with NWJ"}
    for ax, (kind, title) in zip(axes, titles.items(), strict=True):
        curve = np.asarray(summary["curves"][kind])
        ax.plot(smooth - 1 + thin * np.arange(curve.size), curve, lw=1,
                label=f"estimate (running mean of {smooth} steps)")
        ax.step(truth_x[:-1], truth_y, "k", where="post", label="true MI")
        ax.set_title(title)
        ax.set_xlabel("training step")
    axes[0].set_ylabel("MI [nats]")
    axes[0].legend(loc="upper left", fontsize=8)
    return fig


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps-per-stage", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", metavar="FILE", help="store the summary and curves as JSON")
    ap.add_argument("--stored", action="store_true",
                    help=f"draw the stored full run ({STORED.name}) instead of training "
                         "(the default when DIVLAB_DOCS_BUILD is set)")
    args = ap.parse_args(argv)
    if args.stored or (argv is None and os.environ.get("DIVLAB_DOCS_BUILD")):
        summary = json.loads(STORED.read_text())
        print(f"stored full run ({summary['steps_per_stage']} steps per stage, "
              f"seed {summary['seed']}):")
    else:
        s = args.steps_per_stage
        results = {}
        threadpool_limits(limits=1, user_api="blas")  # small matrices: one BLAS thread is fastest
        for kind in ("nwj", "js"):
            t0 = time.perf_counter()
            results[kind] = run(kind, s, args.seed)
            print(f"{kind}: {time.perf_counter() - t0:.1f} s", flush=True)
        print()
        summary = summarise(results, s, args.seed)
        if args.save:
            Path(args.save).write_text(json.dumps(summary, separators=(",", ":")) + "\n")
    print_table(summary)
    fig = plot(summary)
    fig.savefig("mi_staircase.png", dpi=100)
    return summary


if __name__ == "__main__":
    main()
