"""Streaming states of discrete divergences and plug-in histograms (divlab.streaming.discrete).

References: the in-memory doors (divlab.kl, js, f_divergence, ...; bit-for-bit on one chunk),
math.fsum of SciPy's kl_div terms and mpmath (independent KL), divlab.estimators.plugin_kl /
plugin_js (histograms). Fixed seeds; tolerances stated per test.
"""

from __future__ import annotations

import functools
import itertools
import math
import pickle

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st

import divlab
from divlab.errors import (
    EmptyInputError,
    NormalizationError,
    ParameterError,
    ShapeMismatchError,
    UnreliableEstimateWarning,
)
from divlab.estimators import plugin_js, plugin_kl
from divlab.streaming import ColumnMoments, fold_rows
from divlab.streaming.discrete import (
    DivergenceState,
    HistogramPairState,
    HistogramState,
    TotalsState,
    divergence_from_chunks,
    equal_width_edges,
    plugin_divergence,
    plugin_divergence_from_chunks,
)

# (state spec, params, in-memory door)
CASES = [
    ("kl", {}, divlab.kl),
    ("reverse_kl", {}, divlab.reverse_kl),
    ("js", {}, divlab.js),
    ("total_variation", {}, divlab.total_variation),
    ("squared_hellinger", {}, divlab.squared_hellinger),
    ("pearson", {}, divlab.pearson_chi2),
    ("neyman", {}, divlab.neyman_chi2),
    ("jeffreys", {}, divlab.jeffreys),
    ("gan", {}, lambda p, q, **k: divlab.f_divergence(p, q, "gan", **k)),
    ("fgan_js", {}, lambda p, q, **k: divlab.f_divergence(p, q, "fgan_js", **k)),
    *[("alpha", {"alpha": a}, functools.partial(divlab.alpha_divergence, alpha=a))
      for a in (0.5, 2.0, -0.7, 1.5, 0.999)],
]
IDS = [c[0] + "".join(f"_{v}" for v in c[1].values()) for c in CASES]
#: the divergences whose normalize=True folds into the sums
FOLDING = {"kl", "reverse_kl", "pearson", "neyman", "squared_hellinger", "alpha"}


def _door(case, p, q, **kw):
    return case[2](p, q, **kw)


def _pair(n, seed, zeros=0.0):
    rng = np.random.default_rng(seed)
    p, q = rng.random(n), rng.random(n)
    if zeros:
        p[rng.random(n) < zeros] = 0.0
        q[rng.random(n) < zeros] = 0.0
        p[0] += p.sum() == 0  # keep some mass
        q[-1] += q.sum() == 0
    return p / p.sum(), q / q.sum()


def _chunked(spec, params, p, q, bounds, **kw):
    s = DivergenceState(spec, **params, **kw)
    for a, b in itertools.pairwise(bounds):
        s.update(p[..., a:b], q[..., a:b])
    return s


def _rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(b))
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


# ------------------------------------------------------------------------------------------
# one chunk: the in-memory number, bit for bit
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("zeros", [0.0, 0.2])
def test_one_chunk_is_bit_identical(case, zeros):
    p, q = _pair(150_000, 1, zeros)  # above the threaded and blocked thresholds
    ref = _door(case, p, q)
    got = DivergenceState(case[0], **case[1]).update(p, q).result()
    assert type(got) is type(ref)
    assert got == ref or (np.isinf(got) and np.isinf(ref))


@pytest.mark.parametrize("case", CASES[:5], ids=IDS[:5])
def test_one_chunk_float32_batches_and_base(case):
    rng = np.random.default_rng(2)
    p = rng.random((4, 3000)).astype(np.float32)
    q = rng.random((4, 3000)).astype(np.float32)
    p /= p.sum(axis=1, keepdims=True)
    q /= q.sum(axis=1, keepdims=True)
    ref = _door(case, p, q)
    got = DivergenceState(case[0], **case[1]).update(p, q).result()
    assert got.dtype == np.float32 and got.shape == (4,)
    np.testing.assert_array_equal(got, ref)
    ref0 = _door(case, p.T, q.T, axis=0)
    got0 = DivergenceState(case[0], **case[1], axis=0).update(p.T, q.T).result()
    np.testing.assert_array_equal(got0, ref0)
    if case[0] in ("kl", "js"):
        np.testing.assert_array_equal(
            DivergenceState(case[0], base=2).update(p, q).result(), _door(case, p, q, base=2))


