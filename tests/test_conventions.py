"""The "lecture" and "book" conventions against a direct transcription of the slides' formulas.

Each oracle below is the slide's update written as a plain numpy loop (one trajectory, float64),
with the gradient from the surface's autograd (`Surface.grad`): what is under test is the update
rule, not the gradient. Sources:
- /work/shared/lectures/000_*.txt (adaptive learning rate slides): Adagrad
  σ_t = √(1/(t+1) Σ_{k≤t} g_k²); RMSProp σ_0 = |g_0|, σ_t = √(α σ_{t−1}² + (1−α) g_t²);
  θ_{t+1} = θ_t − η^t/σ_t · g_t.
- /work/shared/lectures/001_*.txt (Goodfellow et al. algorithms 8.1–8.7): momentum v ← αv − εg(θ),
  θ ← θ + v; Nesterov v ← αv − εg(θ + αv); AdaGrad r ← r + g², Δθ = −ε/(δ + √r) g, δ = 1e-7;
  RMSProp r ← ρr + (1−ρ)g², Δθ = −ε/√(δ + r) g, δ = 1e-6; linear decay ε_k = (1−α)ε₀ + αε_τ.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import optimizers
import surfaces

STEPS = 300
TOL = 1e-9


def loop(surface, start, steps, update):
    """θ_0 = start; θ_{t+1} = update(t, θ_t, state). Returns the path (steps+1, 2)."""
    theta = np.array(start, dtype=float)
    path = [theta.copy()]
    state = {}
    for t in range(steps):
        theta = update(t, theta, state)
        path.append(theta.copy())
    return np.array(path)


# ------------------------------------------------------------------ the slides, transcribed
def lecture_adagrad(s, start, steps, eta):
    """θ^{t+1} = θ^t − η^t/σ^t g^t,  σ^t = √( 1/(t+1) Σ_{k=0..t} (g^k)² )."""
    def update(t, theta, st):
        g = s.grad(theta)
        st["sum"] = st.get("sum", 0.0) + g**2
        sigma = np.sqrt(st["sum"] / (t + 1))
        return theta - eta(t) / sigma * g
    return loop(s, start, steps, update)


def lecture_rmsprop(s, start, steps, eta, alpha):
    """σ^0 = √((g^0)²);  σ^t = √( α(σ^{t−1})² + (1−α)(g^t)² );  θ^{t+1} = θ^t − η^t/σ^t g^t."""
    def update(t, theta, st):
        g = s.grad(theta)
        sigma = np.sqrt(g**2) if t == 0 else np.sqrt(alpha * st["sigma"] ** 2 + (1 - alpha) * g**2)
        st["sigma"] = sigma
        return theta - eta(t) / sigma * g
    return loop(s, start, steps, update)


def movement_momentum(s, start, steps, eta, lam, nesterov=False):
    """The lecture's and the book's momentum: v ← λv − η g(θ) (book Nesterov: g(θ + λv)); θ ← θ + v."""
    def update(t, theta, st):
        v = st.get("v", np.zeros(2))
        g = s.grad(theta + lam * v) if nesterov else s.grad(theta)
        v = lam * v - eta(t) * g
        st["v"] = v
        return theta + v
    return loop(s, start, steps, update)


def book_adagrad(s, start, steps, eps, delta=1e-7):
    """r ← r + g⊙g;  Δθ = −ε/(δ + √r) ⊙ g;  θ ← θ + Δθ."""
    def update(t, theta, st):
        g = s.grad(theta)
        st["r"] = st.get("r", np.zeros(2)) + g * g
        return theta + (-eps / (delta + np.sqrt(st["r"])) * g)
    return loop(s, start, steps, update)


def book_rmsprop(s, start, steps, eps, rho, delta=1e-6):
    """r ← ρr + (1−ρ) g⊙g;  Δθ = −ε/√(δ + r) ⊙ g;  θ ← θ + Δθ."""
    def update(t, theta, st):
        g = s.grad(theta)
        st["r"] = rho * st.get("r", np.zeros(2)) + (1 - rho) * g * g
        return theta + (-eps / np.sqrt(delta + st["r"]) * g)
    return loop(s, start, steps, update)


def gd(s, start, steps, eta):
    """Algorithm 8.1 / the first slide: θ ← θ − ε g."""
    return loop(s, start, steps, lambda t, theta, st: theta - eta(t) * s.grad(theta))


def const(lr):
    return lambda t: lr


def book_linear(eps0, tau, end_factor):
    """The book's linear decay: ε_k = (1 − α)ε₀ + α ε_τ, α = k/τ, constant after τ."""
    def eta(k):
        a = min(k, tau) / tau
        return (1 - a) * eps0 + a * (end_factor * eps0)
    return eta


