"""Learning-rate schedules: pure functions of the step t = 0, 1, 2, … giving η_t, the rate used by
update t (t = 0 is the first update) — exactly what a `torch.optim.lr_scheduler` stepped once after each
`optimizer.step()` gives. Vectorised: `t` is an int array, `lr` broadcasts against it (one base
η per trajectory in a sweep)."""
from __future__ import annotations

import math
from typing import Callable

import numpy as np


def constant(t, lr):
    """η_t = η."""
    return lr * np.ones_like(t, dtype=float)


def step(t, lr, step_size: int = 100, gamma: float = 0.1):
    """StepLR: η_t = η · γ^⌊t / step_size⌋."""
    return lr * gamma ** np.floor_divide(t, step_size).astype(float)


def exponential(t, lr, gamma: float = 0.99):
    """ExponentialLR: η_t = η · γ^t."""
    return lr * gamma ** t.astype(float)


def cosine(t, lr, T_max: int = 100, eta_min: float = 0.0):
    """CosineAnnealingLR: η_t = η_min + (η − η_min)(1 + cos(π t / T_max)) / 2 (periodic past T_max, as torch)."""
    return eta_min + (lr - eta_min) * (1.0 + np.cos(np.pi * t / T_max)) / 2.0


def linear(t, lr, tau: int = 100, end_factor: float = 0.01):
    """The book's linear decay: ε_k = (1 − α) ε₀ + α ε_τ with α = k/τ, constant after τ.

    ε₀ = η and ε_τ = end_factor · η (torch's LinearLR(start_factor=1, end_factor, total_iters=τ)).
    """
    alpha = np.minimum(t, tau) / tau
    return (1.0 - alpha) * lr + alpha * (end_factor * lr)


def inverse_sqrt(t, lr):
    """η_t = η / √(t + 1)."""
    return lr / np.sqrt(t + 1.0)


def warmup(t, lr, warmup_steps: int = 100, total_steps: int = 1000, decay: str = "cosine"):
    """Linear warm-up η·(t+1)/warmup_steps for t < warmup_steps, then decay to 0 at total_steps,
    linearly or along a half cosine (after nanoGPT's get_lr, which warms up as (t+1)/(warmup+1) and
    decays to a floor min_lr; here the warm-up reaches η at t = warmup_steps − 1 and the decay ends
    at 0). With total_steps ≤ warmup_steps there is no room to decay: the rate is 0 from
    t = warmup_steps on."""
    t = np.asarray(t, dtype=float)
    warm = (t + 1.0) / warmup_steps
    room = np.asarray(total_steps - warmup_steps, dtype=float)
    frac = np.where(room > 0, np.clip((t - warmup_steps) / np.maximum(room, 1), 0.0, 1.0), 1.0)
    after = 1.0 - frac if decay == "linear" else 0.5 * (1.0 + np.cos(np.pi * frac))
    return lr * np.where(t < warmup_steps, warm, after)


def transformer(t, lr, d_model: int = 512, warmup_steps: int = 4000):
    """Vaswani et al. (2017), formula (3), with step_num = t + 1:
    η_t = η · d_model^-0.5 · min(step_num^-0.5, step_num · warmup_steps^-1.5).
    With η = 1 this is the paper's rate exactly (η scales it, like LambdaLR)."""
    n = np.asarray(t, dtype=float) + 1.0
    return lr * d_model**-0.5 * np.minimum(n**-0.5, n * warmup_steps**-1.5)


def resnet_warmup(t, lr, warmup_steps: int = 400, warmup_lr: float = 0.01):
    """He et al. (2016): warmup_lr (0.01) until warmup_steps (about 400 iterations), then the base η (0.1)."""
    return np.where(np.asarray(t) < warmup_steps, warmup_lr * np.ones_like(lr * 1.0), lr)


SCHEDULES: dict[str, Callable] = {
    f.__name__: f
    for f in (constant, step, exponential, cosine, linear, inverse_sqrt, warmup, transformer, resnet_warmup)
}

