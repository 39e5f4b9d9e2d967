"""Each lecture-tour scene's claim, checked on the library's numbers (not on pixels).

Every test runs the scene exactly as the page does (`tour.run_scene`) and checks the measured
numbers against thresholds justified in its docstring. The burst, lag and movement helpers live in
tour/claims.py (the page shows the same numbers); the thresholds live here.
"""
import ast
import json
import os

import numpy as np
import pytest

import optimizers
import surfaces
import tour
from tour import claims as C
from tour import scenes as S

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(number, convention=None, surface=None):
    scene = S.get(number)
    return scene, tour.run_scene(scene, convention, surface)


def only(trajs, i=0):
    return list(trajs.values())[i]


# ------------------------------------------------------------------------------------ structure
def test_twelve_scenes_in_lecture_order_with_their_parts():
    """The tour is the ordered list 1..12; every scene has a title, 2-3 sentences, a formula, runs
    that the library accepts, and offers only real conventions."""
    assert [s.number for s in S.SCENES] == list(range(1, 13))
    assert len({s.slug for s in S.SCENES}) == 12
    for s in S.SCENES:
        sentences = [x for x in s.text.replace("…", "").split(". ") if x.strip()]
        assert 2 <= len(sentences) <= 4, (s.number, len(sentences))
        assert s.title and s.claim and s.latex and s.runs
        assert set(s.conventions) <= set(optimizers.CONVENTIONS)
        for name in s.all_surfaces():
            assert name in surfaces.names()
        with pytest.raises(Exception):
            s.title = "changed"  # frozen


