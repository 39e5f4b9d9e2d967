"""Surfaces: the formula (torch, numpy and the fast engine's compiled program agree), its gradient,
the metadata, and the lecture demonstrations each lecture surface was calibrated for."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import optimizers
import surfaces

NAMES = surfaces.names()


def random_points(s, n=40, seed=0, margin=0.02):
    """n points drawn uniformly inside the bounds (a small margin off the edges)."""
    (x0, x1), (y0, y1) = s.bounds
    rng = np.random.default_rng(seed)
    wx, wy = (x1 - x0) * margin, (y1 - y0) * margin
    return np.stack([rng.uniform(x0 + wx, x1 - wx, n), rng.uniform(y0 + wy, y1 - wy, n)], -1)


def test_the_issues_surfaces_are_all_there():
    assert set(NAMES) >= {"bowl", "crescent", "saddle", "local_minimum", "cliff", "rosenbrock", "beale",
                          "himmelblau", "rastrigin"}


@pytest.mark.parametrize("name", NAMES)
def test_metadata(name):
    s = surfaces.get(name)
    assert s.name == name and surfaces.get(name) is s
    (x0, x1), (y0, y1) = s.bounds
    assert x0 < x1 and y0 < y1
    assert len(s.starts) >= 1 and s.start == s.starts[0]
    for x, y in s.starts + s.minima:
        assert x0 <= x <= x1 and y0 <= y <= y1, (x, y)
    assert isinstance(s.description, str) and 10 < len(s.description) < 200 and "\n" not in s.description
    assert s.latex
    for x, y in s.starts:  # a start is not already a minimum
        assert np.linalg.norm(s.grad(np.array([x, y]))) > 1e-3


@pytest.mark.parametrize("name", NAMES)
def test_autograd_gradient_matches_central_differences(name):
    s = surfaces.get(name)
    pts = random_points(s, seed=hash(name) % 1000)
    g = s.grad(pts)
    assert g.shape == pts.shape
    f = lambda p: s.numpy(p[..., 0], p[..., 1])  # noqa: E731
    fd = np.empty_like(pts)
    for i in range(2):
        h = 1e-6 * max(1.0, np.abs(pts[:, i]).max())
        e = np.zeros(2)
        e[i] = h
        fd[:, i] = (f(pts + e) - f(pts - e)) / (2 * h)
    scale = 1.0 + np.abs(f(pts))[:, None]
    assert (np.abs(g - fd) <= 1e-6 * np.abs(fd) + 1e-7 * scale).all(), np.abs(g - fd).max()


@pytest.mark.parametrize("name", NAMES)
def test_numpy_grid_equals_the_torch_formula(name):
    s = surfaces.get(name)
    xs, ys, Z = s.grid(41)
    assert xs.shape == (41,) and ys.shape == (41,) and Z.shape == (41, 41)
    X, Y = np.meshgrid(xs, ys)
    T = s(torch.as_tensor(np.stack([X, Y], -1))).numpy()
    np.testing.assert_allclose(Z, T, rtol=1e-13, atol=1e-13)
    # orientation: Z[i, j] = f(xs[j], ys[i])
    for i, j in [(0, 40), (5, 17), (33, 2)]:
        assert Z[i, j] == pytest.approx(float(s(torch.tensor([xs[j], ys[i]]))), rel=1e-13, abs=1e-13)
    assert np.isfinite(Z).all()


@pytest.mark.parametrize("name", NAMES)
def test_the_fast_engines_gradient_is_autograds(name):
    """The numba backend differentiates the compiled formula (forward mode); the recorded loss and
    gradient at the start points must be the torch formula's and autograd's."""
    s = surfaces.get(name)
    pts = random_points(s, n=25, seed=7)
    t = optimizers.run(s, "gd", steps=1, lr=0.0, start=pts, backend="numba")
    np.testing.assert_allclose(t.loss[0], s(torch.as_tensor(pts)).numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.grad[0], s.grad(pts), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_known_minima_are_minima(name):
    """Zero gradient (the himmelblau minima are given to 6 decimals: |∇f| ~ 1e-5 there), and no
    lower point within 1e-3 in eight directions; the global one is listed first."""
    s = surfaces.get(name)
    if not s.minima:
        pytest.skip("no known minima")
    tol = 1e-4 if name == "himmelblau" else 1e-9
    values = []
    for m in s.minima:
        m = np.array(m, float)
        assert np.linalg.norm(s.grad(m)) < tol
        f0 = s.numpy(m[0], m[1])
        for a in np.linspace(0, 2 * np.pi, 8, endpoint=False):
            p = m + 1e-3 * np.array([np.cos(a), np.sin(a)])
            assert s.numpy(p[0], p[1]) >= f0 - 1e-12
        values.append(float(f0))
    assert values[0] <= min(values) + 1e-9


def test_bowl_gradient_is_accurate_on_the_valley_floor():
    """∂/∂y 100·logcosh(2y) = 200·tanh(2y). The torch evaluation of logcosh, |z| + log1p(e^{−2|z|})
    − log 2, differentiates into 1 − 2e^{−2|z|}/(1 + e^{−2|z|}), a cancellation: its relative error
    is ~1e-16/|z|, e.g. 8e-8 at y = 1e-9 and 1e-4 at y = 1e-12 — exactly where an optimizer ends up.
    (The numba program uses tanh and is accurate, so the two backends also disagree there.)"""
    s = surfaces.get("bowl")
    for y in (1e-3, 1e-6, 1e-9, 1e-12):
        g = s.grad(np.array([1.0, y]))
        exact = 200 * np.tanh(2 * y)
        assert abs(g[1] - exact) <= 1e-10 * abs(exact), (y, g[1], exact)


def test_surfaces_are_float64_and_batched():
    s = surfaces.get("crescent")
    xy = torch.zeros(3, 4, 2, dtype=torch.float64)
    out = s(xy)
    assert out.shape == (3, 4) and out.dtype == torch.float64


# ------------------------------------------------------------------ calibration: the lectures' demos
def _flips(y):
    s = np.sign(y)
    return s[1:] != s[:-1]


def test_bowl_large_rate_bounces_between_the_walls():
    """Lecture: 'training stuck ≠ small gradient' — with η = 1e-2 GD from the default start bounces
    across the steep y-walls: the loss stops falling while the gradient stays large.

    Thresholds: over the last half of 1000 steps the loss changes by < 1 % (it has stalled; x has
    long converged, η·1 = 0.01 contracts it ×0.99 a step) while |∇f| stays > 10 % of its start
    (the bounce keeps |y| ≈ 0.96, where the wall's slope is ~190 of the start's 200) and the loss
    stays > 10 % of its start (it is stuck high, not converging); y changes sign every step after
    the first few (a bounce, not a slide down the wall)."""
    s = surfaces.get("bowl")
    t = optimizers.run(s, "gd", steps=1000, lr=1e-2)
    assert t.diverged_at is None
    late = t.loss[500:]
    assert (late.max() - late.min()) / late.mean() < 0.01
    assert t.grad_norm[500:].min() > 0.1 * t.grad_norm[0]
    assert t.loss[-1] > 0.1 * t.loss[0]
    flips = _flips(t.path[:, 1])
    assert flips[10:].all()
    assert abs(t.path[-1, 1]) > 0.5  # still up the walls


@pytest.mark.slow
def test_bowl_tiny_rate_stops_bouncing_but_crawls():
    """Lecture: lowering η to 1e-7 stops the bouncing, but then the flat direction takes forever.

    Thresholds: in 100,000 steps y never changes sign (no bounce at all) and |y| only shrinks;
    x covers < 1/10 of the way from −8 to the minimum at 0 (curvature 1 along x: it covers
    1 − e^{−1e-7·1e5} ≈ 1 %); and it does move (> 0.1 % of the way), so the run is not frozen."""
    s = surfaces.get("bowl")
    t = optimizers.run(s, "gd", steps=100_000, lr=1e-7)
    assert t.diverged_at is None
    y = t.path[:, 1]
    assert not _flips(y).any()
    assert (np.diff(np.abs(y)) <= 0).all() and abs(y[-1]) < 0.5 * abs(y[0])
    x0, xT = t.path[0, 0], t.path[-1, 0]
    covered = (xT - x0) / (0.0 - x0)
    assert 0.001 < covered < 0.1


@pytest.mark.parametrize("lr", [1e-2, 3e-2])
def test_saddle_gd_stalls_at_the_critical_point_and_momentum_rolls_past(lr):
    """Lecture (critical points; momentum's ball): along x, f' = x²(x − 2) vanishes at x = 0 without
    a minimum there. GD approaches 0 from the left ever more slowly (the step is ~2η x²) and stays
    near (0, 0) with a tiny gradient; heavy-ball momentum 0.9 carries speed across the flat part and
    settles in the minimum (2, 0).

    Thresholds: GD after 1000 steps is within 0.1 of (0, 0), never crossed x = 0, its gradient is
    < 1 % of the start's and the loss is the critical value 4/3 (not the minimum 0) to 1e-3;
    momentum ends within 1e-3 of (2, 0). Two rates, so the demo is not a knife edge."""
    s = surfaces.get("saddle")
    g = optimizers.run(s, "gd", steps=1000, lr=lr)
    assert np.linalg.norm(g.path[-1]) < 0.1
    assert (g.path[:, 0] < 0).all()
    assert g.grad_norm[-1] < 0.01 * g.grad_norm[0]
    assert g.loss[-1] == pytest.approx(4 / 3, abs=1e-3)
    m = optimizers.run(s, "momentum", steps=1000, lr=lr, momentum=0.9)
    assert np.linalg.norm(m.path[-1] - np.array([2.0, 0.0])) < 1e-3
    assert m.loss[-1] < 1e-5


@pytest.mark.parametrize("lr", [1e-2, 3e-2])
def test_local_minimum_gd_stays_in_the_shallow_one_momentum_rolls_over(lr):
    """Lecture (the ball analogy): f' = x(x − 1)(x − 3) along x — a shallow minimum at 0, a bump at
    1, the deep minimum at 3. From x = −1.5 GD stops in the shallow one; momentum 0.9 arrives with
    enough speed to cross the bump and ends in the deep one.

    Thresholds: after 1000 steps GD is within 1e-3 of (0, 0) and never passed the bump (x < 1);
    momentum is within 1e-3 of (3, 0), at a lower loss."""
    s = surfaces.get("local_minimum")
    g = optimizers.run(s, "gd", steps=1000, lr=lr)
    assert np.linalg.norm(g.path[-1]) < 1e-3
    assert (g.path[:, 0] < 1).all()
    m = optimizers.run(s, "momentum", steps=1000, lr=lr, momentum=0.9)
    assert np.linalg.norm(m.path[-1] - np.array([3.0, 0.0])) < 1e-3
    assert m.loss[-1] < g.loss[-1] - 0.5


def test_cliff_explodes_without_clipping_and_not_with_it():
    """The clipping lesson: a GD step from the foot of the wall (x = 0.95, slope ~300) is thrown
    far back (> 5 units with η = 0.05); clipped to max_norm = 1 it moves at most η."""
    s = surfaces.get("cliff")
    t = optimizers.run(s, "gd", steps=1, lr=0.05, start=(0.95, 0.0))
    assert np.linalg.norm(t.path[1] - t.path[0]) > 5
    c = optimizers.run(s, "gd", steps=1, lr=0.05, start=(0.95, 0.0), max_norm=1.0)
    assert np.linalg.norm(c.path[1] - c.path[0]) <= 0.05 * (1 + 1e-12)


def test_crescent_steepness_across_the_valley_changes_along_it():
    """The RMSProp motivation: the curvature across the valley (∂²f/∂y²) falls by > 10× from the
    start end (x = −3) to the minimum end (x = 2)."""
    s = surfaces.get("crescent")

    def fyy(x):
        y = 0.5 * x * x
        h = 1e-4
        return (s.numpy(x, y + h) - 2 * s.numpy(x, y) + s.numpy(x, y - h)) / h**2

    assert fyy(-3.0) > 10 * fyy(2.0)
