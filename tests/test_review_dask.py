"""Regressions found by an adversarial review of the Dask / streaming doors (issue 12).

Every test runs one quantity through a Dask door with an odd chunking (a chunk of 0 rows,
unknown chunk sizes) and demands the in-memory answer (same function on NumPy, tolerance
stated) or a clear divlab error naming the remedy.
"""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import divlab  # noqa: E402
from divlab.errors import ParameterError  # noqa: E402
from divlab.estimators import mmd  # noqa: E402
from divlab.streaming import (  # noqa: E402
    ColumnMoments,
    divergence_from_chunks,
    fold_rows,
    knn_distances,
    pairwise_sums,
)

RNG = np.random.default_rng(12)
X = RNG.normal(size=(40, 2))
Y = RNG.normal(0.5, 1.0, size=(30, 2))


def _with_empty_chunk(a: np.ndarray) -> da.Array:
    """``a`` as a Dask array whose second row chunk has 0 rows (e.g. an empty .npy file)."""
    rows = (10, 0, a.shape[0] - 10)
    return da.from_array(a, chunks=(rows, a.shape[1]))


def _unknown_sizes(a: np.ndarray) -> da.Array:
    d = da.from_array(a, chunks=(7, a.shape[1]))
    return d[d[:, 0] > -1e9]  # every row kept, chunk sizes now nan


def test_pairwise_sums_skip_empty_chunk():
    # was: EmptyInputError "`a` is empty (shape (0, 2))" from the task of the empty chunk
    got = pairwise_sums(_with_empty_chunk(X), _with_empty_chunk(Y), bandwidth=1.0).result()
    assert got["mmd"].value == pytest.approx(mmd(X, Y, bandwidth=1.0).value, rel=1e-12)


def test_knn_distances_skip_empty_chunk_keeps_global_indices():
    # was: EmptyInputError "`reference_chunk` is empty"; the indices must stay global rows
    ref = knn_distances(X[:5], X, 3, query_index=np.arange(5))
    got = knn_distances(X[:5], _with_empty_chunk(X), 3, query_index=np.arange(5))
    np.testing.assert_array_equal(got[1], ref[1])
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-14, atol=0)


def test_compare_fid_on_dask_with_empty_chunk_equals_in_memory():
    # was: EmptyInputError "`batch` is empty" from FrechetStats on the empty chunk
    kw = {"metrics": ["fid"], "n_resamples": 0, "rng": 0}
    got = divlab.compare(_with_empty_chunk(X), _with_empty_chunk(Y), **kw).rows[0].estimate
    ref = divlab.compare(X, Y, **kw).rows[0].estimate
    assert got.value == pytest.approx(ref.value, rel=1e-12)


def test_fold_rows_one_array_of_unknown_chunk_sizes():
    # was: ShapeMismatchError "the arrays have different numbers of rows [nan]"
    got = fold_rows(ColumnMoments, _unknown_sizes(X)).result()
    assert got["count"] == X.shape[0]
    np.testing.assert_allclose(got["mean"], X.mean(axis=0), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(got["std"], X.std(axis=0), rtol=1e-13)


def test_fold_rows_aligned_arrays_of_unknown_chunk_sizes_clear_error():
    with pytest.raises(ParameterError, match="compute_chunk_sizes"):
        fold_rows(ColumnMoments, _unknown_sizes(X), _unknown_sizes(X))


def test_knn_distances_unknown_chunk_sizes_clear_error():
    # was: ParameterError "`offset` must be >= 0, got -9223372036854775808" from a task
    with pytest.raises(ParameterError, match="compute_chunk_sizes"):
        knn_distances(X[:3], _unknown_sizes(X), 2)


def test_divergence_from_chunks_unknown_chunk_sizes_clear_error():
    # was: ShapeMismatchError "must have the same 1-D or 2-D shape, got (nan,) and (10,)"
    p = da.from_array(np.full(10, 0.1), chunks=3)
    with pytest.raises(ParameterError, match="compute_chunk_sizes"):
        divergence_from_chunks(p[p > 0], p, "kl")


def test_compare_fid_from_all_rows_when_byte_cap_leaves_few_rows(monkeypatch):
    import divlab.estimators._lazy_input as lazy

    monkeypatch.setattr(lazy, "DASK_HOST_BYTES", 8 * 2 * 3)  # 3 host rows for d = 2
    kw = {"metrics": ["fid"], "n_resamples": 0, "rng": 0}
    got = divlab.compare(da.from_array(X, chunks=(8, 2)), da.from_array(Y, chunks=(8, 2)),
                         **kw).rows[0].estimate
    ref = divlab.compare(X, Y, **kw).rows[0].estimate
    assert got.value == pytest.approx(ref.value, rel=1e-9)


def test_npy_directory_index_column_split_into_short_files(tmp_path):
    # was: judged on the first file only (2 rows < 3): the index column 0..3 was kept
    from divlab.errors import InputError
    from divlab.io import read_samples
    from divlab.io_lazy import open_samples

    data = np.array([[0.0, 5.0], [1.0, 6.0], [2.0, 7.0], [3.0, 1.0]])
    np.save(tmp_path / "whole.npy", data)
    (tmp_path / "parts").mkdir()
    np.save(tmp_path / "parts" / "a.npy", data[:2])
    np.save(tmp_path / "parts" / "b.npy", data[2:])
    with pytest.raises(InputError, match="row index") as eager:
        read_samples(tmp_path / "whole.npy")
    with pytest.raises(InputError, match="row index") as lazy:
        open_samples(tmp_path / "parts")
    assert "0..3" in str(eager.value) and "0..3" in str(lazy.value)
    dropped, _ = open_samples(tmp_path / "parts", index="drop")
    np.testing.assert_array_equal(dropped.compute(), data[:, 1:])