def test_disjoint_supports_and_infinite_kl():
    p, q = np.array([0.5, 0.5, 0.0, 0.0]), np.array([0.0, 0.0, 0.5, 0.5])
    s = DivergenceState("js").update(p[:3], q[:3]).update(p[3:], q[3:])
    assert s.result() == math.log(2.0)  # the exact bound, also across chunks
    assert DivergenceState("total_variation").update(p[:1], q[:1]).update(
        p[1:], q[1:]).result() == 1.0
    assert DivergenceState("kl").update(p[:2], q[:2]).update(p[2:], q[2:]).result() == np.inf


# ------------------------------------------------------------------------------------------
# many chunks, any merge order
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_chunks_and_merge_orders_agree(case):
    n = 100_000
    p, q = _pair(n, 3)
    ref = _door(case, p, q)
    rng = np.random.default_rng(4)
    bounds = [0, *sorted(rng.choice(np.arange(1, n), 20, replace=False).tolist()), n]
    seq = _chunked(case[0], case[1], p, q, bounds).result()
    states = [DivergenceState(case[0], **case[1]).update(p[a:b], q[a:b])
              for a, b in itertools.pairwise(bounds)]
    order = rng.permutation(len(states))
    acc = states[order[0]]
    for i in order[1:]:
        acc = acc.merge(states[i])
    # relative 1e-15 plus a few ulp: only the order of 21 float64 additions differs
    assert _rel(seq, ref) < 1e-15 + 4 * np.finfo(float).eps
    assert _rel(acc.result(), ref) < 1e-15 + 4 * np.finfo(float).eps


def test_kl_against_fsum_and_mpmath():
    """KL over 1e6 entries in 37 chunks against math.fsum of SciPy's kl_div terms, and over
    2e4 entries against mpmath at 40 digits."""
    mpmath = pytest.importorskip("mpmath")
    n = 1_000_000
    p, q = _pair(n, 5)
    s = _chunked("kl", {}, p, q, np.linspace(0, n, 38).astype(int).tolist())
    ref = math.fsum(scipy.special.kl_div(p, q).tolist())  # each term within ~1 ulp
    assert abs(s.result() - ref) / ref < 2e-15
    m = 20_000
    ps, qs = p[:m] / p[:m].sum(), q[:m] / q[:m].sum()
    s2 = _chunked("kl", {}, ps, qs, [0, 7000, 13000, m])
    with mpmath.workdps(40):
        mref = mpmath.fsum(mpmath.mpf(a) * mpmath.log(mpmath.mpf(a) / mpmath.mpf(b))
                           for a, b in zip(ps.tolist(), qs.tolist(), strict=True))
        mref += mpmath.fsum(qs.tolist()) - mpmath.fsum(ps.tolist())  # kl_div form
    assert abs(s2.result() - float(mref)) / float(mref) < 2e-15


# ------------------------------------------------------------------------------------------
# normalize=True
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_normalize_matches_in_memory(case):
    p, q = _pair(50_000, 6)
    p, q = 3.5 * p, 0.25 * q
    ref = _door(case, p, q, normalize=True)
    bounds = [0, 999, 20_000, 35_001, 50_000]
    if case[0] in FOLDING:  # folded into the sums: S/P - log(P/Q) and its relatives
        got = _chunked(case[0], case[1], p, q, bounds, normalize=True).result()
    else:
        with pytest.raises(ParameterError, match="totals"):
            DivergenceState(case[0], **case[1], normalize=True)
        tot = TotalsState()
        for a, b in itertools.pairwise(bounds):
            tot.update(p[a:b], q[a:b])
        got = _chunked(case[0], case[1], p, q, bounds, normalize=True,
                       totals=tot.result()).result()
    assert _rel(got, ref) < 1e-13
    drv = divergence_from_chunks(p, q, case[0], normalize=True, **case[1])
    assert _rel(drv, ref) < 1e-13


