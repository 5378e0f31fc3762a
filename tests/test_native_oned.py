"""The compiled kernels of the 1-D closed form (divlab._native, issue #10).

Each kernel is checked against the NumPy computation it replaces, bit for bit, and the 1-D
Wasserstein functions are checked to give the same bits with the kernels and without them
(``_native.AVAILABLE`` switched off: the path of an install without a C compiler).
"""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import divlab
from divlab import _array, _native
from divlab.ot import oned

needs_native = pytest.mark.skipif(_native._sortkernels is None,
                                  reason="divlab._sortkernels not built (no C compiler)")
kernels = _native._sortkernels
XP = _array.array_namespace(np.ones(1))


def awkward_values(rng, n, dtype=np.float64):
    """Normal values with ties, both zeros, huge and subnormal magnitudes."""
    x = rng.standard_normal(n)
    x[::7] *= 1e300 if dtype == np.float64 else 1e30
    x[::11] = 0.0
    x[::19] = -0.0
    x[::13] *= 1e-310 if dtype == np.float64 else 1e-40
    x[::17] = np.round(x[::17])
    return x.astype(dtype)


def test_extension_is_built_in_ci():
    # CI builds the extension (gcc is there): a silent fallback would only cost speed, so
    # it is caught here instead.
    if os.environ.get("CI") and os.environ.get("DIVLAB_NATIVE", "1") != "0":
        assert _native.AVAILABLE


@needs_native
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [1, 2, 3, 255, 256, 257, 5000, 70_000])
def test_sort_matches_numpy(n, dtype):
    rng = np.random.default_rng(n)
    x = awkward_values(rng, n, dtype)
    out = np.empty_like(x)
    kernels.sort(x, out)
    np.testing.assert_array_equal(out, np.sort(x))
    assert (out == np.sort(x)).all()


@needs_native
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n", [1, 2, 3, 300, 5000, 70_000])
def test_sort_pairs_is_the_stable_argsort(n, dtype):
    rng = np.random.default_rng(n + 1)
    x = awkward_values(rng, n, dtype)
    w = rng.random(n).astype(dtype)
    order = np.argsort(x, kind="stable")  # +0.0 and -0.0 are ties, kept in input order
    xs, ws = np.empty_like(x), np.empty_like(w)
    kernels.sort_pairs(x, w, xs, ws)
    np.testing.assert_array_equal(xs, x[order])
    np.testing.assert_array_equal(np.signbit(xs), np.signbit(x[order]))  # each zero's sign
    np.testing.assert_array_equal(ws, w[order])
    kernels.sort_pairs(x, w, xs, ws, True)
    c = np.cumsum(w[order])
    np.testing.assert_array_equal(ws, c / c[-1])
    assert ws[-1] == 1.0


@needs_native
@pytest.mark.parametrize("sizes", [(1, 1), (1, 4), (5, 1), (300, 300), (5000, 3001)])
def test_merge_differences_matches_numpy_merge(sizes):
    n, m = sizes
    rng = np.random.default_rng(n * m)
    us, vs = np.sort(rng.standard_normal(n)), np.sort(rng.standard_normal(m))
    # integer weights make many CDF values tie across the two samples
    cu = np.cumsum(rng.integers(1, 4, n).astype(float))
    cv = np.cumsum(rng.integers(1, 4, m).astype(float))
    cu, cv = cu / cu[-1], cv / cv[-1]
    t, iu, iv = oned._merged_indices(cu, cv, XP)
    dt_ref = t - np.concatenate([[0.0], t[:-1]])
    d_ref = us[iu] - vs[iv]
    dt, d = np.empty(n + m), np.empty(n + m)
    kernels.merge_differences(us, cu, vs, cv, dt, d)
    np.testing.assert_array_equal(dt, dt_ref)
    np.testing.assert_array_equal(d, d_ref)


@needs_native
@pytest.mark.parametrize("sizes", [(1, 1), (1, 5), (5, 1), (2, 3), (4, 6), (6, 4), (7, 7),
                                   (100, 37), (1000, 999), (4096, 6144), (12345, 6789)])
