"""The numba backend (optimizers/fast.py) is a transcription of the torch parts (optimizers/parts.py):
both must give the same trajectories. Runs are kept in well-conditioned regimes (small steps), where
the two differ only by rounding (the gradient comes from forward-mode derivatives in numba and from
autograd in torch), so 1e-10 is a tight bound; chaotic regimes would amplify rounding."""
import numpy as np
import pytest
import torch

import optimizers
import surfaces

SCHEDULE_CASES = [
    ("constant", {}),
    ("step", {"step_size": 30, "gamma": 0.5}),
    ("cosine", {"T_max": 50, "eta_min": 1e-4}),
    ("warmup", {"warmup_steps": 20, "total_steps": 120}),
    ("transformer", {"d_model": 16, "warmup_steps": 20}),
]
OPTIONS = {
    "gd": {}, "momentum": {"dampening": 0.1}, "nesterov": {}, "adagrad": {"lr_decay": 0.01, "initial_accumulator_value": 0.1},
    "rmsprop": {"momentum": 0.5, "centered": True}, "adam": {"amsgrad": True, "weight_decay": 0.1},
    "adamw": {}, "nadam": {}, "radam": {},
}
LR = {"gd": 2e-4, "momentum": 2e-4, "nesterov": 2e-4, "adagrad": 0.05, "rmsprop": 5e-3, "adam": 0.02,
      "adamw": 0.02, "nadam": 0.02, "radam": 0.02}


def both(surface, name, **kw):
    a = optimizers.run(surface, name, backend="eager", **kw)
    b = optimizers.run(surface, name, backend="numba", **kw)
    assert a.meta["surface"] == b.meta["surface"]
    return a, b


def assert_same(a, b, tol=1e-10):
    assert a.diverged_at == b.diverged_at
    for field in ("path", "loss", "grad", "grad_norm", "m", "sigma", "step_size", "lr"):
        x, y = getattr(a, field), getattr(b, field)
        assert x.shape == y.shape, field
        finite = np.abs(x[np.isfinite(x)])
        scale = max(1.0, float(finite.max())) if finite.size else 1.0
        np.testing.assert_allclose(x, y, rtol=0, atol=tol * scale, equal_nan=True, err_msg=field)


@pytest.mark.parametrize("convention", optimizers.CONVENTIONS)
@pytest.mark.parametrize("name", optimizers.names())
def test_every_preset_and_convention(name, convention):
    for surface in ("bowl", "rosenbrock", "crescent"):
        a, b = both(surface, name, steps=150, lr=LR[name], convention=convention,
                    schedule="step", schedule_args={"step_size": 40, "gamma": 0.7})
        assert_same(a, b)


@pytest.mark.parametrize("name", optimizers.names())
def test_torch_options(name):
    a, b = both("beale", name, steps=150, lr=LR[name] / 4, **OPTIONS[name])
    assert_same(a, b)


@pytest.mark.parametrize("schedule,args", SCHEDULE_CASES)
def test_schedules(schedule, args):
    a, b = both("himmelblau", "adam", steps=120, lr=0.05, schedule=schedule, schedule_args=args)
    assert_same(a, b)


def test_noise_clipping_and_batches():
    starts = np.array([[-1.5, 2.0], [0.5, -0.5], [1.5, 1.5]])
    a, b = both("rosenbrock", "adam", steps=200, start=starts, lr=[0.001, 0.002, 0.003], betas=([0.8, 0.9, 0.95], 0.999),
                noise=0.3, seed=4, max_norm=2.0)
    assert_same(a, b)
    assert a.path.shape == (201, 3, 2)


def test_book_nesterov_lookahead_and_lecture_forms():
    for name, conv in (("nesterov", "book"), ("adagrad", "lecture"), ("rmsprop", "lecture"), ("rmsprop", "book")):
        a, b = both("saddle", name, steps=200, lr=0.01, convention=conv)
        assert_same(a, b)


def test_composed_optimizers():
    for mom in optimizers.MOMENTUM_PARTS:
        for rms in optimizers.RMS_PARTS:
            opt = optimizers.compose(mom, rms, lr=0.003)
            a = optimizers.run("crescent", opt, steps=120, backend="eager")
            b = optimizers.run("crescent", opt, steps=120, backend="numba")
            assert_same(a, b)