def test_normalize_fold_kl_formula_and_batches():
    """KL(p/P || q/Q) = S/P - log(P/Q) with S = sum p log(p/q), checked by hand; 2-D."""
    p, q = _pair(1000, 7)
    p, q = 2.0 * p, 3.0 * q
    big_p, big_q = p.sum(), q.sum()
    s_ref = math.fsum(scipy.special.rel_entr(p, q).tolist())
    hand = s_ref / big_p - math.log(big_p / big_q)
    got = DivergenceState("kl", normalize=True).update(p[:400], q[:400]).update(
        p[400:], q[400:]).result()
    assert abs(got - hand) < 1e-14
    rng = np.random.default_rng(8)
    pb, qb = rng.random((3, 500)) * 7.0, rng.random((3, 500)) * 0.1
    got_b = DivergenceState("kl", normalize=True).update(pb[:, :200], qb[:, :200]).update(
        pb[:, 200:], qb[:, 200:]).result()
    np.testing.assert_allclose(got_b, divlab.kl(pb, qb, normalize=True), rtol=1e-13)


def test_totals_that_do_not_match_raise():
    p, q = _pair(100, 9)
    s = DivergenceState("js", normalize=True, totals=(2.0, 1.0)).update(p, q)
    with pytest.raises(NormalizationError, match="`totals` do not match"):
        s.result()
    with pytest.raises(ParameterError, match="only with normalize=True"):
        DivergenceState("js", totals=(1.0, 1.0))


def test_fold_refuses_overflowing_totals():
    p = np.full(4, 1e305)
    q = np.full(4, 2e305)
    with pytest.raises(NormalizationError, match="too large to fold"):
        DivergenceState("kl", normalize=True).update(p, q).result()


# ------------------------------------------------------------------------------------------
# errors: the door's class and message
# ------------------------------------------------------------------------------------------

GOOD = np.array([0.1, 0.2, 0.3, 0.15, 0.25])
BAD = {
    "nan": np.array([0.1, 0.2, 0.3, np.nan, 0.4]),
    "two_nonfinite": np.array([0.1, 0.2, np.inf, np.nan, 0.4]),
    "minus_inf": np.array([0.1, 0.2, 0.3, -np.inf, 0.4]),
    "negative": np.array([0.5, 0.2, 0.3, -0.1, 0.1]),
    "unnormalised": np.array([0.1, 0.2, 0.3, 0.2, 0.3]),
    "big_entry": np.array([0.1, 0.2, 0.3, 2.0, 0.3]),
    "zero_mass": np.zeros(5),
    "overflow": np.full(5, 1e308),
}


def _message(fn):
    try:
        fn()
    except Exception as exc:  # the class and message are what is compared
        return type(exc), str(exc)
    return None


@pytest.mark.parametrize("bad", list(BAD), ids=list(BAD))
@pytest.mark.parametrize("side", [0, 1])
@pytest.mark.parametrize("normalize", [False, True])
def test_errors_match_in_memory(bad, side, normalize):
    args = (BAD[bad], GOOD) if side == 0 else (GOOD, BAD[bad])
    ref = _message(lambda: divlab.kl(*args, normalize=normalize))
    if ref is None:  # normalize=True accepts unnormalised input
        assert normalize and bad in ("unnormalised", "big_entry", "overflow")
        if bad == "overflow":  # documented limit of the fold: totals above 1e300
            with pytest.raises(NormalizationError, match="too large to fold"):
                _chunked("kl", {}, *args, [0, 2, 5], normalize=True).result()
            return
        got = _chunked("kl", {}, *args, [0, 2, 5], normalize=True).result()
        assert _rel(got, divlab.kl(*args, normalize=True)) < 1e-14
        return
    got = _message(lambda: _chunked("kl", {}, *args, [0, 2, 3, 5], normalize=normalize).result())
    assert got == ref
    # merged in order: positions still count from the start
    a = DivergenceState("kl", normalize=normalize).update(args[0][:3], args[1][:3])
    b = DivergenceState("kl", normalize=normalize).update(args[0][3:], args[1][3:])
    assert _message(lambda: a.merge(b).result()) == ref


