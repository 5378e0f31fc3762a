"""GPU benchmark of divlab on CuPy arrays (issue 6): bandwidth, OT, k-NN and critics.

Cases (full sizes; ``--quick`` uses tiny ones):

* ``copy``: device copy bandwidth (``cupy.copyto`` of a 2 GiB float32 buffer; read + write
  bytes / time) and a read-only reduction (``cupy.sum``) as yardsticks;
* ``kl``: :func:`divlab.kl` and :func:`divlab.js` over N = 1e8 and 1e9 float32 entries;
  effective bandwidth = bytes read (2 N x 4 B) / time, as a fraction of the copy bandwidth
  (target >= 70 %);
* ``w1``: :func:`divlab.wasserstein_1d` (W1) on 1e8 + 1e8 float32 samples, CPU at 1e7;
* ``sliced``: :func:`divlab.sliced_wasserstein` (SW2) at n = 1e6, d = 100, 1000 projections
  (default chunking and ``chunk_size=100``), CPU at n = 1e5 with 100 projections;
* ``sinkhorn``: one log-domain Sinkhorn sweep (two soft c-transforms) of the online/tiled
  solver at n = m = 1e5 in 3-D (time per iteration, ns per cost entry), the dense solver at
  n = m = 2e4, an online :func:`divlab.sinkhorn_divergence` run capped at 10 sweeps per
  solve (peak memory), against the CPU path at n = m = 5000 (online) and 2000 (dense);
* ``knn``: :func:`divlab.estimators.knn_kl` (k = 1) at d = 10 for growing n up to 1e6 while
  the projected time stays under ``--knn-budget`` seconds (O(n^2) brute force on the
  device; larger sizes are projected, not measured), CPU (cKDTree) at n = 1e5;
* ``critic``: :func:`divlab.adversarial.wgan` (gradient penalty) and
  :func:`divlab.adversarial.fgan` (``gan``) training throughput (samples/s) on the GPU and on
  the CPU, batch 256 and 4096.

GPU times use ``cupy.cuda.Event`` pairs after a warm-up call (median of the repeats; the
events are recorded after the call returns, so host-side work inside divlab is included);
CPU times use ``time.perf_counter``. "Peak pool" is ``cupy.get_default_memory_pool()
.total_bytes()`` after the case, the pool having been emptied before it (the pool keeps
freed blocks, so this is the high-water mark of CuPy allocations). Every case runs inside
``try/except``: an out-of-memory error or a function that is not yet GPU-capable is reported
in the table and the benchmark goes on. The report is rewritten after every case, so a run
cut short still leaves the finished rows.

Usage::

    python benchmarks/bench_gpu.py                 # full sizes -> docs/benchmarks-gpu.md
    python benchmarks/bench_gpu.py --quick         # tiny sizes, prints the table only
    python benchmarks/bench_gpu.py --cases copy,kl --output /tmp/gpu.md

Without CuPy or a CUDA device it prints ``no CUDA device: nothing measured`` and exits 0.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import divlab
from divlab.errors import ConvergenceWarning

CASES = ("copy", "kl", "w1", "sliced", "sinkhorn", "knn", "critic")
DEFAULT_OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs",
                              "benchmarks-gpu.md")

cp: Any = None  # cupy, once found


# ----------------------------------------------------------------------------------------
# device discovery and timing
# ----------------------------------------------------------------------------------------


def find_device(index: int) -> dict | None:
    """Import CuPy and select device ``index``; ``None`` when CuPy or a device is missing."""
    global cp
    try:
        import cupy
    except Exception:  # ImportError, or a broken CUDA installation
        return None
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
        if count <= index:
            return None
        cupy.cuda.Device(index).use()
        props = cupy.cuda.runtime.getDeviceProperties(index)
        name = props.get("name", b"?")
        name = name.decode() if isinstance(name, bytes) else str(name)
        runtime = int(cupy.cuda.runtime.runtimeGetVersion())
    except Exception:
        return None
    cp = cupy
    return {
        "name": name,
        "memory_gib": int(props.get("totalGlobalMem", 0)) / 2**30,
        "cc": f"{props.get('major', '?')}.{props.get('minor', '?')}",
        "runtime": f"{runtime // 1000}.{(runtime % 1000) // 10}",
        "cupy": cupy.__version__,
        "index": index,
    }


def sync() -> None:
    cp.cuda.Device().synchronize()


def gpu_time(fn: Callable[[], Any], *, repeat: int = 3, warmup: int = 1) -> tuple[float, Any]:
    """Median seconds of ``fn()`` between two CUDA events, after ``warmup`` calls."""
    out = None
    for _ in range(warmup):
        out = fn()
    sync()
    times = []
    for _ in range(repeat):
        start, end = cp.cuda.Event(), cp.cuda.Event()
        start.record()
        out = fn()
        end.record()
        end.synchronize()
        times.append(cp.cuda.get_elapsed_time(start, end) / 1e3)
    return float(np.median(times)), out


def cpu_time(fn: Callable[[], Any], *, repeat: int = 3, warmup: int = 1) -> tuple[float, Any]:
    out = None
    for _ in range(warmup):
        out = fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


def pool_reset() -> None:
    sync()
    cp.get_default_memory_pool().free_all_blocks()


def pool_peak() -> int:
    return int(cp.get_default_memory_pool().total_bytes())


# ----------------------------------------------------------------------------------------
# formatting
# ----------------------------------------------------------------------------------------


def fmt_s(t: float | None) -> str:
    if t is None or not math.isfinite(t):
        return "–"
    if t < 1e-3:
        return f"{t * 1e6:.1f} µs"
    if t < 1.0:
        return f"{t * 1e3:.2f} ms"
    return f"{t:.2f} s"


def fmt_bytes(b: int | None) -> str:
    if not b:
        return "–"
    return f"{b / 2**30:.2f} GiB" if b >= 2**30 else f"{b / 2**20:.1f} MiB"


def fmt_n(n: float) -> str:
    if n >= 1e3 and float(n).is_integer():
        e = math.floor(math.log10(n))
        m = n / 10**e
        return f"1e{e}" if m == 1 else f"{m:g}e{e}"
    return f"{n:g}"


class Report:
    def __init__(self, dev: dict, args: argparse.Namespace) -> None:
        self.dev, self.args = dev, args
        self.rows: list[tuple[str, ...]] = []
        self.failures: list[str] = []
        self.copy_bw: float | None = None  # bytes/s, read + write
        self.read_bw: float | None = None  # bytes/s, reduction

    def add(self, case: str, size: str, gpu: str, throughput: str, compare: str,
            peak: str = "–", note: str = "") -> None:
        self.rows.append((case, size, gpu, throughput, compare, peak, note))
        print(" | ".join(self.rows[-1]), flush=True)

    def fail(self, case: str, size: str, exc: BaseException) -> None:
        kind = type(exc).__name__
        msg = str(exc).splitlines()[0][:160] if str(exc) else ""
        self.add(case, size, "failed", "–", "–", "–", f"**{kind}**: {msg}")
        self.failures.append(f"{case} ({size}): {kind}: {msg}\n"
                             + "".join(traceback.format_exception(exc))[-2000:])

    def markdown(self) -> str:
        d, a = self.dev, self.args
        lines = [
            "# GPU benchmark (CuPy backend)",
            "",
            f"Device: **{d['name']}** ({d['memory_gib']:.0f} GiB, compute capability "
            f"{d['cc']}), CUDA runtime {d['runtime']}, CuPy {d['cupy']}, divlab "
            f"{divlab.__version__}, NumPy {np.__version__}, Python "
            f"{platform.python_version()}, {os.cpu_count()} CPU(s) for the CPU columns. "
            f"{'Quick (tiny) sizes.' if a.quick else 'Full sizes.'} Generated "
            f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC by "
            "`python benchmarks/bench_gpu.py" + (" --quick" if a.quick else "") + "`.",
            "",
            "GPU times: CUDA events around one call after a warm-up call (median of the "
            "repeats; divlab's host-side work included). Effective bandwidth of KL/JS = bytes "
            "read (2 N × 4 B) / time; copy bandwidth = (read + write) bytes / time of "
            "`cupy.copyto`. Target for KL/JS: ≥ 70 % of the copy bandwidth. Peak pool = CuPy "
            "memory-pool high-water mark of the case.",
            "",
            "| Case | Size | GPU time | Throughput | vs. yardstick / CPU | Peak pool | Notes |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += ["| " + " | ".join(r) + " |" for r in self.rows]
        if self.failures:
            lines += ["", "## Failures", ""]
            for f in self.failures:
                lines += ["```", f.rstrip(), "```", ""]
        return "\n".join(lines) + "\n"

    def write(self) -> None:
        if self.args.output:
            with open(self.args.output, "w", encoding="utf-8") as fh:
                fh.write(self.markdown())


def run_case(rep: Report, case: str, size: str, fn: Callable[[], None]) -> None:
    """Run one measurement; any exception becomes a 'failed' row."""
    try:
        pool_reset()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fn()
    except Exception as exc:  # OutOfMemoryError, NotImplementedError, TypeError, ...
        rep.fail(case, size, exc)
    finally:
        try:
            pool_reset()
        except Exception:  # the device may be in a bad state after an error
            pass
        rep.write()


# ----------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------


def device_pmf(n: int, seed: int) -> Any:
    """float32 probability vector of length n generated on the device, sum 1 in float64."""
    cp.random.seed(seed)
    p = cp.random.random(n, dtype=cp.float32) + 1e-3  # Python scalars keep float32
    s = float(cp.sum(p, dtype=cp.float64))
    return p * (1.0 / s)


def device_normal(shape: tuple, seed: int, loc: float = 0.0, dtype=None) -> Any:
    cp.random.seed(seed)
    z = cp.random.standard_normal(shape, dtype=dtype or cp.float32)
    return z + loc if loc else z


# ----------------------------------------------------------------------------------------
# cases
# ----------------------------------------------------------------------------------------


def case_copy(rep: Report, quick: bool) -> None:
    nbytes = 32 * 2**20 if quick else 2 * 2**30
    n = nbytes // 4
    size = fmt_bytes(nbytes) + " float32"

    def copy():
        src = cp.ones(n, dtype=cp.float32)
        dst = cp.empty_like(src)
        t, _ = gpu_time(lambda: cp.copyto(dst, src), repeat=10)
        rep.copy_bw = 2 * nbytes / t
        rep.add("device copy (`cupy.copyto`)", size, fmt_s(t),
                f"{rep.copy_bw / 1e9:.0f} GB/s (read + write)", "yardstick", fmt_bytes(pool_peak()))
        t2, _ = gpu_time(lambda: cp.sum(src), repeat=10)
        rep.read_bw = nbytes / t2
        rep.add("device reduction (`cupy.sum`)", size, fmt_s(t2),
                f"{rep.read_bw / 1e9:.0f} GB/s (read)",
                f"{100 * rep.read_bw / rep.copy_bw:.0f} % of copy", fmt_bytes(pool_peak()))

    run_case(rep, "device copy", size, copy)


def case_kl(rep: Report, quick: bool) -> None:
    sizes = (10**5, 10**6) if quick else (10**8, 10**9)
    for n in sizes:
        for name in ("kl", "js"):
            fn = getattr(divlab, name)
            size = f"N = {fmt_n(n)} float32"

            def run(fn=fn, name=name, n=n, size=size):
                p = device_pmf(n, 1)
                q = device_pmf(n, 2)
                repeat = 2 if n >= 10**9 else 5
                t, out = gpu_time(lambda: fn(p, q), repeat=repeat)
                eff = 8 * n / t
                rel = f"{100 * eff / rep.copy_bw:.3g} % of copy" if rep.copy_bw else "–"
                ok = "meets" if rep.copy_bw and eff >= 0.7 * rep.copy_bw else "below"
                note = f"{ok} the 70 % target; value {float(out):.6g}, dtype {out.dtype}"
                rep.add(f"`{name}(p, q)`", size, fmt_s(t), f"{eff / 1e9:.3g} GB/s effective",
                        rel, fmt_bytes(pool_peak()), note)

            run_case(rep, f"`{name}(p, q)`", size, run)


def case_w1(rep: Report, quick: bool) -> None:
    n = 10**5 if quick else 10**8
    n_cpu = 10**5 if quick else 10**7
    size = f"n = m = {fmt_n(n)} float32"

    def run():
        u = device_normal((n,), 3)
        v = device_normal((n,), 4, loc=0.5)
        t, out = gpu_time(lambda: divlab.wasserstein_1d(u, v), repeat=3)
        rng = np.random.default_rng(0)
        uc = rng.normal(size=n_cpu).astype(np.float32)
        vc = (rng.normal(size=n_cpu) + 0.5).astype(np.float32)
        tc, _ = cpu_time(lambda: divlab.wasserstein_1d(uc, vc), repeat=2)
        speed = (tc / n_cpu) / (t / n)
        rep.add("`wasserstein_1d(u, v)` (W1)", size, fmt_s(t), f"{2 * n / t / 1e6:.0f} M samples/s",
                f"CPU {fmt_s(tc)} at n = {fmt_n(n_cpu)}: {speed:.1f}× per sample",
                fmt_bytes(pool_peak()), f"W1 = {float(out):.5f} (exact: 0.5)")

    run_case(rep, "`wasserstein_1d`", size, run)


def case_sliced(rep: Report, quick: bool) -> None:
    n, d, k = (10**4, 10, 50) if quick else (10**6, 100, 1000)
    nc, kc = (10**4, 20) if quick else (10**5, 100)

    rng = np.random.default_rng(0)
    xc = rng.normal(size=(nc, d)).astype(np.float32)
    yc = (rng.normal(size=(nc, d)) + 0.1).astype(np.float32)
    cpu: dict = {}

    def cpu_ref() -> float:
        if "t" not in cpu:
            cpu["t"], _ = cpu_time(
                lambda: divlab.sliced_wasserstein(xc, yc, n_projections=kc, rng=0), repeat=1)
        return cpu["t"] / (nc * kc)

    for chunk in (None, 100):
        size = f"n = m = {fmt_n(n)}, d = {d}, {k} proj., chunk {chunk or 'default'}"

        def run(chunk=chunk, size=size):
            x = device_normal((n, d), 5)
            y = device_normal((n, d), 6, loc=0.1)
            t, out = gpu_time(lambda: divlab.sliced_wasserstein(
                x, y, n_projections=k, p=2, rng=0, chunk_size=chunk), repeat=2)
            per = cpu_ref()
            rep.add("`sliced_wasserstein` (SW2)", size, fmt_s(t),
                    f"{n * k / t / 1e9:.3g} G sample-projections/s",
                    f"CPU {per * 1e9:.2f} ns per sample-projection (n = {fmt_n(nc)}, "
                    f"{kc} proj.): {per / (t / (n * k)):.3g}×",
                    fmt_bytes(pool_peak()), f"SW2 = {float(out):.5f}")

        run_case(rep, "`sliced_wasserstein`", size, run)


def _sweep(x, y, eps: float):
    """One log-domain Sinkhorn sweep of the tiled solver: (f, g) <- soft c-transforms."""
    from divlab._array import array_namespace
    from divlab.ot._lse import OnlineCost

    xp = array_namespace(x)
    n, m = x.shape[0], y.shape[0]
    ct = OnlineCost(x, y, xp, metric="sqeuclidean")
    loga = xp.full((n,), -math.log(n), dtype=x.dtype)
    logb = xp.full((m,), -math.log(m), dtype=x.dtype)
    g0 = xp.zeros((m,), dtype=x.dtype)

    def sweep():
        f = ct.rows(g0, logb, eps)
        return ct.cols(f, loga, eps)

    return sweep


def case_sinkhorn(rep: Report, quick: bool) -> None:
    n = 2000 if quick else 10**5
    n_dense = 1000 if quick else 20_000
    n_cpu_online, n_cpu_dense = (500, 300) if quick else (5000, 2000)
    eps = 0.05
    rng = np.random.default_rng(0)
    cpu: dict = {}

    def cpu_online() -> float:
        if "online" not in cpu:
            xc = rng.normal(size=(n_cpu_online, 3))
            yc = rng.normal(size=(n_cpu_online, 3)) + 0.5
            cpu["online"], _ = cpu_time(_sweep(xc, yc, eps), repeat=2)
        return cpu["online"] / (2 * n_cpu_online**2)

    def cpu_dense() -> float:
        if "dense" not in cpu:
            xc = rng.normal(size=(n_cpu_dense, 3))
            yc = rng.normal(size=(n_cpu_dense, 3)) + 0.5
            c = divlab.pairwise_cost(xc, yc, metric="sqeuclidean")
            t, res = cpu_time(lambda: divlab.sinkhorn(None, None, c, epsilon=eps), repeat=1,
                              warmup=0)
            cpu["dense"] = t / max(res.n_iter, 1)
        return cpu["dense"] / (2 * n_cpu_dense**2)

    size = f"n = m = {fmt_n(n)}, d = 3, float32"

    def online_sweep():
        x = device_normal((n, 3), 7)
        y = device_normal((n, 3), 8, loc=0.5)
        t, _ = gpu_time(_sweep(x, y, eps), repeat=3)
        per = t / (2 * n * n)
        ref = cpu_online()
        rep.add("online Sinkhorn sweep (tiled, log-domain)", size, f"{fmt_s(t)} / iteration",
                f"{per * 1e9:.3f} ns per cost entry",
                f"CPU {ref * 1e9:.2f} ns/entry (n = {n_cpu_online}, float64): "
                f"{ref / per:.3g}×", fmt_bytes(pool_peak()), "never forms the (n, m) cost")

    run_case(rep, "online Sinkhorn sweep", size, online_sweep)

    size_d = f"n = m = {fmt_n(n_dense)}, d = 3, float32"

    def dense():
        x = device_normal((n_dense, 3), 9)
        y = device_normal((n_dense, 3), 10, loc=0.5)
        c = divlab.pairwise_cost(x, y, metric="sqeuclidean")
        t, res = gpu_time(lambda: divlab.sinkhorn(None, None, c, epsilon=eps), repeat=1)
        per_it = t / max(res.n_iter, 1)
        per = per_it / (2 * n_dense**2)
        ref = cpu_dense()
        rep.add("dense `sinkhorn` (stabilised)", size_d,
                f"{fmt_s(t)} ({res.n_iter} it.)", f"{fmt_s(per_it)} / iteration",
                f"CPU {ref * 1e9:.2f} ns/entry (n = {n_cpu_dense}, float64) vs "
                f"{per * 1e9:.3g}: {ref / per:.3g}×", fmt_bytes(pool_peak()),
                f"converged={res.converged}")

    run_case(rep, "dense sinkhorn", size_d, dense)

    def divergence():
        x = device_normal((n, 3), 11)
        y = device_normal((n, 3), 12, loc=0.5)
        t, out = gpu_time(lambda: divlab.sinkhorn_divergence(
            x, y, epsilon=eps, online=True, max_iter=10), repeat=1, warmup=0)
        rep.add("`sinkhorn_divergence(online=True, max_iter=10)`", size, fmt_s(t),
                "3 solves × ≤ 10 sweeps", "–", fmt_bytes(pool_peak()),
                f"value {float(out):.5g} (capped, not converged): memory check")

    run_case(rep, "sinkhorn_divergence online", size, divergence)


def case_knn(rep: Report, quick: bool, budget: float) -> None:
    from divlab import estimators

    d = 10
    sizes = (500, 1000, 2000) if quick else (10**4, 3 * 10**4, 10**5, 3 * 10**5, 10**6)
    n_cpu = 2000 if quick else 10**5
    last: tuple[int, float] | None = None
    for n in sizes:
        size = f"n = m = {fmt_n(n)}, d = {d}, float32"
        if last is not None:
            projected = last[1] * (n / last[0]) ** 2
            if projected > budget:
                rep.add("`knn_kl` (k = 1, brute force)", size, f"~{fmt_s(projected)} (projected)",
                        "–", "–", "–", f"not run: projected time > --knn-budget={budget:g} s "
                        "(O(n²) from the previous size)")
                continue

        def run(n=n, size=size):
            nonlocal last
            x = device_normal((n, d), 13)
            y = device_normal((n, d), 14, loc=0.3)
            t, est = gpu_time(lambda: estimators.knn_kl(x, y, k=1), repeat=1,
                              warmup=1 if n <= 10**5 else 0)
            last = (n, t)
            note = f"KL ≈ {est.value:.4f} (truth {0.5 * d * 0.09:.3f})"
            comp = "–"
            if n == n_cpu:
                rng = np.random.default_rng(0)
                xc = rng.normal(size=(n, d))
                yc = rng.normal(size=(n, d)) + 0.3
                tc, _ = cpu_time(lambda: estimators.knn_kl(xc, yc, k=1), repeat=1, warmup=0)
                comp = f"CPU cKDTree {fmt_s(tc)}: {tc / t:.1f}×"
            rep.add("`knn_kl` (k = 1, brute force)", size, fmt_s(t),
                    f"{2 * n * n / t / 1e9:.3g} G distances/s", comp, fmt_bytes(pool_peak()),
                    note)

        run_case(rep, "`knn_kl`", size, run)


def case_critic(rep: Report, quick: bool) -> None:
    from divlab import adversarial

    n, d = (2000, 10) if quick else (20_000, 10)
    steps = 10 if quick else 300
    rng = np.random.default_rng(0)
    x64 = rng.normal(size=(n, d))
    y64 = rng.normal(0.5, 1.0, size=(n, d))
    opts = {"steps": steps, "eval_every": steps, "patience": 10**9, "n_bootstrap": 0, "rng": 0}
    for name, fun, kw in (("wgan gp", adversarial.wgan, {"lipschitz": "gp"}),
                          ("fgan gan", adversarial.fgan, {"divergence": "gan"})):
        for batch in (256, 4096):
            size = f"n = {fmt_n(n)}, d = {d}, batch {batch}, {steps} steps"

            def run(fun=fun, kw=kw, batch=batch, name=name, size=size):
                o = {**opts, "batch_size": batch}
                x, y = cp.asarray(x64), cp.asarray(y64)
                t, _ = gpu_time(lambda: fun(x, y, **o, **kw), repeat=1)
                x32, y32 = cp.asarray(x64.astype(np.float32)), cp.asarray(y64.astype(np.float32))
                t32, _ = gpu_time(lambda: fun(x32, y32, **o, **kw), repeat=1)
                tc, _ = cpu_time(lambda: fun(x64, y64, **o, **kw), repeat=1)
                per = 2 * batch * steps
                rep.add(f"critic training: {name}", size,
                        f"{fmt_s(t)} (f64), {fmt_s(t32)} (f32)",
                        f"{per / t / 1e3:.0f} k samples/s (f64), {per / t32 / 1e3:.0f} k (f32)",
                        f"CPU {per / tc / 1e3:.0f} k samples/s (f64): {tc / t:.1f}×",
                        fmt_bytes(pool_peak()), "whole fit incl. final held-out evaluation")

            run_case(rep, f"critic {name}", size, run)


# ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (seconds)")
    ap.add_argument("--output", default=None,
                    help="markdown report path (default: docs/benchmarks-gpu.md for full runs, "
                         "none for --quick); '-' to only print")
    ap.add_argument("--cases", default=",".join(CASES),
                    help=f"comma-separated subset of {','.join(CASES)}")
    ap.add_argument("--device", type=int, default=0, help="CUDA device index")
    ap.add_argument("--knn-budget", type=float, default=120.0,
                    help="largest projected seconds for one k-NN size (default 120)")
    args = ap.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    bad = [c for c in cases if c not in CASES]
    if bad:
        ap.error(f"unknown case(s) {bad}; choose from {','.join(CASES)}")
    if args.output is None and not args.quick:
        args.output = DEFAULT_OUTPUT
    if args.output == "-":
        args.output = None

    dev = find_device(args.device)
    if dev is None:
        print("no CUDA device: nothing measured (CuPy missing or no CUDA device "
              f"{args.device}); nothing written")
        return 0

    rep = Report(dev, args)
    print(f"# {dev['name']}, {dev['memory_gib']:.0f} GiB, CUDA {dev['runtime']}, "
          f"CuPy {dev['cupy']}")
    if "kl" in cases and "copy" not in cases:
        cases.insert(0, "copy")  # the KL/JS rows are relative to the copy bandwidth
    for case in cases:
        if case == "copy":
            case_copy(rep, args.quick)
        elif case == "kl":
            case_kl(rep, args.quick)
        elif case == "w1":
            case_w1(rep, args.quick)
        elif case == "sliced":
            case_sliced(rep, args.quick)
        elif case == "sinkhorn":
            case_sinkhorn(rep, args.quick)
        elif case == "knn":
            case_knn(rep, args.quick, args.knn_budget)
        elif case == "critic":
            case_critic(rep, args.quick)
    rep.write()
    print()
    print(rep.markdown())
    if args.output:
        print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