# both engines: "eager" (torch ops, parts.py — the reference) and "numba" (fast.py, its transcription)
BACKENDS = ["eager", "numba"]


def run(s, name, convention, steps=STEPS, backend="auto", **kw):
    t = optimizers.run(s, name, steps=steps, convention=convention, backend=backend, **kw)
    assert t.diverged_at is None
    assert t.convention == convention and t.notes == ()
    return t


def assert_path(t, ref):
    assert np.isfinite(ref).all()
    assert np.linalg.norm(ref[-1] - ref[0]) > 0.05, "a run that does not move tests nothing"
    np.testing.assert_allclose(t.path, ref, rtol=TOL, atol=TOL)


SURFACES = ["crescent", "bowl", "beale"]


# ------------------------------------------------------------------ lecture convention
@pytest.mark.parametrize("surface_name,lr", [("crescent", 0.05), ("himmelblau", 0.05), ("beale", 0.05)])
@pytest.mark.parametrize("backend", BACKENDS)
def test_lecture_adagrad_is_the_rms_of_past_gradients(surface_name, lr, backend):
    """(Not bowl: there the lecture's Adagrad reaches the valley floor, its σ then decays like
    1/√t and the y-coordinate becomes unstable — the 'burst' — so last-bit differences grow
    ×2 per step and no 1e-9 comparison is meaningful.)"""
    s = surfaces.get(surface_name)
    t = run(s, "adagrad", "lecture", lr=lr, backend=backend)
    assert_path(t, lecture_adagrad(s, s.start, STEPS, const(lr)))
    # σ recorded is the slide's σ: with η constant, step_size = η/σ
    np.testing.assert_allclose(t.step_size, lr / t.sigma, rtol=1e-12)


@pytest.mark.parametrize("surface_name,lr,alpha", [("crescent", 0.02, 0.9), ("bowl", 0.1, 0.99),
                                                    ("beale", 0.01, 0.5)])
@pytest.mark.parametrize("backend", BACKENDS)
def test_lecture_rmsprop_starts_at_abs_g0(surface_name, lr, alpha, backend):
    s = surfaces.get(surface_name)
    t = run(s, "rmsprop", "lecture", lr=lr, alpha=alpha, backend=backend)
    ref = lecture_rmsprop(s, s.start, STEPS, const(lr), alpha)
    assert_path(t, ref)
    g0 = s.grad(np.array(s.start))
    np.testing.assert_allclose(t.sigma[0], np.abs(g0), rtol=1e-12)  # σ_0 = |g_0|: the first step is η·sign(g)
    np.testing.assert_allclose(t.path[1] - t.path[0], -lr * np.sign(g0), rtol=1e-12)


@pytest.mark.parametrize("surface_name,lr", [("crescent", 3e-3), ("bowl", 1e-3), ("beale", 1e-3)])
@pytest.mark.parametrize("lam", [0.9, 0.5])
@pytest.mark.parametrize("backend", BACKENDS)
def test_lecture_momentum_accumulates_the_movement(surface_name, lr, lam, backend):
    s = surfaces.get(surface_name)
    t = run(s, "momentum", "lecture", lr=lr, momentum=lam, backend=backend)
    assert_path(t, movement_momentum(s, s.start, STEPS, const(lr), lam))


