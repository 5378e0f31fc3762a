"""PairwiseSums / pairwise_sums: MMD² and the energy distance from sums over pairs of blocks.

References: divlab.estimators.mmd (with the same fixed bandwidth) and energy_distance (the
in-memory functions), scipy.stats.energy_distance (1-D), and a brute-force double loop over
the full kernel matrix. Tolerances: the three kernel means lie in [0, 1] and the distance
means are O(scale), so agreement is asked to 1e-12 of the size of the terms (relative, when
the statistic is not itself near 0).
"""

from __future__ import annotations

import pickle

import dask
import dask.array as da
import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from divlab.errors import (
    BackendError,
    DTypeError,
    EmptyInputError,
    EstimationError,
    NonFiniteError,
    ParameterError,
    ShapeMismatchError,
)
from divlab.estimators import energy_distance, median_bandwidth, mmd
from divlab.streaming.pairwise import PairwiseSums, pairwise_sums, pairwise_sums_delayed

RTOL = 1e-12


def _samples(seed: int, n: int, m: int, d: int, shift: float = 0.7):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(shift, 1.3, size=(m, d))


def _brute(x: np.ndarray, y: np.ndarray, h: float) -> tuple[float, float]:
    """MMD²_u and the energy distance from full matrices (independent of divlab's kernels)."""
    def sq(a, b):
        return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)

    n, m = len(x), len(y)
    kxx, kyy, kxy = (np.exp(-sq(a, b) / (2 * h * h)) for a, b in ((x, x), (y, y), (x, y)))
    mmd2 = ((kxx.sum() - n) / (n * (n - 1)) + (kyy.sum() - m) / (m * (m - 1))
            - 2 * kxy.mean())
    dxx, dyy, dxy = (np.sqrt(sq(a, b)) for a, b in ((x, x), (y, y), (x, y)))
    return mmd2, np.sqrt(2 * dxy.mean() - dxx.mean() - dyy.mean())


def _blocks(a: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    cuts = np.cumsum(sizes)[:-1]
    return np.split(a, cuts)


def _partial_states(x, y, h, sx, sy):
    """One fresh state per pair of blocks (blocks of sizes sx, sy), unmerged."""
    bx, by = _blocks(x, sx), _blocks(y, sy)
    out = []
    for kind, blocks in (("xx", bx), ("yy", by)):
        for i, a in enumerate(blocks):
            out.append(PairwiseSums(h).update_pair(a, kind=kind))
            out += [PairwiseSums(h).update_pair(a, b, kind=kind) for b in blocks[i + 1:]]
    out += [PairwiseSums(h).update_pair(a, b, kind="xy") for a in bx for b in by]
    return out


def _merge_random_tree(states, seed):
    """Merge states in a random order and a random tree shape."""
    rng = np.random.default_rng(seed)
    parts = [states[i] for i in rng.permutation(len(states))]
    while len(parts) > 1:
        i = int(rng.integers(len(parts) - 1))
        parts[i:i + 2] = [parts[i].merge(parts[i + 1])]
    return parts[0]


def _check_against_divlab(res, x, y, h):
    ref_mmd = float(mmd(x, y, bandwidth=h, n_resamples=0).value)
    ref_e = float(energy_distance(x, y).value)
    assert res["mmd"].value == pytest.approx(ref_mmd, rel=RTOL, abs=1e-14)
    assert res["energy"].value == pytest.approx(ref_e, rel=RTOL)
    return ref_mmd, ref_e


@pytest.mark.parametrize(("seed", "n", "m", "d"), [
    (0, 40, 40, 1), (1, 57, 33, 2), (2, 100, 71, 5), (3, 8, 130, 3), (4, 64, 64, 70)])
def test_whole_samples_match_in_memory(seed, n, m, d):
    x, y = _samples(seed, n, m, d)
    h = median_bandwidth(x, y)
    res = pairwise_sums(x, y, bandwidth=h).result()
    ref_mmd, ref_e = _check_against_divlab(res, x, y, h)
    b_mmd, b_e = _brute(x, y, h)
    assert ref_mmd == pytest.approx(b_mmd, rel=1e-11, abs=1e-14)
    assert ref_e == pytest.approx(b_e, rel=1e-11)
    assert res["mmd"].n == (n, m) and res["mmd"].details["bandwidth"] == h


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("sx", "sy"), [([13, 13, 14], [7, 20, 3, 10]), ([1] * 6 + [34], [40]),
                                        ([39, 1], [1, 1, 38])])
