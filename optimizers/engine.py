"""The engine: K trajectories at once as one (K, 2) float64 tensor, under the one update rule

    θ_{t+1} = θ_t − (η_t / σ_t) · m_t

written once in `_update`. Everything a page or a test needs is recorded as numpy arrays.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

import surfaces
from . import fast, presets, schedules
from .presets import Optimizer

MAX_STEPS = 1_000_000
DIVERGENCE_MARGIN = 50.0  # a point more than 50 view-widths outside the bounds has diverged


@dataclass
class Trajectory:
    """What `run` records. Shapes for K trajectories (the K axis is absent for a single start):
    path (T+1, K, 2), loss (T+1, K), grad (T+1, K, 2) and grad_norm (T+1, K) at each point of the
    path; lr (T,) or (T, K) η_t used by update t; m, sigma, step_size (T, K, 2): m_t, σ_t and
    η_t/σ_t per coordinate. After a trajectory diverges its path stays at the last finite point
    and its other records are NaN; `diverged_at` is the number of the update that failed."""

    path: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    grad_norm: np.ndarray
    lr: np.ndarray
    m: np.ndarray
    sigma: np.ndarray
    step_size: np.ndarray
    diverged_at: Any               # None | int, or a K-list of them
    optimizer: str = ""
    convention: str = "torch"
    latex: str = ""
    notes: tuple[str, ...] = ()
    device: str = "cpu"
    meta: dict = field(default_factory=dict)

    @property
    def batched(self) -> bool:
        return self.path.ndim == 3


def pick_device(device: str = "cpu") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for but no CUDA GPU is available; use 'auto' or 'cpu'")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"Invalid device {device!r}; choose 'cpu', 'cuda' or 'auto'")
    return torch.device(device)


def _length(name: str, v) -> int | None:
    """K for a per-trajectory value (a flat list, tuple or array), None for a single value."""
    if isinstance(v, np.ndarray) and v.ndim == 0:
        return None
    if isinstance(v, (list, tuple, np.ndarray)):
        try:
            ndim = np.ndim(v)
        except ValueError:  # ragged nesting
            ndim = 2
        if ndim != 1:
            raise ValueError(f"Invalid {name}: expected a number or a flat sequence of numbers (one per trajectory)")
        if len(v) == 0:
            raise ValueError(f"Invalid {name}: an empty sequence (expected a number, or one per trajectory)")
        return len(v)
    return None


def run(
    surface,
    optimizer: str | Optimizer = "gd",
    steps: int = 100,
    start=None,
    *,
    schedule: str = "constant",
    schedule_args: dict | None = None,
    convention: str = "torch",
    device: str = "cpu",
    noise: float = 0.0,
    seed: int = 0,
    max_norm: float | None = None,
    backend: str = "auto",
    record: str = "all",
    **hyper,
) -> Trajectory:
    """Run `optimizer` on `surface` for `steps` updates.

    `start` is (x, y) or a (K, 2) array (K trajectories); any hyperparameter may be a length-K
    sequence (one value per trajectory; `betas` as a pair of scalars or of sequences). `noise` adds
    a seeded Gaussian of that standard deviation to every gradient (minibatch-like noise);
    `max_norm` clips each trajectory's gradient norm as `torch.nn.utils.clip_grad_norm_`.
    `backend`: "eager" runs the rule as torch operations (parts.py; any device, any surface — the
    reference); "numba" runs its transcription into loops over the K trajectories (fast.py),
    compiled for the CPU, ~1000× faster per update for small K; "auto" picks "numba" on the CPU for formula surfaces, else "eager".
    `record="final"` keeps only the start and the last point (path (2, K, 2), loss (2, K), …; m,
    sigma, step_size of the last update) — for sweeps of thousands of trajectories; `record="loss"`
    keeps that and the whole loss (T+1, K) (steps to reach a tolerance).

    >>> t = run("bowl", "adam", steps=1000, start=(-8.0, 1.0), lr=0.1)
    >>> t.path.shape
    (1001, 2)
    """
    surface = surfaces.get(surface)
    steps = check_int("steps", steps, 1, MAX_STEPS)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    noise = _number("noise", noise, "a standard deviation >= 0", lambda v: v >= 0)
    if max_norm is not None:
        max_norm = _number("max_norm", max_norm, "a number > 0, or None for no clipping", lambda v: v > 0)
    dev = pick_device(device)
    if backend not in ("eager", "numba", "auto"):
        raise ValueError(f"Invalid backend {backend!r}; choose 'eager', 'numba' or 'auto'")
    if record not in ("all", "final", "loss"):
        raise ValueError(f"Invalid record {record!r}; choose 'all', 'final' or 'loss'")

    start = check_start(surface, start)
    betas = hyper.get("betas")
    if betas is not None and (not isinstance(betas, (list, tuple)) or len(betas) != 2):
        raise ValueError(f"Invalid betas parameter: {betas!r} (expected a pair (beta1, beta2))")

    # the batch size K: from the starts, or from per-trajectory hyperparameters (compose()'s included)
    lengths = per_trajectory_lengths(optimizer, hyper, schedule_args)
    K_values = set(lengths.values()) | ({len(start)} if start.ndim == 2 else set())
    if len(K_values) > 1:
        raise ValueError(f"Per-trajectory values disagree in length: {lengths} and start {start.shape}")
    batched = bool(K_values)
    K = K_values.pop() if K_values else 1
    starts = np.broadcast_to(start, (K, 2)) if start.ndim == 1 else start

    opt, conv, notes, base_lr = build_optimizer(optimizer, convention, hyper, dev)
    lr_np = lr_table(schedule, steps, base_lr, schedule_args, opt)

    if backend == "auto":
        backend = "numba" if dev.type == "cpu" and fast.supports(surface, opt) else "eager"
    elif backend == "numba" and (dev.type != "cpu" or not fast.supports(surface, opt)):
        raise ValueError("backend='numba' runs formula surfaces on the CPU only; use 'eager' or 'auto'")
    rec = _loop(surface, opt, steps, np.array(starts, dtype=np.float64), lr_np, dev, noise, seed, max_norm, backend,
                record=record)
    diverged = rec.pop("diverged_at")
    out = {k: v for k, v in rec.items()}
    for k in ("loss", "grad", "grad_norm", "m", "sigma", "step_size"):
        if record != "all" and not (k == "loss" and record == "loss"):  # rows: start and last; last update
            out[k] = _blank_after(out[k], np.where(diverged >= 0, 1, -1), offset=1 if k in ("loss", "grad", "grad_norm") else 0)
        else:
            out[k] = _blank_after(out[k], diverged, offset=1 if k in ("loss", "grad", "grad_norm") else 0)
    div_list = [None if d < 0 else int(d) for d in diverged]
    if not batched:
        out = {k: v[:, 0] for k, v in out.items()}
        div = div_list[0]
    else:
        div = div_list
    lr_out = lr_np if batched or lr_np.ndim == 1 else lr_np[:, 0]
    return Trajectory(lr=lr_out, diverged_at=div, optimizer=opt.name, convention=conv, latex=opt.latex,
                      notes=tuple(notes), device=str(dev),
                      meta={"surface": surface.name, "steps": steps, "backend": backend}, **out)


def per_trajectory_lengths(optimizer, hyper: dict, schedule_args: dict | None = None) -> dict[str, int]:
    """{name: K} for every hyperparameter given one value per trajectory (a flat sequence): those of
    `hyper`, or of compose()'s values for a composed optimizer, and the schedule's arguments."""
    composed = optimizer.composed if isinstance(optimizer, Optimizer) else ()
    flat = dict(composed[2]) if composed and not hyper else dict(hyper)
    if "betas" in flat and flat["betas"] is not None:
        flat["beta1"], flat["beta2"] = flat["betas"]
    lengths = {k: _length(k, v) for k, v in flat.items() if k != "betas"}
    if isinstance(schedule_args, dict):
        lengths.update({f"schedule_args[{k}]": _length(f"schedule_args[{k}]", v) for k, v in schedule_args.items()})
    return {k: n for k, n in lengths.items() if n is not None}


def build_optimizer(optimizer: str | Optimizer, convention: str, hyper: dict, dev) -> tuple[Optimizer, str, tuple, Any]:
    """(optimizer, convention used, notes, base η) for a preset's name and its hyperparameters, or
    for a composed/ready Optimizer (its hyperparameters come from compose()). Per-trajectory values
    become (K, 1) tensors on `dev`. The engine and the minibatch trainer both build through here."""
    if isinstance(optimizer, Optimizer):
        if hyper:
            raise ValueError("Pass hyperparameters to compose(), not to run(), for a composed optimizer")
        opt = optimizer
        if optimizer.composed:  # per-trajectory values as (K, 1) tensors on the device, as for a named optimizer
            momentum, rms, hp = optimizer.composed
            opt = presets.build_composed(momentum, rms, _tensorize(dict(hp), dev))
        return opt, optimizer.convention, optimizer.notes, optimizer.lr
    conv, hp, notes = presets.resolve(optimizer, convention, **hyper)
    return presets.build(optimizer, conv, _tensorize(hp, dev), notes), conv, notes, hp["lr"]


def lr_table(schedule: str, steps: int, base_lr, schedule_args: dict | None, opt: Optimizer) -> np.ndarray:
    """η_t for every update, (T,) or (T, K): the schedule (checked), then Adagrad's lr_decay as torch
    applies it, η_t / (1 + (n − 1)·lr_decay), one decay for all trajectories or one per trajectory."""
    args = schedules.check_schedule(schedule, schedule_args or {})
    lr = schedules.lr_at(schedule, steps, np.asarray(base_lr, dtype=float), args)
    if presets.any_nonzero(opt.lr_decay):
        decay = _numpy(opt.lr_decay).reshape(-1)
        t = np.arange(steps, dtype=float)
        if decay.size == 1:
            lr = lr / (1.0 + t.reshape((-1,) + (1,) * (lr.ndim - 1)) * decay[0])
        else:
            lr = lr.reshape(steps, -1) / (1.0 + t[:, None] * decay[None, :])
    return lr


def check_start(surface, start) -> np.ndarray:
    """`start` as a float array: (2,) for (x, y), (K, 2) for K starts, the surface's default for None;
    else a ValueError that says what was expected."""
    try:
        start = np.asarray(surface.start if start is None else start, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid start: {start!r} (expected (x, y) or a (K, 2) array of numbers)") from None
    if start.shape != (2,) and (start.ndim != 2 or start.shape[1] != 2 or len(start) == 0):
        raise ValueError(f"Invalid start: expected (x, y) or a (K, 2) array, got shape {start.shape}")
    if not np.isfinite(start).all():
        raise ValueError("Invalid start: the coordinates must be finite numbers")
    return start


def check_int(name: str, value, lo: int, hi: int) -> int:
    """`value` as an int when it is a whole number in [lo, hi] (an int, or a float equal to one; not
    a bool), else a ValueError that names it and the range."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):  # exactly, not via float
        if not lo <= int(value) <= hi:
            raise ValueError(f"Invalid {name}: {value!r} (expected an integer in [{lo}, {hi}])")
        return int(value)
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"Invalid {name}: {value!r} (expected an integer in [{lo}, {hi}])") from None
    if isinstance(value, (bool, np.bool_)) or not (math.isfinite(v) and v == int(v) and lo <= v <= hi):
        raise ValueError(f"Invalid {name}: {value!r} (expected an integer in [{lo}, {hi}])")
    return int(v)


