"""Tests written from a mutation-testing pass over the library (optimizers/, surfaces/): each one
kills a mutant that the rest of the suite let live, i.e. it pins a behaviour that could break
without any other test noticing. Oracles: torch.optim for the PyTorch convention, the formulas of
the docstrings (transcribed here) for the lecture's and the book's. Fast: the whole file runs in a
few seconds."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import optimizers
import surfaces


# ------------------------------------------------------------------ optimizers/schedules.py
def test_warmup_with_total_steps_equal_to_warmup_steps_stays_finite():
    """No 0/0 after the warm-up when total_steps == warmup_steps (the sweep's longest warm-up)."""
    lr = optimizers.lr_at("warmup", 30, 0.1, {"warmup_steps": 20, "total_steps": 20})
    assert np.isfinite(lr).all()
    np.testing.assert_allclose(lr[:20], 0.1 * np.arange(1, 21) / 20, rtol=1e-15)
    np.testing.assert_array_equal(lr[21:], 0.0)  # decayed past total_steps


@pytest.mark.parametrize("gamma", [1.01, 2.0])
def test_exponential_gamma_above_one_is_refused(gamma):
    """ExponentialLR's γ is checked to lie in [0, 1] (a growing rate is a typo, not a schedule)."""
    with pytest.raises(ValueError, match="gamma"):
        optimizers.lr_at("exponential", 10, 0.1, {"gamma": gamma})
    assert optimizers.lr_at("exponential", 3, 0.1, {"gamma": 1.0}).tolist() == [0.1, 0.1, 0.1]


def test_lr_at_refuses_per_trajectory_values_of_different_lengths():
    """lr_at itself (not only run) says which per-trajectory lengths disagree."""
    with pytest.raises(ValueError, match="disagree"):
        optimizers.lr_at("step", 10, [0.1, 0.2, 0.3], {"gamma": [0.5, 0.6]})
    with pytest.raises(ValueError, match="disagree"):
        optimizers.lr_at("cosine", 10, 0.1, {"T_max": [10, 20], "eta_min": [0.0, 0.01, 0.02]})


# ------------------------------------------------------------------ optimizers/presets.py
def _loop(s, start, steps, update):
    theta, state, path = np.array(start, dtype=float), {}, []
    path.append(theta.copy())
    for t in range(steps):
        theta = update(t, theta, state)
        path.append(theta.copy())
    return np.array(path)


def _torch_replay(s, cls, steps, **kw):
    p = torch.tensor(s.start, dtype=torch.float64, requires_grad=True)
    opt = cls([p], **kw)
    path = [p.detach().clone().numpy()]
    for _ in range(steps):
        opt.zero_grad()
        s(p).backward()
        opt.step()
        path.append(p.detach().clone().numpy())
    return np.array(path)


@pytest.mark.parametrize("backend", ["eager", "numba"])
def test_book_rmsprop_takes_the_given_delta(backend):
    """Algorithm 8.5 with a user δ: r ← ρr + (1−ρ)g², Δθ = −ε/√(δ + r)·g (δ = eps, not the default 1e-6)."""
    s = surfaces.get("crescent")
    eps, rho, delta, steps = 0.02, 0.9, 1e-2, 200

    def update(t, theta, st):
        g = s.grad(theta)
        st["r"] = rho * st.get("r", np.zeros(2)) + (1 - rho) * g * g
        return theta - eps / np.sqrt(delta + st["r"]) * g

    t = optimizers.run(s, "rmsprop", steps=steps, lr=eps, alpha=rho, eps=delta, convention="book", backend=backend)
    ref = _loop(s, s.start, steps, update)
    np.testing.assert_allclose(t.path, ref, rtol=1e-9, atol=1e-9)
    default = optimizers.run(s, "rmsprop", steps=steps, lr=eps, alpha=rho, convention="book", backend=backend)
    assert np.abs(default.path - t.path).max() > 1e-3  # δ = 1e-2 is not the default


@pytest.mark.parametrize("backend", ["eager", "numba"])
@pytest.mark.parametrize("name,cls,kw", [
    ("nadam", torch.optim.NAdam, dict(lr=0.02, eps=0.05)),
    ("radam", torch.optim.RAdam, dict(lr=0.02, eps=0.05)),
    ("adam", torch.optim.Adam, dict(lr=0.02, eps=0.05)),
])
def test_a_large_eps_is_passed_to_every_adam_family_preset(name, cls, kw, backend):
    """A user ε reaches NAdam's, RAdam's and Adam's σ: torch.optim with the same ε is the oracle."""
    s = surfaces.get("crescent")
    t = optimizers.run(s, name, steps=200, backend=backend, **kw)
    ref = _torch_replay(s, cls, 200, **kw)
    np.testing.assert_allclose(t.path, ref, rtol=1e-9, atol=1e-9)
    other = optimizers.run(s, name, steps=200, backend=backend, lr=kw["lr"])
    assert np.abs(other.path - t.path).max() > 1e-4  # the ε makes a difference here


@pytest.mark.parametrize("backend", ["eager", "numba"])
def test_gd_with_momentum_under_the_lecture_is_the_movement_rule_with_a_schedule(backend):
    """gd with μ ≠ 0 under the lecture's convention: M ← λM − η_t g, θ ← θ + M (each past gradient
    keeps its own η), which differs from torch's heavy ball once η_t changes."""
    s = surfaces.get("crescent")
    lam, lr, steps = 0.8, 3e-3, 200

    def eta(t):
        return lr * 0.3 ** (t // 40)

    def update(t, theta, st):
        st["M"] = lam * st.get("M", np.zeros(2)) - eta(t) * s.grad(theta)
        return theta + st["M"]

    kw = dict(steps=steps, lr=lr, momentum=lam, schedule="step", schedule_args={"step_size": 40, "gamma": 0.3})
    t = optimizers.run(s, "gd", convention="lecture", backend=backend, **kw)
    np.testing.assert_allclose(t.path, _loop(s, s.start, steps, update), rtol=1e-9, atol=1e-9)
    assert t.convention == "lecture" and "M_{t+1}" in t.latex
    heavy = optimizers.run(s, "gd", convention="torch", backend=backend, **kw)
    assert np.abs(heavy.path - t.path).max() > 1e-4


def test_compose_passes_its_options_to_the_parts():
    """compose's eps and bias_correction reach the RMS parts, and its default η is 1e-2."""
    a = optimizers.compose("ema", "adam", lr=0.1, bias_correction=False)
    assert a.momentum.bias_correction is False and a.rms.bias_correction is False
    ta = optimizers.run("bowl", a, steps=100)
    tb = optimizers.run("bowl", "adam", steps=100, lr=0.1, bias_correction=False)
    np.testing.assert_allclose(ta.path, tb.path, rtol=1e-12, atol=1e-12)
    ada = optimizers.compose("none", "adagrad_sum", lr=0.3, eps=0.5)
    assert ada.rms.eps == 0.5
    np.testing.assert_allclose(optimizers.run("bowl", ada, steps=100).path,
                               optimizers.run("bowl", "adagrad", steps=100, lr=0.3, eps=0.5).path, rtol=1e-12, atol=1e-12)
    assert optimizers.compose("none", "none").lr == 1e-2
    assert optimizers.compose("ema", "rmsprop", eps=0.25).rms.eps == 0.25


@pytest.mark.parametrize("convention", ["lecture", "book"])
def test_a_per_trajectory_torch_option_is_refused_when_any_value_is_nonzero(convention):
    """weight_decay=[0, 0.1] is a PyTorch option for one trajectory: refused outside torch."""
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.run("crescent", "gd", steps=5, convention=convention, weight_decay=[0.0, 0.1])
    with pytest.raises(ValueError, match="momentum"):
        optimizers.run("crescent", "rmsprop", steps=5, convention=convention, momentum=[0.0, 0.9])


def test_per_trajectory_weight_decay_shows_in_the_latex_when_any_is_nonzero():
    """The L2 line of the LaTeX appears when any trajectory's weight_decay is ≠ 0, not only when all are."""
    t = optimizers.run("crescent", "adam", steps=5, weight_decay=[0.0, 0.1])
    assert r"\lambda_{\mathrm{wd}}\,\theta_t" in t.latex
    assert r"\lambda" not in optimizers.run("crescent", "adam", steps=5, weight_decay=[0.0, 0.0]).latex


@pytest.mark.parametrize("name,kw,word", [
    ("adam", dict(eps=1.5), "eps"),
    ("adam", dict(betas=(0.9, 1.0)), "beta2"),
    ("rmsprop", dict(alpha=1.0), "alpha"),
    ("momentum", dict(momentum=1.0), "momentum"),
    ("momentum", dict(dampening=1.5), "dampening"),
    ("gd", dict(lr=1e3 + 1), "lr"),
])
def test_hyperparameter_upper_bounds(name, kw, word):
    """The documented ranges: eps ≤ 1, β₂, α, μ < 1, dampening ≤ 1, lr ≤ 1000."""
    with pytest.raises(ValueError, match=word):
        optimizers.run("bowl", name, steps=2, **kw)
    assert optimizers.run("bowl", "gd", steps=2, lr=0.0).diverged_at is None  # η = 0 is allowed
    assert optimizers.run("bowl", "adam", steps=2, eps=1.0).diverged_at is None  # ε = 1 is allowed


# ------------------------------------------------------------------ optimizers/engine.py
@pytest.mark.parametrize("backend", ["eager", "numba"])
@pytest.mark.parametrize("text,bounds,coord,sign,limit", [
    ("x", ((-1.0, 1.0), (-5.0, 5.0)), 0, -1, 501),   # moves to −x: lo_x = −1 − 50·10
    ("-x", ((-1.0, 1.0), (-5.0, 5.0)), 0, 1, 501),   # moves to +x: hi_x = 1 + 50·10
    ("y", ((-5.0, 5.0), (-1.0, 1.0)), 1, -1, 501),   # moves to −y: lo_y = −1 − 50·10
    ("-y", ((-5.0, 5.0), (-1.0, 1.0)), 1, 1, 501),   # moves to +y: hi_y = 1 + 50·10
])
def test_divergence_box_is_fifty_view_widths_of_the_longer_side_on_each_side(text, bounds, coord, sign, limit, backend):
    """A point diverges when it is MORE than 50 widths (of the longer side) outside the bounds,
    per coordinate and on each side: gd with η = 1 on a plane moves exactly 1 per step."""
    from surfaces.formula import surface_from_formula

    s = surface_from_formula(text, bounds)
    lo, hi = optimizers.engine.divergence_box(s.bounds)
    np.testing.assert_array_equal(lo, [bounds[0][0] - 500.0, bounds[1][0] - 500.0])
    np.testing.assert_array_equal(hi, [bounds[0][1] + 500.0, bounds[1][1] + 500.0])
    t = optimizers.run(s, "gd", steps=600, start=(0.0, 0.0), lr=1.0, backend=backend)
    assert t.diverged_at == limit + 1  # at exactly 50 widths out it is still alive
    assert t.path[limit, coord] == sign * limit and (t.path[limit:] == t.path[limit]).all()


@pytest.mark.parametrize("backend", ["eager", "numba"])
def test_record_final_blanks_a_trajectory_that_diverged_after_its_first_update(backend):
    """record="final"/"loss" keep the rows record="all" ends with, also for a divergence at update d ≥ 2
    (the last row's loss, m, σ, η/σ are NaN, whatever d)."""
    starts = np.array([[-8.0, 2.0], [-8.0, 2.0], [5.0, 1.0]])
    kw = dict(steps=60, start=starts, lr=[0.01, 2.1, 0.001], backend=backend)
    full = optimizers.run("bowl", "gd", **kw)
    assert full.diverged_at[1] is not None and full.diverged_at[1] >= 3
    for record in ("final", "loss"):
        t = optimizers.run("bowl", "gd", record=record, **kw)
        assert t.diverged_at == full.diverged_at
        assert np.isnan(t.loss[-1, 1]) and np.isnan(t.grad_norm[-1, 1])
        for field in ("m", "sigma", "step_size"):
            np.testing.assert_array_equal(getattr(t, field), getattr(full, field)[-1:])
            assert np.isnan(getattr(t, field)[-1, 1]).all()
        np.testing.assert_array_equal(t.loss, full.loss if record == "loss" else full.loss[[0, -1]])


@pytest.mark.parametrize("rms", ["adagrad_mean", "rmsprop_lecture"])
def test_composed_movement_with_a_lecture_sigma_takes_no_step_where_sigma_is_zero(rms):
    """compose("movement", lecture σ): where every gradient was 0, σ = 0 and g/σ is taken as 0 (not
    0/0 = NaN, which would freeze the run as diverged) — on both backends."""
    opt = optimizers.compose("movement", rms, lr=0.1, momentum=0.5)
    for backend in ("eager", "numba"):
        t = optimizers.run("bowl", opt, steps=100, start=(-8.0, 0.0), backend=backend)
        assert t.diverged_at is None
        assert (t.path[:, 1] == 0.0).all() and t.path[-1, 0] > -7.0


# ------------------------------------------------------------------ optimizers/minibatch.py
def test_minibatch_divergence_blanks_the_failed_updates_records_and_the_loss_from_there():
    """The update d that failed: batch_loss[d-1], grad[d-1] and everything after are NaN; the path
    is frozen at path[d-1] and the full loss is NaN from index d on (as the engine)."""
    from optimizers import minibatch as mb
    from surfaces import data as sd

    t = mb.run(sd.regression(20, 0, False), "gd", batch_size=5, epochs=20, lr=5.0)
    d = t.diverged_at
    assert d is not None and d >= 2
    assert np.isfinite(t.batch_loss[:d - 1]).all() and np.isnan(t.batch_loss[d - 1:]).all()
    assert np.isfinite(t.grad[:d - 1]).all() and np.isnan(t.grad[d - 1:]).all()
    assert np.isfinite(t.loss[:d]).all() and np.isnan(t.loss[d:]).all()
    assert (t.path[d - 1:] == t.path[d - 1]).all()


def test_minibatch_adagrad_lr_decay_is_the_engines():
    """Adagrad's η/(1 + (n−1)·lr_decay) in minibatch.run: with B = N it is exactly the engine's run."""
    from optimizers import minibatch as mb
    from surfaces import data as sd

    s = sd.regression(20, 0, False)
    t = mb.run(s, "adagrad", batch_size=20, epochs=40, lr=0.5, lr_decay=0.1)
    r = optimizers.run(s, "adagrad", steps=40, lr=0.5, lr_decay=0.1, backend="eager")
    np.testing.assert_allclose(t.lr, 0.5 / (1.0 + 0.1 * np.arange(40)), rtol=1e-15)
    np.testing.assert_array_equal(t.lr, r.lr)
    np.testing.assert_array_equal(t.path, r.path)


def test_minibatch_run_refuses_too_much_work(monkeypatch):
    """run() checks K · updates · N against MAX_WORK before it starts."""
    from optimizers import minibatch as mb
    from surfaces import data as sd

    monkeypatch.setattr(mb, "MAX_WORK", 100)
    with pytest.raises(ValueError, match="Too much work"):
        mb.run(sd.regression(20, 0, False), "gd", batch_size=20, epochs=3, seed=[0, 1], lr=0.01)  # 2 · 3 · 20 = 120


# ------------------------------------------------------------------ optimizers/noise.py
def test_escape_stderr_is_the_binomial_standard_error():
    """stderr() = √(p(1 − p)/runs), runs the number of seeded runs per batch size."""
    from optimizers import noise

    r = noise.escape("local_minimum", (1, 20), runs=40, steps=100)
    p = np.asarray(r.fractions)
    assert 0 < p[0] < 1
    np.testing.assert_allclose(r.stderr(), np.sqrt(p * (1 - p) / 40), rtol=1e-15)


def test_sharp_vs_flat_counts_only_runs_near_a_minimum_for_it():
    """A run right of the ridge but more than 4 canyon widths from the sharp minimum is "other", and
    so is a run left of it but farther than the basin's width from the flat minimum."""
    from optimizers import noise
    from surfaces import data as sd

    r = noise.sharp_vs_flat((20,), runs=60, updates=1, lr=1e-6)  # the runs stay at their spread starts
    s = sd.sharp_flat(20, 0)
    w = r.final_w[20]
    right = w > s.data["barrier"]
    near = np.abs(w - s.data["sharp"]) < 4 * sd.SHARP_WIDTH
    assert (right & ~near).any() and (right & near).any()
    assert r.fractions[20]["sharp"] == np.sum(right & near) / 60
    flat = np.abs(w - s.data["flat"]) < sd.FLAT_WIDTH
    assert (~right & flat).any() and (~right & ~flat).any()
    assert r.fractions[20]["flat"] == np.sum(flat) / 60
    assert r.fractions[20]["other"] == np.sum((right & ~near) | (~right & ~flat)) / 60


# ------------------------------------------------------------------ optimizers/sweep.py
def test_sweep_f_star_is_the_lowest_loss_anywhere_not_only_at_the_end():
    """Without a known minimum, f* is the lowest loss of any cell at any step (momentum overshoots:
    its lowest loss comes before its last step)."""
    from optimizers import sweep as sw

    kw = dict(lr_range=(0.05, 0.3), n_lr=3, value_range=(0.8, 0.95), n_values=2, steps=25, start=(2.0, 1.0))
    r = sw.sweep("f:x**2 + 2*y**2", "momentum", param="momentum", **kw)
    lowest = min(float(np.min(optimizers.run("f:x**2 + 2*y**2", "momentum", steps=25, start=(2.0, 1.0),
                                             lr=float(lr), momentum=float(v)).loss))
                 for lr in r.lrs for v in r.values)
    assert r.f_star == lowest and lowest < np.nanmin(r.final_loss)


def test_steps_to_tolerance_counts_a_loss_exactly_at_the_tolerance():
    """"the first step at which loss − f* ≤ tol": ≤, not <."""
    from optimizers import sweep as sw

    h = np.array([[3.0, 5.0], [2.0, 4.0], [1.0, 3.5]])
    np.testing.assert_array_equal(sw._first_below(h, 2.0), [1.0, np.nan])
    np.testing.assert_array_equal(sw._first_below(h, 4.0), [0.0, 1.0])


def test_sweep_passes_a_fixed_beta2_to_every_cell():
    """sweep(..., beta2=b2): Adam's β₂ is b2 in every cell (β₁ is the swept value)."""
    from optimizers import sweep as sw

    r = sw.sweep("bowl", "adam", param="beta1", lr_range=(0.01, 0.3), n_lr=2, value_range=(0.5, 0.9), n_values=2,
                 steps=40, beta2=0.5)
    assert dict(r.fixed)["betas"][1] == 0.5
    for i in range(2):
        for j in range(2):
            t = optimizers.run("bowl", "adam", steps=40, lr=float(r.lrs[j]), betas=(float(r.values[i]), 0.5),
                               backend="eager")
            np.testing.assert_allclose(r.final_loss[i, j], t.loss[-1], rtol=1e-9)
    default = sw.sweep("bowl", "adam", param="beta1", lr_range=(0.01, 0.3), n_lr=2, value_range=(0.5, 0.9),
                       n_values=2, steps=40)
    assert np.abs(default.final_loss - r.final_loss).max() > 1e-6


def test_sweep_reruns_each_chunk_when_the_histories_do_not_fit(monkeypatch):
    """Past HISTORY_BYTES (f* unknown), the histories are not kept: every chunk runs a second time,
    and progress reports both passes (half way after the first)."""
    from optimizers import sweep as sw

    kw = dict(param="beta1", n_lr=4, n_values=3, steps=40, chunk=5, tol=1e-2)
    seen = []
    sw.sweep("f:(x-1)**2 + 3*(y+0.5)**2", "adam", progress=seen.append, **kw)
    assert len(seen) == 3 and seen[-1] == 1.0
    monkeypatch.setattr(sw, "HISTORY_BYTES", 1)
    seen = []
    calls = []
    real = sw._engine_chunk
    monkeypatch.setattr(sw, "_engine_chunk", lambda *a: calls.append(1) or real(*a))
    sw.sweep("f:(x-1)**2 + 3*(y+0.5)**2", "adam", progress=seen.append, **kw)
    assert len(calls) == 6 and len(seen) == 6 and seen[2] == 0.5 and seen[-1] == 1.0


@pytest.mark.parametrize("lo,hi", [(0.0, 1.0), (-1.0, 1.0), (1e-3, 1e3 + 1)])
def test_lr_grid_needs_positive_rates_up_to_1000(lo, hi):
    """The η grid's ends must lie in (0, 1000]: η = 0 has no log."""
    from optimizers import sweep as sw

    with pytest.raises(ValueError, match="η"):
        sw.lr_grid(lo, hi, 5)


# ------------------------------------------------------------------ surfaces/
_FORMULAS = {
    "bowl": lambda x, y: 0.5 * x**2 + 100 * np.log(np.cosh(2 * y)),
    "crescent": lambda x, y: 0.5 * (0.5 + 20 / (1 + np.exp(2 * x))) * (y - 0.5 * x**2) ** 2 + 0.1 * (x - 2) ** 2,
    "saddle": lambda x, y: x**4 / 4 - 2 * x**3 / 3 + 4 / 3 + y**2,
    "local_minimum": lambda x, y: x**4 / 4 - 4 * x**3 / 3 + 1.5 * x**2 + 2.25 + y**2,
    "cliff": lambda x, y: 0.5 * (x**2 + y**2) + 50 / (1 + np.exp(-30 * (x - 1))),
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    "beale": lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2,
    "himmelblau": lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
    "rastrigin": lambda x, y: 20 + x**2 - 10 * np.cos(2 * np.pi * x) + y**2 - 10 * np.cos(2 * np.pi * y),
}


@pytest.mark.parametrize("name", list(_FORMULAS))
def test_each_surface_is_its_documented_formula(name):
    """Every built-in surface equals its LaTeX formula (transcribed here) over its view, in numpy,
    in torch, and in the fast engine's compiled program."""
    from surfaces.expr import values_and_grads

    s = surfaces.get(name)
    (x0, x1), (y0, y1) = s.bounds
    rng = np.random.default_rng(1)
    x, y = rng.uniform(x0, x1, 200), rng.uniform(y0, y1, 200)
    want = _FORMULAS[name](x, y)
    np.testing.assert_allclose(s.numpy(x, y), want, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(s(torch.as_tensor(np.stack([x, y], 1))).numpy(), want, rtol=1e-10, atol=1e-10)
    p = s.program
    n = len(x)
    stack = [np.empty((max(p.depth, 1), n)) for _ in range(3)]
    f, gx, gy = np.empty(n), np.empty(n), np.empty(n)
    values_and_grads(p.code, p.consts, x, y, n, *stack, f, gx, gy)
    np.testing.assert_allclose(f, want, rtol=1e-10, atol=1e-10)


def test_condition_number_of_a_singular_or_indefinite_matrix_is_infinite():
    """λ_max/λ_min, and ∞ (not 0) when λ_min ≤ 0."""
    from surfaces import data as sd

    assert sd.condition_number(np.diag([4.0, 1.0])) == 4.0
    assert sd.condition_number(np.diag([1.0, 0.0])) == math.inf
    assert sd.condition_number(np.diag([1.0, -2.0])) == math.inf


@pytest.mark.parametrize("n,k", [(2, 1), (3, 1), (4, 1), (20, 5), (41, 10)])
def test_sharp_flat_weights_give_at_least_one_example_the_canyon(n, k):
    """A quarter of the examples (at least one) carry the canyon with weight N/k; the mean is 1."""
    from surfaces import data as sd

    a = sd.sharp_flat_weights(n, 0)
    assert np.count_nonzero(a) == k and np.all(a[a != 0] == n / k)
    assert a.mean() == pytest.approx(1.0, rel=1e-15)
    assert sd.sharp_flat(n, 0).n_examples == n


def test_a_formula_that_touches_zero_keeps_the_log_scale():
    """log_scale is True when f ≥ 0 on the view (as the built-ins, whose minimum value is 0), False
    when f goes below 0."""
    from surfaces.formula import surface_from_formula

    assert surface_from_formula("max(x, 0) + max(y, 0)").log_scale is True  # exactly 0 on part of the grid
    assert surface_from_formula("x**2 + y**2").log_scale is True
    assert surface_from_formula("x").log_scale is False


@pytest.mark.parametrize("name", ["flat", "f", "fx**2"])
def test_an_unknown_name_is_not_read_as_a_formula_without_the_f_colon_prefix(name):
    """Only 'f:<formula>' is parsed; any other unknown name is an 'Unknown surface' error."""
    with pytest.raises(ValueError, match="Unknown surface"):
        surfaces.get(name)
    assert surfaces.get("f:x**2").tree == ("pow", ("var", "x"), ("num", 2.0))
