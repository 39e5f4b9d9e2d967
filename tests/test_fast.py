"""The numba backend (optimizers/fast.py) is a transcription of the torch parts (optimizers/parts.py):
both must give the same trajectories. Runs are kept in well-conditioned regimes (small steps), where
the two differ only by rounding (the gradient comes from forward-mode derivatives in numba and from
autograd in torch), so 1e-10 is a tight bound; chaotic regimes would amplify rounding."""
import numpy as np
import pytest

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
        scale = max(1.0, float(np.nanmax(np.abs(x))))
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
    from surfaces.expr import value_and_grad

    rng = np.random.default_rng(1)
    for name in surfaces.names():
        s = surfaces.get(name)
        (x0, x1), (y0, y1) = s.bounds
        pts = np.stack([rng.uniform(x0, x1, 40), rng.uniform(y0, y1, 40)], -1)
        p = s.program
        buf = [np.empty(p.depth) for _ in range(3)]
        got = np.array([value_and_grad(p.code, p.consts, x, y, *buf) for x, y in pts])
        want_f = s.numpy(pts[:, 0], pts[:, 1])
        want_g = s.grad(pts)
        np.testing.assert_allclose(got[:, 0], want_f, rtol=1e-13, atol=1e-12)
        np.testing.assert_allclose(got[:, 1:], want_g, rtol=1e-11, atol=1e-10 * np.abs(want_g).max())