def test_divergence_is_the_same():
    starts = np.array([[-8.0, 2.0], [-8.0, 2.0], [5.0, 1.0]])
    a, b = both("bowl", "gd", steps=80, start=starts, lr=[0.001, 10.0, 0.02])
    assert a.diverged_at[1] == 1 and a.diverged_at[0] is None
    assert_same(a, b)


def test_zero_gradient_start_in_the_lecture_forms_takes_no_step():
    # the lecture's Adagrad and RMSProp have no ε: at a minimum σ = 0 and the step must be 0, not NaN
    for name in ("adagrad", "rmsprop"):
        a, b = both("bowl", name, steps=20, start=(0.0, 0.0), lr=0.1, convention="lecture")
        assert_same(a, b)
        assert np.all(a.path == 0.0)


def test_auto_backend():
    assert optimizers.run("bowl", "adam", steps=5).meta["backend"] == "numba"
    assert optimizers.run("bowl", "adam", steps=5, backend="eager").meta["backend"] == "eager"
    data_like = surfaces.Surface("poly", lambda x, y, xp: x**2 + y**2, ((-1, 1), (-1, 1)), ((0.5, 0.5),), (), "test")
    assert optimizers.run(data_like, "adam", steps=5).meta["backend"] == "eager"
    with pytest.raises(ValueError, match="numba"):
        optimizers.run(data_like, "adam", steps=5, backend="numba")
    with pytest.raises(ValueError, match="backend"):
        optimizers.run("bowl", "adam", steps=5, backend="jit")


def test_program_gradient_matches_autograd_everywhere():
    from surfaces.expr import values_and_grads

    rng = np.random.default_rng(1)
    for name in surfaces.names():
        s = surfaces.get(name)
        (x0, x1), (y0, y1) = s.bounds
        pts = np.stack([rng.uniform(x0, x1, 40), rng.uniform(y0, y1, 40)], -1)
        p = s.program
        n = len(pts)
        out = [np.empty(n) for _ in range(3)]
        values_and_grads(p.code, p.consts, pts[:, 0].copy(), pts[:, 1].copy(), n, *[np.empty((p.depth, n)) for _ in range(3)], *out)
        got = np.stack(out, -1)
        want_f = s.numpy(pts[:, 0], pts[:, 1])
        want_g = s.grad(pts)
        np.testing.assert_allclose(got[:, 0], want_f, rtol=1e-13, atol=1e-12)
        np.testing.assert_allclose(got[:, 1:], want_g, rtol=1e-11, atol=1e-10 * np.abs(want_g).max())


@pytest.mark.parametrize("fn", ["sin", "cos", "tan", "log", "exp", "sqrt", "tanh", "sinh", "cosh"])
def test_each_function_of_the_interpreter_against_autograd_near_and_far(fn):
    """Every function of the program's interpreter (vmath's SIMD math, or the C library) gives the
    values and derivatives torch gives, on ordinary arguments, and for sin, cos and tan also past
    vmath.TRIG_BOUND, at ±inf and NaN (there the whole operation takes the C library's path)."""
    from surfaces import vmath
    from surfaces.expr import values_and_grads

    p = surfaces.get(f"f:{fn}(x) + y").program
    rng = np.random.default_rng(5)
    lo = 1e-3 if fn in ("log", "sqrt") else -3.0
    xs = [rng.uniform(lo, 3.0, 37)]
    if fn in ("sin", "cos", "tan"):
        xs += [np.concatenate([xs[0], [3e5, -vmath.TRIG_BOUND * 1.5]]), np.concatenate([xs[0], [np.inf, np.nan]])]
    for x in xs:
        n = len(x)
        out = [np.empty(n) for _ in range(3)]
        values_and_grads(p.code, p.consts, x.copy(), np.zeros(n), n, *[np.empty((p.depth, n)) for _ in range(3)], *out)
        t = torch.tensor(x, requires_grad=True)
        (f := getattr(torch, fn)(t)).sum().backward()
        np.testing.assert_allclose(out[0], f.detach().numpy(), rtol=2e-15, atol=0, equal_nan=True)
        # (1 − tanh² cancels where tanh is near ±1: an ulp of tanh is ~1e-16 absolute there)
        np.testing.assert_allclose(out[1], t.grad.numpy(), rtol=1e-14, atol=1e-15, equal_nan=True)


