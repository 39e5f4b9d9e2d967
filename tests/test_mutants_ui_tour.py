"""Tests that kill the mutants a mutation pass over tour/claims.py, tour/scenes.py, tour/links.py and
ui/limits.py, ui/share.py, ui/compat.py, ui/runs.py left alive.

The rule for the tour: a claim check that cannot fail is a lie to students. tests/test_tour.py shows that
every claim holds on the scene's own runs; the tests here show that each check *fails* when it is fed a
run (a real one where one exists, else the scene's own run changed in one stated way) whose measured
number lies on the wrong side of the scene's stated claim. Each expectation comes from the claim's text
(tour/scenes.py) and a number computed here, not from tour/claims.py.
"""
from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pytest

import optimizers
import surfaces
import tour
from tour import claims as C
from tour import scenes as S
from ui import compat, limits, runs, share


# ------------------------------------------------------------------------------------ helpers
def scene_runs(number, convention=None, surface=None):
    scene = S.get(number)
    return scene, tour.run_scene(scene, convention, surface)


def swap(scene, trajs, i, t):
    """The scene's trajectories with run `i` replaced by `t`."""
    out = dict(trajs)
    out[scene.runs[i].label] = t
    return out


def changed(t, **kw):
    return dataclasses.replace(t, **kw)


def check(scene, trajs, label_start, convention=None, surface=None):
    return C.measure(scene, trajs, convention, surface).get(label_start)


def dist_to_min(path, surface):
    return float(np.hypot(*(path[-1] - np.asarray(surfaces.get(surface).minima[0], float))))


# ------------------------------------------------------------------------------------ Measure / Result
def test_a_result_with_one_failed_check_does_not_hold():
    ok = C.Measure("a", 1.0, need="x", ok=True)
    bad = C.Measure("b", 2.0, need="y", ok=False)
    ctx = C.Measure("c", 3.0)
    assert C.Result((ok, ctx)).holds
    assert not C.Result((ok, bad, ctx)).holds and not C.Result((bad, ok)).holds


def test_a_percentage_is_shown_as_a_percentage():
    """Scene 1 shows the loss change 0.00168 as '0.168 %' (the claim's unit)."""
    assert C.Measure("loss change", 0.00168, "%").shown() == "0.168 %"
    assert C.Measure("n", 250.0, "d").shown() == "250"


# ------------------------------------------------------------------------------------ scene 1
def test_scene1_checks_fail_when_the_loss_still_moves_or_the_gradient_gets_small():
    """Claim: over the last half the loss changes by < 1 % (of its value at the half) while the gradient
    norm stays > 10 % of its start. The scene's own run with its last-half loss ramped down by 2 %
    (a 2 % change) must fail the first; with one last-half gradient norm at 5 % of the start, the second."""
    scene, trajs = scene_runs(1)
    t = trajs[scene.runs[0].label]
    half = scene.steps // 2
    loss = t.loss.copy()
    loss[half:] *= np.linspace(1.0, 0.98, len(loss) - half)
    tail = loss[half:]
    assert 0.015 < (tail.max() - tail.min()) / loss[half] < 0.03
    assert check(scene, swap(scene, trajs, 0, changed(t, loss=loss)), "loss change").ok is False
    gn = t.grad_norm.copy()
    gn[half + 50] = 0.05 * gn[0]
    assert check(scene, swap(scene, trajs, 0, changed(t, grad_norm=gn)), "smallest gradient norm").ok is False


# ------------------------------------------------------------------------------------ scene 2
def test_scene2_checks_fail_on_a_crossing_or_on_progress():
    """Claim: no y-crossing at all and < 2 % of the way along x. GD with η = 10⁻⁶ (ten times the scene's)
    covers 1 − (1 − 10⁻⁶)^100000 ≈ 9.5 % of the way: the x check fails. The scene's run with y mirrored
    from update 50,000 on crosses the floor once: the crossing check fails."""
    scene, trajs = scene_runs(2)
    t = trajs[scene.runs[0].label]
    faster = optimizers.run("bowl", "gd", steps=scene.steps, start=scene.start, lr=1e-6, convention="lecture")
    progress = (faster.path[-1, 0] - scene.start[0]) / (0.0 - scene.start[0])
    assert progress == pytest.approx(1 - (1 - 1e-6) ** scene.steps, rel=1e-3)
    m = check(scene, swap(scene, trajs, 0, faster), "way covered along x")
    assert m.ok is False and m.value == pytest.approx(progress, rel=1e-9)
    path = t.path.copy()
    path[50_000:, 1] *= -1
    assert np.sum(np.sign(path[1:, 1]) != np.sign(path[:-1, 1])) == 1
    assert check(scene, swap(scene, trajs, 0, changed(t, path=path)), "valley-floor crossings").ok is False
    # moving away from the minimum is not "crawling towards it": a path mirrored about its start in x
    away = t.path.copy()
    away[:, 0] = 2 * away[0, 0] - away[:, 0]
    m = check(scene, swap(scene, trajs, 0, changed(t, path=away)), "way covered along x")
    assert m.value < 0 and m.ok is False