def _number(name, value, expected, ok) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid {name}: {value!r} (expected {expected})") from None
    if not (math.isfinite(v) and ok(v)):
        raise ValueError(f"Invalid {name}: {value!r} (expected {expected})")
    return v


def _numpy(v) -> np.ndarray:
    """A hyperparameter (number, sequence or tensor on any device) as a float64 array."""
    return v.detach().cpu().numpy().astype(float) if torch.is_tensor(v) else np.asarray(v, dtype=float)


def _tensorize(hp: dict, dev) -> dict:
    """Per-trajectory sequences become (K, 1) tensors (broadcast over x, y); scalars stay floats."""
    def conv(v):
        if isinstance(v, np.ndarray) and v.ndim == 0:  # a numpy scalar array is one value
            return float(v)
        if isinstance(v, (list, tuple, np.ndarray)):
            return torch.as_tensor(np.asarray(v, dtype=float), dtype=torch.float64, device=dev).reshape(-1, 1)
        if isinstance(v, bool):
            return v
        return float(v)
    out = {}
    for k, v in hp.items():
        if k == "betas":
            out[k] = (conv(v[0]), conv(v[1]))
        elif k == "lr":
            out[k] = v  # the schedule handles η
        else:
            out[k] = conv(v)
    return out


def _blank_after(a: np.ndarray, diverged: np.ndarray, offset: int) -> np.ndarray:
    """NaN every record of a trajectory from the update where it diverged on (its path is frozen)."""
    if (diverged < 0).all():
        return a
    idx = np.arange(a.shape[0]).reshape((-1, 1))
    dead = (diverged[None, :] >= 0) & (idx >= (diverged[None, :] - 1 + offset))
    a = a.copy()
    a[dead] = np.nan
    return a


