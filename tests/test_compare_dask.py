"""``compare`` on Dask arrays: one pass, then the in-memory estimators on the gathered rows.

When both samples fit the host budget the gathered rows are all rows in order, so every
number of the report equals the in-memory report's exactly. Beyond it, the checks, column
scales, the data kind and FID describe every row (streamed states), the other metrics a
uniform subsample; both are checked here against the in-memory values on the same data.
"""

from __future__ import annotations

import numpy as np
import pytest

from divlab.errors import DTypeError, EmptyInputError, NonFiniteError, ShapeMismatchError
from divlab.estimators import _lazy_input, compare
from divlab.generative import frechet_distance

da = pytest.importorskip("dask.array")

ALL = ["kl", "js", "w1", "w2", "sliced_w2", "mmd", "energy", "fid"]


def _data(seed=0, n=900, m=700, d=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(0.4, 1.2, size=(m, d))


def _rows(report):
    return {r.metric: (r.estimate.value, r.estimate.ci, r.estimate.p_value, r.why)
            for r in report.rows}


@pytest.mark.parametrize("chunks", [(250, 3), (900, 3), (101, 1)])
def test_fits_on_host_equals_in_memory(chunks):
    x, y = _data()
    want = compare(x, y, metrics=ALL, n_resamples=15, rng=3)
    got = compare(da.from_array(x, chunks=chunks), da.from_array(y, chunks=chunks),
                  metrics=ALL, n_resamples=15, rng=3)
    assert _rows(got) == _rows(want)
    assert got.notes == want.notes
    assert (got.x_shape, got.y_shape) == (want.x_shape, want.y_shape)


def test_standardize_and_feature_names_equal_in_memory():
    x, y = _data(1)
    x[:, 0] *= 1e4
    y[:, 0] *= 1e4
    kw = dict(metrics=["w1", "energy"], n_resamples=0, rng=0, standardize=True,
              feature_names=["a", "b", "c"])
    want = compare(x, y, **kw)
    got = compare(da.from_array(x, chunks=200), da.from_array(y, chunks=200), **kw)
    assert _rows(got) == _rows(want)
    assert got.extra == want.extra


def test_one_dimensional_and_mixed_inputs():
    x, y = _data(2, d=1)
    want = compare(x[:, 0], y[:, 0], metrics=["w1", "kl"], n_resamples=10, rng=1)
    got = compare(da.from_array(x[:, 0], chunks=300), y[:, 0], metrics=["w1", "kl"],
                  n_resamples=10, rng=1)
    assert _rows(got) == _rows(want)


def test_categorical_detected_from_all_rows(monkeypatch):
    rng = np.random.default_rng(4)
    x = rng.integers(0, 5, size=(3000, 2)).astype(float)
    y = rng.integers(0, 6, size=(2000, 2)).astype(float)
    want = compare(x, y, metrics=["js"], n_resamples=0, rng=0)
    assert want.data_kind == "categorical"
    monkeypatch.setattr(_lazy_input, "DASK_HOST_ROWS", 500)
    got = compare(da.from_array(x, chunks=700), da.from_array(y, chunks=700), metrics=["js"],
                  n_resamples=0, rng=0)
    assert got.data_kind == "categorical"
    # on 500 of the rows the plug-in JS is near the full-data value (sampling noise only)
    assert abs(got["js"].value - want["js"].value) < 0.02


def test_subsampled_scales_fid_and_notes(monkeypatch):
    x, y = _data(5, n=6000, m=5000, d=4)
    monkeypatch.setattr(_lazy_input, "DASK_HOST_ROWS", 1500)
    got = compare(da.from_array(x, chunks=1000), da.from_array(y, chunks=800),
                  metrics=["fid", "energy"], n_resamples=20, rng=2)
    assert got.x_shape == (6000, 4) and got.y_shape == (5000, 4)
    pooled = np.concatenate([x, y]).std(axis=0)
    np.testing.assert_allclose(got.extra["column_scales"], pooled, rtol=1e-13)
    fid = got["fid"]
    assert fid.value == pytest.approx(float(frechet_distance(x, y)), rel=1e-10)
    assert fid.n == (6000, 5000)
    lo, hi = fid.ci
    assert lo <= fid.value <= hi
    # the subsample's interval shrunk by sqrt(1500 / 6000) at most
    assert fid.details["ci_scaled_by"] == pytest.approx(np.sqrt(1500 / 6000))
    assert any("uniform random subsample of 1500 and 1500 rows" in n for n in got.notes)
    assert got["energy"].n == (1500, 1500)


def test_subsample_is_uniform_across_seeds(monkeypatch):
    """The gathered rows are a uniform subsample: the energy distance on them scatters
    around the full-data value with mean error well inside its spread."""
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(4000, 2)), rng.normal(0.5, 1.0, size=(4000, 2))
    want = compare(x, y, metrics=["energy"], n_resamples=0)["energy"].value
    monkeypatch.setattr(_lazy_input, "DASK_HOST_ROWS", 400)
    X, Y = da.from_array(x, chunks=500), da.from_array(y, chunks=500)
    vals = np.array([compare(X, Y, metrics=["energy"], n_resamples=0, rng=s)["energy"].value
                     for s in range(30)])
    sd = vals.std(ddof=1)
    assert 0.005 < sd < 0.1
    # the V-statistic is biased upwards by O(1/n) on 400 rows: allow that bias
    assert abs(vals.mean() - want) < 3 * sd / np.sqrt(len(vals)) + 0.03


