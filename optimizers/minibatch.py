"""Minibatch training on a data-defined surface (surfaces/data.py), under the engine's one update
rule `engine._update` (any optimizer, convention and schedule of the engine).

An epoch visits the N examples once, in batches of B: ⌈N/B⌉ updates, the last batch holding the
N − (⌈N/B⌉−1)·B examples left over (torch's DataLoader with drop_last=False). With `shuffle` the
order is a fresh seeded permutation every epoch; without, it is 0, 1, …, N−1 every epoch. The
gradient of update u is the exact mean of the per-example gradients over its batch:

    g_u = ∇ (1/|B_u|) Σ_{i∈B_u} ℓ_i(θ_u)

computed as ∇ Σ_i W_{u,i} ℓ_i with W_{u,i} = 1/|B_u| on the batch and 0 elsewhere, so that K
trajectories (one per seed) can each have their own batches in one batched tensor computation, and
B = N computes exactly what `optimizers.run` computes on the same surface.

`drive` is the batched loop itself (a gradient function in, path and records out); the gradient
noise experiments (optimizers/noise.py) use it too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch

from surfaces.data import DataSurface, mean_of
from .engine import _update, build_optimizer, check_int, check_start, divergence_box, lr_table, per_trajectory_lengths, pick_device
from .presets import Optimizer

MAX_EPOCHS = 1000
MAX_UPDATES = 200_000
MAX_WORK = 50_000_000    # K · updates · N: about a minute of CPU at most


@dataclass
class MinibatchTrajectory:
    """What `run` records, for U updates and K trajectories (the K axis is absent for one seed):
    path (U+1, K, 2) θ_u; loss (U+1, K) the full-data loss at θ_u; batch_loss (U, K) the loss on the
    batch of update u at θ_u; grad (U, K, 2) the minibatch gradient used by update u; lr (U,) or
    (U, K) η_u; order (E, K, N) the order the examples were visited in, per epoch; epoch (U,) the
    epoch of each update; epoch_starts (E+1,) the first update of each epoch (and U)."""

    path: np.ndarray
    loss: np.ndarray
    batch_loss: np.ndarray
    grad: np.ndarray
    lr: np.ndarray
    order: np.ndarray
    epoch: np.ndarray
    epoch_starts: np.ndarray
    batch_size: int
    n_examples: int
    updates_per_epoch: int
    diverged_at: Any               # None | int, or a K-list of them (the update that failed, 1-based)
    optimizer: str = ""
    convention: str = "torch"
    latex: str = ""
    notes: tuple[str, ...] = ()
    seeds: tuple[int, ...] = ()
    shuffle: bool = True
    meta: dict = field(default_factory=dict)

    @property
    def batched(self) -> bool:
        return self.path.ndim == 3

    def batch(self, u: int, k: int = 0) -> np.ndarray:
        """The example indices of update u (0-based) for trajectory k."""
        e, j = divmod(int(u), self.updates_per_epoch)
        order = self.order[e, k] if self.order.ndim == 3 else self.order[e]
        return order[j * self.batch_size:(j + 1) * self.batch_size]


def updates_per_epoch(n_examples: int, batch_size: int) -> int:
    """⌈N / B⌉."""
    return -(-int(n_examples) // int(batch_size))


def epoch_orders(n_examples: int, epochs: int, seeds: Sequence[int], shuffle: bool) -> np.ndarray:
    """(E, K, N): the visiting order of every epoch for every seed; a fresh permutation per epoch
    from numpy's PCG64 seeded with the trajectory's seed, or 0…N−1 without shuffling."""
    K = len(seeds)
    if not shuffle:
        return np.broadcast_to(np.arange(n_examples), (epochs, K, n_examples)).copy()
    out = np.empty((epochs, K, n_examples), dtype=np.int64)
    for k, s in enumerate(seeds):
        rng = np.random.default_rng(int(s))
        for e in range(epochs):
            out[e, k] = rng.permutation(n_examples)
    return out


def batch_weights(order: np.ndarray, batch_size: int) -> np.ndarray:
    """(⌈N/B⌉, K, N) weights of one epoch: 1/|batch| on the examples of each batch, 0 elsewhere."""
    K, N = order.shape
    U = updates_per_epoch(N, batch_size)
    W = np.zeros((U, K, N))
    rows = np.arange(K)[:, None]
    for j in range(U):
        idx = order[:, j * batch_size:(j + 1) * batch_size]          # (K, b)
        W[j][rows, idx] = 1.0 / idx.shape[1]
    return W


def _check_seeds(seed) -> list[int]:
    """One seed, or a non-empty list of them, as a list of ints in [0, 2⁶³ − 1]."""
    seeds = [seed] if np.ndim(seed) == 0 else list(seed)
    if not seeds:
        raise ValueError("Invalid seed: an empty list (give one seed, or one per trajectory)")
    return [check_int("seed", s, 0, 2**63 - 1) for s in seeds]


def limits(bounds, dev):
    """The divergence box: DIVERGENCE_MARGIN view-widths around the bounds (as the engine)."""
    lo, hi = divergence_box(bounds)
    return torch.as_tensor(lo, device=dev), torch.as_tensor(hi, device=dev)


def drive(grad_fn: Callable, opt: Optimizer, theta0: torch.Tensor, lr: np.ndarray, bounds,
          progress: Callable[[float], None] | None = None, record: bool = True) -> dict:
    """T = len(lr) updates of K trajectories from theta0 (K, 2) under `engine._update`.

    `grad_fn(theta, u)` → (f, g): the loss (K,) and the gradient (K, 2) that update u (0-based)
    uses at theta. Divergence as the engine: a trajectory whose new point is not finite or leaves
    the box is frozen at its last point, `diverged_at` = that update (1-based). With
    `record=False` only the first and final points and the divergence are kept (a sweep).
    Returns numpy arrays: path (T+1, K, 2), batch_loss (T, K), grad (T, K, 2), diverged_at (K,)
    with -1 for none. (The loss along the path is cheaper computed afterwards in one call.)"""
    dev = theta0.device
    T, K = len(lr), theta0.shape[0]
    lo, hi = limits(bounds, dev)
    if lr.ndim == 1:
        etas = lr.tolist()                                   # Python floats, as the engine's
    else:
        etas = torch.as_tensor(lr.reshape(T, -1), dtype=torch.float64, device=dev).unsqueeze(-1)  # (T, K, 1)
    lookahead = bool(getattr(opt.momentum, "lookahead", False))
    theta = theta0
    state = (opt.momentum.init(theta), opt.rms.init(theta))
    alive = torch.ones(K, dtype=torch.bool, device=dev)
    diverged = torch.full((K,), -1, dtype=torch.long, device=dev)
    paths, blosses, grads = [theta], [], []
    every = max(1, T // 50)
    for u in range(T):
        n = u + 1
        at = theta + opt.momentum.momentum * state[0][0] if lookahead else theta
        f, g = grad_fn(at, u)
        new, _, _, state = _update(opt, theta, g, state, n, etas[u])
        bad = ~(torch.isfinite(new).all(-1) & (new >= lo).all(-1) & (new <= hi).all(-1))
        diverged = torch.where(bad & alive, n, diverged)
        alive = alive & ~bad
        theta = torch.where(alive.unsqueeze(-1), new, theta)
        if record:
            paths.append(theta)
            blosses.append(f)
            grads.append(g)
        if progress is not None and (u + 1) % every == 0:
            progress((u + 1) / T)
    if not record:
        paths = [theta0, theta]
    out = {"path": torch.stack(paths).cpu().numpy(), "diverged_at": diverged.cpu().numpy()}
    if record and T:
        out["batch_loss"] = torch.stack(blosses).cpu().numpy()
        out["grad"] = torch.stack(grads).cpu().numpy()
        d = out["diverged_at"]
        if (d >= 0).any():  # records of the failed update and after are meaningless: NaN
            dead = (d[None, :] >= 0) & (np.arange(T)[:, None] >= d[None, :] - 1)
            out["batch_loss"][dead] = np.nan
            out["grad"][dead] = np.nan
    return out


def _starts(surface, start, K: int) -> np.ndarray:
    """(K, 2) finite starting points from (x, y), a (K, 2) array, or None (the surface's start)."""
    start = check_start(surface, start)
    if start.ndim == 2 and K > 1 and len(start) != K:
        raise ValueError(f"Invalid start: expected (x, y) or a ({K}, 2) array, got shape {start.shape}")
    return np.broadcast_to(start, (K, 2)).copy() if start.shape == (2,) else start


def _check_data(surface, batch_size, shuffle) -> tuple[int, int]:
    """(N, B) for minibatch training of `surface`, or a ValueError naming what is wrong."""
    if not isinstance(surface, DataSurface):
        raise ValueError("Minibatch training needs a data-defined surface (surfaces.data), not "
                         f"{getattr(surface, 'name', surface)!r}")
    N = surface.n_examples
    B = check_int("batch_size", batch_size, 1, N)
    if not isinstance(shuffle, (bool, np.bool_)):
        raise ValueError(f"Invalid shuffle: {shuffle!r} (expected True or False)")
    return N, B


def run(surface: DataSurface, optimizer: str | Optimizer = "gd", batch_size: int = 1, epochs: int = 5,
        start=None, *, shuffle: bool = True, seed: int | Sequence[int] = 0, schedule: str = "constant",
        schedule_args: dict | None = None, convention: str = "torch", device: str = "cpu",
        **hyper) -> MinibatchTrajectory:
    """Minibatch training of `optimizer` on a data surface: `epochs` passes over the N examples in
    batches of `batch_size` (1 … N), ⌈N/B⌉ updates per epoch, in a fresh seeded order each epoch
    when `shuffle`. `seed` may be a list: one trajectory per seed (each with its own order), and
    `start` a (K, 2) array; hyperparameters may be length-K lists as in `optimizers.run`.

    >>> from surfaces.data import regression
    >>> t = run(regression(), "gd", batch_size=5, epochs=3, lr=0.01)
    >>> t.path.shape, t.updates_per_epoch
    ((13, 2), 4)
    """
    N, B = _check_data(surface, batch_size, shuffle)
    E = check_int("epochs", epochs, 1, MAX_EPOCHS)
    seeds = _check_seeds(seed)
    dev = pick_device(device)
    upe = updates_per_epoch(N, B)
    T = E * upe
    # K: from the seeds, the starts, or per-trajectory hyperparameters
    sizes = set(per_trajectory_lengths(optimizer, hyper, schedule_args).values())
    if start is not None and np.ndim(start) == 2:
        sizes.add(len(start))
    if len(seeds) > 1:
        sizes.add(len(seeds))
    if len(sizes) > 1:
        raise ValueError(f"Per-trajectory values disagree in length: {sorted(sizes)}")
    batched = bool(sizes)
    K = sizes.pop() if sizes else 1
    if len(seeds) == 1:
        seeds = seeds * K
    if T > MAX_UPDATES or K * T * N > MAX_WORK:
        raise ValueError(f"Too much work: {E} epochs × {upe} updates × {K} runs × {N} examples; "
                         "use fewer epochs or a larger batch")
    starts = _starts(surface, start, K)
    opt, conv, notes, base_lr = build_optimizer(optimizer, convention, hyper, dev)
    lr = lr_table(schedule, T, base_lr, schedule_args, opt)
    if lr.ndim == 2 and lr.shape[1] == 1:
        lr = lr[:, 0]

    order = epoch_orders(N, E, seeds, bool(shuffle))                 # (E, K, N)
    W_epochs = [torch.as_tensor(batch_weights(order[e], B), device=dev) for e in range(E)]

    def grad_fn(theta, u):
        W = W_epochs[u // upe][u % upe]                               # (K, N)
        p = theta.detach().requires_grad_(True)
        with torch.enable_grad():
            f = mean_of(surface.example_losses(p), W)                 # (K,) the batch's mean loss
            (g,) = torch.autograd.grad(f.sum(), p)
        return f.detach(), g

    rec = drive(grad_fn, opt, torch.as_tensor(starts, dtype=torch.float64, device=dev), lr, surface.bounds)
    with torch.no_grad():  # the full-data loss at every point of every path, in one call
        rec["loss"] = surface(torch.as_tensor(rec["path"], device=dev)).cpu().numpy()
    d = rec["diverged_at"]
    if (d >= 0).any():  # as the engine: the path stays at the last finite point, the loss is NaN
        rec["loss"][(d[None, :] >= 0) & (np.arange(T + 1)[:, None] >= d[None, :])] = np.nan
    div = [None if d < 0 else int(d) for d in rec["diverged_at"]]
    out = {k: rec[k] for k in ("path", "loss", "batch_loss", "grad")}
    if not batched:
        out = {k: v[:, 0] for k, v in out.items()}
        order_out = order[:, 0]
    else:
        order_out = order
    return MinibatchTrajectory(
        **out, lr=lr, order=order_out, epoch=np.repeat(np.arange(E), upe),
        epoch_starts=np.arange(E + 1) * upe, batch_size=B, n_examples=N, updates_per_epoch=upe,
        diverged_at=div if batched else div[0], optimizer=opt.name, convention=conv, latex=opt.latex,
        notes=tuple(notes), seeds=tuple(seeds), shuffle=bool(shuffle),
        meta={"surface": surface.name, "epochs": E, "device": str(dev)})


def final_points(surface: DataSurface, optimizer: str | Optimizer, batch_size, updates: int, start,
                 seeds: Sequence[int], *, shuffle: bool = True, convention: str = "torch", device: str = "cpu",
                 progress: Callable[[float], None] | None = None, **hyper) -> tuple[np.ndarray, np.ndarray]:
    """Where K = len(seeds) minibatch runs stand after exactly `updates` updates at a constant η:
    the same points as `run(surface, optimizer, batch_size, epochs=⌈updates/⌈N/B⌉⌉, start, seed=seeds,
    shuffle=shuffle, **hyper).path[updates]`, without recording the paths and without building
    every epoch's batches up front, so its only limit is the work, K · updates · N ≤ MAX_WORK
    (not MAX_EPOCHS). `batch_size` is one B for all, or one per run (K of them: several batch sizes
    in one batched run). `start` is (x, y) or (K, 2). Returns (points (K, 2), diverged_at (K,) with
    -1 for none, else the update that failed, 1-based)."""
    seeds = _check_seeds(seeds)
    K = len(seeds)
    if np.ndim(batch_size) == 0:
        N, B = _check_data(surface, batch_size, shuffle)
        sizes = np.full(K, B)
    else:
        if len(batch_size) != K:
            raise ValueError(f"Invalid batch_size: {len(batch_size)} values for {K} runs (give one, or one per run)")
        sizes = np.array([_check_data(surface, b, shuffle)[1] for b in batch_size])
        N = surface.n_examples
    T = check_int("updates", updates, 1, MAX_UPDATES)
    if K * T * N > MAX_WORK:
        raise ValueError(f"Too much work: {K} runs × {T} updates × {N} examples = {K * T * N:,} "
                         f"(at most {MAX_WORK:,}); use fewer runs or fewer updates")
    starts = _starts(surface, start, K)
    dev = pick_device(device)
    opt, _, _, base_lr = build_optimizer(optimizer, convention, hyper, dev)
    lr = lr_table("constant", T, base_lr, None, opt)
    if lr.ndim == 2 and lr.shape[1] == 1:
        lr = lr[:, 0]
    groups = [(int(B), np.flatnonzero(sizes == B), updates_per_epoch(N, B)) for B in np.unique(sizes)]
    # the same streams as epoch_orders: seed k's generator gives its epochs' permutations in turn
    gens = [np.random.default_rng(int(s)) for s in seeds]
    order = np.broadcast_to(np.arange(N), (K, N)).copy()

    def grad_fn(theta, u):
        W = np.zeros((K, N))
        for B, rows, upe in groups:
            j = u % upe
            if j == 0 and upe > 1:   # a new epoch: the next order (one batch of all N needs none)
                order[rows] = np.stack([gens[k].permutation(N) for k in rows]) if shuffle else np.arange(N)
            idx = order[rows, j * B:(j + 1) * B]                         # (K_B, b) this update's batch
            W[rows[:, None], idx] = 1.0 / idx.shape[1]                   # as batch_weights
        W = torch.as_tensor(W, device=dev)
        p = theta.detach().requires_grad_(True)
        with torch.enable_grad():
            f = mean_of(surface.example_losses(p), W)
            (g,) = torch.autograd.grad(f.sum(), p)
        return f.detach(), g

    rec = drive(grad_fn, opt, torch.as_tensor(starts, dtype=torch.float64, device=dev), lr, surface.bounds,
                progress=progress, record=False)
    return rec["path"][-1], rec["diverged_at"]