def test_uniform_differences_match_the_grid(sizes):
    n, m = sizes
    rng = np.random.default_rng(n + 7 * m)
    us, vs = np.sort(rng.standard_normal(n)), np.sort(rng.standard_normal(m))
    _, iu, iv = oned.uniform_quantile_grid(n, m)
    d = np.empty(n + m)
    kernels.uniform_differences(us, vs, d)
    np.testing.assert_array_equal(d, us[iu] - vs[iv])


@needs_native
def test_kernels_refuse_bad_buffers_with_errors():
    x = np.ones(10)
    with pytest.raises(TypeError, match="float64 or float32"):
        kernels.sort(np.arange(10), np.empty(10, dtype=np.int64))
    with pytest.raises(TypeError, match="one dtype"):
        kernels.sort(x, np.empty(10, dtype=np.float32))
    with pytest.raises(ValueError, match="lengths"):
        kernels.sort(x, np.empty(9))
    with pytest.raises(TypeError):
        kernels.sort(x, x[::2].copy().reshape(1, 5))
    with pytest.raises(ValueError, match="non-empty"):
        kernels.merge_differences(x[:0], x[:0], x, x, np.empty(10), np.empty(10))
    with pytest.raises((TypeError, ValueError)):
        kernels.sort(x, np.ones(10).astype(">f8"))
    ro = np.ones(10)
    ro.flags.writeable = False
    with pytest.raises((TypeError, ValueError, BufferError)):
        kernels.sort(x, ro)  # the output must be writable


def test_usable_only_for_plain_numpy_floats(monkeypatch):
    monkeypatch.setattr(_native, "AVAILABLE", True)
    big = np.ones(_native.MIN_SIZE)
    assert _native.usable(XP, big, big)
    assert not _native.usable(XP, big[:-1])  # below MIN_SIZE
    assert not _native.usable(XP, big, big.astype(np.float32))  # two dtypes
    assert not _native.usable(XP, big.astype(">f8"))  # byte-swapped
    assert not _native.usable(XP, big.astype(np.float16))
    assert not _native.usable(XP, big.reshape(2, -1))
    assert not _native.usable(XP, list(big))
    monkeypatch.setattr(_native, "AVAILABLE", False)
    assert not _native.usable(XP, big)


CASES = [
    dict(),
    dict(u_weights="u"),
    dict(u_weights="u", v_weights="v"),
]


@pytest.mark.parametrize("p", [1.0, 2.0, 3.5, 100.0])
@pytest.mark.parametrize("sizes", [(6000, 6000), (9000, 5000), (5000, 9000)])
@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_wasserstein_1d_same_bits_with_and_without_kernels(monkeypatch, p, sizes, case, dtype):
    n, m = sizes
    rng = np.random.default_rng(n + m + case)
    u = rng.standard_normal(n).astype(dtype)
    v = (rng.standard_t(3, m) * 2 + 0.5).astype(dtype)
    kw = {k: rng.random(n if w == "u" else m).astype(dtype) for k, w in CASES[case].items()}
    monkeypatch.setattr(_native, "AVAILABLE", False)
    ref = divlab.ot.wasserstein_1d(u, v, p=p, **kw)
    ref_power = oned.wasserstein_1d_power(u, v, p=p, **kw)
    monkeypatch.setattr(_native, "AVAILABLE", _native._sortkernels is not None)
    got = divlab.ot.wasserstein_1d(u, v, p=p, **kw)
    assert got == ref and got.dtype == ref.dtype
    assert oned.wasserstein_1d_power(u, v, p=p, **kw) == ref_power
    if case == 0 and dtype == np.float64:  # the general door takes the same kernel
        assert divlab.ot.wasserstein(u, v, p=p) == ref
    if dtype == np.float64 and p == 1.0:
        import scipy.stats

        sw = scipy.stats.wasserstein_distance(u, v, kw.get("u_weights"), kw.get("v_weights"))
        assert got == pytest.approx(sw, rel=1e-12)


