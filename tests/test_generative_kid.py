"""KID against the torch-fidelity and torchmetrics formulas, its standard error by calibration,
and the streaming KIDState.

References reimplemented here: torch-fidelity ``metric_kid.mmd2`` / ``kernel_poly`` (after
Bińkowski et al.'s MMD-GAN code) and torchmetrics ``poly_kernel`` /
``maximum_mean_discrepancy`` (torch).
"""

from __future__ import annotations

import numpy as np
import pytest

from divlab.errors import EmptyInputError, ParameterError, ShapeMismatchError
from divlab.generative import KIDState, kid
from divlab.generative._stream import mmd2_unbiased_block


def fidelity_mmd2(K_XX, K_XY, K_YY):
    """torch-fidelity ``mmd2(..., mmd_est='unbiased')``."""
    m = K_XX.shape[0]
    diag_X = np.diagonal(K_XX)
    diag_Y = np.diagonal(K_YY)
    Kt_XX_sums = K_XX.sum(axis=1) - diag_X
    Kt_YY_sums = K_YY.sum(axis=1) - diag_Y
    K_XY_sums_0 = K_XY.sum(axis=0)
    mmd2 = (Kt_XX_sums.sum() + Kt_YY_sums.sum()) / (m * (m - 1))
    mmd2 -= 2 * K_XY_sums_0.sum() / (m * m)
    return mmd2


def fidelity_kernel_poly(X, Y, degree=3, gamma=None, coef0=1):
    if gamma is None:
        gamma = 1.0 / X.shape[1]
    return (np.matmul(X, Y.T) * gamma + coef0) ** degree


def fidelity_kid(f1, f2, idx1, idx2):
    mmds = []
    for i1, i2 in zip(idx1, idx2, strict=True):
        a, b = f1[i1], f2[i2]
        mmds.append(fidelity_mmd2(fidelity_kernel_poly(a, a), fidelity_kernel_poly(a, b),
                                  fidelity_kernel_poly(b, b)))
    mmds = np.array(mmds)
    return float(np.mean(mmds)), float(np.std(mmds))


def torchmetrics_kid(f1, f2, idx1, idx2):
    import torch

    def poly_kernel(f1, f2, degree=3, gamma=None, coef=1.0):
        if gamma is None:
            gamma = 1.0 / f1.shape[1]
        return (f1 @ f2.T * gamma + coef) ** degree

    def maximum_mean_discrepancy(k_xx, k_xy, k_yy):
        m = k_xx.shape[0]
        diag_x = torch.diag(k_xx)
        diag_y = torch.diag(k_yy)
        kt_xx_sums = k_xx.sum(dim=-1) - diag_x
        kt_yy_sums = k_yy.sum(dim=-1) - diag_y
        k_xy_sums = k_xy.sum(dim=0)
        value = (kt_xx_sums.sum() + kt_yy_sums.sum()) / (m * (m - 1))
        return value - 2 * k_xy_sums.sum() / (m**2)

    t1, t2 = torch.asarray(f1), torch.asarray(f2)
    vals = []
    for i1, i2 in zip(idx1, idx2, strict=True):
        a, b = t1[torch.asarray(i1)], t2[torch.asarray(i2)]
        vals.append(maximum_mean_discrepancy(poly_kernel(a, a), poly_kernel(a, b),
                                             poly_kernel(b, b)))
    kid_scores = torch.stack(vals)
    return float(kid_scores.mean()), float(kid_scores.std(unbiased=False))


def draw(seed, n, m, s, subsets):
    gen = np.random.default_rng(seed)
    idx1 = [gen.choice(n, s, replace=False) for _ in range(subsets)]
    idx2 = [gen.choice(m, s, replace=False) for _ in range(subsets)]
    return idx1, idx2


def test_matches_torch_fidelity_and_torchmetrics():
    rng = np.random.default_rng(0)
    d = 64
    x = rng.standard_normal((700, d))
    y = rng.standard_normal((650, d)) * 1.1 + 0.05
    e = kid(x, y, subsets=15, subset_size=200, rng=3)
    idx1, idx2 = draw(3, 700, 650, 200, 15)  # the same draws, in divlab's order
    mean_f, std_f = fidelity_kid(x, y, idx1, idx2)
    mean_t, std_t = torchmetrics_kid(x, y, idx1, idx2)
    assert e.value == pytest.approx(mean_f, rel=1e-12, abs=1e-15)
    assert e.value == pytest.approx(mean_t, rel=1e-12, abs=1e-15)
    assert e.details["subset_std"] == pytest.approx(std_f, rel=1e-10)
    assert e.details["subset_std"] == pytest.approx(std_t, rel=1e-10)