@pytest.mark.parametrize("text,pushes", [
    ("3*x + y*2.5", 0), ("x/4 - 7/y", 1), ("2 - x*y", 0), ("(x - 1.5)**2 + (2 + 3)*y", 0),
    ("-(2*3)*x + y/(1 - 3)", 0), ("(1 + 2)/(x*x + 1) - sin(2*x)/3", 1), ("x**(1 + 1) - y**(3/2)", 0),
])
def test_constants_folded_into_operations_give_the_same_values_and_gradients(text, pushes):
    """compile_program puts a constant operand into its operation (c·a, a + c, c − a, a / c; c / a
    keeps the quotient rule) and folds constant parts; the results are those of evaluate() with autograd."""
    from surfaces.expr import OP, values_and_grads

    s = surfaces.get("f:" + text)
    p = s.program
    assert p.code.tolist().count(OP["num"]) == pushes  # only c / a still pushes its number
    pts = np.random.default_rng(2).uniform(0.5, 2.0, (30, 2))
    n = len(pts)
    out = [np.empty(n) for _ in range(3)]
    values_and_grads(p.code, p.consts, pts[:, 0].copy(), pts[:, 1].copy(), n, *[np.empty((p.depth, n)) for _ in range(3)], *out)
    np.testing.assert_allclose(out[0], s.numpy(pts[:, 0], pts[:, 1]), rtol=1e-14, atol=0)
    np.testing.assert_allclose(np.stack(out[1:], -1), s.grad(pts), rtol=1e-13, atol=1e-14)


def test_many_lanes_across_chunks_and_threads(monkeypatch):
    """More trajectories than one chunk of lanes (fast.CHUNK), some diverging at different steps:
    the lock-step kernel (serial, and split over two threads) equals the torch reference lane by
    lane, and with two threads the two ranges of lanes really run on two threads."""
    import threading

    import numba

    from optimizers import fast

    K = fast.CHUNK + 44
    rng = np.random.default_rng(3)
    starts = np.stack([rng.uniform(-9, 9, K), rng.uniform(-3, 3, K)], -1)
    # well-conditioned steps (see the top of this file), and 40 that diverge, each at its own step
    lr = np.concatenate([np.logspace(-4, -2.5, K - 40), np.linspace(2.5, 20.0, 40)])[rng.permutation(K)].tolist()
    a = optimizers.run("bowl", "momentum", steps=60, start=starts, lr=lr, momentum=0.5, backend="eager")
    assert 0 < sum(d is not None for d in a.diverged_at) < K
    ran_on = []
    kernel = fast._kernel

    def spy(*args):
        ran_on.append((threading.get_ident(), args[-2], args[-1]))
        return kernel(*args)

    monkeypatch.setattr(fast, "_kernel", spy)
    threads = numba.get_num_threads()
    try:
        for n in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(n)
            ran_on.clear()
            b = optimizers.run("bowl", "momentum", steps=60, start=starts, lr=lr, momentum=0.5, backend="numba")
            assert sorted(r[1:] for r in ran_on) == fast.lane_ranges(K, n)
            assert len({r[0] for r in ran_on}) == n
            assert_same(a, b)
            final = optimizers.run("bowl", "momentum", steps=60, start=starts, lr=lr, momentum=0.5, record="loss")
            np.testing.assert_array_equal(final.loss, b.loss)
            np.testing.assert_array_equal(final.path[-1], b.path[-1])
    finally:
        numba.set_num_threads(threads)