# ------------------------------------------------------------------------------------ scene 3
def test_scene3_checks_fail_short_of_the_minimum_and_without_per_parameter_rates():
    """Claim: within 10⁻³ of the minimum, with η/σ along x several (> 3) times that along y. The same
    Adagrad run stopped after 300 updates is ~3·10⁻³ away: ✗, and the page says why (a note whenever the
    claim does not hold). Plain GD (σ = 1 in both coordinates: a ratio of 1) fails the rate check."""
    scene, trajs = scene_runs(3)
    short = tour.run_setup(scene, scene.runs[0], steps=300)
    d = dist_to_min(short.path, scene.surface)
    assert 1.5e-3 < d < 1e-2
    result = C.measure(scene, swap(scene, trajs, 0, short))
    assert result.get("distance to the minimum").ok is False and not result.holds and result.note
    gd = optimizers.run("bowl", "gd", steps=scene.steps, start=scene.start, lr=1e-2, convention="lecture")
    assert np.allclose(gd.step_size[1:101, 0], gd.step_size[1:101, 1])
    assert check(scene, swap(scene, trajs, 0, gd), "effective step").ok is False


# ------------------------------------------------------------------------------------ bursts and episodes
def test_bursts_follow_their_definition():
    """A burst update is ≥ 0.05 long and ≥ 10× the median of the 200 steps before it, counted from
    `after` on. Hand-built y-sequences: a steady bounce of 0.2 (steady: never a burst), a sudden step of
    0.04 after tiny ones (too short), one of 0.3 (a burst) — counted only from `after` on."""
    bounce = 0.1 * (-1.0) ** np.arange(600)
    assert C.bursts(bounce, 0) == []
    quiet = np.cumsum(np.full(600, 1e-6))
    small = quiet.copy()
    small[400:] += 0.04
    assert C.bursts(small, 0) == []
    big = quiet.copy()
    big[400:] += 0.3
    assert C.bursts(big, 0) == [399] and C.bursts(big, 300) == [399]
    assert C.bursts(big, 450) == []


def test_episodes_group_bursts_that_follow_each_other():
    assert C.episodes([0, 40, 80]) == [(0, 80)]
    assert C.episodes([0, 40, 200, 210]) == [(0, 40), (200, 210)]
    assert C.episodes([]) == []


