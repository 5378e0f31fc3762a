"""Lecture WGAN argument: disjoint supports give JS = log 2 at any distance, while W1 = theta."""

from __future__ import annotations

import math

import numpy as np
import pytest

from divlab.discrete import js
from divlab.ot.exact import wasserstein
from divlab.ot.oned import wasserstein_1d

H = 1.0 / 16
GRID = np.arange(128) * H


def _pair(n_atoms: int, shift: int) -> tuple[np.ndarray, np.ndarray]:
    p = np.zeros(GRID.size)
    p[:n_atoms] = 1.0 / n_atoms
    return p, np.roll(p, shift)


@pytest.mark.parametrize("n_atoms", [1, 4, 16])
@pytest.mark.parametrize("shift", [16, 17, 40, 100])
def test_disjoint_js_is_log2_exactly_and_w1_is_theta(n_atoms, shift):
    p, q = _pair(n_atoms, shift)
    theta = shift * H
    assert float(js(p, q)) == math.log(2)  # exactly, dyadic masses
    w1 = float(wasserstein_1d(GRID, GRID, u_weights=p, v_weights=q))
    assert abs(w1 - theta) <= 1e-12
    assert abs(float(wasserstein_1d(GRID, GRID, u_weights=q, v_weights=p)) - theta) <= 1e-12


@pytest.mark.parametrize("n_atoms", [3, 7, 10])
def test_disjoint_js_non_dyadic_masses(n_atoms):
    # Masses 1/7 are not exact binary fractions: JS is log 2 up to a couple of ulps.
    p, q = _pair(n_atoms, 50)
    assert float(js(p, q)) == pytest.approx(math.log(2), rel=4e-16, abs=0)
    assert abs(float(wasserstein_1d(GRID, GRID, u_weights=p, v_weights=q)) - 50 * H) <= 1e-12


def test_js_saturates_while_w1_grows_linearly():
    n_atoms = 16
    js_vals, w1_vals = [], []
    for shift in range(0, 64):
        p, q = _pair(n_atoms, shift)
        js_vals.append(float(js(p, q)))
        w1_vals.append(float(wasserstein_1d(GRID, GRID, u_weights=p, v_weights=q)))
    js_vals, w1_vals = np.asarray(js_vals), np.asarray(w1_vals)
    thetas = np.arange(64) * H
    # W1 = theta for every shift (overlapping or not): linear, never saturates
    np.testing.assert_allclose(w1_vals, thetas, atol=1e-12, rtol=0)
    # JS increases strictly while the supports overlap, then is flat at log 2
    assert np.all(np.diff(js_vals[: n_atoms + 1]) > 0)
    assert np.all(js_vals[n_atoms:] == math.log(2))
    assert js_vals[0] == 0.0


def test_same_in_2d_with_the_simplex():
    # Point clouds in the plane moved apart: exact W1 (network simplex) equals the shift.
    rng = np.random.default_rng(0)
    x = rng.random((20, 2))
    for theta in (0.5, 2.0, 7.25):
        shift = np.array([theta, 0.0])
        assert abs(float(wasserstein(x, x + shift)) - theta) <= 1e-12