def value_and_grad(surface, theta):
    """(f, ∇f) at the rows of theta (K, 2), by autograd."""
    p = theta.detach().requires_grad_(True)
    with torch.enable_grad():
        f = surface(p)
        (g,) = torch.autograd.grad(f.sum(), p)
    return f.detach(), g


def _update(opt: Optimizer, theta, g, state, n: int, eta):
    """One update of the rule θ_{t+1} = θ_t − (η_t/σ_t)·m_t; returns (θ_{t+1}, m_t, σ_t, state)."""
    mom_state, rms_state = state
    if _is_nonzero_fast(opt.weight_decay) and not opt.decoupled_weight_decay:
        g = g + opt.weight_decay * theta
    sigma, rms_state = opt.rms.update(rms_state, g, n)
    ratio = g / sigma
    if opt.rms.may_be_zero:  # the lecture's σ has no ε: σ = 0 only where every gradient was 0
        ratio = torch.where(sigma > 0, ratio, torch.zeros_like(ratio))
    # m_t is recorded as what the rule multiplies by η_t/σ_t, so that θ_{t+1} = θ_t − (η_t/σ_t)·m_t
    # holds for the records of every form (and a μ = 0 trajectory records g_t, whatever its batch).
    if getattr(opt.momentum, "carries_lr", False):  # the lecture's movement: η inside the sum
        M, mom_state = opt.momentum.update(mom_state, eta * ratio, n)
        new = theta + M
        if torch.is_tensor(eta):  # per trajectory: m is undefined (NaN) where η_t = 0
            m = torch.where(eta != 0, -M * sigma / torch.where(eta != 0, eta, 1.0), float("nan"))
        else:
            m = -M * sigma / eta if eta != 0 else torch.full_like(M, float("nan"))
    elif opt.precondition_first:                      # PyTorch RMSprop with momentum
        b, mom_state = opt.momentum.update(mom_state, ratio, n)
        new = theta - eta * b
        m = b * sigma
    else:
        m, mom_state = opt.momentum.update(mom_state, g, n)
        step = m / sigma
        if opt.rms.may_be_zero:
            step = torch.where(sigma > 0, step, torch.zeros_like(step))
        new = theta - eta * step
    if opt.decoupled_weight_decay and _is_nonzero_fast(opt.weight_decay):
        new = new - eta * opt.weight_decay * theta
    return new, m, sigma, (mom_state, rms_state)