def test_bad_input_is_refused_with_the_row():
    x, y = _data(6)
    x[517, 1] = np.nan
    with pytest.raises(NonFiniteError, match="row 517"):
        compare(da.from_array(x, chunks=100), da.from_array(y, chunks=100), metrics=["w1"])
    with pytest.raises(ShapeMismatchError, match="same dimension"):
        compare(da.from_array(np.ones((5, 2))), da.from_array(np.ones((5, 3))))
    with pytest.raises(EmptyInputError, match="at least 2"):
        compare(da.from_array(np.ones((1, 2))), da.from_array(np.ones((5, 2))))
    with pytest.raises(DTypeError, match="not numeric"):
        compare(da.from_array(np.array(["a", "b", "c"])), da.from_array(np.ones(3)))
    with pytest.raises(ShapeMismatchError, match="feature_names"):
        compare(da.from_array(np.ones((5, 2))), da.from_array(np.zeros((5, 2))),
                feature_names=["a"])


def test_graph_reads_each_chunk_once():
    """The moments fold and the gather share the chunk tasks (one read per chunk)."""
    import dask

    calls = []

    def load(i):
        calls.append(i)
        return np.random.default_rng(i).normal(size=(100, 2))

    parts = [da.from_delayed(dask.delayed(load)(i), shape=(100, 2), dtype=float)
             for i in range(6)]
    x = da.concatenate(parts)
    y = da.from_array(np.random.default_rng(9).normal(size=(300, 2)), chunks=100)
    with dask.config.set(scheduler="sync"):
        compare(x, y, metrics=["energy"], n_resamples=0)
    assert sorted(calls) == list(range(6))


@pytest.mark.parametrize("metric", ["w1", "w2"])
@pytest.mark.parametrize("standardize", [False, True])
def test_one_dimensional_w_uses_all_rows(monkeypatch, metric, standardize):
    """1-D W of a subsampled Dask input describes every row: the exact in-memory value of
    all rows lies in the guaranteed bounds, and the reported value is within them."""
    import divlab

    rng = np.random.default_rng(8)
    x, y = rng.normal(size=30_000), rng.standard_t(4, size=25_000) * 2 + 0.3
    monkeypatch.setattr(_lazy_input, "DASK_HOST_ROWS", 2000)
    got = compare(da.from_array(x, chunks=7000), da.from_array(y, chunks=6000),
                  metrics=[metric], n_resamples=30, rng=0, standardize=standardize)
    est = got[metric]
    p = 1 if metric == "w1" else 2
    scale = np.concatenate([x, y]).std() if standardize else 1.0
    exact = float(divlab.wasserstein_1d(x, y, p=p)) / scale
    lo, hi = est.details["all_rows_bounds"]
    assert lo <= exact <= hi
    assert lo <= est.value <= hi
    assert (hi - lo) < 1e-3 * exact
    assert est.n == (30_000, 25_000)
    assert est.ci[0] <= lo and hi <= est.ci[1]
    # the interval is the subsample's, shrunk by sqrt(2000 / 30000) and moved to the value
    sub = est.details["subsample_value"]
    assert abs(sub - exact) > abs(est.value - exact)
    assert "all 30000 + 25000 rows" in got.rows[0].why