def test_block_pairs_any_merge_order(seed, sx, sy):
    x, y = _samples(10 + seed, sum(sx), sum(sy), 3)
    h = 1.1
    merged = _merge_random_tree(_partial_states(x, y, h, sx, sy), seed)
    res = merged.result()
    _check_against_divlab(res, x, y, h)
    n, m = sum(sx), sum(sy)
    assert merged.pairs == {"xx": n * n, "yy": m * m, "xy": n * m}
    # the driver's block order gives the same numbers
    for rows in (1, 7, 40):
        other = pairwise_sums(x, y, bandwidth=h, block_rows=rows).result()
        assert other["mmd"].value == pytest.approx(res["mmd"].value, rel=RTOL, abs=1e-14)
        assert other["energy"].value == pytest.approx(res["energy"].value, rel=RTOL)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_energy_1d_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    u, v = rng.standard_t(3, size=90), rng.exponential(size=61)
    s = pairwise_sums(u, v, bandwidth=None, block_rows=17)
    ref = scipy.stats.energy_distance(u, v)
    assert s.result()["energy"].value == pytest.approx(ref, rel=RTOL)
    assert s.result()["energy"].value == pytest.approx(energy_distance(u, v).value, rel=RTOL)
    assert set(s.result()) == {"energy"}


def test_same_distribution_small_values():
    """Near-zero statistics: the terms cancel; agreement to 1e-12 of the terms' size."""
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(300, 2)), rng.normal(size=(280, 2))
    res = pairwise_sums(x, y, bandwidth=1.0, block_rows=64).result()
    ref_m = mmd(x, y, bandwidth=1.0).value
    assert abs(res["mmd"].value - ref_m) < 1e-13  # kernel means are <= 1
    assert abs(ref_m) < 0.01
    e2 = res["energy"].details["squared"]
    ref_e2 = energy_distance(x, y).details["squared"]
    assert abs(e2 - ref_e2) < 1e-12 * 2.0  # distance means are about 2
    assert res["energy"].value == pytest.approx(np.sqrt(ref_e2), rel=1e-10)


def test_identical_samples():
    x = np.random.default_rng(1).normal(size=(50, 3))
    res = pairwise_sums(x, x.copy(), bandwidth=0.8, block_rows=16).result()
    assert res["energy"].value == 0.0
    b = mmd(x, x, bandwidth=0.8).value
    assert res["mmd"].value == pytest.approx(b, rel=RTOL)
    assert res["mmd"].value < 0  # U-statistic: the x-y sum keeps the i = j terms


def test_mmd_only_and_energy_only():
    x, y = _samples(6, 30, 25, 2)
    only = pairwise_sums(x, y, bandwidth=0.9, energy=False, block_rows=8).result()
    assert set(only) == {"mmd"}
    assert only["mmd"].value == pytest.approx(mmd(x, y, bandwidth=0.9).value, rel=RTOL)
    e = pairwise_sums(x, y, bandwidth=None).result()
    assert set(e) == {"energy"}


@pytest.mark.parametrize("scale", [1e200, 1e-200])
def test_extreme_scales_match_in_memory(scale):
    x, y = _samples(7, 40, 30, 2)
    x, y = x * scale, y * scale
    h = 1.5 * scale
    res = pairwise_sums(x, y, bandwidth=h, block_rows=9).result()
    _check_against_divlab(res, x, y, h)
    assert res["energy"].value == pytest.approx(
        _brute(x / scale, y / scale, 1.5)[1] * np.sqrt(scale), rel=1e-11)  # 1/2-homogeneous


def test_blocks_with_different_units():
    """Blocks rescaled by different powers of two (one block of huge rows): the distance
    sums are kept in one exact unit."""
    x, y = _samples(8, 30, 20, 2)
    x[:5] *= 1e60  # pairs with these rows are rescaled by 2**199, the others not at all
    res = pairwise_sums(x, y, bandwidth=2.0, block_rows=5).result()
    _check_against_divlab(res, x, y, 2.0)
    merged = _merge_random_tree(_partial_states(x, y, 2.0, [5] * 6, [20]), 3)
    assert merged.result()["energy"].value == pytest.approx(res["energy"].value, rel=RTOL)


def test_float32_input_uses_float64_sums():
    x, y = _samples(9, 40, 40, 3)
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    res = pairwise_sums(x32, y32, bandwidth=1.0, block_rows=11).result()
    ref = mmd(x32.astype(np.float64), y32.astype(np.float64), bandwidth=1.0).value
    assert res["mmd"].value == pytest.approx(ref, rel=RTOL)


def test_array_api_strict_matches_numpy():
    import array_api_strict as xps

    x, y = _samples(11, 33, 21, 3)
    ref = pairwise_sums(x, y, bandwidth=1.2).result()
    res = pairwise_sums(xps.asarray(x), xps.asarray(y), bandwidth=1.2, block_rows=10).result()
    assert res["mmd"].value == pytest.approx(ref["mmd"].value, rel=1e-12)
    assert res["energy"].value == pytest.approx(ref["energy"].value, rel=1e-12)


