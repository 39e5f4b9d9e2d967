"""Named optimizers: each is a choice of the three parts (schedule × momentum × RMS) under one of
three formula conventions.

- ``torch``   — identical to ``torch.optim`` (momentum buffer starts at g, ε outside √, Adagrad sums).
- ``lecture`` — as on the lecture slides (the adaptive-learning-rate slides; momentum from the batch &
  momentum lecture): Adagrad is the RMS of past gradients
  (a mean, no ε), RMSProp starts at σ_0 = |g_0| (no ε), momentum accumulates the movement
  M_{t+1} = λ M_t − η g_t with θ_{t+1} = θ_t + M_{t+1}.
- ``book``    — Goodfellow et al., algorithms 8.1–8.5 and 8.7 (8.6, RMSProp with Nesterov momentum, is
  not among the slides and not implemented): Adagrad −ε/(δ + √r)·g with δ = 1e-7, RMSProp
  −ε/√(δ + r)·g with δ = 1e-6 inside the root, momentum v ← αv − εg, Nesterov with the gradient
  at the look-ahead point θ + αv.

Where a convention does not define an optimizer (the lecture has no Nesterov, AdamW, NAdam or
RAdam; the book has no AdamW, NAdam or RAdam) it falls back to ``torch`` and says so in ``notes``;
so does momentum with ``nesterov=True`` under the lecture's convention.
Adam is the same in all three: the lecture and the book both show the Adam paper's algorithm,
which PyTorch implements.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from . import parts as P

CONVENTIONS = ("torch", "lecture", "book")


@dataclass(frozen=True)
class Optimizer:
    """θ_{t+1} = θ_t − (η_t / σ_t) · m_t, with η_t from the schedule (base rate `lr`), m_t from
    `momentum` and σ_t from `rms`. Extras, each as PyTorch does it: L2 `weight_decay` added to the
    gradient (or, if `decoupled_weight_decay`, θ ← θ(1 − η_t λ) as AdamW), Adagrad's `lr_decay`
    (η_t / (1 + t·lr_decay), t = 0 for the first update), and `precondition_first` (RMSprop with momentum: the buffer
    accumulates g/σ, then θ ← θ − η_t·m)."""

    name: str
    momentum: Any
    rms: Any
    lr: Any
    convention: str = "torch"
    weight_decay: Any = 0.0
    decoupled_weight_decay: bool = False
    lr_decay: Any = 0.0
    precondition_first: bool = False
    notes: tuple[str, ...] = field(default=(), compare=False)
    composed: tuple = field(default=(), compare=False)  # compose()'s (momentum part, RMS part, hyperparameters)

    @property
    def latex(self) -> str:
        """The update rule exactly as the engine computes it, in LaTeX (one line per part)."""
        if getattr(self.momentum, "carries_lr", False):
            rule = r"\theta_{t+1} = \theta_t + M_{t+1}"
        elif self.precondition_first:
            # torch.optim.RMSprop's buffer starts at 0 and sums g/σ with no dampening: the heavy
            # ball's own line (b_0 = g_0, τ) would be wrong here, so this rule replaces it
            rule = r"\theta_{t+1} = \theta_t - \eta_t\, b_t,\quad b_t = \mu\, b_{t-1} + g_t/\sigma_t,\ b_0 = g_0/\sigma_0"
        else:
            rule = r"\theta_{t+1} = \theta_t - \frac{\eta_t}{\sigma_t}\, m_t"
        lines = [rule, self.rms.latex] if self.precondition_first else [rule, self.momentum.latex, self.rms.latex]
        if any_nonzero(self.weight_decay):
            # λ_wd: plain λ is the lecture's momentum coefficient
            lines.append(r"\theta \leftarrow \theta(1-\eta_t\lambda_{\mathrm{wd}})" if self.decoupled_weight_decay
                         else r"g_t \leftarrow g_t + \lambda_{\mathrm{wd}}\,\theta_t")
        if any_nonzero(self.lr_decay):
            lines.append(r"\eta_t \leftarrow \eta_t / (1 + t\,\text{lr\_decay})")
        return r" \\ ".join(lines)


def any_nonzero(v) -> bool:
    """Whether a hyperparameter (a number, a per-trajectory sequence or (K, 1) tensor) is ever ≠ 0."""
    if torch.is_tensor(v):
        return bool((v != 0).any())
    return any(float(x) != 0.0 for x in _values(v))


# the conventions and optimizers as a reader names them (notes, menus, legends)
CONVENTION_TITLES = {"lecture": "lecture", "book": "book", "torch": "PyTorch"}
TITLES = {"gd": "GD", "momentum": "Momentum", "nesterov": "Nesterov", "adagrad": "Adagrad", "rmsprop": "RMSProp",
          "adam": "Adam", "adamw": "AdamW", "nadam": "NAdam", "radam": "RAdam"}

# name -> {hyperparameter: default}, with torch.optim's names and defaults
DEFAULTS: dict[str, dict[str, Any]] = {
    "gd": dict(lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0),
    "momentum": dict(lr=1e-3, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0),
    "nesterov": dict(lr=1e-3, momentum=0.9, dampening=0.0, nesterov=True, weight_decay=0.0),
    "adagrad": dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10),
    "rmsprop": dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False),
    "adam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, bias_correction=True),
    "adamw": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False),
    "nadam": dict(lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, momentum_decay=4e-3),
    "radam": dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0),
}
# the book's own constants where they differ from PyTorch's defaults
BOOK_DEFAULTS = {"adagrad": {"eps": 1e-7}, "rmsprop": {"eps": 1e-6}}
DEFINED = {
    "torch": set(DEFAULTS),
    "lecture": {"gd", "momentum", "adagrad", "rmsprop", "adam"},
    "book": {"gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"},
}

# (low, high, low_inclusive, high_inclusive) for every scalar hyperparameter
RANGES = {
    "lr": (0.0, 1e3, True, True),
    "momentum": (0.0, 1.0, True, False),
    "dampening": (0.0, 1.0, True, True),
    "weight_decay": (0.0, 1e3, True, True),
    "lr_decay": (0.0, 1e3, True, True),
    "initial_accumulator_value": (0.0, 1e6, True, True),
    "eps": (0.0, 1.0, True, True),
    "alpha": (0.0, 1.0, True, False),
    "beta1": (0.0, 1.0, True, False),
    "beta2": (0.0, 1.0, True, False),
    "momentum_decay": (0.0, 1e3, True, True),
}
FLAGS = {"nesterov", "centered", "amsgrad", "bias_correction"}


def names() -> list[str]:
    return list(DEFAULTS)


def check_value(name: str, value, index=None):
    """Raise a ValueError naming the parameter and its range unless every value is inside it."""
    lo, hi, lo_in, hi_in = RANGES[name]
    label = f"{name} parameter" + (f" at index {index}" if index is not None else "")
    values = _values(value)
    for v in values:
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"Invalid {label}: {v!r} is not a number") from None
        ok = math.isfinite(x) and (x >= lo if lo_in else x > lo) and (x <= hi if hi_in else x < hi)
        if not ok:
            rng = f"{'[' if lo_in else '('}{lo:g}, {hi:g}{']' if hi_in else ')'}"
            raise ValueError(f"Invalid {label}: {v!r} (expected a value in {rng})")


def resolve(name: str, convention: str = "torch", **hyper) -> tuple[str, dict, tuple[str, ...]]:
    """Check `name`, `convention` and the hyperparameters; returns (convention used, full
    hyperparameters with defaults filled in, notes)."""
    if not isinstance(name, str) or name not in DEFAULTS:
        raise ValueError(f"Unknown optimizer {name!r}; choose one of {', '.join(DEFAULTS)}")
    if not isinstance(convention, str) or convention not in CONVENTIONS:
        raise ValueError(f"Unknown convention {convention!r}; choose one of {', '.join(CONVENTIONS)}")
    notes = []
    if name not in DEFINED[convention]:
        notes.append(f"The {convention} convention does not define {TITLES[name]}; using PyTorch's formula.")
        convention = "torch"
    defaults = dict(DEFAULTS[name])
    if convention == "book":
        defaults.update(BOOK_DEFAULTS.get(name, {}))
    unknown = set(hyper) - set(defaults)
    if unknown:
        raise ValueError(f"{name} takes no parameter {sorted(unknown)[0]!r}; it takes: {', '.join(defaults)}")
    hp = {**defaults, **{k: v for k, v in hyper.items() if v is not None}}
    for key, value in hp.items():
        if key in FLAGS:
            if not isinstance(value, (bool, int)) or value not in (0, 1):
                raise ValueError(f"Invalid {key} parameter: {value!r} (expected True or False)")
            hp[key] = bool(value)
        elif key == "betas":
            if not isinstance(value, (list, tuple)) or len(value) != 2:
                raise ValueError(f"Invalid betas parameter: {value!r} (expected a pair (beta1, beta2))")
            check_value("beta1", value[0], 0)
            check_value("beta2", value[1], 1)
        else:
            check_value(key, value)
    if hp.get("nesterov") and (not _all(hp["momentum"], lambda v: v > 0) or any_nonzero(hp["dampening"])):
        raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")
    if hp.get("nesterov") and convention == "lecture":  # the slides' momentum has no look-ahead form
        notes.append("The lecture convention does not define Nesterov momentum; using PyTorch's formula.")
        convention = "torch"
    if convention != "torch":
        for key in ("dampening", "weight_decay", "lr_decay", "initial_accumulator_value"):
            if key in hp and any_nonzero(hp[key]):
                raise ValueError(f"{key} is a PyTorch option, not in the {convention}'s {name}; use convention='torch'")
        for key in ("centered", "amsgrad"):
            if hp.get(key):
                raise ValueError(f"{key} is a PyTorch option, not in the {convention}'s {name}; use convention='torch'")
        if name == "rmsprop" and any_nonzero(hp["momentum"]):
            raise ValueError(f"RMSProp with momentum is not in the {convention}'s formulas here (the lecture has "
                             "none; the book's algorithm 8.6, with Nesterov momentum, is not implemented); "
                             "use convention='torch'")
    return convention, hp, tuple(notes)


def _values(v) -> list:
    """The values of a hyperparameter: one, or one per trajectory (a list, tuple or numpy array,
    as the engine accepts)."""
    if isinstance(v, (list, tuple)):
        return list(v)
    if isinstance(v, np.ndarray) and v.ndim > 0:
        return v.ravel().tolist()
    return [v]


def _all(v, pred) -> bool:
    vs = _values(v)
    return all(pred(float(x)) for x in vs)


def build(name: str, convention: str, hp: dict, notes: tuple = ()) -> Optimizer:
    """The Optimizer for a resolved (name, convention, hyperparameters); values may be tensors."""
    b1, b2 = hp["betas"] if "betas" in hp else (None, None)
    common = dict(lr=hp["lr"], convention=convention, weight_decay=hp.get("weight_decay", 0.0), notes=notes)
    if name in ("gd", "momentum", "nesterov"):
        mu = hp["momentum"]
        if convention != "torch" and (name != "gd" or any_nonzero(mu)):
            mom = P.Movement(mu, lookahead=hp["nesterov"])
        elif name == "gd" and not hp["nesterov"] and not any_nonzero(mu):
            mom = P.Identity()
        else:
            mom = P.HeavyBall(mu, hp["dampening"], hp["nesterov"])
        return Optimizer(name, mom, P.NoRMS(), **common)
    if name == "adagrad":
        rms = (P.AdagradMean() if convention == "lecture"
               else P.AdagradSum(hp["eps"], hp["initial_accumulator_value"], book=convention == "book"))
        return Optimizer(name, P.Identity(), rms, lr_decay=hp["lr_decay"], **common)
    if name == "rmsprop":
        if convention == "lecture":
            rms = P.RMSEmaLecture(hp["alpha"])
        elif convention == "book":
            rms = P.RMSEmaBook(hp["alpha"], hp["eps"])
        else:
            rms = P.RMSEma(hp["alpha"], hp["eps"], hp["centered"])
        if any_nonzero(hp["momentum"]):
            return Optimizer(name, P.HeavyBall(hp["momentum"]), rms, precondition_first=True, **common)
        return Optimizer(name, P.Identity(), rms, **common)
    if name in ("adam", "adamw"):
        bc = hp.get("bias_correction", True)
        return Optimizer(name, P.EMA(b1, bc), P.AdamRMS(b2, hp["eps"], bc, hp["amsgrad"]),
                         decoupled_weight_decay=(name == "adamw"), **common)
    if name == "nadam":
        return Optimizer(name, P.NAdamMomentum(b1, hp["momentum_decay"]), P.AdamRMS(b2, hp["eps"]), **common)
    if name == "radam":
        return Optimizer(name, P.EMA(b1, True), P.RAdamRMS(b2, hp["eps"]), **common)
    raise AssertionError(name)


# the parts a user can compose in "compose your own" (the summary slide)
MOMENTUM_PARTS = {
    "none": lambda hp: P.Identity(),
    "heavy_ball": lambda hp: P.HeavyBall(hp.get("momentum", 0.9)),
    "nesterov": lambda hp: P.HeavyBall(hp.get("momentum", 0.9), 0.0, True),
    "movement": lambda hp: P.Movement(hp.get("momentum", 0.9)),
    "ema": lambda hp: P.EMA(hp.get("beta1", 0.9), hp.get("bias_correction", True)),
}
RMS_PARTS = {
    "none": lambda hp: P.NoRMS(),
    "adagrad_sum": lambda hp: P.AdagradSum(hp.get("eps", 1e-10)),
    "adagrad_mean": lambda hp: P.AdagradMean(),
    "rmsprop": lambda hp: P.RMSEma(hp.get("alpha", 0.99), hp.get("eps", 1e-8)),
    "rmsprop_lecture": lambda hp: P.RMSEmaLecture(hp.get("alpha", 0.9)),
    "adam": lambda hp: P.AdamRMS(hp.get("beta2", 0.999), hp.get("eps", 1e-8), hp.get("bias_correction", True)),
}
# the parts as a reader names them (legends and menus; the keys above are the code's names)
MOMENTUM_PART_NAMES = {"none": "none (m = g)", "heavy_ball": "heavy ball (PyTorch)", "nesterov": "Nesterov (PyTorch)",
                       "movement": "movement (lecture)", "ema": "EMA of g (Adam's m)"}
RMS_PART_NAMES = {"none": "none (σ = 1)", "adagrad_sum": "Adagrad, √ of the sum (PyTorch)",
                  "adagrad_mean": "Adagrad, √ of the mean (lecture)", "rmsprop": "RMSProp (PyTorch)",
                  "rmsprop_lecture": "RMSProp (lecture, σ⁰ = |g⁰|)", "adam": "Adam's v"}
COMPOSE_KEYS = {"lr", "momentum", "beta1", "beta2", "alpha", "eps", "bias_correction"}


def compose(momentum: str = "none", rms: str = "none", /, **hp) -> Optimizer:
    """Your own optimizer from the summary slide's parts: `momentum` in MOMENTUM_PARTS, `rms` in
    RMS_PARTS (the schedule is chosen in `run`). E.g. compose("ema", "adam", lr=0.1) is Adam."""
    if not isinstance(momentum, str) or momentum not in MOMENTUM_PARTS:
        raise ValueError(f"Unknown momentum part {momentum!r}; choose one of {', '.join(MOMENTUM_PARTS)}")
    if not isinstance(rms, str) or rms not in RMS_PARTS:
        raise ValueError(f"Unknown RMS part {rms!r}; choose one of {', '.join(RMS_PARTS)}")
    unknown = set(hp) - COMPOSE_KEYS
    if unknown:
        raise ValueError(f"compose takes no parameter {sorted(unknown)[0]!r}; it takes: {', '.join(sorted(COMPOSE_KEYS))}")
    for key, value in hp.items():
        if key == "bias_correction":
            if not isinstance(value, (bool, int)) or value not in (0, 1):
                raise ValueError(f"Invalid bias_correction parameter: {value!r} (expected True or False)")
            continue
        check_value(key, value)
    hp.setdefault("lr", 1e-2)
    return build_composed(momentum, rms, hp)


def build_composed(momentum: str, rms: str, hp: dict) -> Optimizer:
    """The Optimizer of compose(momentum, rms, **hp), hp as given (run() rebuilds it with
    per-trajectory values as tensors on its device, as it does a named optimizer's)."""
    return Optimizer(f"{momentum}+{rms}", MOMENTUM_PARTS[momentum](hp), RMS_PARTS[rms](hp), lr=hp["lr"],
                     convention="composed", composed=(momentum, rms, tuple(hp.items())))