def test_errors_2d_positions_and_slices():
    p = np.full((3, 4), 0.25)
    q = np.full((3, 4), 0.25)
    p[2, 1] = np.nan
    p[1, 3] = np.nan
    ref = _message(lambda: divlab.js(p, q))
    assert _message(lambda: _chunked("js", {}, p, q, [0, 2, 4]).result()) == ref
    s = DivergenceState("js", axis=0)
    s.update(p.T[:2], q.T[:2]).update(p.T[2:], q.T[2:])
    assert _message(s.result) == _message(lambda: divlab.js(p.T, q.T, axis=0))
    z = np.full((3, 4), 0.25)
    z[1] = 0.0
    assert _message(lambda: _chunked("kl", {}, z, q, [0, 1, 4]).result()) == _message(
        lambda: divlab.kl(z, q))


def test_structural_errors():
    with pytest.raises(ParameterError, match="unknown f-divergence"):
        DivergenceState("nope")
    with pytest.raises(ParameterError, match="alpha"):
        DivergenceState("alpha")
    s = DivergenceState("kl").update(np.full((2, 3), 1 / 3), np.full((2, 3), 1 / 3))
    with pytest.raises(ShapeMismatchError):
        s.update(np.full((3, 3), 1 / 3), np.full((3, 3), 1 / 3))
    with pytest.raises(ShapeMismatchError):
        DivergenceState("kl").update(np.ones(3), np.ones(4))
    with pytest.raises(EmptyInputError, match="is empty"):
        DivergenceState("kl").update(np.empty(0), np.empty(0)).result()
    with pytest.raises(TypeError):
        DivergenceState("kl").merge(TotalsState())
    with pytest.raises(ParameterError, match="different"):
        DivergenceState("kl").merge(DivergenceState("js"))


def test_empty_chunks_are_skipped_and_states_pickle():
    p, q = _pair(1000, 10)
    s = DivergenceState("js").update(p[:0], q[:0]).update(p, q).update(p[:0], q[:0])
    assert s.result() == divlab.js(p, q)
    s2 = pickle.loads(pickle.dumps(DivergenceState("alpha", alpha=0.3).update(p, q)))
    assert s2.result() == divlab.alpha_divergence(p, q, 0.3)
    e = DivergenceState("js").merge(DivergenceState("js").update(p, q))
    assert e.result() == divlab.js(p, q)


# ------------------------------------------------------------------------------------------
# Dask: several chunks, threaded scheduler
# ------------------------------------------------------------------------------------------


@pytest.fixture
def threaded():
    dask = pytest.importorskip("dask")
    with dask.config.set(scheduler="threads"):
        yield


@pytest.mark.parametrize("spec,params", [("kl", {}), ("js", {}), ("alpha", {"alpha": 0.5}),
                                         ("total_variation", {})])
def test_dask_equals_numpy(threaded, spec, params):
    import dask.array as da

    p, q = _pair(60_000, 11)
    ref = divlab.f_divergence(p, q, spec, **params)
    got = divergence_from_chunks(da.from_array(p, chunks=7_000), da.from_array(q, chunks=9_000),
                                 spec, **params)
    assert _rel(got, ref) < 1e-15 + 4 * np.finfo(float).eps
    pn, qn = 5.0 * p, 0.5 * q
    refn = divlab.f_divergence(pn, qn, spec, normalize=True, **params)
    gotn = divergence_from_chunks(da.from_array(pn, chunks=7_000),
                                  da.from_array(qn, chunks=7_000), spec, normalize=True, **params)
    assert _rel(gotn, refn) < 1e-13