def test_pickle_round_trip():
    x, y = _samples(12, 20, 20, 2)
    s = pairwise_sums(x, y, bandwidth=1.0)
    t = pickle.loads(pickle.dumps(s))
    assert t.result()["mmd"].value == s.result()["mmd"].value
    assert s.result()["energy"].value == s.result()["energy"].value  # result does not consume


@pytest.mark.parametrize(("cx", "cy"), [(17, 23), (50, 5), (100, 100)])
def test_dask_threaded_equals_numpy(cx, cy):
    x, y = _samples(13, 100, 80, 4)
    ref = pairwise_sums(x, y, bandwidth=1.3).result()
    with dask.config.set(scheduler="threads"):
        s = pairwise_sums(da.from_array(x, chunks=(cx, 4)), da.from_array(y, chunks=(cy, 2)),
                          bandwidth=1.3, split_every=3)
    res = s.result()
    assert res["mmd"].value == pytest.approx(ref["mmd"].value, rel=RTOL, abs=1e-14)
    assert res["energy"].value == pytest.approx(ref["energy"].value, rel=RTOL)
    assert (s.n_x, s.n_y) == (100, 80)


def test_dask_block_rows_and_delayed():
    x, y = _samples(14, 60, 45, 2)
    ref = pairwise_sums(x, y, bandwidth=0.7).result()
    dx, dy = da.from_array(x, chunks=60), da.from_array(y, chunks=45)
    with dask.config.set(scheduler="threads"):
        s = pairwise_sums(dx, dy, bandwidth=0.7, block_rows=16)
        lazy = pairwise_sums_delayed(dx[:, 0], dy[:, 0], bandwidth=None)
        t, = dask.compute(lazy)
    assert s.result()["mmd"].value == pytest.approx(ref["mmd"].value, rel=RTOL, abs=1e-14)
    assert t.result()["energy"].value == pytest.approx(
        scipy.stats.energy_distance(x[:, 0], y[:, 0]), rel=RTOL)


@settings(max_examples=25)
@given(st.lists(st.integers(1, 12), min_size=1, max_size=5),
       st.lists(st.integers(1, 12), min_size=1, max_size=5), st.integers(0, 2**16))
def test_property_blocking_invariance(sx, sy, seed):
    x, y = _samples(seed, sum(sx), sum(sy), 2)
    whole = PairwiseSums(0.9).update(x=x, y=y)
    if whole.n_x < 2 or whole.n_y < 2:
        with pytest.raises(EstimationError):
            whole.result()
        return
    ref = whole.result()
    res = _merge_random_tree(_partial_states(x, y, 0.9, sx, sy), seed).result()
    assert res["mmd"].value == pytest.approx(ref["mmd"].value, rel=1e-12, abs=1e-14)
    assert res["energy"].value == pytest.approx(ref["energy"].value, rel=1e-12, abs=1e-14)


# ------------------------------------------------------------------------------ bad input
def test_bad_parameters():
    with pytest.raises(ParameterError, match="bandwidth"):
        PairwiseSums(0.0)
    with pytest.raises(ParameterError, match="bandwidth"):
        PairwiseSums(float("nan"))
    with pytest.raises(ParameterError, match="computes nothing"):
        PairwiseSums(None, energy=False)
    with pytest.raises(ParameterError, match="energy"):
        PairwiseSums(1.0, energy="yes")
    s = PairwiseSums(1.0)
    with pytest.raises(ParameterError, match="kind"):
        s.update_pair(np.ones((2, 2)), kind="yx")
    with pytest.raises(ParameterError, match="both blocks"):
        s.update_pair(np.ones((2, 2)), kind="xy")
    with pytest.raises(ParameterError, match="needs"):
        s.update()
    x, y = _samples(0, 10, 10, 2)
    with pytest.raises(ParameterError, match="block_rows"):
        pairwise_sums(x, y, bandwidth=1.0, block_rows=0)
    with pytest.raises(ParameterError, match="split_every"):
        pairwise_sums(x, y, bandwidth=1.0, split_every=1)
    with pytest.raises(ParameterError, match="mix"):
        pairwise_sums(da.from_array(x), y, bandwidth=1.0)
    with pytest.raises(ParameterError, match="Dask"):
        pairwise_sums_delayed(x, y, bandwidth=1.0)


