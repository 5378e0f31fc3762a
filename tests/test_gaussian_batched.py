"""Batched Gaussian W2: means (k, d), covariances (k,), (k, d) or (k, d, d) -> k values."""

from __future__ import annotations

import numpy as np
import pytest

from divlab import gaussian_w2
from divlab.errors import EmptyInputError, NotPositiveDefiniteError, ShapeMismatchError

RNG = np.random.default_rng(21)
K, D = 6, 3


def _spds(k, d):
    x = RNG.normal(size=(k, d, d))
    return x @ np.transpose(x, (0, 2, 1)) + 0.3 * np.eye(d)


COVS = {
    "full": lambda: _spds(K, D),
    "diag": lambda: RNG.uniform(0.2, 3.0, size=(K, D)),
    "iso": lambda: RNG.uniform(0.2, 3.0, size=K),
}


@pytest.mark.parametrize("kind1", list(COVS))
@pytest.mark.parametrize("kind2", list(COVS))
def test_batch_equals_the_loop(kind1, kind2):
    m1, m2 = RNG.normal(size=(K, D)), RNG.normal(size=(K, D))
    c1, c2 = COVS[kind1](), COVS[kind2]()
    got = gaussian_w2(m1, c1, m2, c2)
    assert isinstance(got, np.ndarray) and got.shape == (K,) and got.dtype == np.float64
    want = [gaussian_w2(m1[i], c1[i], m2[i], c2[i]) for i in range(K)]
    np.testing.assert_array_equal(got, want)


def test_one_gaussian_against_k():
    m, c = RNG.normal(size=(K, D)), _spds(K, D)
    m0, c0 = RNG.normal(size=D), _spds(1, D)[0]
    for args, loop in (
        ((m0, c0, m, c), [gaussian_w2(m0, c0, m[i], c[i]) for i in range(K)]),
        ((m, c, m0, c0), [gaussian_w2(m[i], c[i], m0, c0) for i in range(K)]),
        ((m0[None], c0[None], m, c), [gaussian_w2(m0, c0, m[i], c[i]) for i in range(K)]),
        ((m, c, m0, 2.0), [gaussian_w2(m[i], c[i], m0, 2.0) for i in range(K)]),
        ((m, c, m0, np.ones(D)), [gaussian_w2(m[i], c[i], m0, np.ones(D)) for i in range(K)]),
    ):
        np.testing.assert_array_equal(gaussian_w2(*args), loop)
    # identical batch entries: exactly zero
    np.testing.assert_array_equal(gaussian_w2(m, c, m, c), np.zeros(K))


def test_d_equals_one_and_k_equals_d():
    m = RNG.normal(size=(4, 1))
    v = RNG.uniform(0.5, 2.0, size=4)
    want = [np.hypot(m[i, 0], np.sqrt(v[i]) - 1.0) for i in range(4)]
    np.testing.assert_allclose(gaussian_w2(m, v, 0.0, 1.0), want, rtol=1e-14)
    # k == d: a (k, d) covariance is always the per-pair diagonal
    m = RNG.normal(size=(3, 3))
    c = RNG.uniform(0.5, 2.0, size=(3, 3))
    np.testing.assert_array_equal(gaussian_w2(m, c, np.zeros(3), 1.0),
                                  [gaussian_w2(m[i], c[i], np.zeros(3), 1.0) for i in range(3)])


def test_backends_and_dtypes(backend):
    m1, m2 = RNG.normal(size=(K, D)), RNG.normal(size=(K, D))
    c1, c2 = _spds(K, D), RNG.uniform(0.2, 3.0, size=(K, D))
    want = gaussian_w2(m1, c1, m2, c2)
    for dt, rtol in ((np.float64, 1e-12), (np.float32, 1e-4)):
        got = gaussian_w2(*(backend.asarray(a, dt) for a in (m1, c1, m2, c2)))
        assert got.dtype == (backend.xp.float64 if dt == np.float64 else backend.xp.float32)
        assert tuple(got.shape) == (K,)
        np.testing.assert_allclose(backend.to_numpy(got), want, rtol=rtol)


def test_torch_gradients_flow_through_the_batch():
    torch = pytest.importorskip("torch")
    m1 = torch.tensor(RNG.normal(size=(K, D)), requires_grad=True)
    c1 = torch.tensor(_spds(K, D), requires_grad=True)
    m2, c2 = RNG.normal(size=D), _spds(1, D)[0]
    out = gaussian_w2(m1, c1, torch.tensor(m2), torch.tensor(c2))
    assert out.shape == (K,)
    out.sum().backward()
    for i in range(K):
        a = torch.tensor(m1.detach().numpy()[i], requires_grad=True)
        b = torch.tensor(c1.detach().numpy()[i], requires_grad=True)
        gaussian_w2(a, b, torch.tensor(m2), torch.tensor(c2)).backward()
        torch.testing.assert_close(m1.grad[i], a.grad, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(c1.grad[i], b.grad, rtol=1e-12, atol=1e-14)


def test_errors():
    m, c = RNG.normal(size=(K, D)), _spds(K, D)
    with pytest.raises(ShapeMismatchError, match=r"different lengths"):
        gaussian_w2(m, c, m[:2], c[:2])
    with pytest.raises(ShapeMismatchError, match=r"`cov1` must have shape \(6,\)"):
        gaussian_w2(m, c[:2], m, c)
    with pytest.raises(ShapeMismatchError, match=r"different dimensions"):
        gaussian_w2(m, c, np.zeros(2), 1.0)
    with pytest.raises(EmptyInputError):
        gaussian_w2(np.zeros((0, D)), np.zeros((0, D)), np.zeros(D), 1.0)
    bad = c.copy()
    bad[4] = [[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    with pytest.raises(NotPositiveDefiniteError, match=r"`cov2\[4\]`"):
        gaussian_w2(np.zeros(D), 1.0, m, bad)


def test_diagonal_batches_vectorised_and_extreme_rows():
    k, d = 50, 20
    m1, m2 = RNG.normal(size=(k, d)), RNG.normal(size=d)
    v1, v2 = RNG.uniform(0.1, 4.0, size=(k, d)), RNG.uniform(0.1, 4.0, size=d)
    loop = [gaussian_w2(m1[i], v1[i], m2, v2) for i in range(k)]
    np.testing.assert_allclose(gaussian_w2(m1, v1, m2, v2), loop, rtol=2e-16, atol=0)
    np.testing.assert_allclose(gaussian_w2(m1, v1[:, 0], m2, 2.0),
                               [gaussian_w2(m1[i], v1[i, 0], m2, 2.0) for i in range(k)],
                               rtol=2e-16, atol=0)
    # rows that need the exact rescaling (huge or tiny values) take the per-pair kernel
    m1[3] *= 1e300
    v1[7] *= 1e-310
    loop = [gaussian_w2(m1[i], v1[i], m2, v2) for i in range(k)]
    np.testing.assert_array_equal(gaussian_w2(m1, v1, m2, v2), loop)
    assert np.all(np.isfinite(loop))


def test_invalid_rows_are_named():
    from divlab.errors import NonFiniteError

    m, v = RNG.normal(size=(5, 2)), RNG.uniform(0.5, 1.0, size=(5, 2))
    v[2, 1] = -1.0
    with pytest.raises(NotPositiveDefiniteError, match=r"`cov1\[2\]`"):
        gaussian_w2(m, v, np.zeros(2), 1.0)
    v[2, 1] = 1.0
    m[4, 0] = np.nan
    with pytest.raises(NonFiniteError, match=r"`mean1\[4\]`"):
        gaussian_w2(m, v, np.zeros(2), 1.0)
