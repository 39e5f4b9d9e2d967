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
from .engine import pick_device, value_and_grad

BATCH_SIZES = (1, 2, 4, 8, 12, 20)   # six batch sizes out of N = 20


def noise_std(batch_size, n_examples: int, per_example_std: float) -> np.ndarray:
    """σ_B = σ₁ √((N − B) / (B (N − 1))): the standard deviation of a minibatch mean gradient."""
    B = np.asarray(batch_size, dtype=float)
    N = float(n_examples)
    if np.any(B < 1) or np.any(B > N) or N < 2:
        raise ValueError(f"Invalid batch size {batch_size!r} for {n_examples} examples (expected 1 … N)")
    if not (math.isfinite(per_example_std) and per_example_std >= 0):
        raise ValueError(f"Invalid per-example gradient spread: {per_example_std!r} (expected a number >= 0)")
    return per_example_std * np.sqrt((N - B) / (B * (N - 1.0)))


# where each surface's escape is judged: escaped = the final x is past the ridge
ESCAPE = {
    "local_minimum": {"threshold": 1.0, "per_example_std": 3.0, "what": "the bump at x = 1 between the shallow minimum (x = 0) and the deep one (x = 3)"},
    "saddle": {"threshold": 1.0, "per_example_std": 0.5, "what": "x = 1, past the flat saddle at x = 0 on the way to the minimum at x = 2"},
}


@dataclass(frozen=True)
class EscapeResult:
    surface: str
    batch_sizes: tuple[int, ...]
    noise: tuple[float, ...]            # σ_B per batch size
    fractions: tuple[float, ...]        # fraction of runs that escaped, per batch size
    escaped: tuple[int, ...]            # counts
    runs: int
    steps: int
    lr: float
    per_example_std: float
    n_examples: int
    threshold: float
    final_x: np.ndarray                 # (len(batch_sizes), runs)
    seconds: float

    def stderr(self) -> np.ndarray:
        """Binomial standard error of each fraction."""
        p = np.asarray(self.fractions)
        return np.sqrt(p * (1 - p) / self.runs)


def escape(surface: str = "local_minimum", batch_sizes: Sequence[int] = BATCH_SIZES, *, n_examples: int = 20,
           runs: int = 100, steps: int = 400, lr: float = 0.1, per_example_std: float | None = None, seed: int = 0,
           optimizer: str = "gd", device: str = "cpu", start=None, **hyper) -> EscapeResult:
    """The fraction of `runs` seeded runs that escape (end past `ESCAPE[surface]['threshold']` in x),
    for each batch size, in one batched run of runs × len(batch_sizes) trajectories."""
    if surface not in ESCAPE:
        raise ValueError(f"Unknown escape experiment {surface!r}; choose one of {', '.join(ESCAPE)}")
    s = surfaces.get(surface)
    runs = minibatch._check_int("runs", runs, 1, 10_000)
    steps = minibatch._check_int("steps", steps, 1, 100_000)
    if per_example_std is None:
        per_example_std = ESCAPE[surface]["per_example_std"]
    bs = [minibatch._check_int("batch size", b, 1, int(n_examples)) for b in batch_sizes]
    if not bs:
        raise ValueError("Give at least one batch size")
    sig = noise_std(bs, n_examples, per_example_std)                          # (S,)
    dev = pick_device(device)
    t0 = time.perf_counter()
    S, K = len(bs), len(bs) * runs
    start = np.asarray(s.start if start is None else start, float)
    theta0 = torch.as_tensor(np.broadcast_to(start, (K, 2)).copy(), dtype=torch.float64, device=dev)
    opt, _, _, base_lr = minibatch.build_optimizer(optimizer, "torch", dev, lr=lr, **hyper)
    lr_t = minibatch.lr_table("constant", steps, base_lr, None, opt)
    gen = torch.Generator(device=dev)
    gen.manual_seed(int(seed))
    z = torch.randn((steps, runs, 2), generator=gen, dtype=torch.float64, device=dev)   # one stream per run
    scale = torch.as_tensor(np.repeat(sig, runs), dtype=torch.float64, device=dev).reshape(K, 1)

    def grad_fn(theta, u):
        f, g = value_and_grad(s, theta)
        return f, g + scale * z[u].repeat(S, 1)                                 # trajectory k = (size k//runs, run k%runs)

    rec = minibatch.drive(grad_fn, opt, theta0, lr_t, s.bounds, record=False)
    final_x = rec["path"][-1, :, 0].reshape(S, runs)
    thr = ESCAPE[surface]["threshold"]
    esc = final_x > thr
    counts = esc.sum(1)
    return EscapeResult(surface, tuple(bs), tuple(float(v) for v in sig), tuple(float(c / runs) for c in counts),
                        tuple(int(c) for c in counts), runs, steps, float(lr), float(per_example_std), int(n_examples),
                        thr, final_x, time.perf_counter() - t0)


@dataclass(frozen=True)
class SharpFlatResult:
    batch_sizes: tuple[int, ...]
    fractions: dict                 # batch size -> {"flat": f, "sharp": f, "other": f}
    final_w: dict                   # batch size -> (runs,) final w
    start_w: np.ndarray             # (runs,) the seeded starts, the same for every batch size
    summary: dict                   # sharp_flat_summary: train/test loss and gap at each minimum
    updates: int
    lr: float
    runs: int


def sharp_vs_flat(batch_sizes: Sequence[int] = (1, 20), *, runs: int = 100, updates: int = 600, lr: float = 0.025,
                  n_examples: int = sdata.N_DEFAULT, seed: int = 0, optimizer: str = "gd",
                  device: str = "cpu", progress: Callable[[float], None] | None = None) -> SharpFlatResult:
    """Minibatch training on the sharp/flat data set from `runs` seeded starts spread evenly over the
    view, the same starts and the same number of updates for each batch size; where each run ends:
    in the flat minimum's basin, the sharp one's, or elsewhere (the ridge between them decides)."""
    s = sdata.sharp_flat(n_examples, seed)
    runs = minibatch._check_int("runs", runs, 1, 5000)
    updates = minibatch._check_int("updates", updates, 1, 20_000)
    rng = np.random.default_rng(int(seed) + 1)
    (w0, w1), _ = s.bounds
    start_w = rng.uniform(w0 + 0.5, w1 - 0.5, runs)
    starts = np.stack([start_w, np.zeros(runs)], 1)
    ridge = s.data["barrier"]
    fr, fw = {}, {}
    for i, B in enumerate(batch_sizes):
        upe = minibatch.updates_per_epoch(s.n_examples, B)
        epochs = -(-updates // upe)
        t = minibatch.run(s, optimizer, batch_size=B, epochs=epochs, start=starts, seed=list(range(runs)),
                          shuffle=True, device=device, lr=lr)
        w_end = t.path[min(updates, len(t.path) - 1), :, 0]
        flat = w_end < ridge
        near_sharp = (w_end > ridge) & (np.abs(w_end - s.data["sharp"]) < 4 * sdata.SHARP_WIDTH)
        fr[int(B)] = {"flat": float(flat.mean()), "sharp": float(near_sharp.mean()),
                      "other": float(1.0 - flat.mean() - near_sharp.mean())}
        fw[int(B)] = w_end
        if progress is not None:
            progress((i + 1) / len(batch_sizes))
    return SharpFlatResult(tuple(int(b) for b in batch_sizes), fr, fw, start_w, sdata.sharp_flat_summary(s),
                           updates, float(lr), runs)