def _is_nonzero_fast(v) -> bool:
    return bool(v != 0.0) if not torch.is_tensor(v) else True


BLOCK = 1024  # eager updates per block (noise is drawn per block, the same for both backends)


def _block(surface, opt: Optimizer, carry, n0: int, etas, noise, lo, hi, max_norm, lookahead: bool,
           keep_rows: bool = True):
    """len(etas) eager updates from `carry`; returns (carry, rows (B, K, 9): path, loss, grad, m, σ,
    losses (B, K)); with keep_rows=False only the last update's row (the losses are always kept:
    record="loss" needs them, and they are K numbers an update)."""
    theta, f, g, state, alive, diverged = carry
    rows, losses = [], []
    for i in range(len(etas)):
        n = n0 + i
        eta = etas[i]
        gu = g
        if lookahead:  # the book's Nesterov: the gradient at the look-ahead point θ + λM
            gu = value_and_grad(surface, theta + opt.momentum.momentum * state[0][0])[1]
        if noise is not None:
            gu = gu + noise[i]
        if max_norm is not None:
            norm = torch.linalg.vector_norm(gu, dim=-1, keepdim=True)
            gu = gu * torch.clamp(max_norm / (norm + 1e-6), max=1.0)
        new, m, sigma, state = _update(opt, theta, gu, state, n, eta)
        f_new, g_new = value_and_grad(surface, new)
        bad = ~(torch.isfinite(new).all(-1) & torch.isfinite(f_new) & (new >= lo).all(-1) & (new <= hi).all(-1))
        diverged = torch.where(bad & alive, n, diverged)
        alive = alive & ~bad
        keep = alive.unsqueeze(-1)
        theta = torch.where(keep, new, theta)
        f = torch.where(alive, f_new, f)
        g = torch.where(keep, g_new, g)
        sigma = sigma if torch.is_tensor(sigma) else torch.full_like(theta, sigma)
        row = torch.cat([theta, f.unsqueeze(-1), g, m.expand_as(theta), sigma.expand_as(theta)], -1)
        if keep_rows or i == len(etas) - 1:
            rows.append(row)
        losses.append(f)
    return (theta, f, g, state, alive, diverged), torch.stack(rows), torch.stack(losses)