def test_float32_and_torch_inputs_use_float64_blocks():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((300, 16)) * 10).astype(np.float32)
    y = (rng.standard_normal((300, 16)) * 10 + 0.5).astype(np.float32)
    ref, _ = fidelity_kid(x.astype(np.float64), y.astype(np.float64), *draw(0, 300, 300, 100, 5))
    e = kid(x, y, subsets=5, subset_size=100, rng=0)
    assert e.value == pytest.approx(ref, rel=1e-12)
    et = kid(torch.asarray(x), torch.asarray(y), subsets=5, subset_size=100, rng=0)
    assert et.value == pytest.approx(ref, rel=1e-12)


def population_mmd2(a, b):
    """Exact MMD^2 between the uniform distributions on the rows of ``a`` and ``b``."""
    k = fidelity_kernel_poly
    return float(k(a, a).mean() + k(b, b).mean() - 2 * k(a, b).mean())


def test_standard_error_is_calibrated():
    # finite supports: the population MMD^2 is an exact finite sum
    rng = np.random.default_rng(11)
    d = 3
    sa = rng.standard_normal((40, d))
    sb = rng.standard_normal((40, d)) * 1.3 + 0.2
    truth = population_mmd2(sa, sb)
    hits, values = 0, []
    reps = 150
    for r in range(reps):
        x = sa[rng.integers(0, 40, 300)]
        y = sb[rng.integers(0, 40, 300)]
        e = kid(x, y, subsets=20, subset_size=100, rng=r)
        values.append(e.value)
        hits += e.ci[0] <= truth <= e.ci[1]
    values = np.array(values)
    # unbiased: the mean over replicates agrees with the population value
    assert abs(values.mean() - truth) < 3 * values.std(ddof=1) / np.sqrt(reps)
    # the 95 % interval covers the truth at about (or above: the bound is conservative) 95 %
    assert 0.89 <= hits / reps <= 1.0


def test_streaming_state_independent_of_batching_and_merge():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1000, 5))
    y = rng.standard_normal((1000, 5)) + 0.2
    one = KIDState(block_size=100).update(x=x, y=y)
    ref = np.array([float(fidelity_mmd2(fidelity_kernel_poly(x[i:i + 100], x[i:i + 100]),
                                        fidelity_kernel_poly(x[i:i + 100], y[i:i + 100]),
                                        fidelity_kernel_poly(y[i:i + 100], y[i:i + 100])))
                    for i in range(0, 1000, 100)])
    np.testing.assert_allclose(one.block_values(), ref, rtol=1e-12, atol=1e-15)
    st = KIDState(block_size=100)
    cuts_x = np.sort(rng.choice(np.arange(1, 1000), 12, replace=False))
    cuts_y = np.sort(rng.choice(np.arange(1, 1000), 7, replace=False))
    for part in np.split(x, cuts_x):
        st.update(x=part)
    for part in np.split(y, cuts_y):
        st.update(y=part)
    np.testing.assert_array_equal(st.block_values(), one.block_values())
    a = KIDState(block_size=100).update(x=x[:400], y=y[:400])
    b = KIDState(block_size=100).update(x=x[400:], y=y[400:])
    a.merge(b)
    np.testing.assert_array_equal(a.block_values(), one.block_values())
    e = a.result()
    assert e.value == pytest.approx(ref.mean(), rel=1e-12)
    assert e.details["stderr"] == pytest.approx(ref.std(ddof=1) / np.sqrt(10), rel=1e-10)
    assert e.n == (1000, 1000) and e.details["blocks"] == 10


def test_streaming_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((300, 4)), rng.standard_normal((300, 4))
    st = KIDState(block_size=100).update(x=torch.asarray(x), y=torch.asarray(y))
    ref = KIDState(block_size=100).update(x=x, y=y)
    np.testing.assert_allclose(st.block_values(), ref.block_values(), rtol=1e-13, atol=1e-15)
    import array_api_compat.numpy as npx

    v = mmd2_unbiased_block(x[:50], y[:50], npx)
    assert float(v) == pytest.approx(fidelity_mmd2(fidelity_kernel_poly(x[:50], x[:50]),
                                                   fidelity_kernel_poly(x[:50], y[:50]),
                                                   fidelity_kernel_poly(y[:50], y[:50])),
                                     rel=1e-12)


def test_errors():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 3))
    with pytest.raises(ParameterError, match="subset_size"):
        kid(x, x[:40], subset_size=45)
    with pytest.raises(ShapeMismatchError):
        kid(x, rng.standard_normal((50, 4)), subset_size=10)
    with pytest.raises(EmptyInputError):
        KIDState(block_size=100).update(x=x, y=x).result()
    with pytest.raises(ShapeMismatchError):
        KIDState(block_size=10).update(x=x).update(y=rng.standard_normal((5, 2)))
    with pytest.raises(ParameterError):
        KIDState(block_size=1)
