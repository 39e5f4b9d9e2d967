"""Why noisy updates help: minibatch gradient noise lets training leave a shallow minimum or a flat
saddle that full-batch gradient descent stays stuck in, and leave a sharp minimum for a flat one.

The noise model. A minibatch gradient is the full gradient plus the error of averaging B of the N
per-example gradients instead of all of them. Drawn without replacement, that mean has standard
deviation

    σ_B = σ₁ · √( (N − B) / (B · (N − 1)) )

per coordinate, where σ₁ is the spread of a single example's gradient (the finite-population
correction makes σ_N = 0: the full batch has no noise at all). `escape` adds exactly that much
seeded Gaussian noise to the gradient of an analytic surface (local_minimum, saddle), for 100 seeds ×
several batch sizes in ONE batched run; every batch size sees the same 100 noise streams, scaled by
its σ_B (common random numbers, so the comparison between batch sizes is not blurred by luck).

`sharp_vs_flat` instead trains on a real data set (surfaces.data.sharp_flat) with true minibatches
(optimizers.minibatch), small and large batches from the same seeded starts.

Pure library: no streamlit.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

import surfaces
from surfaces import data as sdata
from . import minibatch
from .engine import build_optimizer, check_int, lr_table, pick_device, value_and_grad

BATCH_SIZES = (1, 2, 4, 8, 12, 20)   # six batch sizes out of N = 20


def noise_std(batch_size, n_examples: int, per_example_std: float) -> np.ndarray:
    """σ_B = σ₁ √((N − B) / (B (N − 1))): the standard deviation of a minibatch mean gradient."""
    try:
        B = np.asarray(batch_size, dtype=float)
        N = float(n_examples)
        sigma1 = float(per_example_std)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid noise arguments: batch size {batch_size!r}, {n_examples!r} examples, "
                         f"spread {per_example_std!r} (expected numbers)") from None
    if not (math.isfinite(N) and N >= 2):
        raise ValueError(f"Invalid number of examples: {n_examples!r} (expected a number >= 2)")
    if not np.all((B >= 1) & (B <= N)):   # also False for NaN
        raise ValueError(f"Invalid batch size {batch_size!r} for {n_examples} examples (expected 1 … N)")
    if not (math.isfinite(sigma1) and sigma1 >= 0):
        raise ValueError(f"Invalid per-example gradient spread: {per_example_std!r} (expected a number >= 0)")
    return sigma1 * np.sqrt((N - B) / (B * (N - 1.0)))


# where each surface's escape is judged: escaped = the final x is past the ridge (and the run did
# not diverge: a diverged run is frozen at its last point, which may lie anywhere)
ESCAPE = {
    "local_minimum": {"threshold": 1.0, "per_example_std": 3.0, "what": "the bump at x = 1 between the shallow minimum (x = 0) and the deep one (x = 3)"},
    "saddle": {"threshold": 1.0, "per_example_std": 0.5, "what": "x = 1, past the flat saddle at x = 0 on the way to the minimum at x = 2"},
}


@dataclass(frozen=True)
class EscapeResult:
    surface: str
    batch_sizes: tuple[int, ...]
    noise: tuple[float, ...]            # σ_B per batch size
    fractions: tuple[float, ...]        # fraction of runs that escaped (and did not diverge), per batch size
    escaped: tuple[int, ...]            # counts
    runs: int
    steps: int
    lr: float
    per_example_std: float
    n_examples: int
    threshold: float
    final_x: np.ndarray                 # (len(batch_sizes), runs); a diverged run's last finite x
    seconds: float
    diverged: tuple[float, ...]         # fraction of runs that diverged, per batch size (never "escaped")
    diverged_runs: tuple[int, ...]      # counts

    def stderr(self) -> np.ndarray:
        """Binomial standard error of each fraction."""
        p = np.asarray(self.fractions)
        return np.sqrt(p * (1 - p) / self.runs)


def escape(surface: str = "local_minimum", batch_sizes: Sequence[int] = BATCH_SIZES, *, n_examples: int = 20,
           runs: int = 100, steps: int = 400, lr: float = 0.1, per_example_std: float | None = None, seed: int = 0,
           optimizer: str = "gd", device: str = "cpu", start=None, **hyper) -> EscapeResult:
    """The fraction of `runs` seeded runs that escape (end past `ESCAPE[surface]['threshold']` in x
    without diverging), and the fraction that diverge (leave the engine's divergence box or become
    non-finite), for each batch size, in one batched run of runs × len(batch_sizes) trajectories.
    `start` is one point (x, y) for every run (default: the surface's start)."""
    if surface not in ESCAPE:
        raise ValueError(f"Unknown escape experiment {surface!r}; choose one of {', '.join(ESCAPE)}")
    s = surfaces.get(surface)
    runs = check_int("runs", runs, 1, 10_000)
    steps = check_int("steps", steps, 1, 100_000)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    if start is not None and np.shape(start) != (2,):
        raise ValueError(f"Invalid start: {start!r} (expected one point (x, y) for every run)")
    if per_example_std is None:
        per_example_std = ESCAPE[surface]["per_example_std"]
    n_examples = check_int("n_examples", n_examples, 2, sdata.MAX_EXAMPLES)
    bs = [check_int("batch size", b, 1, n_examples) for b in batch_sizes]
    if not bs:
        raise ValueError("Give at least one batch size")
    sig = noise_std(bs, n_examples, per_example_std)                          # (S,)
    dev = pick_device(device)
    t0 = time.perf_counter()
    S, K = len(bs), len(bs) * runs
    theta0 = torch.as_tensor(minibatch._starts(s, start, K), dtype=torch.float64, device=dev)
    opt, _, _, base_lr = build_optimizer(optimizer, "torch", dict(lr=lr, **hyper), dev)
    lr_t = lr_table("constant", steps, base_lr, None, opt)
    gen = torch.Generator(device=dev)
    gen.manual_seed(int(seed))
    z = torch.randn((steps, runs, 2), generator=gen, dtype=torch.float64, device=dev)   # one stream per run
    scale = torch.as_tensor(np.repeat(sig, runs), dtype=torch.float64, device=dev).reshape(K, 1)

    def grad_fn(theta, u):
        f, g = value_and_grad(s, theta)
        return f, g + scale * z[u].repeat(S, 1)                                 # trajectory k = (size k//runs, run k%runs)

    rec = minibatch.drive(grad_fn, opt, theta0, lr_t, s.bounds, record=False)
    final_x = rec["path"][-1, :, 0].reshape(S, runs)
    div = rec["diverged_at"].reshape(S, runs) >= 0
    thr = ESCAPE[surface]["threshold"]
    esc = (final_x > thr) & ~div
    counts, n_div = esc.sum(1), div.sum(1)
    return EscapeResult(surface, tuple(bs), tuple(float(v) for v in sig), tuple(float(c / runs) for c in counts),
                        tuple(int(c) for c in counts), runs, steps, float(lr), float(per_example_std), int(n_examples),
                        thr, final_x, time.perf_counter() - t0,
                        diverged=tuple(float(c / runs) for c in n_div), diverged_runs=tuple(int(c) for c in n_div))


@dataclass(frozen=True)
class SharpFlatResult:
    batch_sizes: tuple[int, ...]
    fractions: dict                 # batch size -> {"flat": f, "sharp": f, "other": f, "diverged": f}
    final_w: dict                   # batch size -> (runs,) final w (a diverged run's last finite w)
    start_w: np.ndarray             # (runs,) the seeded starts, the same for every batch size
    summary: dict                   # sharp_flat_summary: train/test loss and gap at each minimum
    updates: int
    lr: float
    runs: int


SHARP_FLAT_MAX_RUNS = 5000
SHARP_FLAT_MAX_UPDATES = 20_000


def sharp_vs_flat(batch_sizes: Sequence[int] = (1, 20), *, runs: int = 100, updates: int = 1200, lr: float = 0.025,
                  n_examples: int = sdata.N_DEFAULT, seed: int = 0, optimizer: str = "gd",
                  device: str = "cpu", progress: Callable[[float], None] | None = None) -> SharpFlatResult:
    """Minibatch training on the sharp/flat data set from `runs` seeded starts spread evenly over the
    view, the same starts and the same number of updates for each batch size; where each run ends:
    at the flat minimum (within the basin's width, FLAT_WIDTH = 0.8, of it), in the sharp canyon
    (past the ridge and within 4 of its widths, 0.48), or neither: a run still on its way counts for no minimum (with
    600 updates 13 of 100 runs at B = 1 were still on the slope; with the default 1200 none are).

    "flat", "sharp" and "other" are fractions of the runs from counts (they add up to 1); a run that
    diverged is in none of the minima: it counts as "other", and "diverged" gives that part alone.
    Limits: runs ≤ 5000, updates ≤ 20,000, and the work len(batch_sizes) · runs · updates ·
    n_examples ≤ minibatch.MAX_WORK (50,000,000: about a minute of CPU)."""
    seed = check_int("seed", seed, 0, 2**63 - 1)
    s = sdata.sharp_flat(n_examples, seed)
    N = s.n_examples
    if np.ndim(batch_sizes) != 1 or len(batch_sizes) == 0:
        raise ValueError(f"Invalid batch_sizes: {batch_sizes!r} (expected a non-empty list of integers in [1, {N}])")
    bs = [check_int("batch size", b, 1, N) for b in batch_sizes]
    runs = check_int("runs", runs, 1, SHARP_FLAT_MAX_RUNS)
    updates = check_int("updates", updates, 1, SHARP_FLAT_MAX_UPDATES)
    work = len(bs) * runs * updates * N
    if work > minibatch.MAX_WORK:
        raise ValueError(f"Too much work: {len(bs)} batch size(s) {tuple(bs)} × runs={runs} × updates={updates} × "
                         f"n_examples={N} = {work:,} (at most {minibatch.MAX_WORK:,}); "
                         "use fewer runs, fewer updates or fewer batch sizes")
    rng = np.random.default_rng(seed + 1)
    (w0, w1), _ = s.bounds
    start_w = rng.uniform(w0 + 0.5, w1 - 0.5, runs)
    starts = np.stack([start_w, np.zeros(runs)], 1)
    ridge = s.data["barrier"]
    # every batch size in one batched run: trajectory i·runs + r is batch size i from start r (seed r)
    end, diverged_at = minibatch.final_points(s, optimizer, np.repeat(bs, runs), updates, np.tile(starts, (len(bs), 1)),
                                              list(range(runs)) * len(bs), shuffle=True, device=device, lr=lr,
                                              progress=progress)
    fr, fw = {}, {}
    for i, B in enumerate(bs):
        w_end, ok = end[i * runs:(i + 1) * runs, 0], diverged_at[i * runs:(i + 1) * runs] < 0
        n_flat = int((ok & (np.abs(w_end - s.data["flat"]) < sdata.FLAT_WIDTH)).sum())
        n_sharp = int((ok & (w_end > ridge) & (np.abs(w_end - s.data["sharp"]) < 4 * sdata.SHARP_WIDTH)).sum())
        fr[B] = {"flat": n_flat / runs, "sharp": n_sharp / runs, "other": (runs - n_flat - n_sharp) / runs,
                 "diverged": int((~ok).sum()) / runs}
        fw[B] = w_end
    return SharpFlatResult(tuple(bs), fr, fw, start_w, sdata.sharp_flat_summary(s), updates, float(lr), runs)