@pytest.mark.parametrize("K", [1, 31, 32, 63, 64, 65, 100, 300, 10_000])
@pytest.mark.parametrize("threads", [1, 2, 3, 16])
def test_lane_ranges_cover_every_trajectory_once(K, threads):
    from optimizers import fast

    ranges = fast.lane_ranges(K, threads)
    assert ranges[0][0] == 0 and ranges[-1][1] == K
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
    assert len(ranges) == max(1, min(threads, K // fast.PARALLEL_FROM))
    if len(ranges) > 1:
        assert all(kb - ka >= fast.PARALLEL_FROM - 8 for ka, kb in ranges)
        assert all(ka % 8 == 0 for ka, _ in ranges)


def test_every_trajectory_diverging_stops_early_and_fills_the_rest():
    a, b = both("bowl", "gd", steps=50, start=np.array([[-8.0, 2.0], [5.0, 1.0]]), lr=[10.0, 20.0])
    assert a.diverged_at == b.diverged_at == [1, 1]
    assert_same(a, b)
    assert np.all(b.path[1:] == b.path[:1])


@pytest.mark.parametrize("text,points", [
    # ties of min and max: torch gives each side half the gradient
    ("max(x**2, y**2)", [(-2.5, 2.5), (1.0, -1.0), (1.0, 2.0)]),
    ("min(x**2, y**2)", [(-2.5, 2.5), (3.0, 0.5)]),
    ("max(x, 1) + min(y, x)", [(1.0, 0.0), (2.0, 2.0), (0.5, 0.5)]),
    # a power with both sides variable: ∂/∂a = b a^(b−1) (0 where b = 0), ∂/∂b = a^b log a (0 where
    # a = 0 and b ≥ 0)
    ("x**y", [(0.0, 1.0), (0.0, 2.0), (0.5, 0.5), (2.0, -1.0), (3.0, 0.0), (0.0, 0.0)]),
    ("2**x + (x*x + 1)**(y - 1)", [(0.0, 1.0), (1.5, -0.5), (-1.0, 2.0)]),
])
def test_interpreter_gradient_at_ties_and_powers_is_torchs(text, points):
    """Where autograd's gradient is finite, the interpreter's is the same number (exactly the
    convention torch uses at a tie of min/max and at the corners of a**b)."""
    from surfaces.expr import values_and_grads

    s = surfaces.get(f"f:{text}")
    pts = np.array(points, dtype=float)
    n, p = len(pts), s.program
    out = [np.empty(n) for _ in range(3)]
    values_and_grads(p.code, p.consts, pts[:, 0].copy(), pts[:, 1].copy(), n, *[np.empty((p.depth, n)) for _ in range(3)], *out)
    t = torch.tensor(pts, requires_grad=True)
    s(t).sum().backward()
    want = t.grad.numpy()
    assert np.isfinite(want).all()
    np.testing.assert_allclose(out[0], s(torch.tensor(pts)).numpy(), rtol=1e-15)
    np.testing.assert_allclose(np.stack(out[1:], -1), want, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("text,start", [("x**y", (-2.0, 2.0)), ("sqrt(abs(x)) + y**2", (0.0, 1.0)),
                                        ("abs(x)**y + 1", (0.0, 0.5)), ("(-2)**x + y**2", (0.0, 1.0))])
def test_where_the_gradient_is_not_finite_both_backends_diverge_at_the_same_step(text, start):
    e, n = (optimizers.run(f"f:{text}", "gd", steps=3, start=start, lr=0.01, backend=b) for b in ("eager", "numba"))
    assert e.diverged_at == n.diverged_at == 1
    np.testing.assert_array_equal(e.path, n.path)


def test_logcosh_is_accurate_near_zero_and_far():
    """log cosh a ≈ a²/2 near 0: the interpreter's value is within a few ulp of the exact one and never
    negative (|a| + log(1 + e^{−2|a|}) − log 2 alone cancels there, to about ±1e-16: on bowl a loss
    of −1e-14 below its minimum)."""
    import mpmath
    from surfaces.expr import values_and_grads

    mpmath.mp.dps = 800
    xs = np.concatenate([np.geomspace(1e-300, 30.0, 160), -np.geomspace(1e-9, 3.0, 40), [0.0, 0.999999, 1.0, 1.000001]])
    n, p = len(xs), surfaces.get("f:logcosh(x)").program
    out = [np.empty(n) for _ in range(3)]
    values_and_grads(p.code, p.consts, xs.copy(), np.zeros(n), n, *[np.empty((p.depth, n)) for _ in range(3)], *out)
    exact = np.array([float(mpmath.log(mpmath.cosh(mpmath.mpf(float(x))))) for x in xs])
    assert (out[0] >= 0).all()
    ok = exact > 1e-300
    assert (np.abs(out[0] - exact)[ok] <= 4 * np.spacing(exact[ok])).all()
    np.testing.assert_allclose(out[1], np.tanh(xs), rtol=1e-15, atol=0)
