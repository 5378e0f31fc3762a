"""The critic benchmark script and the reproduction scripts of the adversarial docs.

They are not run at full size in CI; these checks keep them working: the benchmark selects
CuPy arrays when asked (and says clearly when CuPy is missing), and the reproductions run a
few steps through the same internal API as their full-size versions.
"""

from __future__ import annotations

import importlib.util
import math
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).resolve().parents[1]


def _load(relpath: str, name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / relpath)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def bench():
    return _load("benchmarks/bench_critic.py", "_bench_critic")


def test_bench_cupy_backend_without_cupy_fails_clearly(bench, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "cupy", None)  # makes `import cupy` raise ImportError
    with pytest.raises(SystemExit, match=r"--backend cupy needs CuPy.*divlab\[gpu\]"):
        bench.main(["--quick", "--backend", "cupy"])
    assert capsys.readouterr().out == ""  # failed before any timing


def test_bench_cupy_backend_selects_cupy_arrays(bench, monkeypatch):
    """With a (stand-in) CuPy module the data are converted with cupy.asarray, the device is
    named in the header, and a critic that did not train on CuPy arrays is refused."""
    calls = []

    class _Dev:
        id = 0

        def synchronize(self):
            calls.append("sync")

    fake = types.ModuleType("cupy")
    fake.__version__ = "0-test"
    fake.asarray = lambda a: ("cupy-array", a)
    fake.cuda = types.SimpleNamespace(
        Device=_Dev,
        runtime=types.SimpleNamespace(getDeviceCount=lambda: 1,
                                      getDeviceProperties=lambda i: {"name": b"Fake GPU"}))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    a = np.ones((3, 2))
    assert bench.to_backend(a, "cupy")[0] == "cupy-array"
    assert bench.to_backend(a, "numpy") is a
    assert bench.device_name("cupy") == "GPU Fake GPU (CuPy 0-test)"
    bench.sync("cupy")
    assert calls == ["sync"]
    host = types.SimpleNamespace(critic=types.SimpleNamespace(params=((a, a),)))
    bench.check_backend(host, "numpy")
    with pytest.raises(SystemExit, match="expected cupy"):
        bench.check_backend(host, "cupy")
    fake.cuda.runtime.getDeviceCount = lambda: 0
    with pytest.raises(SystemExit, match="no CUDA device"):
        bench.load_cupy()


def test_mi_staircase_runs_a_few_steps():
    mod = _load("examples/mi_staircase.py", "_mi_staircase")
    assert [round(-mod.D / 2 * math.log(1 - mod.rho_for(mi) ** 2), 12) for mi in mod.MIS] == \
        mod.MIS
    with threadpool_limits(limits=1, user_api="blas"):  # as the script does
        for kind in ("nwj", "js"):
            est = mod.run(kind, 4, 0)
            assert est.shape == (20,) and np.all(np.isfinite(est))


def test_fgan_gaussian_fit_reproduction_pieces():
    mod = _load("examples/fgan_gaussian_fit.py", "_fgan_gaussian_fit")
    # the grid objective used by the direct fit agrees with adaptive quadrature
    assert mod.DIVERGENCES == ["kl", "reverse_kl", "js", "jeffreys", "pearson"]
    for name in ("reverse_kl", "jeffreys"):
        assert mod.divergence_grid(name, 0.0, 2.0) == pytest.approx(
            mod.divergence(name, 0.0, 2.0), rel=1e-6)
    with threadpool_limits(limits=1, user_api="blas"):
        mu, sigma = mod.fit_variational("kl", steps=40, batch=64)
    assert math.isfinite(mu) and 0.5 < sigma < 4.0


def test_torch_fgan_recipe_trains_with_the_registry_loss():
    """examples/torch_fgan_recipe.py: the f-GAN loss is divlab's record (activation and fused
    conjugate) on torch tensors; a short run moves the generator towards the target and every
    number stays finite."""
    torch = pytest.importorskip("torch")
    mod = _load("examples/torch_fgan_recipe.py", "_torch_fgan_recipe")
    rec = mod.divlab.get_fdivergence("js")
    v_real, v_fake = torch.tensor([0.3, -1.2, 2.0]), torch.tensor([-0.4, 5.0])
    f = mod.fgan_objective(rec, v_real, v_fake)
    ref = (np.mean(np.asarray(rec.activation(v_real.numpy().astype(float))))
           - np.mean(np.asarray(rec.conjugate_activation(v_fake.numpy().astype(float)))))
    assert float(f) == pytest.approx(ref, rel=1e-6)
    torch.set_num_threads(1)
    r = mod.train("kl", steps=120, lr=1e-2, batch=128, n_critic=1)
    assert np.all(np.isfinite(r["history"])) and r["divergence"] == "kl"
    assert 0.5 < r["mu"] < 2.6 and 0.2 < r["sigma"] < 1.5  # started at N(0, 1), target N(2, .5^2)
    assert math.isfinite(r["truth"]) and r["truth"] < 8.0  # KL(N(2,.5^2)||N(0,1)) = 2.26 at start