def test_bad_samples():
    x, y = _samples(0, 10, 10, 2)
    with pytest.raises(ShapeMismatchError, match="dimension"):
        pairwise_sums(x, y[:, :1], bandwidth=1.0)
    with pytest.raises(ShapeMismatchError, match="dimension"):
        pairwise_sums(x, y[:, :1], bandwidth=1.0, block_rows=3)
    with pytest.raises(ShapeMismatchError, match="dimension"):
        pairwise_sums(da.from_array(x), da.from_array(y[:, :1]), bandwidth=1.0)
    with pytest.raises(ShapeMismatchError):
        pairwise_sums(np.ones((2, 2, 2)), y, bandwidth=1.0)
    bad = x.copy()
    bad[3, 1] = np.nan
    with pytest.raises(NonFiniteError, match="NaN"):
        pairwise_sums(bad, y, bandwidth=1.0, block_rows=4)
    with pytest.raises(NonFiniteError):
        pairwise_sums(da.from_array(bad, chunks=4), da.from_array(y), bandwidth=1.0)
    with pytest.raises(EmptyInputError):
        pairwise_sums(np.ones((0, 2)), y, bandwidth=1.0)
    with pytest.raises(DTypeError):
        pairwise_sums(np.array([["a", "b"]]), y, bandwidth=1.0)
    s = PairwiseSums(1.0).update_pair(x, kind="xx")
    with pytest.raises(ShapeMismatchError, match="earlier blocks"):
        s.update_pair(y[:, :1], kind="yy")


def test_incomplete_or_repeated_pairs_raise():
    x, y = _samples(1, 10, 12, 2)
    s = PairwiseSums(1.0).update(x=x[:5]).update(x=x[5:]).update(y=y)
    s.update_pair(x, y, kind="xy")
    with pytest.raises(EstimationError, match="cover every pair"):  # x-x across blocks missing
        s.result()
    s.update_pair(x[:5], x[5:], kind="xx")
    assert s.result()["mmd"].value == pytest.approx(mmd(x, y, bandwidth=1.0).value, rel=RTOL)
    s.update_pair(x[:5], y, kind="xy")  # repeated pairs
    with pytest.raises(EstimationError, match="cover every pair"):
        s.result()
    with pytest.raises(EstimationError, match="at least 2"):
        PairwiseSums(1.0).update(x=x[:1], y=y).result()
    one = PairwiseSums(None).update(x=x[:1], y=y[:1]).result()["energy"].value
    assert one == pytest.approx(np.sqrt(2 * np.linalg.norm(x[0] - y[0])), rel=RTOL)
    with pytest.raises(EstimationError):
        PairwiseSums(1.0).result()


def test_bad_merges():
    x, y = _samples(2, 6, 6, 2)
    a = PairwiseSums(1.0).update(x=x)
    with pytest.raises(ParameterError, match="different settings"):
        a.merge(PairwiseSums(2.0))
    with pytest.raises(ParameterError, match="different settings"):
        a.merge(PairwiseSums(1.0, energy=False))
    with pytest.raises(TypeError):
        a.merge(object())
    with pytest.raises(ShapeMismatchError):
        a.merge(PairwiseSums(1.0).update(y=y[:, :1]))


def test_mixed_backends_raise():
    import array_api_strict as xps

    x, y = _samples(3, 6, 6, 2)
    with pytest.raises(BackendError):
        PairwiseSums(1.0).update_pair(x, xps.asarray(y), kind="xy")
    with pytest.raises(BackendError):
        PairwiseSums(1.0).update(x=x).merge(PairwiseSums(1.0).update(y=xps.asarray(y)))


def test_is_a_streaming_state():
    from divlab.streaming import StreamingState

    assert isinstance(PairwiseSums(1.0), StreamingState)


@pytest.mark.slow
def test_distributed_cluster_equals_numpy():
    """Worker processes: the pair tasks and states are pickled and merged on the workers."""
    distributed = pytest.importorskip("distributed")
    x, y = _samples(15, 150, 120, 3)
    ref = pairwise_sums(x, y, bandwidth=1.0).result()
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       memory_limit="1GB", dashboard_address=None)
    with cluster, distributed.Client(cluster):
        res = pairwise_sums(da.from_array(x, chunks=40), da.from_array(y, chunks=50),
                            bandwidth=1.0).result()
    assert res["mmd"].value == pytest.approx(ref["mmd"].value, rel=RTOL, abs=1e-14)
    assert res["energy"].value == pytest.approx(ref["energy"].value, rel=RTOL)


@pytest.mark.gpu
def test_cupy_matches_numpy():
    import cupy

    x, y = _samples(16, 70, 50, 3)
    ref = pairwise_sums(x, y, bandwidth=1.0).result()
    res = pairwise_sums(cupy.asarray(x), cupy.asarray(y), bandwidth=1.0, block_rows=16).result()
    assert res["mmd"].value == pytest.approx(ref["mmd"].value, rel=1e-12, abs=1e-14)
    assert res["energy"].value == pytest.approx(ref["energy"].value, rel=1e-12)