def test_tour_library_does_not_import_streamlit():
    """tour/ is a pure library like surfaces/ and optimizers/: no streamlit import anywhere in it."""
    folder = os.path.join(ROOT, "tour")
    for name in os.listdir(folder):
        if name.endswith(".py"):
            tree = ast.parse(open(os.path.join(folder, name), encoding="utf-8").read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    assert not any(a.name.split(".")[0] == "streamlit" for a in node.names), name
                if isinstance(node, ast.ImportFrom):
                    assert (node.module or "").split(".")[0] != "streamlit", name


def test_every_scene_claim_holds_as_shown_on_the_page():
    """The ✓ marks on the page come from tour.claims; under each scene's default convention (and on
    each of its surfaces) every one of them must hold. The per-scene tests below check the numbers
    themselves against their own thresholds."""
    for scene in S.SCENES:
        for surface in scene.all_surfaces():
            result = tour.measure_scene(scene.number, None, surface)
            assert result.holds, (scene.number, surface, [m.text() for m in result.measures])
            assert all(np.isfinite(m.value) for m in result.measures if m.value is not None)


def test_playground_setup_is_plain_json_data():
    """The "Open in Playground" link is built from this: plain, JSON-serialisable values only."""
    for scene in S.SCENES:
        for surface in scene.all_surfaces():
            setup = S.playground_setup(scene, None, surface)
            back = json.loads(json.dumps(setup))  # raises on anything that is not plain data
            assert back["steps"] == scene.steps and back["start"] == list(scene.start_on(surface))
            assert setup["surface"] == surface and len(setup["runs"]) == len(scene.runs)


# ------------------------------------------------------------------------------------ scenes
def test_scene1_loss_plateaus_while_gradient_stays_large():
    """Scene 1, bowl, GD η=1e-2, 500 steps. Claim: training is stuck although the gradient is not small.
    Thresholds: the loss varies by < 1 % over the last 250 steps (measured 0.17 %: the x-part of the
    loss, 0.5x², has decayed by then and the bounce keeps 100·logcosh(2y) constant), while the
    smallest gradient norm of that half is > 10 % of the start (measured 96 %: the bounce sits at
    |y|≈0.96 where the wall's slope is still ~190). And it is a bounce: y changes sign every step."""
    scene, trajs = run(1)
    t = only(trajs)
    half = scene.steps // 2
    L = t.loss[half:]
    assert (L.max() - L.min()) / t.loss[half] < 0.01
    assert t.grad_norm[half:].min() > 0.10 * t.grad_norm[0]
    y = t.path[half:, 1]
    assert np.all(np.sign(y[1:]) != np.sign(y[:-1]))


def test_scene2_tiny_eta_no_bounce_and_no_progress_after_100000_steps():
    """Scene 2, bowl, GD η=1e-7, 100,000 updates (numba backend: well under a second; eager ~30 s).
    Claim: no more bouncing, but barely any progress along the flat direction. Thresholds: y never
    changes sign (no crossing of the valley floor at all), y decreases monotonically, and x covers
    < 2 % of the way to the minimum, as the text's "about one percent" (measured 0.995 % = 1 − e^{-0.01},
    since x shrinks by the factor 1 − 1e-7 per step); the steep coordinate does move (> 50 % of the way down, measured 88 %), so the
    run is not simply frozen."""
    scene, trajs = run(2)
    t = only(trajs)
    assert scene.steps == 100_000 and len(t.path) == 100_001
    y = t.path[:, 1]
    assert np.all(y > 0) and np.all(np.diff(y) <= 0)
    x0 = t.path[0, 0]
    progress = (t.path[-1, 0] - x0) / (0.0 - x0)
    assert 0.005 < progress < 0.02
    assert (y[0] - y[-1]) / y[0] > 0.5
    assert C.measure(scene, trajs).get("way covered along x").ok


def test_scene3_lecture_adagrad_reaches_the_minimum():
    """Scene 3, bowl from (-8, 1), the lecture's Adagrad (σ = RMS of past gradients), η=0.1, 1500 steps.
    Claim: per-parameter rates cross the bowl that no single η could. Thresholds: the end is within
    1e-3 of the minimum (measured ~1e-37); the effective rate η/σ along the flat x is > 3× the one
    along the steep y over the first 100 updates (measured median 11.8 — the ratio of the walls'
    gradient scales). For contrast, GD with scene 1's η=1e-2 for the same 1500 steps stays > 0.5
    away (it bounces at |y|≈0.96)."""
    scene, trajs = run(3)
    t = only(trajs)
    assert np.hypot(*t.path[-1]) < 1e-3
    assert np.median(t.step_size[1:101, 0] / t.step_size[1:101, 1]) > 3
    assert C.measure(scene, trajs).get("effective step").ok       # the page checks the same "> 3"
    gd = optimizers.run("bowl", "gd", steps=scene.steps, start=scene.start, lr=1e-2)
    assert np.hypot(*gd.path[-1]) > 0.5


def steps_to_reach(path: np.ndarray, tol: float = 1e-3) -> int | None:
    """The first step at which the path is within `tol` of the origin (the bowl's minimum), or None."""
    hit = np.flatnonzero(np.hypot(path[..., 0], path[..., 1]) < tol)
    return int(hit[0]) if hit.size else None


def test_scene2_and_3_the_best_single_eta_against_adagrad():
    """Scenes 2 and 3 say: on this bowl the best single η sits just below 2/400 = 5·10⁻³ and needs
    about 1,800 steps to come within 10⁻³ of the minimum, 5·10⁻³ bounces forever, and Adagrad takes 330
    (from either start); scene 3's note: from scenes 1–2's start (−8, 2) Adagrad never bursts.
    Measured: 1797 steps at η = 4.99·10⁻³, 1830 at 4.9·10⁻³ (more below: 1993 at 4.5·10⁻³); at 5·10⁻³
    still 6·10⁻³ away after 5000; Adagrad 330 from both starts."""
    lrs = [4.5e-3, 4.9e-3, 4.99e-3, 5e-3, 5.1e-3]
    for start in ((-8.0, 2.0), (-8.0, 1.0)):
        gd = optimizers.run("bowl", "gd", steps=5000, start=np.tile(start, (len(lrs), 1)), lr=lrs, convention="lecture")
        reached = [steps_to_reach(gd.path[:, k]) for k in range(len(lrs))]
        assert 1700 <= min(r for r in reached if r is not None) <= 1900 and reached[3:] == [None, None]
        assert reached[0] > reached[1] > reached[2]  # the closer to 2/400 from below, the sooner
        ada = optimizers.run("bowl", "adagrad", steps=3000, start=start, lr=0.1, convention="lecture")
        assert 320 <= steps_to_reach(ada.path) <= 340
    y = optimizers.run("bowl", "adagrad", steps=3000, start=(-8.0, 2.0), lr=0.1, convention="lecture").path[:, 1]
    assert not C.bursts(y, 1500, window=200, factor=10.0, min_size=0.05)


def test_scene4_adagrad_bursts_late_and_recovers():
    """Scene 4, the same Adagrad run for 3000 steps. Claim: late in the run the steep coordinate
    erupts and then recovers. Thresholds: some step in the second half of the run (a late burst, not
    the initial descent — the page counts bursts from there too) is ≥ 0.05 long and > 10× the median
    of the 200 y-steps before it (measured: 1.35 at update 1793 against a median of ~3e-37 — the point
    sat on the valley floor); η/σ_y grew before it (more than twice its value at
    update 300: measured 0.008 vs 0.0035) and fell after it; and the steps recover: the largest
    y-step over the last 10 % of the run is < 1/4 of the burst (measured 0.074 of it: a small bounce
    of amplitude η/2 remains, where σ_y has caught up with |g_y| and each step is η)."""
    scene, trajs = run(4)
    t = only(trajs)
    y = t.path[:, 1]
    d = np.abs(np.diff(y))
    bs = C.bursts(y, scene.steps // 2, window=200, factor=10.0, min_size=0.05)
    assert bs, "no burst"
    big = max(bs, key=lambda k: d[k])
    assert big > scene.steps // 2
    assert C.measure(scene, trajs).get("bursts in y in the second half").ok
    assert d[big] > 10 * np.median(d[big - 200:big])
    ss = t.step_size[:, 1]
    assert ss[big - 1] > 2 * ss[300]
    assert ss[-1] < ss[big - 1]
    assert d[-scene.steps // 10:].max() < 0.25 * d[big]
    # the text: it then rattles across the floor in a narrow band (|y| ≈ 0.05) to the end (measured:
    # y changes sign at every update of the last 1000, 0.042 ≤ |y| ≤ 0.069, and 0.0500 at the end)
    tail = y[-1000:]
    assert (np.sign(tail[1:]) != np.sign(tail[:-1])).all() and 0.03 < np.abs(tail).min() <= np.abs(tail).max() < 0.08
    assert abs(abs(y[-1]) - 0.05) < 0.005


def test_scene4_the_sum_convention_has_no_bursts():
    """The convention switch changes the picture: with the book's (and PyTorch's) Adagrad σ is the
    root of the *sum* of squares, which never shrinks, so there is no step above 0.05 after the
    descent at all — and the flat direction is crossed much more slowly (> 0.5 from the minimum)."""
    for convention in ("book", "torch"):
        scene, trajs = run(4, convention)
        t = only(trajs)
        assert not C.bursts(t.path[:, 1], scene.steps // 10)
        assert np.abs(np.diff(t.path[300:, 1])).max() < 0.05
        assert np.hypot(*t.path[-1]) > 0.5


def test_scene5_decay_removes_the_bursts():
    """Scene 5, the same run with η_t = 0.1·0.999ᵗ. Claim: it arrives without bursts. Threshold: no
    step qualifies as a burst (same definition as scene 4: ≥ 0.05 and > 10× the preceding median;
    in fact after update 300 no y-step is longer than 1e-6), and it ends within 1e-3 of the minimum
    (measured 3e-23); the constant-η reference run of the scene does burst (once, at update 1793 —
    the page checks that too: the decay removes bursts that are there without it)."""
    scene, trajs = run(5)
    t, ref = only(trajs, 0), only(trajs, 1)
    assert not C.bursts(t.path[:, 1], scene.steps // 10)
    assert np.abs(np.diff(t.path[300:, 1])).max() < 1e-6
    assert np.hypot(*t.path[-1]) < 1e-3
    assert np.allclose(t.lr, 0.1 * 0.999 ** np.arange(scene.steps), rtol=1e-12)
    assert C.bursts(ref.path[:, 1], scene.steps // 10)
    result = C.measure(scene, trajs)
    assert result.get("… with the constant η").ok and result.get("… with the constant η").value >= 1
    # the check can fail: measured with the decaying run in the reference's place it finds no burst
    swapped = {scene.runs[0].label: t, scene.runs[1].label: t}
    assert C.measure(scene, swapped).get("… with the constant η").ok is False


def test_scene6_transformer_and_resnet_schedules_exactly():
    """Scene 6. The Transformer's rate with d_model=512, warmup_steps=4000 is the paper's formula (3),
    written here once more, to 1e-15 (float64 round-off of identical arithmetic); it rises for 4000
    steps and falls after (peak at step_num = 4000, value 512^-0.5·4000^-0.5). ResNet's is exactly
    0.01 for the first 400 iterations and exactly 0.1 after."""
    n = np.arange(1, 20_001, dtype=float)
    paper = 512 ** -0.5 * np.minimum(n ** -0.5, n * 4000 ** -1.5)
    eta = optimizers.lr_at("transformer", 20_000, 1.0, {"d_model": 512, "warmup_steps": 4000})
    assert np.max(np.abs(eta - paper)) < 1e-15
    assert int(np.argmax(eta)) + 1 == 4000
    assert np.all(np.diff(eta[:4000]) > 0) and np.all(np.diff(eta[4000:]) < 0)
    assert eta.max() == pytest.approx(512 ** -0.5 * 4000 ** -0.5, rel=1e-15)
    resnet = optimizers.lr_at("resnet_warmup", 1000, 0.1, {"warmup_steps": 400, "warmup_lr": 0.01})
    assert np.all(resnet[:400] == 0.01) and np.all(resnet[400:] == 0.1)
    assert np.array_equal(C.transformer_rate(), eta) and np.array_equal(C.resnet_rate(), resnet)


def test_scene6_radam_beside_adam_with_warm_up():
    """Scene 6's runs on himmelblau (η=0.05, 300 steps). Adam's first step moves each coordinate by η
    (σ from one gradient is |g|, so m/σ = ±1 up to ε: |Δ|/η within 1e-6 of 1) whatever the slope —
    the unreliable early σ warm-up guards against; the linear warm-up over 100 steps makes that first
    step η/100. RAdam takes exactly 5 updates without σ (σ = 1 while ρ_t ≤ 5 for β₂ = 0.999; ρ_6 > 5),
    then divides by σ. All three end at the minimum (3, 2) (loss < 1e-4)."""
    scene, trajs = run(6)
    adam, warm, radam = trajs.values()
    first = np.abs(adam.path[1] - adam.path[0]) / 0.05
    assert np.allclose(first, 1.0, atol=1e-6)
    assert np.allclose(np.abs(warm.path[1] - warm.path[0]) / 0.05, 0.01, atol=1e-8)
    plain = np.all(radam.sigma == 1.0, axis=1)
    assert plain[:5].all() and not plain[5:].any()
    for t in (adam, warm, radam):
        assert t.loss[-1] < 1e-4
        assert np.hypot(*(t.path[-1] - np.array([3.0, 2.0]))) < 1e-2


def test_scene7_rmsprop_sigma_follows_the_slope_adagrad_does_not():
    """Scene 7, crescent from (-3, 6), η=0.03, 600 steps, the lecture's formulas. After the recent slope
    (RMS of |g_x| over 5 updates) falls to a tenth of the first gradient, count the updates until σ_x
    is within 2× of that recent slope. Thresholds: RMSProp α=0.5 ≤ 5 updates (measured 0: σ² halves
    every step, faster than the slope falls); α=0.9 takes longer than α=0.5 (measured 72: σ² decays
    by 0.9 per update, ~22 updates per decade of σ); Adagrad > 100 updates or never (measured never:
    its mean of squares keeps the old large gradients for the rest of the run). Checked in every
    convention: the lag is a property of the averaging, not of ε or the first σ."""
    for convention in ("lecture", "book", "torch"):
        scene, trajs = run(7, convention)
        fast, slow, ada = trajs.values()
        lag_fast, lag_slow, lag_ada = (C.sigma_lag(t, 0, drop=10, within=2, window=5)[1] for t in (fast, slow, ada))
        assert lag_fast is not None and lag_fast <= 5, convention
        assert lag_slow is not None and lag_slow > lag_fast, convention
        assert lag_ada is None or lag_ada > 100, convention


@pytest.mark.parametrize("surface,x_min", [("saddle", 2.0), ("local_minimum", 3.0)])
def test_scene8_gd_stops_at_the_critical_point_momentum_rolls_on(surface, x_min):
    """Scene 8, η=0.03, λ=0.9, 300 steps, from each surface's default start (-1.5, 1). GD ends within
    0.1 of the critical point x = 0 (measured 0.049 on the saddle, where f' = x²(x−2) vanishes
    quadratically so GD creeps ever slower; 2e-13 in the local minimum) with a gradient norm < 1e-2.
    Momentum passes x = 0 and ends within 1e-3 of the minimum beyond it (the saddle's only one, the
    deeper one on local_minimum; measured 2e-7). And the path is the lecture's rule: each movement
    equals λ·(last movement) − η·∇f(θ) to 1e-12 (round-off)."""
    scene, trajs = run(8, None, surface)
    gd, mom = trajs.values()
    assert abs(gd.path[-1, 0]) < 0.1 and gd.grad_norm[-1] < 1e-2
    assert gd.path[:, 0].max() < 0.0
    assert (mom.path[:, 0] > 0.0).any()
    assert np.hypot(mom.path[-1, 0] - x_min, mom.path[-1, 1]) < 1e-3
    mv = np.diff(mom.path, axis=0)
    prev = np.vstack([np.zeros((1, 2)), mv[:-1]])
    g = surfaces.get(surface).grad(mom.path[:-1])
    assert np.max(np.abs(mv - (0.9 * prev - 0.03 * g))) < 1e-12
    assert C.movement_error(mom, surface, 0.03, 0.9) < 1e-12
    # the note: unrolled, movement t is the weighted sum −η Σ_k λ^(t−1−k) g^k of all past gradients, and
    # −η times the summary rule's m_t
    for t in (1, 2, 3, 50):
        weights = 0.9 ** np.arange(t - 1, -1, -1)
        np.testing.assert_allclose(mv[t - 1], -0.03 * (weights[:, None] * g[:t]).sum(0), atol=1e-12)
    np.testing.assert_allclose(mv, -0.03 * mom.m, atol=1e-12)


def test_scene9_nesterov_looks_ahead_classical_does_not():
    """Scene 9 (the book's figure), local_minimum, η=0.03, λ=0.9, 200 steps, book convention. Read the
    gradient each update used back from the path (g = (λv_t − v_{t+1})/η): Nesterov's equals
    ∇f(θ_t + λv_t) and classical momentum's equals ∇f(θ_t), each to 1e-9 (round-off of the division
    by η), and they are not interchangeable (Nesterov's differs from ∇f(θ_t) by > 1e-3 somewhere).
    As expected from the look-ahead, Nesterov overshoots the deep minimum less (measured 0.35 vs
    0.80 along x) and stays within 1e-2 of it sooner (55 vs 101 updates)."""
    scene, trajs = run(9)
    classic, nest = trajs.values()
    s = surfaces.get("local_minimum")
    v = np.diff(nest.path, axis=0)
    prev = np.vstack([np.zeros((1, 2)), v[:-1]])
    used = (0.9 * prev - v) / 0.03
    assert np.max(np.abs(used - s.grad(nest.path[:-1] + 0.9 * prev))) < 1e-9
    assert np.max(np.abs(used - s.grad(nest.path[:-1]))) > 1e-3
    vc = np.diff(classic.path, axis=0)
    prev_c = np.vstack([np.zeros((1, 2)), vc[:-1]])
    assert np.max(np.abs((0.9 * prev_c - vc) / 0.03 - s.grad(classic.path[:-1]))) < 1e-9
    over_c, over_n = classic.path[:, 0].max() - 3.0, nest.path[:, 0].max() - 3.0
    assert 0 < over_n < over_c
    settle_c = C.first_within(classic.path, (3.0, 0.0), 1e-2)
    settle_n = C.first_within(nest.path, (3.0, 0.0), 1e-2)
    assert settle_n is not None and settle_c is not None and settle_n < settle_c


def test_scene9_pytorch_nesterov_stores_the_books_look_ahead_points():
    """Scene 9's convention note: PyTorch's Nesterov (m = g + μb, gradient at the stored point) stores
    exactly the book's look-ahead points θ_t + λv_t, so its path is the book's shifted by λv. Measured
    on both of scene 8/9's surfaces: max difference 2.2e-15 (round-off) against a threshold of 1e-12;
    the two paths themselves are far apart (> 0.1), so the comparison is not trivial."""
    scene = S.get(9)
    for surface in ("local_minimum", "saddle"):
        book = tour.run_setup(scene, scene.runs[1], "book", surface)
        torch_ = tour.run_setup(scene, scene.runs[1], "torch", surface)
        v = np.diff(book.path, axis=0)                      # v_{t+1} = θ_{t+1} − θ_t
        look = book.path[1:] + 0.9 * v                      # θ_{t+1} + λ v_{t+1}
        assert np.max(np.abs(torch_.path[1:] - look)) < 1e-12, surface
        assert np.max(np.abs(torch_.path - book.path)) > 0.1, surface


def test_scene10_adam_without_bias_correction_is_momentum_over_rmsprop_sigma():
    """Scene 10, bowl, η=0.1 with a cosine schedule, 500 steps. Adam without bias correction (its own
    parts: EMA, AdamRMS with σ = √v + ε) and compose("ema", "rmsprop") (RMSProp's own σ part, RMSEma,
    with α = β₂) agree to 1e-12 in every recorded array (measured 0: both parts do the same float
    operations). The check can fail: RMSProp's σ in the lecture's form (σ₀ = |g₀|) is 8.4 away, and the
    bias-corrected Adam 7.5 away; the page shows ✗ when either takes the composed run's place.
    Bias correction: Adam's first step is η in each coordinate (|Δ|/η − 1 measured 1.2e-9, threshold
    1e-6: it is 1 − ε/(|g| + ε)); without it (1 − β₁)/√(1 − β₂) = 3.16228·η (relative error measured
    3.8e-8, threshold 1e-6)."""
    scene, trajs = run(10)
    adam, plain, composed = trajs.values()
    for key in ("path", "loss", "grad", "m", "sigma", "step_size", "lr"):
        a, b = getattr(plain, key), getattr(composed, key)
        assert np.max(np.abs(a - b)) < 1e-12, key
    kw = dict(steps=500, start=(-8.0, 2.0), schedule="cosine", schedule_args={"T_max": 500})
    lecture = optimizers.run("bowl", optimizers.compose("ema", "rmsprop_lecture", lr=0.1, beta1=0.9, alpha=0.999,
                                                        bias_correction=False), **kw)
    assert np.max(np.abs(lecture.path - plain.path)) > 1.0
    assert np.max(np.abs(adam.path - plain.path)) > 1.0
    labels = [r.label for r in scene.runs]
    ok = lambda tr: C.measure(scene, dict(zip(labels, tr))).get("max |Adam without bias correction").ok
    assert ok((adam, plain, composed)) is True
    assert ok((adam, plain, lecture)) is False and ok((adam, adam, composed)) is False
    first = np.abs(adam.path[1] - adam.path[0]) / 0.1
    assert np.max(np.abs(first - 1.0)) < 1e-6
    first_plain = np.abs(plain.path[1] - plain.path[0]) / 0.1
    assert np.max(np.abs(first_plain / (0.1 / np.sqrt(0.001)) - 1.0)) < 1e-6
    result = C.measure(scene, trajs)
    assert result.holds and sum(m.ok is True for m in result.measures) == 3


def test_scene11_clipping_bounds_the_throw_from_the_cliff():
    """Scene 11, cliff from (-4, 1.5), the lecture's momentum λ=0.9, η=0.05, 200 steps. Without clipping
    one step is longer than the view's width of 9 (measured 18.1: the wall's gradient of ~370 times η,
    plus momentum). With max_norm=5 every gradient has norm ≤ 5, so a movement can never exceed
    η·5·(1 + λ + λ² + …) = η·5/(1−λ) = 2.5 (measured 0.72); the clipped run still meets the wall
    (a gradient norm > 100 there) and ends within 1e-3 of the minimum (measured 6e-5)."""
    scene, trajs = run(11)
    free, clipped = trajs.values()
    assert C.step_lengths(free.path).max() > 9.0
    assert C.step_lengths(clipped.path).max() <= 0.05 * 5.0 / (1 - 0.9)
    assert np.nanmax(clipped.grad_norm) > 100
    assert np.hypot(*clipped.path[-1]) < 1e-3


def test_scene12_mean_adagrad_with_inverse_sqrt_rate_is_sum_adagrad():
    """Scene 12's default: inverse_sqrt schedule × no momentum × the lecture's Adagrad RMS (root mean
    square), η=0.1, bowl, 3000 steps. η_t/σ_t = (η/√(t+1)) / √(Σg²/(t+1)) = η/√(Σg²): PyTorch's Adagrad
    (root of the sum) with ε = 0 and a constant η takes the same steps — a different computation, so
    they agree to round-off only (measured 4.4e-16 against a threshold of 1e-12). The check can fail:
    with PyTorch's default ε = 1e-10 the paths are 7.6e-12 apart, and the lecture's Adagrad with a
    constant η is 5.4 away; the page shows ✗ with that run in the counterpart's place. The named twin
    (lecture Adagrad, same schedule) is built from the same parts: it agrees exactly (the wiring)."""
    scene, trajs = run(12)
    composed, named, other = trajs.values()
    assert scene.runs[2].label.startswith(S.COUNTERPART_LABEL) and scene.runs[2].schedule == "constant"
    assert np.max(np.abs(composed.path - other.path)) < 1e-12
    assert np.max(np.abs(composed.step_size - other.step_size) / other.step_size) < 1e-12
    assert np.max(np.abs(composed.path - named.path)) < 1e-12
    kw = dict(steps=3000, start=(-8.0, 1.0))
    eps_default = optimizers.run("bowl", "adagrad", convention="torch", lr=0.1, **kw)
    assert np.max(np.abs(composed.path - eps_default.path)) > 1e-12
    constant = optimizers.run("bowl", "adagrad", convention="lecture", lr=0.1, **kw)
    assert np.max(np.abs(composed.path - constant.path)) > 1.0
    labels = [r.label for r in scene.runs]
    check = lambda tr: C.measure(scene, dict(zip(labels, tr))).measures[0]
    assert check((composed, named, other)).ok is True and "root of the sum" in check((composed, named, other)).label
    assert check((composed, named, constant)).ok is False


@pytest.mark.parametrize("momentum", sorted(optimizers.MOMENTUM_PARTS))
def test_scene12_the_counterpart_holds_with_every_momentum_part(momentum):
    """Only the ratio η_t/σ_t enters the update, so the counterpart (constant η × the same momentum part ×
    adagrad_sum with ε = 0) retraces the composition with any momentum part, at η = 0.1 and 1.0
    (measured ≤ 8.9e-16, threshold 1e-12); with another schedule there is no counterpart."""
    for lr in (0.1, 1.0):
        scene = S.composed_scene(S.get(12), momentum, "adagrad_mean", "inverse_sqrt", {}, lr)
        trajs = tour.run_scene(scene)
        other = [t for r, t in zip(scene.runs, trajs.values()) if r.label.startswith(S.COUNTERPART_LABEL)]
        assert len(other) == 1
        assert np.max(np.abs(other[0].path - trajs[scene.runs[0].label].path)) < 1e-12
        assert tour.measure(scene, trajs).holds
    plain = S.composed_scene(S.get(12), momentum, "adagrad_mean", "exponential", {"gamma": 0.999}, 0.1)
    assert not any(r.label.startswith(S.COUNTERPART_LABEL) for r in plain.runs)


@pytest.mark.parametrize("parts", sorted(S.NAMED_TWINS))
def test_scene12_every_composition_with_a_name_equals_it(parts):
    """The wiring: for every pair of parts that has a name in the lectures (S.NAMED_TWINS), the composed
    run and the named run (built from the same parts), built by `composed_scene` as the page builds
    them, agree to 1e-12 on himmelblau
    with a step schedule (200 steps, η=0.01: every optimizer stays finite there)."""
    scene = S.composed_scene(S.get(12), parts[0], parts[1], "step", {"step_size": 50, "gamma": 0.5}, 0.01)
    assert len(scene.runs) == 2
    trajs = tour.run_scene(scene, None, "himmelblau")
    a, b = trajs.values()
    assert a.diverged_at is None and b.diverged_at is None
    assert np.max(np.abs(a.path - b.path)) < 1e-12
    assert np.max(np.abs(a.path[-1] - a.path[0])) > 1e-3


def test_scene12_a_composition_without_a_name_is_said_to_be_your_own():
    scene = S.composed_scene(S.get(12), "ema", "rmsprop_lecture", "cosine", {"T_max": 300}, 0.05)
    assert len(scene.runs) == 1
    trajs = tour.run_scene(scene, None, "himmelblau")
    result = tour.measure(scene, trajs)
    assert "your own" in result.note and result.holds


def test_playground_link_carries_the_scene():
    """The "Open in Playground" link (ui.share's query format) decodes back to the same setup without
    a single note (nothing clamped or ignored), and each optimizer it carries, run the way the
    Playground runs it (ui.runs.engine_args), retraces the scene's own run to 1e-12."""
    from tour.links import carried_runs, playground_link
    from ui import share
    from ui.runs import engine_args

    from itertools import product

    # every scene under every convention it offers (the book's δ is not PyTorch's ε), and scene 12
    # with every pair of parts (a part's own default, e.g. rmsprop_lecture's α = 0.9, is not the
    # Playground's compose default)
    cases = [(scene, conv, surface) for scene in S.SCENES for conv in (scene.conventions or (None,))
             for surface in scene.all_surfaces()]
    cases += [(S.composed_scene(S.get(12), mom, rms, "inverse_sqrt", {}, 0.1), None, None)
              for mom, rms in product(optimizers.MOMENTUM_PARTS, optimizers.RMS_PARTS)]
    for scene, conv, surface in cases:
        setup, note = playground_link(scene, conv, surface)
        back, notes = share.decode(share.encode(setup))  # the query the page links with
        assert back == setup and notes == [], (scene.number, notes)
        carried = carried_runs(scene)
        assert bool(note) == (len(carried) < len(scene.runs))
        trajs = list(tour.run_scene(scene, conv, surface).values())
        for i, opt in zip(carried, back.opts):
            name, hp = engine_args(opt, back.convention)
            t = optimizers.run(back.surface, name, steps=back.steps, start=back.start, schedule=back.schedule,
                               schedule_args=dict(back.schedule_args), convention=back.convention,
                               max_norm=back.clip, **hp)
            assert np.max(np.abs(t.path - trajs[i].path)) < 1e-12, (scene.number, conv, surface, i, opt)


def test_scene12_every_choice_of_parts_runs_and_measures():
    """Scene 12 lets a student pick any schedule × momentum part × RMS part; whatever they pick, the
    page gets finite measured numbers and a Result (its claim holds wherever a named twin exists)."""
    from itertools import product

    for schedule, momentum, rms in product(("constant", "exponential", "inverse_sqrt", "warmup"),
                                           optimizers.MOMENTUM_PARTS, optimizers.RMS_PARTS):
        args = {"constant": {}, "exponential": {"gamma": 0.999}, "inverse_sqrt": {},
                "warmup": {"warmup_steps": 100, "total_steps": 3000}}
        scene = S.composed_scene(S.get(12), momentum, rms, schedule, args[schedule], 0.1)
        result = tour.measure(scene, tour.run_scene(scene))
        assert all(m.value is None or np.isfinite(m.value) for m in result.measures)
        assert result.holds, (schedule, momentum, rms, [m.text() for m in result.measures])


def test_scene_12s_choices_are_valid_and_build_its_runs():
    """Every schedule scene 12 offers is a valid schedule for its steps, every η within the engine's
    range; scene_with_parts builds the composed run (first) for the parts picked."""
    from optimizers import schedules

    for name, args in S.PARTS_SCHEDULES.items():
        schedules.check_schedule(name, args)
    assert list(S.PARTS_LRS) == sorted(S.PARTS_LRS) and all(0 < lr <= 1 for lr in S.PARTS_LRS)
    assert S.scene_with_parts(12, ()) == S.get(12)
    scene = S.scene_with_parts(12, ("ema", "adam", "cosine", 0.1))
    first = scene.runs[0]
    assert first.composed and first.optimizer == "ema+adam" and first.schedule == "cosine"
    assert dict(first.schedule_args) == S.PARTS_SCHEDULES["cosine"] and dict(first.hyper)["lr"] == 0.1


def test_small_plots_step_axis_title_clears_its_ticks_and_legends_wrap_on_a_projector():
    """The "step t" title sat in the row of tick labels (standoff 4 px at 20 px ticks); on a projector
    a small plot's legend wraps its long labels (they were cut at its right edge at 1024 px), in the
    scene's order."""
    from tour import figures as TF

    scene = S.get(10)
    trajs = tour.run_scene(scene)
    screen, projector = TF.side_plot("loss", scene, trajs), TF.side_plot("loss", scene, trajs, presentation=True)
    assert screen.layout.showlegend is True and projector.layout.showlegend is True
    names = [t.name for t in projector.data if t.showlegend is not False]
    assert [n.replace("<br>", " ") for n in names] == [r.label for r in scene.runs]
    assert max(len(line) for n in names for line in n.split("<br>")) <= 26 and any("<br>" in n for n in names)
    assert [t.name for t in screen.data] == [r.label for r in scene.runs]
    assert [t.legendrank for t in projector.data] == [1000, 1001, 1002]
    assert screen.layout.xaxis.title.standoff >= 8 and projector.layout.xaxis.title.standoff >= 14


def test_measured_numbers_read_as_a_student_writes_them():
    """2.01e-37 reads 2.01·10⁻³⁷, a difference of 0.0e+00 reads 0 (plain e-notation on the slides)."""
    from tour.claims import Measure, readable

    assert readable("2.01e-37") == "2.01·10⁻³⁷" and readable("3.2e+05") == "3.2·10⁵" and readable("0.0e+00") == "0"
    assert readable("0.0006988") == "0.0006988" and readable("-1.5e-12") == "-1.5·10⁻¹²"
    assert Measure("x", 2.0123e-37, ".2e").shown() == "2.01·10⁻³⁷"
