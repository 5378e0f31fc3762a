"""``_knn_kl_js``: KL and JS with one whitening and shared searches give exactly the results
of the separate kernels with the same generator streams (issue 11, points 1 and 5)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from divlab._array import array_namespace
from divlab.errors import ParameterError
from divlab.estimators.knn import (
    DEFAULT_K_JS,
    DEFAULT_K_KL,
    UnreliableEstimateWarning,
    _knn_js,
    _knn_kl,
    _knn_kl_js,
)


def _same(a, b):
    assert a.value == b.value
    assert a.ci == b.ci
    assert a.p_value == b.p_value
    assert a.details == b.details
    assert a.method == b.method and a.n == b.n


def _separate(x, y, B, gens, k_kl=DEFAULT_K_KL, k_js=DEFAULT_K_JS):
    xp = array_namespace(x, y)
    kl = _knn_kl(x, y, xp, k=k_kl, variant="fixed", n_resamples=B, alpha=0.05, gen=gens[0])
    js = _knn_js(x, y, xp, k=k_js, n_resamples=B, alpha=0.05, gen=gens[1])
    return kl, js


@pytest.mark.parametrize(("n", "m"), [(300, 300), (300, 220)])
@pytest.mark.parametrize("B", [0, 30])
def test_shared_equals_separate_with_a_generator_per_metric(n, m, B):
    rng = np.random.default_rng(n + m + B)
    x, y = rng.normal(size=(n, 3)), rng.normal(0.4, 1.1, size=(m, 3)) @ np.diag([1, 5, 1e3])
    kl, js = _separate(x, y, B, (np.random.default_rng(1), np.random.default_rng(2)))
    both = _knn_kl_js(x, y, n_resamples=B, alpha=0.05,
                      gen={"kl": np.random.default_rng(1), "js": np.random.default_rng(2)})
    assert list(both) == ["kl", "js"]
    _same(both["kl"], kl)
    _same(both["js"], js)


def test_shared_with_one_generator_draws_kl_first_then_js():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(250, 2)), rng.normal(0.5, 1.0, size=(180, 2))
    g = np.random.default_rng(7)
    kl, js = _separate(x, y, 25, (g, g))
    both = _knn_kl_js(x, y, n_resamples=25, alpha=0.05, gen=np.random.default_rng(7))
    _same(both["kl"], kl)
    _same(both["js"], js)


def test_shared_subset_and_order_of_want():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(200, 2)), rng.normal(0.5, 1.0, size=(200, 2))
    gens = {"kl": np.random.default_rng(1), "js": np.random.default_rng(2)}
    only = _knn_kl_js(x, y, n_resamples=10, alpha=0.05, gen=gens, want=("js",))
    assert list(only) == ["js"]
    _, js = _separate(x, y, 10, (np.random.default_rng(1), np.random.default_rng(2)))
    _same(only["js"], js)
    rev = _knn_kl_js(x, y, n_resamples=0, alpha=0.05, gen=np.random.default_rng(0),
                     want=("js", "kl"))
    assert list(rev) == ["js", "kl"]
    with pytest.raises(ParameterError, match="`want`"):
        _knn_kl_js(x, y, n_resamples=0, alpha=0.05, gen=np.random.default_rng(0),
                   want=("kl", "w1"))


def test_shared_default_orders_follow_the_sample_sizes():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(4, 1)), rng.normal(size=(3, 1))
    both = _knn_kl_js(x, y, n_resamples=0, alpha=0.05, gen=np.random.default_rng(0))
    assert both["kl"].details["k"] == 1 and both["js"].details["k"] == 2


def test_shared_exact_answers_and_flags():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(100, 2)), rng.normal(size=(100, 2))
    x[:, 0], y[:, 0] = 1.0, 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreliableEstimateWarning)
        both = _knn_kl_js(x, y, n_resamples=0, alpha=0.05, gen=np.random.default_rng(0))
    assert both["kl"].value == np.inf and both["js"].value == np.log(2.0)


def test_shared_on_another_backend(backend):
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(120, 2)), rng.normal(0.5, 1.0, size=(120, 2))
    ref = _knn_kl_js(x, y, n_resamples=0, alpha=0.05, gen=np.random.default_rng(0))
    got = _knn_kl_js(backend.asarray(x), backend.asarray(y), n_resamples=0, alpha=0.05,
                     gen=np.random.default_rng(0))
    for name in ("kl", "js"):
        assert got[name].value == pytest.approx(ref[name].value, rel=1e-9)