@pytest.mark.parametrize("name,kw,oracle", [
    ("adagrad", {"lr": 0.05}, lambda s, eta: lecture_adagrad(s, s.start, STEPS, eta)),
    # (lr 0.02 with α = 0.9 zig-zags across crescent's valley chaotically after ~180 steps: 0.01 does not)
    ("rmsprop", {"lr": 0.01, "alpha": 0.9}, lambda s, eta: lecture_rmsprop(s, s.start, STEPS, eta, 0.9)),
    ("momentum", {"lr": 3e-3, "momentum": 0.9}, lambda s, eta: movement_momentum(s, s.start, STEPS, eta, 0.9)),
    ("gd", {"lr": 1e-2}, lambda s, eta: gd(s, s.start, STEPS, eta)),
])
@pytest.mark.parametrize("backend", BACKENDS)
def test_lecture_rules_take_the_scheduled_eta_t(name, kw, oracle, backend):
    """θ^{t+1} = θ^t − η^t/σ^t g^t with η^t from a schedule (here StepLR: η·0.5^⌊t/70⌋)."""
    s = surfaces.get("crescent")
    lr = kw["lr"]
    t = run(s, name, "lecture", schedule="step", schedule_args={"step_size": 70, "gamma": 0.5}, **kw, backend=backend)
    assert_path(t, oracle(s, lambda k: lr * 0.5 ** (k // 70)))


def test_lecture_momentum_equals_torch_heavy_ball_only_for_a_constant_rate():
    """With a constant η, M_{t+1} = −η b_t (the docstring's claim); with a decaying η they differ:
    the movement keeps each past gradient's own η, torch scales the whole buffer by today's η."""
    s = surfaces.get("crescent")
    a = run(s, "momentum", "lecture", lr=3e-3)
    b = run(s, "momentum", "torch", lr=3e-3)
    np.testing.assert_allclose(a.path, b.path, rtol=1e-9, atol=1e-9)
    args = {"step_size": 50, "gamma": 0.3}
    a = run(s, "momentum", "lecture", lr=3e-3, schedule="step", schedule_args=args)
    b = run(s, "momentum", "torch", lr=3e-3, schedule="step", schedule_args=args)
    assert np.abs(a.path - b.path).max() > 1e-4


@pytest.mark.parametrize("name,kw", [("adagrad", {"lr": 0.05}), ("rmsprop", {"lr": 0.02})])
def test_lecture_adaptive_rules_differ_from_torch(name, kw):
    """The conventions are really different formulas (else the tests above would prove nothing new)."""
    s = surfaces.get("crescent")
    a = run(s, name, "lecture", **kw)
    b = run(s, name, "torch", **kw)
    assert np.abs(a.path - b.path).max() > 1e-3


@pytest.mark.parametrize("name", ["adagrad", "rmsprop"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_lecture_sigma_zero_gives_a_zero_step_not_nan(name, backend):
    """The lecture's σ has no ε: a coordinate whose gradient was always exactly 0 has σ = 0, and
    then the update must leave it alone (0/0 would be NaN and freeze the run as 'diverged')."""
    s = surfaces.get("bowl")  # ∂f/∂y = 0 on y = 0
    t = run(s, name, "lecture", lr=0.1, start=(-8.0, 0.0), backend=backend)
    assert np.isfinite(t.path).all()
    assert (t.path[:, 1] == 0.0).all()
    assert t.path[-1, 0] > -7.0  # x did move


# ------------------------------------------------------------------ book convention
@pytest.mark.parametrize("surface_name,lr", [("crescent", 3e-3), ("bowl", 1e-3), ("beale", 1e-3)])
@pytest.mark.parametrize("backend", BACKENDS)
def test_book_momentum_is_algorithm_8_2(surface_name, lr, backend):
    s = surfaces.get(surface_name)
    t = run(s, "momentum", "book", lr=lr, momentum=0.9, backend=backend)
    assert_path(t, movement_momentum(s, s.start, STEPS, const(lr), 0.9))


@pytest.mark.parametrize("surface_name,lr", [("crescent", 3e-3), ("bowl", 1e-3), ("beale", 1e-3)])
@pytest.mark.parametrize("lam", [0.9, 0.6])
@pytest.mark.parametrize("backend", BACKENDS)
def test_book_nesterov_takes_the_gradient_at_the_lookahead_point(surface_name, lr, lam, backend):
    s = surfaces.get(surface_name)
    t = run(s, "nesterov", "book", lr=lr, momentum=lam, backend=backend)
    assert_path(t, movement_momentum(s, s.start, STEPS, const(lr), lam, nesterov=True))
    # and that is not the same as classical momentum
    assert np.abs(t.path - movement_momentum(s, s.start, STEPS, const(lr), lam)).max() > 1e-6


@pytest.mark.parametrize("surface_name,lr", [("crescent", 0.3), ("bowl", 0.3), ("beale", 0.1)])
@pytest.mark.parametrize("backend", BACKENDS)
def test_book_adagrad_is_algorithm_8_4_with_delta_1e7(surface_name, lr, backend):
    s = surfaces.get(surface_name)
    t = run(s, "adagrad", "book", lr=lr)  # δ is the book's 1e-7 by default in this convention
    assert_path(t, book_adagrad(s, s.start, STEPS, lr, delta=1e-7))


@pytest.mark.parametrize("backend", BACKENDS)
def test_book_adagrad_delta_matters(backend):
    """δ = 1e-7 (the book) vs 1e-10 is visible where the accumulated r is small: start near the
    bottom of bowl's y-valley, where ∂f/∂y = 200·tanh(2y) ≈ 4e-4, so δ/√r ≈ 2.5e-4."""
    s = surfaces.get("bowl")
    start = (-8.0, 1e-6)
    t = run(s, "adagrad", "book", lr=0.1, start=start, backend=backend)
    assert_path(t, book_adagrad(s, start, STEPS, 0.1, delta=1e-7))
    wrong = book_adagrad(s, start, STEPS, 0.1, delta=1e-10)
    assert np.abs(t.path[:, 1] - wrong[:, 1]).max() > 1e-12


@pytest.mark.parametrize("surface_name,lr,rho", [("crescent", 0.02, 0.9), ("bowl", 0.03, 0.99),
                                                  ("beale", 0.003, 0.9)])
@pytest.mark.parametrize("backend", BACKENDS)
def test_book_rmsprop_is_algorithm_8_5_with_delta_inside_the_root(surface_name, lr, rho, backend):
    s = surfaces.get(surface_name)
    t = run(s, "rmsprop", "book", lr=lr, alpha=rho, backend=backend)
    assert_path(t, book_rmsprop(s, s.start, STEPS, lr, rho, delta=1e-6))


def test_book_rmsprop_delta_inside_the_root_matters():
    """√(δ + r) with δ = 1e-6 vs √r + δ: different where r is small (near the y-valley floor)."""
    s = surfaces.get("bowl")
    start = (-8.0, 1e-6)
    t = run(s, "rmsprop", "book", lr=0.01, alpha=0.9, start=start)
    ref = book_rmsprop(s, start, STEPS, 0.01, 0.9, delta=1e-6)
    np.testing.assert_allclose(t.path, ref, rtol=TOL, atol=TOL)
    torch_style = run(s, "rmsprop", "torch", lr=0.01, alpha=0.9, eps=1e-6, start=start)
    assert np.abs(t.path[:, 1] - torch_style.path[:, 1]).max() > 1e-8


@pytest.mark.parametrize("backend", BACKENDS)
def test_book_sgd_with_linear_decay_is_algorithm_8_1(backend):
    """ε_k = (1 − k/τ)ε₀ + (k/τ)ε_τ, then constant: the `linear` schedule in the book convention."""
    s = surfaces.get("crescent")
    t = run(s, "gd", "book", lr=0.02, schedule="linear", schedule_args={"tau": 150, "end_factor": 0.05}, backend=backend)
    assert_path(t, gd(s, s.start, STEPS, book_linear(0.02, 150, 0.05)))
    np.testing.assert_allclose(t.lr, [book_linear(0.02, 150, 0.05)(k) for k in range(STEPS)], rtol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_book_momentum_with_linear_decay(backend):
    s = surfaces.get("crescent")
    eta = book_linear(3e-3, 100, 0.1)
    t = run(s, "momentum", "book", lr=3e-3, schedule="linear", schedule_args={"tau": 100, "end_factor": 0.1}, backend=backend)
    assert_path(t, movement_momentum(s, s.start, STEPS, eta, 0.9))


# ------------------------------------------------------------------ Adam: the same everywhere
@pytest.mark.parametrize("convention", ["lecture", "book"])
def test_adam_is_the_papers_in_every_convention(convention):
    s = surfaces.get("crescent")
    a = run(s, "adam", convention, lr=0.1, betas=(0.9, 0.99))
    b = run(s, "adam", "torch", lr=0.1, betas=(0.9, 0.99))
    np.testing.assert_array_equal(a.path, b.path)


# ------------------------------------------------------------------ fall-backs
UNDEFINED = [("lecture", "nesterov"), ("lecture", "adamw"), ("lecture", "nadam"), ("lecture", "radam"),
             ("book", "adamw"), ("book", "nadam"), ("book", "radam")]


@pytest.mark.parametrize("convention,name", UNDEFINED)
def test_undefined_combinations_fall_back_to_torch_with_a_note(convention, name):
    s = surfaces.get("crescent")
    lr = 3e-3 if name == "nesterov" else 0.05
    t = optimizers.run(s, name, steps=50, lr=lr, convention=convention)
    ref = optimizers.run(s, name, steps=50, lr=lr, convention="torch")
    assert t.convention == "torch"
    assert len(t.notes) == 1 and convention in t.notes[0] and optimizers.presets.TITLES[name] in t.notes[0] and "PyTorch" in t.notes[0]
    np.testing.assert_array_equal(t.path, ref.path)


@pytest.mark.parametrize("name", ["momentum", "gd"])
def test_momentum_with_nesterov_under_the_lecture_falls_back_like_the_nesterov_preset(name):
    """The slides' momentum has no look-ahead form: not the book's silently under the lecture's name."""
    kw = dict(steps=50, lr=3e-3, momentum=0.9, nesterov=True)
    t = optimizers.run("crescent", name, convention="lecture", **kw)
    ref = optimizers.run("crescent", name, convention="torch", **kw)
    assert t.convention == "torch" and len(t.notes) == 1 and "Nesterov" in t.notes[0]
    np.testing.assert_array_equal(t.path, ref.path)
    book = optimizers.run("crescent", name, convention="book", **kw)
    assert book.convention == "book" and book.notes == ()


@pytest.mark.parametrize("convention", ["lecture", "book"])
@pytest.mark.parametrize("name", ["gd", "momentum", "adagrad", "rmsprop", "adam"])
def test_defined_combinations_keep_their_convention_and_say_nothing(convention, name):
    t = optimizers.run("crescent", name, steps=5, convention=convention)
    assert t.convention == convention and t.notes == ()


@pytest.mark.parametrize("convention,name,kw,word", [
    ("lecture", "rmsprop", {"centered": True}, "centered"),
    ("lecture", "adam", {"amsgrad": True}, "amsgrad"),
    ("book", "gd", {"weight_decay": 0.1}, "weight_decay"),
    ("lecture", "momentum", {"dampening": 0.5}, "dampening"),
    ("book", "adagrad", {"lr_decay": 0.1}, "lr_decay"),
    ("book", "rmsprop", {"momentum": 0.9}, "momentum"),
])
def test_torch_only_options_are_refused_outside_torch(convention, name, kw, word):
    with pytest.raises(ValueError, match=word):
        optimizers.run("crescent", name, steps=5, convention=convention, **kw)


def test_latex_shows_the_convention_formula():
    assert "M_{t+1}" in optimizers.run("crescent", "momentum", steps=2, convention="lecture").latex
    assert "b_t" in optimizers.run("crescent", "momentum", steps=2, convention="torch").latex
    assert r"\delta" in optimizers.run("crescent", "rmsprop", steps=2, convention="book").latex
    assert r"\sqrt{r_t} + \delta" in optimizers.run("crescent", "adagrad", steps=2, convention="book").latex
    assert r"\sqrt{r_t} + \epsilon" in optimizers.run("crescent", "adagrad", steps=2, convention="torch").latex
    assert r"\sigma_0 = |g_0|" in optimizers.run("crescent", "rmsprop", steps=2, convention="lecture").latex
    assert r"\theta_t + \lambda M_t" in optimizers.run("crescent", "nesterov", steps=2, convention="book").latex


def test_book_constants_are_the_books():
    assert optimizers.presets.BOOK_DEFAULTS["adagrad"]["eps"] == 1e-7
    assert optimizers.presets.BOOK_DEFAULTS["rmsprop"]["eps"] == 1e-6
    assert math.isclose(optimizers.DEFAULTS["adagrad"]["eps"], 1e-10)


def test_rmsprop_momentum_latex_is_the_rule_the_records_follow():
    """PyTorch RMSprop with momentum sums g/σ into a buffer that starts at 0: the LaTeX says
    b_t = μ b_{t−1} + g_t/σ_t, b_0 = g_0/σ_0, and not the heavy ball's b_0 = g_0 with dampening τ.
    The records (m_t = b_t σ_t) follow that rule."""
    t = optimizers.run("crescent", "rmsprop", steps=20, lr=0.01, momentum=0.5)
    assert r"b_t = \mu\, b_{t-1} + g_t/\sigma_t,\ b_0 = g_0/\sigma_0" in t.latex
    assert r"\tau" not in t.latex and "b_1 = g_1" not in t.latex
    b = t.m / t.sigma
    np.testing.assert_allclose(b[0], t.grad[0] / t.sigma[0], rtol=1e-12)
    np.testing.assert_allclose(b[1:], 0.5 * b[:-1] + t.grad[1:-1] / t.sigma[1:], rtol=1e-12)
    np.testing.assert_allclose(t.path[1:], t.path[:-1] - t.lr[:, None] * b, rtol=1e-12)


def test_latex_counts_updates_from_t_0_as_the_engine_does():
    """η_t is the rate of update t = 0, 1, …, so a part's n-th update shows as t + 1: Adam's bias
    corrections read 1 − β^{t+1}, the heavy ball starts at b_0 = g_0, Adagrad's lr_decay divides by
    1 + t·lr_decay (t = 0: the base rate, as the engine's records show)."""
    adam = optimizers.run("crescent", "adam", steps=3).latex
    assert r"1-\beta_1^{t+1}" in adam and r"1-\beta_2^{t+1}" in adam and r"\beta_1^t}" not in adam
    assert r"b_0 = g_0" in optimizers.run("crescent", "momentum", steps=2).latex
    t = optimizers.run("crescent", "adagrad", steps=3, lr=0.1, lr_decay=0.5)
    assert r"(1 + t\,\text{lr\_decay})" in t.latex
    np.testing.assert_allclose(t.lr, [0.1, 0.1 / 1.5, 0.1 / 2.0], rtol=1e-15)
    radam = optimizers.run("crescent", "radam", steps=3).latex
    for symbol in (r"v_t =", r"\rho_t =", r"r_t ="):  # every symbol of the rule is defined
        assert symbol in radam, symbol
