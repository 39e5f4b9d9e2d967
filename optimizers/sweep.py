"""Hyperparameter sweeps: "which η works?" answered at a glance.

A grid of η on a log scale × one second hyperparameter (β₁, α, momentum, or the warm-up length),
every cell one trajectory from the same start, all cells in ONE batched run: `optimizers.run` with
per-trajectory hyperparameter lists (β₁, α, momentum) or per-trajectory schedule arguments (the
warm-up length), keeping only the loss history (record="loss"). Cell (i, j) is value i of the second hyperparameter and rate j; trajectory
k = i·n_lr + j.

For each cell: the final loss, the first step at which loss − f* ≤ tol (f* the surface's known
minimum value, else the lowest loss anywhere in the sweep; NaN if never, or if the run diverged),
and whether the run diverged. Memory stays bounded: with a known f* each chunk's loss history is
reduced as it arrives (a 100 × 100 sweep of 20,000 steps would otherwise hold 1.6 GB).

Pure library: no streamlit.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

import surfaces
from . import presets
from .engine import check_int, pick_device, run

MAX_CELLS = 10_000            # 100 × 100
MAX_SIDE = 100
MAX_STEPS = 20_000
HISTORY_BYTES = 256 * 2**20   # loss histories kept at once when f* must be found first (else rerun)

# second hyperparameter -> (label, default range, optimizers that take it)
SECOND = {
    "beta1": ("β₁", (0.0, 0.99), ("adam", "adamw", "nadam", "radam")),
    "alpha": ("α", (0.5, 0.999), ("rmsprop",)),
    "momentum": ("momentum λ", (0.0, 0.99), ("momentum", "nesterov", "rmsprop")),
    "warmup_steps": ("warm-up length (steps)", (1, 200), tuple(presets.DEFAULTS)),
}
METRICS = ("final loss", "steps to tolerance", "diverged")


def default_range(optimizer: str, param: str, steps: int) -> tuple:
    """The default (lo, hi) of `param` for `optimizer`: SECOND's range, with a warm-up no longer than
    the run and, for Nesterov (which needs μ > 0), momentum from NESTEROV_MIN."""
    lo, hi = SECOND[param][1]
    if param == "warmup_steps":
        hi = max(1, min(hi, int(steps)))
    if param == "momentum" and optimizer == "nesterov":
        lo = NESTEROV_MIN
    return lo, hi


NESTEROV_MIN = 0.1


def second_params(optimizer: str) -> list[str]:
    """The second hyperparameters a sweep of `optimizer` may vary."""
    return [k for k, (_, _, opts) in SECOND.items() if optimizer in opts]


@dataclass(frozen=True)
class SweepResult:
    """Grids of shape (n_values, n_lr): rows follow `values`, columns follow `lrs`."""

    surface: str
    optimizer: str
    convention: str
    param: str
    lrs: np.ndarray                 # (n_lr,)
    values: np.ndarray              # (n_values,)
    final_loss: np.ndarray          # NaN where diverged
    steps_to_tol: np.ndarray        # first step with loss − f* ≤ tol; NaN if never (or diverged)
    diverged: np.ndarray            # bool
    f_star: float
    tol: float
    steps: int
    start: tuple[float, float]
    fixed: tuple                    # the other hyperparameters, as sorted (name, value) pairs
    seconds: float
    device: str
    chunks: int

    @property
    def cells(self) -> int:
        return self.final_loss.size

    def cell(self, i: int, j: int) -> dict:
        """Everything about cell (value i, rate j)."""
        return {"lr": float(self.lrs[j]), self.param: self.values[i].item(), "final_loss": float(self.final_loss[i, j]),
                "steps_to_tol": float(self.steps_to_tol[i, j]), "diverged": bool(self.diverged[i, j])}


def lr_grid(lo: float, hi: float, n: int) -> np.ndarray:
    """n rates evenly spaced in log10 between lo and hi."""
    for name, v in (("lowest η", lo), ("highest η", hi)):
        if not (isinstance(v, (int, float)) and math.isfinite(v) and 0 < v <= 1e3):
            raise ValueError(f"Invalid {name}: {v!r} (expected a number in (0, 1000])")
    if not lo < hi:
        raise ValueError(f"Invalid η range: {lo:g} … {hi:g} (the lowest must be below the highest)")
    n = check_int("number of η values", n, 1, MAX_SIDE)
    return np.logspace(math.log10(lo), math.log10(hi), n)


def value_grid(param: str, lo, hi, n: int, steps: int) -> np.ndarray:
    """n values of the second hyperparameter from lo to hi (whole numbers, no repeats, for warm-up)."""
    if param not in SECOND:
        raise ValueError(f"Unknown sweep parameter {param!r}; choose one of {', '.join(SECOND)}")
    n = check_int(f"number of {SECOND[param][0]} values", n, 1, MAX_SIDE)
    if param == "warmup_steps":
        lo_i = check_int("shortest warm-up", lo, 1, steps)
        hi_i = check_int("longest warm-up", hi, 1, steps)
        if lo_i > hi_i:
            raise ValueError(f"Invalid warm-up range: {lo_i} … {hi_i}")
        return np.unique(np.round(np.linspace(lo_i, hi_i, n)).astype(int))
    presets.check_value(param, [lo, hi])
    if not lo <= hi:
        raise ValueError(f"Invalid {SECOND[param][0]} range: {lo:g} … {hi:g}")
    values = np.linspace(float(lo), float(hi), n)
    if n > 1 and hi > lo:  # short decimals (0.5121, not 0.5120689655172415: the value goes into a link),
        #                    rounded to 1 % of the spacing and kept inside [lo, hi]
        values = np.clip(np.round(values, math.ceil(-math.log10((hi - lo) / (n - 1) / 100))), lo, hi)
    return np.unique(values)  # lo == hi: one row, not n copies of it


def _f_star(surface) -> float | None:
    if surface.minima:
        x, y = surface.minima[0]
        return float(surface.numpy(np.array(x), np.array(y)))
    return None


def sweep(surface, optimizer: str = "adam", *, param: str = "beta1", lr_range=(1e-3, 1.0), n_lr: int = 50,
          value_range=None, n_values: int = 50, steps: int = 300, convention: str = "torch", start=None,
          tol: float = 1e-3, device: str = "auto", chunk: int | None = None, lrs=None,
          progress: Callable[[float], None] | None = None, **fixed) -> SweepResult:
    """Sweep η (log grid over `lr_range`, `n_lr` values) × `param` (`n_values` over `value_range`,
    default SECOND[param]'s range) for `optimizer` on `surface`, `steps` updates from `start`.

    `lrs` gives the η values explicitly instead (increasing, positive; e.g. a UI's slider grid).
    `fixed` holds the other hyperparameters (torch.optim names; `beta2` for Adam's β₂). `chunk`
    splits the cells into runs of at most that many trajectories (for a progress bar); None runs
    every cell at once. `progress(fraction)` is called as the work advances.

    >>> r = sweep("bowl", "adam", param="beta1", n_lr=3, n_values=2, steps=50)
    >>> r.final_loss.shape
    (2, 3)
    """
    t0 = time.perf_counter()
    s = surfaces.get(surface)
    if optimizer not in presets.DEFAULTS:
        raise ValueError(f"Unknown optimizer {optimizer!r}; choose one of {', '.join(presets.DEFAULTS)}")
    if param not in second_params(optimizer):
        raise ValueError(f"{optimizer} has no {param!r} to sweep; choose one of {', '.join(second_params(optimizer))}")
    steps = check_int("steps", steps, 1, MAX_STEPS)
    if not (isinstance(tol, (int, float)) and math.isfinite(tol) and tol > 0):
        raise ValueError(f"Invalid tolerance: {tol!r} (expected a number > 0)")
    if lrs is None:
        lrs = lr_grid(*lr_range, n_lr)
    else:
        lrs = np.asarray(lrs, dtype=float).ravel()
        if not (1 <= len(lrs) <= MAX_SIDE and np.all(np.isfinite(lrs)) and np.all(lrs > 0) and np.all(np.diff(lrs) > 0)):
            raise ValueError(f"Invalid η values: expected 1 … {MAX_SIDE} increasing positive numbers")
    values = value_grid(param, *(value_range or default_range(optimizer, param, steps)), n_values, steps)
    P, J = len(values), len(lrs)
    K = P * J
    if K > MAX_CELLS:
        raise ValueError(f"Too many cells: {P} × {J} = {K} (at most {MAX_CELLS})")
    start = tuple(float(v) for v in (s.start if start is None else start))
    lr_k = np.tile(lrs, P)                       # (K,) trajectory k = i·J + j
    val_k = np.repeat(values, J)                 # (K,)
    chunk = K if chunk is None else max(1, int(chunk))
    dev = pick_device(device)
    fixed = {k: v for k, v in fixed.items() if v is not None}
    if "beta2" in fixed:
        b2 = fixed.pop("beta2")
        fixed["betas"] = (presets.DEFAULTS.get(optimizer, {}).get("betas", (0.9, 0.999))[0], b2)

    final = np.empty(K)
    div = np.zeros(K, dtype=bool)
    reach = np.full(K, np.nan)
    f_star = _f_star(s)
    # Without a known minimum, f* is the lowest loss anywhere in the sweep, known only at the end: the
    # loss histories are kept while they fit in HISTORY_BYTES, else each chunk runs a second time.
    keep = f_star is None and K * (steps + 1) * 8 <= HISTORY_BYTES
    histories, lowest, n_chunks = [], math.inf, 0
    chunks = [(a, min(K, a + chunk)) for a in range(0, K, chunk)]
    again = f_star is None and not keep
    for n, (a, b) in enumerate(chunks):
        n_chunks += 1
        loss, dv = _engine_chunk(s, optimizer, convention, steps, start, lr_k[a:b], val_k[a:b], param, device, fixed)
        final[a:b] = np.where(dv, np.nan, loss[-1])
        div[a:b] = dv
        h = np.where(np.isnan(loss), np.inf, loss)  # (T+1, chunk): +inf where not a result
        lowest = min(lowest, float(h.min()))
        if f_star is not None:
            reach[a:b] = _first_below(h, f_star + tol)
        elif keep:
            histories.append(h)
        if progress is not None:
            progress((n + 1) / len(chunks) / (2 if again else 1))
    if f_star is None:
        f_star = lowest if math.isfinite(lowest) else math.nan  # no finite loss anywhere: nothing is reached
        for n, (a, b) in enumerate(chunks):
            if math.isnan(f_star):
                break
            if keep:
                h = histories[n]
            else:
                loss, _ = _engine_chunk(s, optimizer, convention, steps, start, lr_k[a:b], val_k[a:b], param, device,
                                        fixed)
                h = np.where(np.isnan(loss), np.inf, loss)
                if progress is not None:
                    progress(0.5 + (n + 1) / len(chunks) / 2)
            reach[a:b] = _first_below(h, f_star + tol)
    reach[div] = np.nan  # "steps to tolerance" of a run that diverged later is no result
    return SweepResult(s.name, optimizer, convention, param, lrs, values, final.reshape(P, J),
                       reach.reshape(P, J), div.reshape(P, J), float(f_star), float(tol), steps, start,
                       tuple(sorted((k, v) for k, v in fixed.items())), time.perf_counter() - t0, str(dev), n_chunks)


def _first_below(loss: np.ndarray, level: float) -> np.ndarray:
    """The first row index where loss ≤ level, per column (NaN if never)."""
    hit = loss <= level
    first = hit.argmax(0).astype(float)
    first[~hit.any(0)] = np.nan
    return first


def _engine_chunk(s, optimizer, convention, steps, start, lr_k, val_k, param, device, fixed):
    """One batched engine run of these cells; only the loss history is kept (record="loss")."""
    hyper = dict(fixed)
    schedule, schedule_args = "constant", None
    if param == "beta1":
        b2 = hyper.pop("betas", presets.DEFAULTS[optimizer]["betas"])[1]
        hyper["betas"] = (val_k.tolist(), b2)
    elif param == "warmup_steps":  # linear warm-up over each cell's own length, then a half cosine to 0
        schedule, schedule_args = "warmup", {"warmup_steps": val_k.astype(int).tolist(), "total_steps": steps}
    else:
        hyper[param] = val_k.tolist()
    t = run(s, optimizer, steps=steps, start=start, lr=lr_k.tolist(), convention=convention, device=device,
            schedule=schedule, schedule_args=schedule_args, record="loss", **hyper)
    loss = t.loss                                             # (T+1, K)
    return loss, np.array([d is not None for d in t.diverged_at])