# ------------------------------------------------------------------------------------ scene 4
def test_scene4_an_early_burst_is_not_a_late_one():
    """Claim: late in the run (in its second half) a step bursts. The same Adagrad run for 4000 updates
    erupts once, around update 1800 — in the first half: the check must fail."""
    scene = dataclasses.replace(S.get(4), steps=4000)
    trajs = tour.run_scene(scene)
    y = trajs[scene.runs[0].label].path[:, 1]
    eps = C.episodes(C.bursts(y, 0))
    assert eps and all(last < scene.steps // 2 for _, last in eps)
    assert check(scene, trajs, "bursts in y in the second half").ok is False


def test_scene4_the_recovery_check_fails_when_the_steps_do_not_shrink_back():
    """Claim: the steps shrink back after the burst (largest y-step of the last 10 % < 1/4 of the
    burst). The scene's run with one y-step of half the burst's size 100 updates before the end
    (against the small bounce that remains, still > 1/4 of the burst) must fail it."""
    scene, trajs = scene_runs(4)
    t = trajs[scene.runs[0].label]
    d = np.abs(np.diff(t.path[:, 1]))
    big = float(d[scene.steps // 2:].max())
    path = t.path.copy()
    path[-100:, 1] += 0.5 * big
    d2 = np.abs(np.diff(path[:, 1]))
    assert d2[-scene.steps // 10:].max() > 0.25 * big and d2.max() == pytest.approx(big)
    assert check(scene, swap(scene, trajs, 0, changed(t, path=path)), "largest y-step in the last 10 %").ok is False


# ------------------------------------------------------------------------------------ scene 5
def test_scene5_a_single_burst_after_the_first_tenth_fails_no_burst_at_all():
    """Claim: with the decaying η_t there is no burst at all (counted after the first 10 % of the run),
    and the run ends within 10⁻³ of the minimum. The decaying run with one step of 0.3 added at update
    900 (30 % of the run) must fail the first; the same run stopped after 350 updates (~3·10⁻³ away)
    the second."""
    scene, trajs = scene_runs(5)
    t = trajs[scene.runs[0].label]
    path = t.path.copy()
    path[901:, 1] += 0.3
    d = np.abs(np.diff(path[:, 1]))
    assert d[900] == pytest.approx(0.3, abs=1e-6) and d[900] > 10 * np.median(d[700:900])
    assert check(scene, swap(scene, trajs, 0, changed(t, path=path)), "bursts in y with the decaying").ok is False
    short = dataclasses.replace(scene, steps=350)
    strajs = tour.run_scene(short)
    d_end = dist_to_min(strajs[scene.runs[0].label].path, scene.surface)
    assert 1.5e-3 < d_end < 1e-2
    result = C.measure(short, strajs)
    assert result.get("distance to the minimum").ok is False and result.note


# ------------------------------------------------------------------------------------ scene 6
def test_scene6_checks_fail_for_a_schedule_that_is_not_the_papers(monkeypatch):
    """Claim: the Transformer rate peaks at step 4000 and equals the paper's formula. Fed the library's
    schedule with warmup_steps = 4010 (peak at 4010) or d_model = 500 (values off by ~10⁻⁵), the checks
    must fail."""
    scene, trajs = scene_runs(6)
    off_peak = optimizers.lr_at("transformer", C.TRANSFORMER_STEPS, 1.0, dict(d_model=512, warmup_steps=4010))
    assert int(np.argmax(off_peak)) + 1 == 4010
    monkeypatch.setattr(C, "transformer_rate", lambda steps=C.TRANSFORMER_STEPS: off_peak)
    assert check(scene, trajs, "Transformer η_t: peak at step").ok is False
    other_d = optimizers.lr_at("transformer", C.TRANSFORMER_STEPS, 1.0, dict(d_model=500, warmup_steps=4000))
    n = np.arange(1, C.TRANSFORMER_STEPS + 1, dtype=float)
    paper = 512 ** -0.5 * np.minimum(n ** -0.5, n * 4000 ** -1.5)
    assert 1e-6 < np.max(np.abs(other_d - paper)) < 1e-4
    monkeypatch.setattr(C, "transformer_rate", lambda steps=C.TRANSFORMER_STEPS: other_d)
    assert check(scene, trajs, "… largest difference from the paper").ok is False


def test_scene6_radam_with_more_than_five_plain_steps_fails():
    """Claim: PyTorch's RAdam skips σ for its first 5 steps (β₂ = 0.999). With β₂ = 0.8 its ρ_t stays
    ≤ 5 for 6 updates (σ = 1 there, counted here): the check must fail."""
    scene, trajs = scene_runs(6)
    radam = optimizers.run("himmelblau", "radam", steps=scene.steps, lr=0.05, betas=(0.9, 0.8), convention="torch")
    plain = np.all(radam.sigma == 1.0, axis=1)
    assert plain[:6].all() and not plain[6:].any()
    assert check(scene, swap(scene, trajs, 2, radam), "PyTorch's RAdam").ok is False
    # a run that never uses σ took every update plain (not 0 of them)
    never = changed(trajs[scene.runs[2].label], sigma=np.ones_like(trajs[scene.runs[2].label].sigma))
    m = check(scene, swap(scene, trajs, 2, never), "PyTorch's RAdam")
    assert m.value == scene.steps and m.ok is False


# ------------------------------------------------------------------------------------ scene 7
def test_scene7_checks_fail_for_slower_or_equal_lags():
    """Claim: RMSProp α = 0.5 within 2× of the new slope in ≤ 5 steps, α = 0.9 takes longer, Adagrad
    > 100 steps. RMSProp with α = 0.75 (lag 22) in α = 0.5's place fails the first; α = 0.5 in α = 0.9's
    place (equal lags: not longer) the second; α = 0.85 (lag 46) in Adagrad's place the third."""
    scene, trajs = scene_runs(7)

    def rms(alpha):
        return optimizers.run("crescent", "rmsprop", steps=scene.steps, start=scene.start, lr=0.03, alpha=alpha,
                              convention="lecture")

    a75, a85 = rms(0.75), rms(0.85)
    assert 5 < C.sigma_lag(a75, 0)[1] <= 50 and 10 < C.sigma_lag(a85, 0)[1] <= 100
    fast = trajs[scene.runs[0].label]
    assert check(scene, swap(scene, trajs, 0, a75), scene.runs[0].label).ok is False
    assert check(scene, swap(scene, trajs, 1, fast), scene.runs[1].label).ok is False
    assert check(scene, swap(scene, trajs, 2, a85), scene.runs[2].label).ok is False


def test_sigma_lag_on_a_hand_built_record():
    """|g_x| = 10 for 20 updates, 0.5 for 10, then 0.01. The RMS over the last 5 updates first falls
    to ≤ 1 (a tenth of the first gradient) at update 24, where the window holds only 0.5s. σ_x = 10
    until update 40, then 0.9: at 40 the recent slope is 0.01, so σ is never within 2× of it (None);
    with σ_x = 0.9 from update 26 on (recent slope 0.5 there, 2× = 1) the lag is 2."""
    T = 100
    g = np.r_[np.full(20, 10.0), np.full(10, 0.5), np.full(T + 1 - 30, 0.01)]
    grad = np.stack([g, np.zeros_like(g)], 1)
    sigma = np.stack([np.where(np.arange(T) < 40, 10.0, 0.9), np.ones(T)], 1)
    assert C.sigma_lag(SimpleNamespace(grad=grad, sigma=sigma), 0) == (24, None)
    sigma2 = np.stack([np.where(np.arange(T) < 26, 10.0, 0.9), np.ones(T)], 1)
    assert C.sigma_lag(SimpleNamespace(grad=grad, sigma=sigma2), 0) == (24, 2)


# ------------------------------------------------------------------------------------ scene 8
@pytest.mark.parametrize("surface,gd_steps", [("saddle", 12), ("local_minimum", 4)])
def test_scene8_checks_fail_short_of_the_critical_point_the_minimum_or_the_rule(surface, gd_steps):
    """Claim: GD ends within 0.1 of x = 0; momentum within 10⁻³ of the minimum beyond; every movement
    equals λ·(last movement) − η·gradient (to 10⁻¹²). GD stopped after 12 updates (still > 0.3 from
    x = 0; 12 updates on the saddle, 4 in the local minimum), momentum stopped after 120 updates (> 10⁻³ from the minimum) and the momentum path moved by
    10⁻⁹ at every other point (off the rule by ~10⁻⁹) must each fail, and so must the momentum path
    taken up from update 50 on (it does not start from rest, m⁰ ≠ 0)."""
    scene, trajs = scene_runs(8, None, surface)
    gd = tour.run_setup(scene, scene.runs[0], None, surface, steps=gd_steps)
    assert 0.3 < abs(gd.path[-1, 0]) < 1.0
    assert check(scene, swap(scene, trajs, 0, gd), "GD: distance of x", None, surface).ok is False
    mom = tour.run_setup(scene, scene.runs[1], None, surface, steps=120)
    assert 1.2e-3 < dist_to_min(mom.path, surface) < 1e-2
    assert check(scene, swap(scene, trajs, 1, mom), "Momentum: distance", None, surface).ok is False
    t = trajs[scene.runs[1].label]
    path = t.path.copy()
    path[1::2] += 1e-9
    assert check(scene, swap(scene, trajs, 1, changed(t, path=path)), "max |movement", None, surface).ok is False
    # the rule starts from rest (m⁰ = 0): the same path picked up in full flight, at update 50, breaks it
    assert np.hypot(*(t.path[51] - t.path[50])) > 1e-3
    assert check(scene, swap(scene, trajs, 1, changed(t, path=t.path[50:])), "max |movement", None,
                 surface).ok is False


# ------------------------------------------------------------------------------------ scene 9
def test_scene9_checks_fail_when_nesterov_is_not_better_or_off_the_rule():
    """Claim: Nesterov overshoots less and settles sooner; each gradient used is the one at θ + λv
    (Nesterov) or θ (classical) to 10⁻⁹. Nesterov against itself (equal overshoot, equal settling) is not
    better; paths moved by 10⁻⁷ at every other point read back gradients off by ~10⁻⁵: all must fail."""
    scene, trajs = scene_runs(9)
    classic, nest = (trajs[r.label] for r in scene.runs)
    same = swap(scene, trajs, 0, nest)
    r = C.measure(scene, same)
    overs = [m for m in r.measures if m.label.startswith("… Nesterov")]
    assert len(overs) == 2 and all(m.ok is False for m in overs)
    p_n, p_c = nest.path.copy(), classic.path.copy()
    p_n[1::2] += 1e-7
    p_c[1::2] += 1e-7
    off = swap(scene, swap(scene, trajs, 1, changed(nest, path=p_n)), 0, changed(classic, path=p_c))
    r = C.measure(scene, off)
    assert r.get("Nesterov: |gradient used").ok is False and r.get("Classical: |gradient used").ok is False


# ------------------------------------------------------------------------------------ scene 10
def test_scene10_checks_fail_for_runs_a_little_off():
    """Claim: Adam without bias correction and the composition differ by < 10⁻¹²; Adam's first step is η
    per coordinate to 10⁻⁶; without bias correction (1 − β₁)/√(1 − β₂)·η to 10⁻⁶ relative. A
    composition with ε = 2·10⁻⁸ (~10⁻⁷ away), Adam with ε = 10⁻³ (first step η·|g|/(|g| + ε), off by
    ~10⁻⁴) and Adam without bias correction with ε = 10⁻³ (off by ~4·10⁻³) must each fail its check."""
    scene, trajs = scene_runs(10)
    plain = trajs[scene.runs[1].label]
    kw = dict(steps=scene.steps, start=scene.start, schedule="cosine", schedule_args={"T_max": 500})
    comp = optimizers.run("bowl", optimizers.compose("ema", "rmsprop", lr=0.1, beta1=0.9, alpha=0.999, eps=2e-8,
                                                     bias_correction=False), **kw)
    assert 1e-9 < np.max(np.abs(comp.path - plain.path)) < 1e-5
    assert check(scene, swap(scene, trajs, 2, comp), "max |Adam without bias correction").ok is False
    adam = optimizers.run("bowl", "adam", lr=0.1, eps=1e-3, convention="torch", **kw)
    first = np.abs(adam.path[1] - adam.path[0]) / 0.1
    assert 1e-5 < np.max(np.abs(first - 1)) < 1e-3
    assert check(scene, swap(scene, trajs, 0, adam), "Adam's first step").ok is False
    plain3 = optimizers.run("bowl", "adam", lr=0.1, eps=1e-3, bias_correction=False, convention="torch", **kw)
    rel = np.abs(plain3.path[1] - plain3.path[0]) / 0.1 / (0.1 / math.sqrt(0.001)) - 1
    assert 1e-4 < np.max(np.abs(rel)) < 1e-2
    assert check(scene, swap(scene, trajs, 1, plain3), "first step ÷ η without bias").ok is False


# ------------------------------------------------------------------------------------ scene 11
def test_scene11_checks_fail_for_shorter_throws_longer_clipped_steps_or_an_early_stop():
    """Claim: without clipping one step is longer than the view (width 9); with max_norm = 5 no step
    exceeds η·5/(1 − λ) = 2.5; the clipped run ends within 10⁻³ of the minimum. Momentum clipped at
    max_norm = 120 in the free run's place (longest step ~5.8 < 9), clipped at 80 in the clipped run's
    place (~4.3 > 2.5) and the clipped run stopped after 110 updates (~6·10⁻³ away) must each fail."""
    scene, trajs = scene_runs(11)

    def mom(max_norm, steps=scene.steps):
        return optimizers.run("cliff", "momentum", steps=steps, lr=0.05, momentum=0.9, convention="lecture",
                              max_norm=max_norm)

    m120, m80 = mom(120.0), mom(80.0)
    (x0, x1), (y0, y1) = surfaces.get("cliff").bounds
    width = max(x1 - x0, y1 - y0)
    assert width / 2 < C.step_lengths(m120.path).max() < width
    assert check(scene, swap(scene, trajs, 0, m120), "longest step without clipping").ok is False
    assert 2.5 < C.step_lengths(m80.path).max() < 5.0
    assert check(scene, swap(scene, trajs, 1, m80), "longest step with max_norm").ok is False
    short = tour.run_setup(scene, scene.runs[1], steps=110)
    assert 1.5e-3 < dist_to_min(short.path, "cliff") < 1e-2
    assert check(scene, swap(scene, trajs, 1, short), "clipped run: distance").ok is False


# ------------------------------------------------------------------------------------ scene 12
def test_scene12_checks_fail_for_runs_that_differ_beyond_round_off():
    """Claim: the counterpart (PyTorch's Adagrad, ε = 0) and the named twin agree with the composition to
    10⁻¹². PyTorch's default ε = 10⁻¹⁰ puts the counterpart ~7.6·10⁻¹² away, and the twin's path moved by
    10⁻⁹ at every other point is 10⁻⁹ away: both checks must fail."""
    scene, trajs = scene_runs(12)
    composed = trajs[scene.runs[0].label]
    twin_i = next(i for i, r in enumerate(scene.runs) if r.label.startswith("named: "))
    other_i = next(i for i, r in enumerate(scene.runs) if r.label.startswith(S.COUNTERPART_LABEL))
    eps_default = optimizers.run("bowl", "adagrad", convention="torch", lr=0.1, steps=scene.steps, start=scene.start)
    assert 1e-12 < np.max(np.abs(composed.path - eps_default.path)) < 1e-9
    assert C.measure(scene, swap(scene, trajs, other_i, eps_default)).measures[0].ok is False
    twin = trajs[scene.runs[twin_i].label]
    path = twin.path.copy()
    path[1::2] += 1e-9
    r = C.measure(scene, swap(scene, trajs, twin_i, changed(twin, path=path)))
    assert [m.ok for m in r.measures if "(same parts: the wiring)" in m.label] == [False]


# ------------------------------------------------------------------------------------ tour/scenes.py
def test_a_runs_own_convention_wins_over_the_switch():
    """RunSetup.convention=None means: the switch's convention; a run that names one keeps it."""
    scene = S.get(8)
    assert scene.run_convention(scene.runs[0], "torch") == "lecture"
    free = S.RunSetup("free", "gd")
    assert scene.run_convention(free, "book") == "book" and scene.run_convention(free, None) == "lecture"


def test_compose_hyper_splits_betas():
    assert S.compose_hyper({"lr": 0.1, "betas": (0.8, 0.95), "zzz": 1}) == {"lr": 0.1, "beta1": 0.8, "beta2": 0.95}


# ------------------------------------------------------------------------------------ tour/links.py
def test_playground_link_of_a_composed_adam_carries_its_betas():
    """Scene 12 with ema × adam: its named twin is Adam (torch) with betas (0.9, 0.999). The link must
    decode to runs that retrace the scene's, betas in their order."""
    from tour.links import carried_runs, playground_link
    from ui import share
    from ui.runs import engine_args

    scene = S.composed_scene(S.get(12), "ema", "adam", "constant", {}, 0.05)
    back, notes = share.decode(share.encode(playground_link(scene, None, "himmelblau")[0]))
    assert notes == []
    named = [o for o in back.opts if o.name == "adam"]
    assert named and (named[0].p["beta1"], named[0].p["beta2"]) == (0.9, 0.999)
    trajs = list(tour.run_scene(scene, None, "himmelblau").values())
    for i, opt in zip(carried_runs(scene), back.opts):
        name, hp = engine_args(opt, back.convention)
        t = optimizers.run(back.surface, name, steps=back.steps, start=back.start, convention=back.convention, **hp)
        assert np.max(np.abs(t.path - trajs[i].path)) < 1e-12


def test_a_run_with_other_clipping_stays_behind():
    """The Playground uses one clipping for all its optimizers: of scene 11's two runs (no clipping /
    max_norm = 5) a link carrying all runs keeps only the first, and says so."""
    from tour.links import carried_runs, playground_link

    scene = dataclasses.replace(S.get(11), playground_runs=())
    assert carried_runs(scene) == (0,)
    setup, note = playground_link(scene)
    assert setup.clip is None and len(setup.opts) == 1 and scene.runs[1].label in note


# ------------------------------------------------------------------------------------ ui/limits.py
def test_clamps_leave_values_at_the_bounds_alone_and_say_when_they_move():
    notes = []
    assert limits.clamp_float("noise", 0.0, limits.NOISE, notes) == 0.0 and notes == []
    assert limits.clamp_float("noise", "-1", limits.NOISE, notes) == 0.0 and "clamped to 0" in notes[-1]
    assert limits.clamp_float("x", "nan", (0.0, 1.0), notes, 0.5) == 0.5 and "not a finite number" in notes[-1]
    assert limits.clamp_float("x", "inf", (0.0, 1.0), notes, 0.5) == 0.5 and "not a finite number" in notes[-1]


def test_clamp_int_rounds_with_a_note():
    notes = []
    assert limits.clamp_int("steps", "2.7", limits.STEPS, notes) == 3
    assert len(notes) == 1 and "rounded to 3" in notes[0]
    notes = []
    assert limits.clamp_int("steps", "300", limits.STEPS, notes) == 300 and notes == []


def test_flags_read_0_and_1_without_notes():
    notes = []
    assert limits.parse_flag("f", "0", notes, True) is False and limits.parse_flag("f", "1", notes) is True
    assert notes == []
    assert limits.parse_flag("f", "maybe", notes, True) is True and notes


def test_snap_notes_a_value_off_the_grid_by_more_than_a_tenth_of_a_percent():
    notes = []
    assert limits.snap_lr("lr", "0.01005", notes) == 0.01 and len(notes) == 1     # 0.5 % off
    notes = []
    assert limits.snap_lr("lr", "0.010005", notes) == 0.01 and notes == []         # 0.05 % off


def test_nearest_log_and_the_sweeps_rates_on_the_playground_grid():
    """One rule for "nearest in log space" (the slider snap, the widget guard, the Sweep's η axis):
    ties and ends included; every Sweep rate is a Playground slider value, spread as the sweep's."""
    grid = (0.001, 0.01, 0.1, 1.0)
    assert [limits.nearest_log(grid, v) for v in (1e-9, 0.001, 0.003, 0.0031622, 0.05, 3.0, 99.0, 0.0, -1.0)] == \
        [0, 0, 0, 0, 2, 3, 3, 0, 0]
    assert limits.nearest_log(grid, math.sqrt(0.001 * 0.01) * 1.001) == 1
    lrs = limits.playground_lrs(1e-3, 1.0, 7)
    assert set(lrs) <= set(limits.LR_GRID) and list(lrs) == sorted(lrs) and len(lrs) == 7
    assert lrs[0] == 1e-3 and lrs[-1] == 1.0
    assert limits.playground_lrs(0.0101, 0.0102, 5) == (0.01,)  # one slider value: one column


def test_hyperparameters_are_kept_inside_the_engines_ranges():
    """λ = 1 never forgets (the engine's momentum range is open at 1); ε is at most 0.1 on the slider."""
    notes = []
    assert limits.clamp_hyper("momentum", "1", notes, 0.9) < 1.0 and notes
    notes = []
    assert limits.clamp_hyper("eps", "1", notes, 1e-8) <= 0.1 and notes


def test_start_is_clamped_per_coordinate_and_needs_two_numbers():
    bounds = ((-10.0, 10.0), (-3.0, 3.0))
    notes = []
    assert limits.clamp_start(["0", "5"], bounds, notes, (1.0, 1.0)) == (0.0, 3.0) and "clamped to 3" in notes[0]
    notes = []
    assert limits.clamp_start(["1", "2", "3"], bounds, notes, (1.0, 1.0)) == (1.0, 1.0) and "not 'x,y'" in notes[0]


def test_a_links_formula_over_the_limit_is_not_used_rather_than_cut():
    """Cut at 200 characters, 0.5 at the cut became 0.: another function, run with only a note."""
    f = "+".join(["x*0.5"] * 40)[:200]
    assert share.decode({"surface": "f:" + f}) == (share.Setup(surface="f:" + f), [])
    setup, notes = share.decode({"surface": "f:" + f + "+y"})
    assert setup.surface == share.Setup().surface and notes == [f"formula: 202 characters is more than 200; not used "
                                                          f"(the surface is {share.Setup().surface})."]


# ------------------------------------------------------------------------------------ ui/share.py
def test_decode_keeps_the_last_value_of_a_repeated_key_and_the_first_eight_optimizers():
    """st.query_params[key] is a repeated key's last value: the decoder reads the link the same way.
    More than 8 optimizers: the first 8, in order, with a note."""
    setup, notes = share.decode({"steps": ["10", "20"]})
    assert setup.steps == 20 and notes == []
    setup, notes = share.decode({"opt": [f"gd,lr={lr}" for lr in limits.LR_GRID[:10]]})
    assert [o.p["lr"] for o in setup.opts] == list(limits.LR_GRID[:8]) and notes


def test_decode_reports_what_it_ignores():
    _, notes = share.decode({"opt": ["gd,lr=0.01,zzz=1"]})
    assert any("no parameter 'zzz'" in n for n in notes)
    _, notes = share.decode({"hack": "1"})
    assert any("unknown parameter" in n for n in notes)
    setup, notes = share.decode({"opt": ["gd,lr=" + "1" * 500]})
    assert any("too long" in n for n in notes) and setup.opts == share.Setup().opts
    setup, notes = share.decode({"opt": ["compose,mom=ema,rms=bogus"]})
    assert setup.opts[0].p["rms"] in optimizers.RMS_PARTS and notes


def test_decode_schedule_arguments_clip_device_and_start():
    setup, notes = share.decode({"sched": "step,step_size=100,gamma=0.5"})
    assert dict(setup.schedule_args)["step_size"] == 100 and notes == []
    setup, notes = share.decode({"sched": "step,step_size=2.5"})
    v = dict(setup.schedule_args)["step_size"]
    assert isinstance(v, int) and v in (2, 3)
    assert notes
    setup, notes = share.decode({"sched": "cosine,eta_min=1e9"})
    lo, hi, _ = optimizers.schedules.ARG_RANGES["cosine"]["eta_min"]
    assert dict(setup.schedule_args)["eta_min"] <= hi and notes
    assert share.decode({"clip": "0"}) == (share.Setup(clip=None), [])
    setup, notes = share.decode({"clip": "1e99"})
    assert setup.clip == limits.CLIP[1] and notes
    setup, notes = share.decode({"device": "cuda"})
    assert setup.device == "auto" and any("not available" in n for n in notes)
    setup, notes = share.decode({"surface": "bowl", "start": "0,1e9"})
    (_, _), (_, y1) = surfaces.get("bowl").bounds
    assert setup.start == (0.0, y1) and notes


def test_canonical_keeps_given_schedule_arguments():
    s = share.canonical(share.Setup(schedule="step", schedule_args=(("step_size", 7),)))
    assert dict(s.schedule_args)["step_size"] == 7
    assert share.decode(share.encode(s)) == (s, [])


# ------------------------------------------------------------------------------------ ui/compat.py
def _ws(field, value):
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    w = WidgetState(id="w")
    if field.endswith("array_value"):
        getattr(w, field).data.extend(value)
    else:
        setattr(w, field, value)
    return w


def test_compat_clamps_numbers_into_the_widgets_bounds():
    serde = SimpleNamespace(min_value=1, max_value=100)
    w = _ws("double_value", 500.0)
    assert compat.correct(serde, w, 50.0)[0] and w.double_value == 100.0
    w = _ws("double_value", -5.0)
    assert compat.correct(serde, w, 50.0)[0] and w.double_value == 1.0
    w = _ws("int_value", 7)
    assert compat.correct(serde, w, 5) == (True, None) and w.int_value == 7
    keep, note = compat.correct(serde, _ws("double_value", math.nan), 50.0)
    assert not keep and "not a finite number" in note


def test_compat_moves_an_unknown_numeric_label_to_the_nearest_option_in_log_space():
    """η options 0.001, 0.01, 0.1, 1: 0.04 is nearer 0.1 in log space (|ln 0.04 − ln 0.1| = 0.92 against
    1.39 to 0.01); −5 is below every option: the smallest; two unknown labels are dropped."""
    options = [0.001, 0.01, 0.1, 1.0]
    serde = SimpleNamespace(options=options, formatted_option_to_index={f"{o:g}": i for i, o in enumerate(options)})
    w = _ws("string_array_value", ["0.04"])
    keep, note = compat.correct(serde, w, 0.01)
    assert keep and list(w.string_array_value.data) == ["0.1"] and note
    w = _ws("string_array_value", ["-5"])
    assert compat.correct(serde, w, 0.01)[0] and list(w.string_array_value.data) == ["0.001"]
    w = _ws("string_array_value", ["0.01", "0.04"])         # a range slider: the known end is kept
    assert compat.correct(serde, w, None)[0] and list(w.string_array_value.data) == ["0.01", "0.1"]
    assert compat.correct(serde, _ws("string_array_value", ["0.04", "0.5"]), None)[0] is False


def test_compat_drops_unknown_choices_and_cuts_only_longer_texts():
    serde = SimpleNamespace(formatted_option_to_option_index={"a": 0, "b": 1}, format_func=str)
    keep, note = compat.correct(serde, _ws("string_value", "zzz"), "a")
    assert not keep and "kept a" in note
    text = SimpleNamespace(max_chars=5)
    w = _ws("string_value", "abcde")
    assert compat.correct(text, w, "") == (True, None) and w.string_value == "abcde"
    w = _ws("string_value", "abcdefg")
    assert compat.correct(text, w, "")[0] and w.string_value == "abcde"


# ------------------------------------------------------------------------------------ ui/runs.py
def test_engine_args_pass_the_composed_momentum_parts_hyperparameters():
    """compose(ema, adam) with β₁ = 0.5 is Adam with betas (0.5, 0.999): the Playground's composed run
    must get its β₁."""
    o = share.OptSpec.make(share.COMPOSE, mom="ema", rms="adam", lr=0.05, beta1=0.5)
    opt, hp = runs.engine_args(o, "torch")
    a = optimizers.run("himmelblau", opt, steps=100, **hp)
    b = optimizers.run("himmelblau", "adam", steps=100, lr=0.05, betas=(0.5, 0.999), convention="torch")
    assert np.max(np.abs(a.path - b.path)) < 1e-12


def test_the_books_epsilon_is_not_greyed_out():
    """The book's Adagrad and RMSProp have a δ (ε): only the lecture's have none."""
    for name in ("adagrad", "rmsprop"):
        assert share.torch_only(name, "eps", "lecture")
        assert not share.torch_only(name, "eps", "book")


def test_export_indices_stay_within_the_row_limit_and_keep_the_last_point():
    for n in (10, 20_000, 20_001, 20_002, 39_999, 100_001):
        idx = runs.export_indices(n)
        assert len(idx) <= runs.EXPORT_MAX_STEPS + 2 and idx[0] == 0 and idx[-1] == n - 1
    # a run of 20,000 steps is exported whole (it lost every other row); one step more, one in 2
    assert list(runs.export_indices(20_001)) == list(range(20_001)) and runs.export_stride(20_001) == 1
    assert runs.export_stride(20_002) == 2 and len(runs.export_indices(20_002)) == 10_002
    assert runs.export_stride(100_001) == 5 and list(runs.export_indices(100_001)[:3]) == [0, 5, 10]


def test_a_scenes_start_is_its_own_surfaces_only():
    """Scene 3 starts at (-8, 1) on the bowl; shown on another surface it starts at that surface's default."""
    scene = dataclasses.replace(S.get(3), surfaces=("himmelblau",))
    assert scene.start_on("bowl") == (-8.0, 1.0)
    assert scene.start_on("himmelblau") == tuple(float(v) for v in surfaces.get("himmelblau").start)


@pytest.mark.parametrize("parts", sorted(S.NAMED_TWINS))
def test_a_named_twin_takes_the_compositions_own_hyperparameters(parts):
    """twin_of maps the composition's hyperparameters by name: with values other than the defaults
    (λ = 0.5, α = 0.8, β₁ = 0.7, β₂ = 0.99, ε = 10⁻⁶) the composed run and its named twin still agree."""
    hyper = dict(lr=0.01, momentum=0.5, alpha=0.8, beta1=0.7, beta2=0.99, eps=1e-6)
    uses = ("lr",) + share.COMPOSE_USES[parts[0]] + share.COMPOSE_USES[parts[1]]
    hp = {k: hyper[k] for k in uses if k in hyper}
    name, convention, full = S.twin_of("+".join(parts), hp)
    a = optimizers.run("himmelblau", optimizers.compose(*parts, **hp), steps=100)
    b = optimizers.run("himmelblau", name, steps=100, convention=convention, **full)
    assert np.max(np.abs(a.path - b.path)) < 1e-12