def _noise(noise: float, seed: int, steps: int, K: int, dev):
    """The gradient noise, drawn per block of BLOCK updates: (B, K, 2) tensors, or Nones."""
    if noise <= 0:
        for _ in range(0, steps, BLOCK):
            yield None
        return
    gen = torch.Generator(device=dev)
    gen.manual_seed(int(seed))
    for t0 in range(0, steps, BLOCK):
        yield noise * torch.randn((min(BLOCK, steps - t0), K, 2), generator=gen, dtype=torch.float64, device=dev)


def divergence_box(bounds) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi): a point outside DIVERGENCE_MARGIN view-widths around the bounds has diverged."""
    (x0, x1), (y0, y1) = bounds
    span = max(x1 - x0, y1 - y0)
    return np.array([x0, y0]) - DIVERGENCE_MARGIN * span, np.array([x1, y1]) + DIVERGENCE_MARGIN * span


def _loop(surface, opt: Optimizer, steps: int, starts: np.ndarray, lr_np: np.ndarray, dev, noise, seed, max_norm,
          backend: str, record: str = "all") -> dict:
    K = starts.shape[0]
    lo, hi = divergence_box(surface.bounds)
    if backend == "numba":
        blocks = [b for b in _noise(noise, seed, steps, K, dev)]
        nz = torch.cat(blocks).numpy() if blocks[0] is not None else None
        out = fast.run_fast(surface, opt, starts, np.broadcast_to(lr_np.reshape(steps, -1), (steps, K)), nz,
                            max_norm, lo, hi, final_only=record != "all", loss_history=record == "loss")
    else:
        out = _eager_loop(surface, opt, steps, torch.as_tensor(starts, device=dev), lr_np, dev, noise, seed,
                          max_norm, torch.as_tensor(lo, device=dev), torch.as_tensor(hi, device=dev),
                          final_only=record != "all", loss_history=record == "loss")
    if "step_size" not in out:  # the numba kernel writes these two as it goes
        sigma = out["sigma"]
        out["grad_norm"] = np.sqrt((out["grad"] ** 2).sum(-1))
        lr_rows = lr_np.reshape(steps, -1, 1)[-len(sigma):]
        with np.errstate(divide="ignore", invalid="ignore"):  # σ = 0 (lecture forms, no ε): no step, η/σ undefined
            step = np.broadcast_to(lr_rows, sigma.shape) / sigma
        out["step_size"] = np.where(sigma == 0, np.nan, step)
    return out


def _eager_loop(surface, opt, steps, theta, lr_np, dev, noise, seed, max_norm, lo, hi, final_only,
                loss_history=False) -> dict:
    """The eager updates, block by block: every record, or with `final_only` the start and the last
    point (and the last update's m, σ); with `loss_history` also the loss at every step."""
    K = theta.shape[0]
    if lr_np.ndim == 1:
        etas = lr_np.tolist()  # Python floats: the cheapest per eager step
    else:
        etas = torch.as_tensor(lr_np, dtype=torch.float64, device=dev).unsqueeze(-1)  # (T, K, 1)
    lookahead = bool(getattr(opt.momentum, "lookahead", False))
    f, g = value_and_grad(surface, theta)
    carry = (theta, f, g, (opt.momentum.init(theta), opt.rms.init(theta)),
             torch.ones(K, dtype=torch.bool, device=dev), torch.full((K,), -1, dtype=torch.long, device=dev))
    blocks, losses = [], []
    for t0, nz in zip(range(0, steps, BLOCK), _noise(noise, seed, steps, K, dev)):
        b = min(BLOCK, steps - t0)
        carry, rows, block_losses = _block(surface, opt, carry, t0 + 1, etas[t0:t0 + b], nz, lo, hi, max_norm,
                                           lookahead, keep_rows=not final_only)
        blocks.append(rows)
        losses.append(block_losses)
    rows = torch.cat(blocks[-1:] if final_only else blocks).cpu().numpy()  # (T or 1, K, 9)
    loss = torch.cat(losses).cpu().numpy() if loss_history else rows[..., 2]
    return {
        "path": np.concatenate([theta.cpu().numpy()[None], rows[..., 0:2]]),
        "loss": np.concatenate([f.cpu().numpy()[None], loss]),
        "grad": np.concatenate([g.cpu().numpy()[None], rows[..., 3:5]]),
        "m": rows[..., 5:7], "sigma": rows[..., 7:9], "diverged_at": carry[5].cpu().numpy(),
    }
