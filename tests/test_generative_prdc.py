"""Precision/recall/density/coverage against the ``prdc`` package's code (reimplemented from
clovaai/generative-evaluation-prdc, with SciPy's Euclidean distances in place of
scikit-learn's), chunking, bounded memory, backends and the intervals."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from divlab.errors import ParameterError, ShapeMismatchError
from divlab.generative import prdc
from divlab.generative.manifold import _prdc_estimates


def get_kth_value(unsorted, k, axis=-1):
    indices = np.argpartition(unsorted, k, axis=axis)[..., :k]
    k_smallests = np.take_along_axis(unsorted, indices, axis=axis)
    return k_smallests.max(axis=axis)


def compute_prdc(real_features, fake_features, nearest_k):
    """clovaai/generative-evaluation-prdc ``compute_prdc`` (reimplemented)."""
    real_nn = get_kth_value(cdist(real_features, real_features), k=nearest_k + 1, axis=-1)
    fake_nn = get_kth_value(cdist(fake_features, fake_features), k=nearest_k + 1, axis=-1)
    distance_real_fake = cdist(real_features, fake_features)
    precision = (distance_real_fake < np.expand_dims(real_nn, axis=1)).any(axis=0).mean()
    recall = (distance_real_fake < np.expand_dims(fake_nn, axis=0)).any(axis=1).mean()
    density = (1.0 / float(nearest_k)) * (
        distance_real_fake < np.expand_dims(real_nn, axis=1)).sum(axis=0).mean()
    coverage = (distance_real_fake.min(axis=1) < real_nn).mean()
    return dict(precision=precision, recall=recall, density=density, coverage=coverage)


def mixture(rng, n, d, modes, keep=None, scale=0.5):
    keep = list(range(len(modes))) if keep is None else keep
    lab = rng.choice(keep, n)
    return modes[lab] + scale * rng.standard_normal((n, d))


@pytest.mark.parametrize("n,m,d,k,chunk", [(300, 250, 8, 5, None), (200, 310, 20, 3, 7),
                                           (120, 90, 2, 1, 13)])
def test_equals_prdc_reference(n, m, d, k, chunk):
    rng = np.random.default_rng(n + d)
    modes = rng.standard_normal((6, d)) * 3
    x = mixture(rng, n, d, modes)
    y = mixture(rng, m, d, modes, keep=[0, 1, 2, 3], scale=0.6)
    ref = compute_prdc(x, y, k)
    got = prdc(x, y, k=k, n_resamples=0, chunk_rows=chunk)
    for key, v in ref.items():
        assert got[key].value == pytest.approx(float(v), abs=1e-15), key
        assert got[key].ci is None and got[key].details["k"] == k


def test_backends_agree():
    torch = pytest.importorskip("torch")
    import array_api_strict as xs

    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((150, 6)), rng.standard_normal((140, 6)) * 0.8
    ref = compute_prdc(x, y, 5)
    for a, b in ((torch.asarray(x), torch.asarray(y)), (xs.asarray(x), xs.asarray(y)),
                 (x.astype(np.float32), y.astype(np.float32))):
        got = prdc(a, b, n_resamples=0, chunk_rows=40)
        for key, v in ref.items():
            if isinstance(a, np.ndarray) and a.dtype == np.float32:  # ties within rounding
                assert got[key].value == pytest.approx(float(v), abs=0.02)
            else:
                assert got[key].value == pytest.approx(float(v), abs=1e-15), key


@pytest.mark.gpu
def test_cupy_matches_reference():
    cp = pytest.importorskip("cupy")
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((2000, 64)), rng.standard_normal((1500, 64)) * 0.9
    ref = compute_prdc(x, y, 5)
    got = prdc(cp.asarray(x), cp.asarray(y), n_resamples=0, chunk_rows=256)
    for key, v in ref.items():
        assert got[key].value == pytest.approx(float(v), abs=1e-12), key


def test_memory_is_bounded_by_the_chunk():
    rng = np.random.default_rng(7)
    n, d = 1500, 32
    x, y = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    prdc(x[:50], y[:50], n_resamples=0)  # warm up: first-call imports are not the metric's
    tracemalloc.start()
    prdc(x, y, n_resamples=0, chunk_rows=100)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    dense = 3 * n * n * 8  # the reference's three distance matrices: 54 MB
    assert peak < 8e6 and dense / peak > 6


def test_mode_collapse_lowers_recall_and_coverage():
    rng = np.random.default_rng(8)
    d = 16
    modes = rng.standard_normal((8, d)) * 4
    x = mixture(rng, 800, d, modes)
    full = prdc(x, mixture(rng, 800, d, modes), n_resamples=0)
    half = prdc(x, mixture(rng, 800, d, modes, keep=[0, 1, 2, 3]), n_resamples=0)
    assert half["recall"].value < full["recall"].value - 0.3
    assert half["coverage"].value < full["coverage"].value - 0.3
    assert half["precision"].value > 0.8 and full["precision"].value > 0.8


def test_intervals_dense_and_fixed_radii():
    rng = np.random.default_rng(9)
    x, y = rng.standard_normal((200, 3)), rng.standard_normal((180, 3)) * 1.1 + 0.3
    dense = _prdc_estimates(x, y, n_resamples=60, alpha=0.1, gen=np.random.default_rng(0))
    assert dense["recall"].details["ci_method"] == "half-sampling"
    import divlab.generative.manifold as mod

    old = mod.MAX_DENSE_ENTRIES
    mod.MAX_DENSE_ENTRIES = 0
    try:
        fixed = _prdc_estimates(x, y, n_resamples=60, alpha=0.1, gen=np.random.default_rng(0))
    finally:
        mod.MAX_DENSE_ENTRIES = old
    assert fixed["recall"].details["ci_method"] == "half-sampling, radii fixed"
    for key in dense:
        assert dense[key].value == fixed[key].value
        for e in (dense[key], fixed[key]):
            assert e.ci[0] <= e.value <= e.ci[1]
            assert e.ci[0] < e.ci[1] or key == "precision"


@pytest.mark.slow
def test_recall_interval_calibration():
    """Over replicate data sets, the 90 % half-sampling interval of recall covers the
    expected recall at that n (the replicate mean; the interval does not target bias)."""
    rng = np.random.default_rng(10)
    reps = 50
    d = 2
    vals, cis = [], []
    for r in range(reps):
        x = rng.standard_normal((150, d))
        y = rng.standard_normal((150, d)) * 0.7 + 0.3
        e = _prdc_estimates(x, y, n_resamples=60, alpha=0.1, gen=np.random.default_rng(r))
        vals.append(e["recall"].value)
        cis.append(e["recall"].ci)
    center = float(np.mean(vals))
    cover = np.mean([lo <= center <= hi for lo, hi in cis])
    assert 0.75 <= cover <= 1.0


def test_errors():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 3))
    with pytest.raises(ShapeMismatchError):
        prdc(x, rng.standard_normal((20, 4)))
    with pytest.raises(ParameterError):
        prdc(x, x, k=0)
    with pytest.raises(ParameterError):
        prdc(x, x, chunk_rows=0)
    # k is clipped to the data
    r = prdc(x[:4], x[4:8], k=10, n_resamples=0)
    assert r["recall"].details["k"] == 3