@needs_native
@given(
    u=hnp.arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e6, 1e6)),
    v=hnp.arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e6, 1e6)),
    weighted=st.booleans(),
    p=st.sampled_from([1.0, 2.0, 3.0]),
)
def test_property_kernels_agree_with_numpy_path_on_small_samples(u, v, weighted, p):
    # MIN_SIZE lowered so that tiny samples (with ties, hypothesis' favourites) go through
    # the kernels; the NumPy path is the reference, bit for bit.
    kw = {}
    if weighted:
        kw = dict(u_weights=np.linspace(1.0, 2.0, u.shape[0]),
                  v_weights=np.linspace(3.0, 1.0, v.shape[0]))
    old_min, old_av = _native.MIN_SIZE, _native.AVAILABLE
    try:
        _native.AVAILABLE = False
        ref = divlab.ot.wasserstein_1d(u, v, p=p, **kw)
        _native.MIN_SIZE, _native.AVAILABLE = 1, True
        got = divlab.ot.wasserstein_1d(u, v, p=p, **kw)
    finally:
        _native.MIN_SIZE, _native.AVAILABLE = old_min, old_av
    assert got == ref


@needs_native
def test_non_contiguous_and_memmap_inputs(tmp_path):
    rng = np.random.default_rng(3)
    u = rng.standard_normal(20_000)[::2]  # a strided view
    path = tmp_path / "v.npy"
    np.save(path, rng.standard_normal(7000))
    v = np.load(path, mmap_mode="r")  # read-only memmap
    got = divlab.ot.wasserstein_1d(u, v, u_weights=np.ones(10_000) + (u > 0))
    old = _native.AVAILABLE
    try:
        _native.AVAILABLE = False
        ref = divlab.ot.wasserstein_1d(u, np.asarray(v), u_weights=np.ones(10_000) + (u > 0))
    finally:
        _native.AVAILABLE = old
    assert got == ref


def test_sort_choice_env_override(monkeypatch):
    decide = _native.radix_sort_is_faster.__wrapped__
    monkeypatch.setenv("DIVLAB_SORT", "numpy")
    assert decide() is False
    monkeypatch.setenv("DIVLAB_SORT", "radix")
    assert decide() is _native.AVAILABLE
    monkeypatch.delenv("DIVLAB_SORT")
    assert decide() in (True, False)


def test_run_pair_order_threads_and_errors():
    names = []

    def first():
        names.append(threading.current_thread().name)
        return 1

    def second():
        names.append(threading.current_thread().name)
        return 2

    assert _array.run_pair(first, second, concurrent=True) == (1, 2)
    old = _array.set_threads(2)
    try:
        names.clear()
        assert _array.run_pair(first, second, concurrent=True) == (1, 2)
        assert "divlab-pair" in names
        with pytest.raises(ZeroDivisionError):
            _array.run_pair(first, lambda: 1 / 0, concurrent=True)
        with pytest.raises(KeyError):
            _array.run_pair(lambda: {}["x"], second, concurrent=True)
        _array.set_threads(1)
        names.clear()
        assert _array.run_pair(first, second, concurrent=True) == (1, 2)
        assert "divlab-pair" not in names
    finally:
        _array.set_threads(old)


def test_large_samples_sorted_on_two_threads_same_value(monkeypatch):
    rng = np.random.default_rng(5)
    n = oned._CONCURRENT_SORT_SIZE
    u, v = rng.standard_normal(n), rng.standard_normal(n + 17)
    w = rng.random(n)
    old = _array.set_threads(2)
    try:
        two = divlab.ot.wasserstein_1d(u, v, u_weights=w), divlab.ot.wasserstein_1d(u, v)
        _array.set_threads(1)
        one = divlab.ot.wasserstein_1d(u, v, u_weights=w), divlab.ot.wasserstein_1d(u, v)
    finally:
        _array.set_threads(old)
    assert two == one
