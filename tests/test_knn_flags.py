"""k-NN KL/JS refuse or flag where an estimate means nothing (issue 11, point 4)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import integrate, stats

from divlab.errors import DivlabWarning
from divlab.estimators import knn as knn_mod
from divlab.estimators import knn_js, knn_kl
from divlab.estimators.knn import (
    KNN_MAX_RELIABLE_D,
    OVERLAP_FLAG,
    UnreliableEstimateWarning,
    _overlap_null,
)

LOG2 = math.log(2.0)


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreliableEstimateWarning)
        return fn(*args, **kw)


def test_warning_class_is_a_divlab_warning():
    assert issubclass(UnreliableEstimateWarning, DivlabWarning)


def test_disjoint_constant_columns_give_the_exact_values():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(200, 3)), rng.normal(size=(150, 3))
    x[:, 1], y[:, 1] = 0.0, 1.0  # constant in each sample, at different values
    with pytest.warns(UnreliableEstimateWarning, match=r"column\(s\) \[1\].*disjoint"):
        kl = knn_kl(x, y, n_resamples=19, rng=0)
    with pytest.warns(UnreliableEstimateWarning, match="disjoint"):
        js = knn_js(x, y, n_resamples=19, rng=0)
    assert kl.value == math.inf and kl.ci == (math.inf, math.inf)
    assert js.value == LOG2 and js.ci == (LOG2, LOG2)
    for est in (kl, js):
        assert est.details["flags"] == ["disjoint_supports"]
        assert est.details["disjoint_columns"] == [1]
        assert est.p_value == pytest.approx(1 / 20)


@pytest.mark.parametrize("which", ["x", "y"])
def test_sample_on_a_hyperplane_is_mutually_singular(which):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(300, 3)), rng.normal(size=(300, 3))
    flat = x if which == "x" else y
    flat[:, 2] = flat[:, 0] - 2.0 * flat[:, 1] + 0.5  # a plane the other sample is not on
    with pytest.warns(UnreliableEstimateWarning, match=f"`{which}` lies on a lower"):
        kl = knn_kl(x, y)
    assert kl.value == math.inf and kl.details["singular_sample"] == which
    assert _quiet(knn_js, x, y).value == LOG2


def test_both_on_the_same_plane_is_a_dropped_direction_not_singular():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(300, 3)), rng.normal(0.5, 1.0, size=(300, 3))
    for a in (x, y):
        a[:, 2] = a[:, 0] + a[:, 1]
    est = knn_kl(x, y)
    assert math.isfinite(est.value) and est.details["dropped_directions"] == 1
    assert est.value == pytest.approx(knn_kl(x[:, :2], y[:, :2]).value, rel=1e-8)


def _overlap_truth(mu: float) -> float:
    """Population overlap index for k = 1, n = m: the integral of 2pq/(p+q)."""
    p, q = stats.norm(0, 1).pdf, stats.norm(mu, 1).pdf
    return integrate.quad(lambda t: 2 * p(t) * q(t) / (p(t) + q(t)), -12, mu + 12,
                          points=[0.0, mu], limit=200)[0]


@pytest.mark.parametrize("mu", [0.0, 1.0, 2.0, 3.0])
def test_overlap_index_estimates_its_population_value(mu):
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(4000, 1)), rng.normal(mu, 1.0, size=(4000, 1))
    est = knn_kl(x, y)
    assert est.details["overlap"] == pytest.approx(_overlap_truth(mu), abs=0.04)


def test_overlap_null_is_the_binomial_tail():
    # k = 1: the chance that the nearest pooled neighbour is from y
    assert _overlap_null(1, 0.3, pooled=False) == pytest.approx(0.3)
    # JS, k = 2: at least 3 of the 4 nearest from the other sample
    w = 0.5
    assert _overlap_null(2, w, pooled=True) == pytest.approx(4 * w**3 * (1 - w) + w**4)
    # under P = Q the index is about 1 for JS as well
    rng = np.random.default_rng(4)
    z = rng.normal(size=(4000, 2))
    assert knn_js(z[:2000], z[2000:]).details["overlap"] == pytest.approx(1.0, abs=0.08)


def test_nearly_disjoint_supports_are_flagged_and_widened():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(500, 1)), rng.normal(6.0, 1.0, size=(500, 1))  # KL = 18
    with pytest.warns(UnreliableEstimateWarning, match="barely mix"):
        kl = knn_kl(x, y, n_resamples=50, rng=0)
    assert kl.details["overlap"] < OVERLAP_FLAG
    assert kl.details["flags"][0] in ("nearly_disjoint_supports", "disjoint_supports")
    assert kl.value < 18 and kl.ci[1] == math.inf and kl.ci[0] <= kl.value
    with pytest.warns(UnreliableEstimateWarning, match="JS may be log 2"):
        js = knn_js(x, y + 50.0, n_resamples=50, rng=0)
    assert js.details["flags"] == ["disjoint_supports"] and js.ci[1] == LOG2
    assert js.ci[0] <= js.value <= LOG2


def test_overlapping_samples_are_not_flagged():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(500, 2)), rng.normal(1.0, 1.0, size=(500, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnreliableEstimateWarning)
        assert knn_kl(x, y).details["flags"] == []
        assert knn_js(x, y).details["flags"] == []


def test_high_dimension_flag_above_the_threshold():
    assert KNN_MAX_RELIABLE_D == {"kl": 5, "js": 50}  # benchmarks/knn_bias_dimension.py
    rng = np.random.default_rng(7)
    d = KNN_MAX_RELIABLE_D["kl"]
    x, y = rng.normal(size=(300, d + 1)), rng.normal(0.3, 1.0, size=(300, d + 1))
    with pytest.warns(UnreliableEstimateWarning, match=f"d={d + 1}"):
        est = knn_kl(x, y)
    assert "high_dimension" in est.details["flags"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnreliableEstimateWarning)
        assert "high_dimension" not in knn_kl(x[:, :d], y[:, :d]).details["flags"]
        assert "high_dimension" not in knn_js(x, y).details["flags"]
    # dropped columns do not count: d + 1 columns of which one is constant
    xc = np.column_stack([x[:, :d], np.ones(300)])
    yc = np.column_stack([y[:, :d], np.ones(300)])
    assert "high_dimension" not in knn_kl(xc, yc).details["flags"]
    dj = KNN_MAX_RELIABLE_D["js"] + 1
    with pytest.warns(UnreliableEstimateWarning, match=f"JS in d={dj}"):
        js = knn_js(rng.normal(size=(120, dj)), rng.normal(size=(120, dj)))
    assert "high_dimension" in js.details["flags"]


def test_negative_kl_is_clipped_to_zero():
    rng = np.random.default_rng(8)
    found = 0
    for _ in range(12):
        z = rng.normal(size=(200, 2))
        est = knn_kl(z[:100], z[100:], n_resamples=30, rng=0)
        if est.details["raw"] < 0:
            found += 1
            assert est.value == 0.0 and "clipped" in est.details["note"]
            assert est.ci[0] == 0.0 <= est.ci[1]
    assert found >= 2  # about half the time under P = Q


def test_intervals_stay_in_range_and_contain_the_estimate():
    rng = np.random.default_rng(9)
    cases = [
        (rng.normal(size=(150, 1)), rng.normal(size=(150, 1))),  # P = Q: near 0
        (rng.normal(size=(150, 2)), rng.normal(0.7, 1.0, size=(150, 2))),
        (rng.normal(size=(150, 1)), rng.normal(4.0, 0.5, size=(150, 1))),  # near log 2
    ]
    for x, y in cases:
        kl = _quiet(knn_kl, x, y, n_resamples=40, rng=1)
        js = _quiet(knn_js, x, y, n_resamples=40, rng=1)
        adaptive = _quiet(knn_kl, x, y, variant="adaptive", n_resamples=10, rng=1)
        for est in (kl, adaptive):
            assert 0.0 <= est.ci[0] <= est.value <= est.ci[1]
        assert 0.0 <= js.ci[0] <= js.value <= js.ci[1] <= LOG2


def test_ties_do_not_flag_disjoint_supports():
    rng = np.random.default_rng(10)
    x = np.repeat(rng.normal(size=(200, 2)), 3, axis=0)  # every point has twins
    y = rng.normal(size=(600, 2))
    with pytest.warns(UnreliableEstimateWarning, match="repeated"):
        est = knn_kl(x, y)
    assert est.details["overlap"] is None and est.details["flags"] == []


def test_threshold_constants_documented():
    doc = knn_mod.__doc__
    assert "OVERLAP_FLAG = 0.1" in doc and "KNN_MAX_RELIABLE_D" in doc
