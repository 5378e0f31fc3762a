"""Critic training throughput of divlab.adversarial, with scikit-learn's MLP as the reference.

The GAN f-GAN objective is minus the logistic (binary cross-entropy) loss of a classifier
separating ``x`` from ``y``, so ``sklearn.neural_network.MLPClassifier`` (Adam, same hidden
layers, same minibatch of ``2 x batch`` samples) trained with ``partial_fit`` on the same data
does the same work per sample: it is the reference for the ``gan`` rows. WGAN rows (clipping,
gradient penalty with its double backprop, spectral normalisation) have no reference and are
compared with divlab's own f-GAN step. Both libraries train with single-threaded BLAS (divlab
limits BLAS to one thread while training on NumPy: the critic's matrices are small).

Throughput = data samples processed per second of training (``2 x batch`` per step; the
gradient penalty's interpolates are not counted). Early stopping is disabled (one evaluation
at the end) so every run performs exactly ``steps`` steps.

Usage::

    python benchmarks/bench_critic.py                  # n = 20000 per set, d = 10, 2000 steps
    python benchmarks/bench_critic.py --quick          # seconds
    python benchmarks/bench_critic.py --backend cupy   # on the GPU (CuPy arrays)
    python benchmarks/bench_critic.py --output docs/benchmarks-critic.md
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import divlab
from divlab import adversarial
from divlab.errors import ConvergenceWarning


def load_cupy():
    """Import CuPy and check for a CUDA device; exit with a one-line message otherwise."""
    try:
        import cupy
    except ImportError:
        raise SystemExit(
            "bench_critic.py: --backend cupy needs CuPy, which is not installed; install the "
            "GPU extra (pip install 'divlab[gpu]') or run with --backend numpy"
        ) from None
    try:
        n_dev = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDA driver/runtime missing
        raise SystemExit(
            f"bench_critic.py: --backend cupy: no usable CUDA device ({exc})"
        ) from None
    if n_dev < 1:
        raise SystemExit("bench_critic.py: --backend cupy: no CUDA device found")
    return cupy


def device_name(backend):
    if backend != "cupy":
        return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU(s)"
    cupy = load_cupy()
    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    name = props["name"]
    return f"GPU {name.decode() if isinstance(name, bytes) else name} (CuPy {cupy.__version__})"


def to_backend(a, backend):
    """Host array -> the benchmarked array library (CuPy arrays on the current GPU)."""
    if backend == "cupy":
        return load_cupy().asarray(a)
    return a


def check_backend(res, backend):
    """The critic must have trained on the requested library (no silent host fallback)."""
    lib = type(res.critic.params[0][0]).__module__.split(".")[0]
    want = "cupy" if backend == "cupy" else "numpy"
    if lib != want:
        raise SystemExit(f"bench_critic.py: critic trained on {lib} arrays, expected {want}")


def sync(backend):
    if backend == "cupy":
        load_cupy().cuda.Device().synchronize()


def time_divlab(fun, x, y, steps, batch, backend, **kw):
    # one critic (cross_fit=False): throughput of a training run, steps x 2 x batch samples
    opts = {"steps": steps, "batch_size": batch, "eval_every": steps, "patience": 10**9,
            "n_bootstrap": 0, "rng": 0, "cross_fit": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fun(x, y, **{**opts, "steps": 5, "eval_every": 5}, **kw)  # warm-up
        sync(backend)
        t0 = time.perf_counter()
        res = fun(x, y, **opts, **kw)
        sync(backend)
    return time.perf_counter() - t0, res


def time_sklearn(x, y, steps, batch, width, depth):
    from sklearn.neural_network import MLPClassifier

    data = np.concatenate([x, y])
    labels = np.r_[np.ones(len(x)), np.zeros(len(y))]
    clf = MLPClassifier(hidden_layer_sizes=(width,) * depth, activation="relu", solver="adam",
                        batch_size=2 * batch, learning_rate_init=1e-3, random_state=0,
                        shuffle=True)
    clf.partial_fit(data[:2 * batch], labels[:2 * batch], classes=[0.0, 1.0])  # warm-up
    n_samples = 0
    # same BLAS threading as divlab's NumPy training loop (one thread: small matrices)
    with threadpool_limits(limits=1, user_api="blas"):
        t0 = time.perf_counter()
        while n_samples < 2 * batch * steps:
            clf.partial_fit(data, labels)  # one epoch of minibatches of 2 * batch
            n_samples += data.shape[0]
        return time.perf_counter() - t0, n_samples


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--backend", choices=["numpy", "cupy"], default="numpy")
    ap.add_argument("--output", default=None)
    args = ap.parse_args(argv)
    device = device_name(args.backend)  # fails early, with a clear message, without CuPy
    n, d, steps, batch = (2000, 10, 100, 256) if args.quick else (20_000, 10, 2000, 256)
    rng = np.random.default_rng(0)
    x64 = rng.normal(size=(n, d))
    y64 = rng.normal(0.5, 1.0, size=(n, d))
    rows = []
    width, depth = 64, 2

    def add(name, dtype, seconds, samples, ref=None):
        rows.append((name, dtype, samples / seconds, ref))

    for dtype in (np.float64, np.float32):
        x = to_backend(x64.astype(dtype), args.backend)
        y = to_backend(y64.astype(dtype), args.backend)
        dname = np.dtype(dtype).name
        cases = [
            ("fgan gan, relu critic", adversarial.fgan,
             {"divergence": "gan", "critic": {"activation": "relu"}}),
            ("fgan gan, softplus critic (default)", adversarial.fgan, {"divergence": "gan"}),
            ("fgan kl (default critic)", adversarial.fgan, {"divergence": "kl"}),
            ("wgan clip", adversarial.wgan, {"lipschitz": "clip"}),
            ("wgan gp (double backprop)", adversarial.wgan, {"lipschitz": "gp"}),
            ("wgan sn", adversarial.wgan, {"lipschitz": "sn"}),
        ]
        for name, fun, kw in cases:
            t, res = time_divlab(fun, x, y, steps, batch, args.backend, **kw)
            check_backend(res, args.backend)
            add(f"divlab {name}", dname, t, 2 * batch * steps)
        if args.backend == "numpy" and dtype == np.float64:
            t, ns = time_sklearn(x64, y64, steps, batch, width, depth)
            add("scikit-learn MLPClassifier (relu, adam)", dname, t, ns)

    ref = {dt: r[2] for r in rows for dt in [r[1]] if r[0] == "divlab fgan gan, relu critic"}
    sk = [r[2] for r in rows if r[0].startswith("scikit-learn")]
    lines = [
        f"# Critic training throughput ({'quick' if args.quick else 'full'} mode)",
        "",
        f"n = {n} samples per set, d = {d}, critic MLP {depth} x {width}, batch {batch} "
        f"per set, {steps} steps; backend `{args.backend}`; divlab {divlab.__version__}, "
        f"NumPy {np.__version__}, {device}.",
        "",
        "| method | dtype | samples/s | vs divlab fgan-gan relu (same dtype) "
        "| vs scikit-learn |",
        "|---|---|---|---|---|",
    ]
    for name, dt, sps, _ in rows:
        r1 = sps / ref[dt] if dt in ref else float("nan")
        r2 = f"{sps / sk[0]:.2f}" if sk else "n/a"
        lines.append(f"| {name} | {dt} | {sps:,.0f} | {r1:.2f} | {r2} |")
    out = "\n".join(lines) + "\n"
    print(out)
    if args.output:
        with open(args.output, "w") as fh:
            fh.write(out)


if __name__ == "__main__":
    main()