# each schedule in one line, for people (the Playground shows it under the schedule's name)
FORMULAS: dict[str, str] = {
    "constant": "η_t = η",
    "step": "η_t = η · gamma^⌊t / step_size⌋ (StepLR)",
    "exponential": "η_t = η · gamma^t (ExponentialLR)",
    "cosine": "η_t = eta_min + (η − eta_min) · (1 + cos(π t / T_max)) / 2 (CosineAnnealingLR)",
    "linear": "the book's ε_k = (1 − k/τ) ε₀ + (k/τ) ε_τ with ε₀ = η and ε_τ = end_factor · η, constant after τ = tau",
    "inverse_sqrt": "η_t = η / √(t + 1)",
    "warmup": "η · (t + 1) / warmup_steps while t < warmup_steps, then down to 0 at total_steps along a half "
              "cosine or a line",
    "transformer": "η_t = η · d_model^−0.5 · min(n^−0.5, n · warmup_steps^−1.5) with n = t + 1; η = 1 gives the "
                   "paper's rate",
    "resnet_warmup": "η_t = warmup_lr while t < warmup_steps, then η",
}

# (lower, upper, integer?) for every schedule argument: checked up front with a clear error.
ARG_RANGES: dict[str, dict[str, tuple[float, float, bool]]] = {
    "constant": {},
    "step": {"step_size": (1, 10**7, True), "gamma": (0.0, 1.0, False)},
    "exponential": {"gamma": (0.0, 1.0, False)},
    "cosine": {"T_max": (1, 10**7, True), "eta_min": (0.0, 10.0, False)},
    "linear": {"tau": (1, 10**7, True), "end_factor": (0.0, 1.0, False)},
    "inverse_sqrt": {},
    "warmup": {"warmup_steps": (1, 10**7, True), "total_steps": (1, 10**7, True), "decay": (0, 0, False)},
    "transformer": {"d_model": (1, 10**6, True), "warmup_steps": (1, 10**7, True)},
    "resnet_warmup": {"warmup_steps": (0, 10**7, True), "warmup_lr": (0.0, 10.0, False)},
}


def check_schedule(name: str, args: dict) -> dict:
    """Validate a schedule name and its arguments; returns the arguments with numbers coerced."""
    if not isinstance(name, str) or name not in SCHEDULES:
        raise ValueError(f"Unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
    if args is not None and not isinstance(args, dict):
        raise ValueError(f"Invalid schedule_args for {name!r}: {args!r} (expected a dict of argument: value)")
    ranges, out = ARG_RANGES[name], {}
    for key, value in (args or {}).items():
        if key not in ranges:
            raise ValueError(f"Schedule {name!r} takes no argument {key!r}; it takes: {', '.join(ranges) or 'none'}")
        if key == "decay":
            if value not in ("linear", "cosine"):
                raise ValueError(f"Invalid decay for warmup: {value!r} (expected 'linear' or 'cosine')")
            out[key] = value
            continue
        lo, hi, integer = ranges[key]
        many = isinstance(value, (list, tuple, np.ndarray))  # one value per trajectory (a sweep)
        values = list(np.ravel(value)) if many else [value]
        for item in values:
            try:
                v = float(item)
            except (TypeError, ValueError):
                raise ValueError(f"Invalid {key} for schedule {name!r}: {item!r} is not a number") from None
            if not math.isfinite(v) or not lo <= v <= hi or (integer and v != int(v)):
                kind = "an integer" if integer else "a number"
                raise ValueError(f"Invalid {key} for schedule {name!r}: {item!r} (expected {kind} in [{lo}, {hi}])")
        if many:
            out[key] = np.asarray(values, dtype=np.int64 if integer else float)
        else:
            out[key] = int(float(value)) if integer else float(value)
    return out


def lr_at(name: str, steps: int, lr, args: dict | None = None) -> np.ndarray:
    """η_t for t = 0 … steps-1: shape (steps,) for a scalar lr and scalar arguments, (steps, K) when
    lr or any argument has one value per trajectory."""
    args = check_schedule(name, args or {})  # first: an unknown name is a ValueError, not a KeyError
    fn = SCHEDULES[name]
    lr = np.asarray(lr, dtype=float)
    K = {len(v) for v in args.values() if isinstance(v, np.ndarray)} | ({lr.size} if lr.ndim else set())
    if len(K) > 1:
        raise ValueError(f"Per-trajectory schedule values disagree in length: {sorted(K)}")
    t = np.arange(steps)
    if K:
        t = t[:, None]
        lr = np.broadcast_to(lr, (K.pop(),))
    return np.broadcast_to(fn(t, lr, **args), (steps,) + lr.shape).astype(float)