def test_dask_batches_both_axes_and_errors(threaded):
    import dask.array as da

    rng = np.random.default_rng(12)
    p, q = rng.random((5, 4000)), rng.random((5, 4000))
    p /= p.sum(axis=1, keepdims=True)
    q /= q.sum(axis=1, keepdims=True)
    ref = divlab.js(p, q)
    got = divergence_from_chunks(da.from_array(p, chunks=(2, 1500)),
                                 da.from_array(q, chunks=(2, 1500)), "js")
    np.testing.assert_allclose(got, ref, rtol=1e-15, atol=0)
    got0 = divergence_from_chunks(da.from_array(p.T, chunks=(1000, 5)),
                                  da.from_array(q.T, chunks=(1000, 5)), "js", axis=0)
    np.testing.assert_allclose(got0, divlab.js(p.T, q.T, axis=0), rtol=1e-15, atol=0)
    p[3, 2500] = -0.5
    msg = _message(lambda: divlab.js(p, q))
    assert _message(lambda: divergence_from_chunks(
        da.from_array(p, chunks=(5, 1000)), da.from_array(q, chunks=(5, 1000)), "js")) == msg


def test_fold_rows_tree_matches_sequential(threaded):
    import dask.array as da

    p, q = _pair(30_000, 13)
    make = functools.partial(DivergenceState, "squared_hellinger")
    got = fold_rows(make, da.from_array(p, chunks=1000), da.from_array(q, chunks=1000),
                    split_every=3).result()
    assert _rel(got, divlab.squared_hellinger(p, q)) < 1e-15 + 4 * np.finfo(float).eps


# ------------------------------------------------------------------------------------------
# hypothesis: chunking does not change the result
# ------------------------------------------------------------------------------------------


@given(
    n=st.integers(1, 60),
    cuts=st.lists(st.floats(0, 1), max_size=6),
    seed=st.integers(0, 2**16),
    case=st.sampled_from(CASES),
    zeros=st.sampled_from([0.0, 0.3]),
)
def test_chunking_does_not_change_result(n, cuts, seed, case, zeros):
    p, q = _pair(n, seed, zeros)
    ref = _door(case, p, q)
    bounds = sorted({0, n, *(int(c * n) for c in cuts)})
    got = _chunked(case[0], case[1], p, q, bounds).result()
    if np.isinf(ref):
        assert got == ref
    else:  # a few ulp of the terms' sum (which is clamped to >= 0)
        assert abs(got - ref) <= 1e-14 * abs(ref) + 1e-16


# ------------------------------------------------------------------------------------------
# histograms and plug-in divergences
# ------------------------------------------------------------------------------------------


def _samples(seed, d=1, n=3000, m=2500):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(0.4, 1.2, size=(m, d))


def _hist(edges, x, splits, categorical=False):
    h = HistogramState(edges, categorical=categorical)
    for c in np.array_split(x, splits):
        h.update(c)
    return h


@pytest.mark.parametrize("d,bins", [(1, 20), (2, 7)])
def test_numeric_histogram_plugin_equals_estimators(d, bins):
    x, y = _samples(14, d)
    z = np.concatenate([x, y])
    edges = equal_width_edges(z.min(axis=0), z.max(axis=0), bins)
    hx, hy = _hist(edges, x, 5), _hist(edges, y, 3)
    assert plugin_divergence(hx, hy).value == plugin_kl(x, y, bins=bins).value
    assert plugin_divergence(hx, hy, divergence="js").value == plugin_js(x, y, bins=bins).value
    for corr in ("miller-madow", "jackknife"):
        assert plugin_divergence(hx, hy, divergence="js", correction=corr).value == plugin_js(
            x, y, bins=bins, correction=corr).value
    assert plugin_divergence(hx, hy, smoothing=0.0).value == plugin_kl(
        x, y, bins=bins, smoothing=0.0).value


def test_edges_from_column_moments_pass():
    """The pooled range from a first streaming pass gives the estimator's edges."""
    x, y = _samples(15, 2)
    mx = ColumnMoments()
    for c in np.array_split(x, 4):
        mx.update(c)
    my = ColumnMoments(y)
    edges = equal_width_edges(np.minimum(mx.min, my.min), np.maximum(mx.max, my.max), 9)
    s = HistogramPairState(edges)
    for c in np.array_split(x, 3):
        s.update(x=c)
    s.update(y=y)
    assert s.result().value == plugin_kl(x, y, bins=9).value


