"""Schedules: η_t as a torch.optim.lr_scheduler stepped once after each optimizer.step() gives it."""
from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch

import optimizers
from optimizers import schedules

L = torch.optim.lr_scheduler
STEPS = 600


def torch_lrs(make, lr: float, steps: int = STEPS) -> np.ndarray:
    """The lr each of `steps` updates uses, in the usual loop: step the optimizer, then the scheduler."""
    p = torch.zeros(2, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    sched = make(opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out)


CASES = [
    ("step", {"step_size": 100, "gamma": 0.5}, lambda o: L.StepLR(o, 100, 0.5)),
    ("step", {"step_size": 1, "gamma": 0.99}, lambda o: L.StepLR(o, 1, 0.99)),
    ("step", {}, lambda o: L.StepLR(o, 100, 0.1)),  # the defaults are StepLR's common choice
    ("exponential", {"gamma": 0.995}, lambda o: L.ExponentialLR(o, 0.995)),
    ("exponential", {"gamma": 1.0}, lambda o: L.ExponentialLR(o, 1.0)),
    ("cosine", {"T_max": 200, "eta_min": 0.001}, lambda o: L.CosineAnnealingLR(o, 200, 0.001)),
    ("cosine", {"T_max": 600}, lambda o: L.CosineAnnealingLR(o, 600)),
    ("cosine", {"T_max": 7, "eta_min": 0.0}, lambda o: L.CosineAnnealingLR(o, 7, 0.0)),  # many periods
    ("linear", {"tau": 300, "end_factor": 0.01}, lambda o: L.LinearLR(o, 1.0, 0.01, 300)),
    ("linear", {"tau": 1, "end_factor": 0.5}, lambda o: L.LinearLR(o, 1.0, 0.5, 1)),
    ("inverse_sqrt", {}, lambda o: L.LambdaLR(o, lambda t: (t + 1) ** -0.5)),
    ("constant", {}, lambda o: L.ConstantLR(o, factor=1.0, total_iters=0)),
    ("resnet_warmup", {"warmup_steps": 400, "warmup_lr": 0.01},
     lambda o: L.LambdaLR(o, lambda t: 0.1 if t < 400 else 1.0)),  # base 0.1: 0.01 = 0.1 · 0.1
]


@pytest.mark.parametrize("name,args,make", CASES, ids=[f"{c[0]}{c[1]}" for c in CASES])
def test_schedule_matches_torch_lr_scheduler(name, args, make):
    ours = optimizers.lr_at(name, STEPS, 0.1, args)
    np.testing.assert_allclose(ours, torch_lrs(make, 0.1), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("decay", ["cosine", "linear"])
def test_warmup_is_torchs_linear_warmup_then_decay(decay):
    """(t+1)/W for t < W is LinearLR(1/W → 1 over W−1 steps); then a decay to 0 at total_steps,
    built from torch's own schedulers with SequentialLR."""
    W, total, lr = 50, 400, 0.1

    def make(o):
        warm = L.LinearLR(o, start_factor=1.0 / W, end_factor=1.0, total_iters=W - 1)
        after = (L.CosineAnnealingLR(o, T_max=total - W) if decay == "cosine"
                 else L.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=total - W))
        return L.SequentialLR(o, [warm, after], milestones=[W])

    ours = optimizers.lr_at("warmup", total, lr, {"warmup_steps": W, "total_steps": total, "decay": decay})
    np.testing.assert_allclose(ours, torch_lrs(make, lr, total), rtol=1e-9, atol=1e-15)
    assert ours.max() == pytest.approx(lr, rel=1e-12, abs=0) and ours[0] == pytest.approx(lr / W, rel=1e-12, abs=0)
    after = optimizers.lr_at("warmup", total + 100, lr, {"warmup_steps": W, "total_steps": total, "decay": decay})
    np.testing.assert_array_equal(after[total:], 0.0)  # decayed to 0 and stays there


def test_transformer_is_the_papers_formula_3():
    """lrate = d_model^-0.5 · min(step_num^-0.5, step_num · warmup_steps^-1.5), step_num = t + 1,
    with the paper's d_model = 512, warmup_steps = 4000 (η = 1 gives the paper's rate)."""
    lr = optimizers.lr_at("transformer", 20000, 1.0, {"d_model": 512, "warmup_steps": 4000})
    for step_num in (1, 2, 100, 3999, 4000, 4001, 10000, 20000):
        expected = 512**-0.5 * min(step_num**-0.5, step_num * 4000**-1.5)
        assert lr[step_num - 1] == pytest.approx(expected, rel=1e-14, abs=0)
    assert np.argmax(lr) == 3999  # peak at step_num = warmup_steps
    assert lr[3999] == pytest.approx(512**-0.5 * 4000**-0.5, rel=1e-14, abs=0)
    # η scales it, as a LambdaLR factor does
    np.testing.assert_allclose(optimizers.lr_at("transformer", 500, 0.5, {"d_model": 64, "warmup_steps": 100}),
                               torch_lrs(lambda o: L.LambdaLR(
                                   o, lambda t: 64**-0.5 * min((t + 1) ** -0.5, (t + 1) * 100**-1.5)), 0.5, 500),
                               rtol=1e-12)


def test_linear_is_the_books_decay():
    """ε_k = (1 − α)ε₀ + α ε_τ with α = k/τ, then ε_τ (ε_τ = end_factor · ε₀)."""
    eps0, tau, f = 0.2, 80, 0.05
    lr = optimizers.lr_at("linear", 200, eps0, {"tau": tau, "end_factor": f})
    for k in (0, 1, 40, 79, 80, 81, 199):
        a = min(k, tau) / tau
        assert lr[k] == pytest.approx((1 - a) * eps0 + a * f * eps0, rel=1e-14, abs=0)


def test_resnet_warmup_uses_warmup_lr_then_the_base_rate():
    lr = optimizers.lr_at("resnet_warmup", 1000, 0.1, {"warmup_steps": 400, "warmup_lr": 0.01})
    np.testing.assert_array_equal(lr[:400], 0.01)
    np.testing.assert_array_equal(lr[400:], 0.1)
    lr0 = optimizers.lr_at("resnet_warmup", 10, 0.1, {"warmup_steps": 0, "warmup_lr": 0.01})
    np.testing.assert_array_equal(lr0, 0.1)


@pytest.mark.parametrize("name", list(optimizers.SCHEDULES))
def test_vectorised_over_base_rates(name):
    """One base η per trajectory gives (steps, K), each column the scalar schedule."""
    args = {"step": {"step_size": 10}, "cosine": {"T_max": 30}, "linear": {"tau": 40},
            "warmup": {"warmup_steps": 10, "total_steps": 60}, "transformer": {"d_model": 16, "warmup_steps": 10},
            "resnet_warmup": {"warmup_steps": 10, "warmup_lr": 1e-4}}.get(name, {})
    lrs = [0.01, 0.1, 1.0]
    both = optimizers.lr_at(name, 80, lrs, args)
    assert both.shape == (80, 3)
    for k, lr in enumerate(lrs):
        np.testing.assert_allclose(both[:, k], optimizers.lr_at(name, 80, lr, args), rtol=1e-15)
    assert optimizers.lr_at(name, 80, 0.1, args).shape == (80,)


@pytest.mark.parametrize("name", list(optimizers.SCHEDULES))
def test_a_schedule_is_a_function_of_t_only(name):
    """η_t does not depend on how many steps are asked for (no hidden state, no normalisation)."""
    long = optimizers.lr_at(name, 300, 0.1)
    short = optimizers.lr_at(name, 120, 0.1)
    np.testing.assert_array_equal(long[:120], short)
    assert np.isfinite(long).all() and (long >= 0).all()


@pytest.mark.parametrize("name", list(optimizers.SCHEDULES))
def test_arg_ranges_list_every_argument(name):
    params = [p for p in inspect.signature(optimizers.SCHEDULES[name]).parameters if p not in ("t", "lr")]
    assert set(params) == set(schedules.ARG_RANGES[name])


@pytest.mark.parametrize("name,args,word", [
    ("nope", {}, "schedule"),
    ("step", {"step_size": 0}, "step_size"),
    ("step", {"step_size": 2.5}, "step_size"),
    ("step", {"gamma": -0.1}, "gamma"),
    ("step", {"gamma": "half"}, "gamma"),
    ("exponential", {"gamma": float("nan")}, "gamma"),
    ("cosine", {"T_max": 0}, "T_max"),
    ("cosine", {"eta_min": -1.0}, "eta_min"),
    ("linear", {"tau": 0}, "tau"),
    ("linear", {"end_factor": 2.0}, "end_factor"),
    ("warmup", {"decay": "exponential"}, "decay"),
    ("warmup", {"warmup_steps": 0}, "warmup_steps"),
    ("transformer", {"d_model": 0}, "d_model"),
    ("resnet_warmup", {"warmup_lr": -0.01}, "warmup_lr"),
    ("constant", {"gamma": 0.5}, "gamma"),
    ("inverse_sqrt", {"warmup_steps": 10}, "warmup_steps"),
    ("step", [10], "schedule_args"),
])
def test_bad_schedule_arguments_are_value_errors_naming_them(name, args, word):
    with pytest.raises(ValueError, match=word):
        optimizers.lr_at(name, 10, 0.1, args)


def test_schedule_arguments_are_coerced():
    assert schedules.check_schedule("step", {"step_size": "100", "gamma": "0.5"}) == {"step_size": 100, "gamma": 0.5}
    assert schedules.check_schedule("step", {"step_size": 100.0})["step_size"] == 100
    assert isinstance(schedules.check_schedule("step", {"step_size": 100.0})["step_size"], int)
    assert math.isclose(optimizers.lr_at("step", 150, 1.0, {"step_size": "100", "gamma": "0.5"})[120], 0.5)


@pytest.mark.parametrize("total", [20, 15, 1])
def test_warmup_without_room_to_decay_is_zero_after_the_warm_up(total):
    """total_steps ≤ warmup_steps: the warm-up runs its course, then the rate is 0 (it has decayed to
    0 "at total_steps", which has passed), never the peak again."""
    lr = optimizers.lr_at("warmup", 30, 0.1, {"warmup_steps": 20, "total_steps": total})
    np.testing.assert_allclose(lr[:20], 0.1 * np.arange(1, 21) / 20, rtol=1e-15)
    np.testing.assert_array_equal(lr[20:], 0.0)


def test_every_schedule_has_its_one_line_formula():
    from optimizers import schedules

    assert set(schedules.FORMULAS) == set(schedules.SCHEDULES)
    for name, args in schedules.ARG_RANGES.items():   # each names every argument it has
        for arg in args:
            if arg != "decay":
                assert arg in schedules.FORMULAS[name], (name, arg)
