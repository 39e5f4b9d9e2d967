"""torch.optim is the oracle for convention="torch" (micrograd style).

Every preset is replayed with the matching `torch.optim` optimizer and the matching
`torch.optim.lr_scheduler` (stepped once after each `optimizer.step()`, the usual training loop),
on a float64 parameter of shape (2,), with the surface's own autograd gradient. The library's path
and the η_t it records must agree with the replay to 1e-9 over 250 steps.

The learning rates are chosen per surface so that every run stays finite and actually moves
(checked: `diverged_at is None` and the path travels at least 0.05); an unmoving run would make
the comparison trivially true.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import optimizers
import surfaces

STEPS = 250


@pytest.fixture(autouse=True)
def float64_oracle():
    """torch.optim keeps its scalar state (NAdam's μ product, the step count) in the default dtype:
    float64 here, so that the oracle is as exact as the engine (with float32 NAdam's product alone
    limits the agreement to about 1e-10)."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)
TOL = 1e-9

# (preset, extra hyperparameters, key into the learning-rate tables below)
PRESETS = [
    ("gd", {}, "gd"),
    ("momentum", {}, "mom"),
    ("nesterov", {}, "mom"),
    ("adagrad", {}, "adagrad"),
    ("rmsprop", {}, "rms"),
    ("rmsprop", {"momentum": 0.9}, "rms_mom"),
    ("rmsprop", {"centered": True}, "rms"),
    ("adam", {}, "adam"),
    ("adam", {"amsgrad": True}, "adam"),
    ("adam", {"weight_decay": 0.1}, "adam"),
    ("adamw", {}, "adam"),
    ("nadam", {}, "adam"),
    ("radam", {}, "radam"),
]
# torch.optim options the presets expose but the grid above leaves at their defaults
EXTRAS = [
    ("gd", {"weight_decay": 0.1}, "gd"),
    ("momentum", {"momentum": 0.5, "dampening": 0.5}, "mom"),
    ("momentum", {"momentum": 0.0, "dampening": 0.5}, "gd"),  # no buffer at μ = 0: τ is ignored
    ("nesterov", {"momentum": 0.8, "weight_decay": 0.05}, "mom"),
    ("adagrad", {"lr_decay": 0.01, "initial_accumulator_value": 0.1, "eps": 1e-6}, "adagrad"),
    ("adagrad", {"weight_decay": 0.1}, "adagrad"),
    ("rmsprop", {"momentum": 0.5, "centered": True}, "rms_mom"),
    ("rmsprop", {"centered": True, "alpha": 0.9}, "rms"),
    ("rmsprop", {"weight_decay": 0.1, "eps": 1e-4}, "rms"),
    ("adam", {"betas": (0.8, 0.99), "eps": 1e-6}, "adam"),
    ("adamw", {"amsgrad": True, "weight_decay": 0.3}, "adam"),
    ("nadam", {"weight_decay": 0.1, "momentum_decay": 0.01}, "adam"),
    ("radam", {"weight_decay": 0.1, "betas": (0.9, 0.99)}, "radam"),
]

# Not every combination is a fair 1e-9 test: centered RMSprop with momentum and a short memory
# (alpha=0.9) on crescent is dynamically unstable (a last-bit difference grows ×4 per step after
# step ~90, for lr 3e-3 and 1e-2 alike), so EXTRAS splits it into two stable runs.
LR = {
    "crescent": dict(gd=1e-2, mom=3e-3, adagrad=0.3, rms=3e-2, rms_mom=1e-2, adam=0.1, radam=1e-2),
    "bowl": dict(gd=3e-3, mom=1e-3, adagrad=0.3, rms=3e-2, rms_mom=3e-3, adam=0.1, radam=3e-3),
    "rosenbrock": dict(gd=1e-3, mom=3e-4, adagrad=0.1, rms=1e-2, rms_mom=3e-3, adam=3e-2, radam=3e-3),
    "beale": dict(gd=3e-3, mom=1e-3, adagrad=0.1, rms=1e-2, rms_mom=3e-3, adam=3e-2, radam=3e-3),
    "himmelblau": dict(gd=1e-3, mom=3e-4, adagrad=0.1, rms=1e-2, rms_mom=1e-3, adam=3e-2, radam=1e-2),
}


def torch_optimizer(name: str, p, lr: float, hp: dict):
    """The torch.optim optimizer a preset claims to be, with torch.optim's own keyword names."""
    hp = dict(hp)
    if name in ("gd", "momentum", "nesterov"):
        mom = hp.pop("momentum", {"gd": 0.0, "momentum": 0.9, "nesterov": 0.9}[name])
        return torch.optim.SGD([p], lr=lr, momentum=mom, nesterov=(name == "nesterov"), **hp)
    cls = {"adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
           "adamw": torch.optim.AdamW, "nadam": torch.optim.NAdam, "radam": torch.optim.RAdam}[name]
    return cls([p], lr=lr, **hp)


# schedule name -> (library schedule_args, base-lr multiplier, torch scheduler factory(opt, lr)).
# The LambdaLR factors are written here from the issue's formulas, not taken from the library.
W, TOTAL, D_MODEL = 40, 200, 16


def _warmup_factor(t: int) -> float:
    if t < W:
        return (t + 1) / W
    frac = min(max((t - W) / (TOTAL - W), 0.0), 1.0)
    return 0.5 * (1.0 + math.cos(math.pi * frac))


def _transformer_factor(t: int) -> float:
    step_num = t + 1
    return D_MODEL**-0.5 * min(step_num**-0.5, step_num * W**-1.5)


TRANSFORMER_PEAK = D_MODEL**-0.5 * W**-0.5  # the factor's maximum, at step_num = W


def _sched(name: str):
    L = torch.optim.lr_scheduler
    return {
        "constant": ({}, 1.0, lambda opt, lr: None),
        "step": ({"step_size": 60, "gamma": 0.5}, 1.0, lambda opt, lr: L.StepLR(opt, step_size=60, gamma=0.5)),
        "exponential": ({"gamma": 0.99}, 1.0, lambda opt, lr: L.ExponentialLR(opt, gamma=0.99)),
        # T_max < steps: the cosine goes down and comes back up (torch's periodic continuation)
        "cosine": ({"T_max": 150, "eta_min": 1e-4}, 1.0,
                   lambda opt, lr: L.CosineAnnealingLR(opt, T_max=150, eta_min=1e-4)),
        "linear": ({"tau": 120, "end_factor": 0.1}, 1.0,
                   lambda opt, lr: L.LinearLR(opt, start_factor=1.0, end_factor=0.1, total_iters=120)),
        "inverse_sqrt": ({}, 1.0, lambda opt, lr: L.LambdaLR(opt, lambda t: 1.0 / math.sqrt(t + 1))),
        "warmup": ({"warmup_steps": W, "total_steps": TOTAL, "decay": "cosine"}, 1.0,
                   lambda opt, lr: L.LambdaLR(opt, _warmup_factor)),
        # the base lr is scaled so the peak rate equals the preset's table rate
        "transformer": ({"d_model": D_MODEL, "warmup_steps": W}, 1.0 / TRANSFORMER_PEAK,
                        lambda opt, lr: L.LambdaLR(opt, _transformer_factor)),
        "resnet_warmup": (None, 1.0, None),  # built in _resnet (its argument depends on lr)
    }[name]


def schedule_spec(name: str, lr: float):
    """(library args, base lr, torch scheduler factory)."""
    if name == "resnet_warmup":
        warm = lr / 10.0
        return ({"warmup_steps": 50, "warmup_lr": warm}, lr,
                lambda opt, base: torch.optim.lr_scheduler.LambdaLR(opt, lambda t: warm / base if t < 50 else 1.0))
    args, mult, factory = _sched(name)
    return args, lr * mult, factory


def replay(surface, name: str, hp: dict, lr: float, steps: int, start, make_sched):
    """The naive training loop: one torch.optim optimizer, autograd, a Python loop.
    Returns (path (steps+1, 2), η used by each update (steps,))."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch_optimizer(name, p, lr, hp)
    sched = make_sched(opt, lr)
    path, lrs = [p.detach().clone().numpy()], []
    for n in range(1, steps + 1):
        opt.zero_grad()
        surface(p).backward()
        group_lr = opt.param_groups[0]["lr"]
        if name == "adagrad":  # Adagrad divides the group's lr by 1 + (n-1)·lr_decay itself
            group_lr = group_lr / (1.0 + (n - 1) * opt.param_groups[0]["lr_decay"])
        lrs.append(group_lr)
        opt.step()
        if sched is not None:
            sched.step()
        path.append(p.detach().clone().numpy())
    return np.array(path), np.array(lrs)


_REPLAYS: dict = {}


def check_against_torch(surface_name: str, name: str, hp: dict, key: str, schedule: str, start=None,
                        backend: str = "auto"):
    s = surfaces.get(surface_name)
    start = s.start if start is None else start
    args, lr, factory = schedule_spec(schedule, LR[surface_name][key])
    t = optimizers.run(s, name, steps=STEPS, start=start, lr=lr, schedule=schedule, schedule_args=args,
                       convention="torch", backend=backend, **hp)
    cache_key = (surface_name, name, repr(sorted(hp.items())), key, schedule, tuple(start))
    if cache_key not in _REPLAYS:  # the oracle is slow (~100 µs a step): replay once for both backends
        _REPLAYS[cache_key] = replay(s, name, hp, lr, STEPS, start, factory)
    ref_path, ref_lr = _REPLAYS[cache_key]

    assert np.isfinite(ref_path).all(), "the oracle itself blew up: pick a smaller lr"
    assert t.diverged_at is None
    assert np.linalg.norm(ref_path[-1] - ref_path[0]) > 0.05, "the run hardly moved: the test would be vacuous"
    assert t.path.shape == (STEPS + 1, 2) and t.lr.shape == (STEPS,)
    np.testing.assert_allclose(t.lr, ref_lr, rtol=TOL, atol=TOL * 1e-3)
    np.testing.assert_allclose(t.path, ref_path, rtol=TOL, atol=TOL)
    # the recorded loss is the surface at the recorded path
    ref_loss = s(torch.as_tensor(ref_path)).numpy()
    np.testing.assert_allclose(t.loss, ref_loss, rtol=1e-8, atol=1e-9)
    assert t.optimizer == name and t.convention == "torch" and t.notes == ()
    if backend != "auto":
        assert t.meta["backend"] == backend


@pytest.mark.parametrize("backend", ["eager", "numba"])
@pytest.mark.parametrize("schedule", list(optimizers.SCHEDULES))
@pytest.mark.parametrize("name,hp,key", PRESETS, ids=[f"{n}{hp or ''}" for n, hp, _ in PRESETS])
def test_every_preset_and_schedule_matches_torch_optim(name, hp, key, schedule, backend):
    """Both engines: "eager" (parts.py as torch ops, the reference) and "numba" (fast.py)."""
    check_against_torch("crescent", name, hp, key, schedule, backend=backend)


@pytest.mark.parametrize("surface_name", ["bowl", "rosenbrock", "beale", "himmelblau"])
@pytest.mark.parametrize("name,hp,key", PRESETS, ids=[f"{n}{hp or ''}" for n, hp, _ in PRESETS])
def test_every_preset_matches_torch_optim_on_more_surfaces(surface_name, name, hp, key):
    check_against_torch(surface_name, name, hp, key, "constant")


@pytest.mark.parametrize("backend", ["eager", "numba"])
@pytest.mark.parametrize("name,hp,key", EXTRAS, ids=[f"{n}{hp}" for n, hp, _ in EXTRAS])
def test_torch_options_match_torch_optim(name, hp, key, backend):
    check_against_torch("crescent", name, hp, key, "constant", backend=backend)
    check_against_torch("beale", name, hp, key, "step", backend=backend)


@pytest.mark.parametrize("name,hp,key", [PRESETS[0], PRESETS[4], PRESETS[7]], ids=["gd", "rmsprop", "adam"])
def test_second_default_start_matches_too(name, hp, key):
    s = surfaces.get("himmelblau")
    check_against_torch("himmelblau", name, hp, key, "cosine", start=s.starts[1])


def test_the_schedule_set_is_the_issues():
    """The grid above covers every schedule the library offers, and the issue asks for these nine."""
    assert set(optimizers.SCHEDULES) == {"constant", "step", "exponential", "cosine", "linear", "inverse_sqrt",
                                         "warmup", "transformer", "resnet_warmup"}
    assert optimizers.names() == ["gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "nadam",
                                  "radam"]


@pytest.mark.parametrize("torch_cls,name", [
    (torch.optim.SGD, "gd"), (torch.optim.Adagrad, "adagrad"), (torch.optim.RMSprop, "rmsprop"),
    (torch.optim.Adam, "adam"), (torch.optim.AdamW, "adamw"), (torch.optim.NAdam, "nadam"),
    (torch.optim.RAdam, "radam"),
])
def test_defaults_are_torch_optims(torch_cls, name):
    """DEFAULTS carries torch.optim's own default values under torch.optim's names."""
    p = torch.zeros(2, requires_grad=True)
    kwargs = {"lr": 1e-3} if torch_cls is torch.optim.SGD else {}
    torch_defaults = torch_cls([p], **kwargs).defaults
    ours = optimizers.DEFAULTS[name]
    for key, value in ours.items():
        if key in ("lr", "bias_correction") and torch_cls is torch.optim.SGD:
            continue
        if key == "bias_correction":  # the library's own switch; torch has none
            assert value is True
            continue
        assert key in torch_defaults, key
        assert torch_defaults[key] == (tuple(value) if isinstance(value, tuple) else value), key


def test_adam_without_bias_correction_is_the_plain_moment_rule():
    """torch has no switch for it: bias_correction=False is m_t = s_t, σ_t = √v_t + ε (transcribed here)."""
    s = surfaces.get("beale")
    lr, b1, b2, eps = 0.03, 0.9, 0.999, 1e-8
    t = optimizers.run(s, "adam", steps=STEPS, lr=lr, betas=(b1, b2), bias_correction=False)
    theta = np.array(s.start, float)
    m = np.zeros(2)
    v = np.zeros(2)
    path = [theta.copy()]
    for _ in range(STEPS):
        g = s.grad(theta)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - lr * m / (np.sqrt(v) + eps)
        path.append(theta.copy())
    np.testing.assert_allclose(t.path, np.array(path), rtol=TOL, atol=TOL)
    with_bc = optimizers.run(s, "adam", steps=STEPS, lr=lr, betas=(b1, b2))
    assert np.abs(with_bc.path - t.path).max() > 1e-3  # the switch does something