def test_categorical_histogram_plugin_equals_estimators():
    rng = np.random.default_rng(16)
    x = rng.integers(0, 6, size=(4000, 2))
    y = rng.integers(0, 7, size=(3000, 2))
    hx, hy = _hist(None, x, 7, True), _hist(None, y, 2, True)
    for name, fn in (("kl", plugin_kl), ("js", plugin_js)):
        assert plugin_divergence(hx, hy, divergence=name).value == fn(
            x, y, bins="categorical").value
    assert plugin_divergence(hx, hy, divergence="js", correction="jackknife").value == \
        plugin_js(x, y, bins="categorical", correction="jackknife").value
    r = hx.result()
    cats, counts = np.unique(x.astype(float), axis=0, return_counts=True)
    np.testing.assert_array_equal(r["categories"], cats)
    np.testing.assert_array_equal(r["counts"], counts)


def test_histogram_merge_is_exact_and_order_free():
    x, _ = _samples(17, 2, n=5000)
    edges = [np.linspace(-3, 3, 11), np.linspace(-2, 2, 5)]
    parts = [HistogramState(edges).update(c) for c in np.array_split(x, 6)]
    a = functools.reduce(lambda s, t: s.merge(t), parts)
    parts2 = [HistogramState(edges).update(c) for c in np.array_split(x, 6)][::-1]
    b = functools.reduce(lambda s, t: s.merge(t), parts2)
    ra, rb = a.result(), b.result()
    np.testing.assert_array_equal(ra["counts"], rb["counts"])
    np.testing.assert_array_equal(ra["bins"], rb["bins"])
    dense, _, _ = np.histogram2d(np.clip(x[:, 0], -3, 3), np.clip(x[:, 1], -2, 2),
                                 bins=edges)
    want = dense.ravel()[dense.ravel() > 0].astype(np.int64)
    np.testing.assert_array_equal(ra["counts"], want)
    assert ra["n"] == 5000
    assert ra["outside"] == int(np.sum((np.abs(x[:, 0]) > 3) | (np.abs(x[:, 1]) > 2)))


def test_histogram_dask_and_sparse_warning(threaded):
    import dask.array as da

    x, y = _samples(18, 1, n=400, m=300)
    edges = equal_width_edges(min(x.min(), y.min()), max(x.max(), y.max()), 200)
    with pytest.warns(UnreliableEstimateWarning):
        ref = plugin_kl(x, y, bins=200).value
    with pytest.warns(UnreliableEstimateWarning):
        got = plugin_divergence_from_chunks(da.from_array(x, chunks=(70, 1)),
                                            da.from_array(y, chunks=(110, 1)), edges=edges)
    assert got.value == ref


def test_histogram_errors():
    with pytest.raises(ParameterError, match="edges"):
        HistogramState()
    with pytest.raises(ParameterError, match="increasing"):
        HistogramState([0.0, 0.0, 1.0])
    with pytest.raises(ParameterError, match="different cells"):
        plugin_divergence(HistogramState([0.0, 1.0]).update([0.5]),
                          HistogramState([0.0, 2.0]).update([0.5]))
    with pytest.raises(EmptyInputError):
        plugin_divergence(HistogramState([0.0, 1.0]), HistogramState([0.0, 1.0]).update([0.5]))
    with pytest.raises(ParameterError, match="plug-in JS only"):
        plugin_divergence(HistogramState([0.0, 1.0]).update([0.5]),
                          HistogramState([0.0, 1.0]).update([0.5]), correction="jackknife")
    with pytest.raises(divlab.errors.NonFiniteError):
        HistogramState(categorical=True).update([1.0, np.nan])


def test_array_api_strict_chunks_match_in_memory():
    xs = pytest.importorskip("array_api_strict")
    p, q = _pair(5000, 19)
    bp, bq = xs.asarray(p), xs.asarray(q)
    for spec in ("kl", "js"):
        ref = divlab.f_divergence(bp, bq, spec)
        got = DivergenceState(spec).update(bp[:1700], bq[:1700]).update(bp[1700:], bq[1700:])
        out = got.result()
        assert type(out) is type(ref)  # a 0-d array of the chunks' namespace
        assert _rel(float(out), float(ref)) < 4 * np.finfo(float).eps
