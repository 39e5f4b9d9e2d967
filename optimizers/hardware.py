"""Time per update and per epoch vs batch size, measured live on this machine.

The lecture's experiment: a small network on MNIST (60,000 examples of 784 pixels). Here the data
are synthetic and made in-process (no download): 60,000 seeded random "images" of 784 bytes and
10 labels, so only the shapes — and hence the arithmetic — match MNIST. The model is a small MLP
784 → 128 → 10 (float32, cross-entropy, plain SGD), on the GPU when there is one.

For each batch size B an update is: take the next B examples of a shuffled order, scale the bytes to
[0, 1], forward, backward, SGD step. The time per update is the median of repeated timed updates
after warm-up (bounded by `budget_s` per batch size); the time per epoch is that × ⌈60,000 / B⌉
(running a whole epoch at B = 1 would take minutes: the estimate is stated as such).

Pure library: no streamlit.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

N_EXAMPLES, N_FEATURES, N_CLASSES, HIDDEN = 60_000, 784, 10, 128
BATCH_SIZES = (1, 10, 100, 1000, 10_000, 60_000)
MAX_REPEATS = 100_000   # timed updates per batch size, at most (budget_s bounds them first)


@dataclass(frozen=True)
class Timing:
    batch_sizes: tuple[int, ...]
    per_update_s: tuple[float, ...]      # median seconds per update
    updates_per_epoch: tuple[int, ...]   # ⌈N / B⌉
    per_epoch_s: tuple[float, ...]       # per_update × updates_per_epoch (an estimate)
    repeats: tuple[int, ...]             # timed updates behind each median
    device: str
    threads: int
    n_examples: int

    def rows(self) -> list[dict]:
        return [{"batch size": b, "updates per epoch": u, "time per update (ms)": 1e3 * t,
                 "time per epoch (s)": e, "timed updates": r}
                for b, t, u, e, r in zip(self.batch_sizes, self.per_update_s, self.updates_per_epoch,
                                         self.per_epoch_s, self.repeats)]


def synthetic_mnist(n: int = N_EXAMPLES, seed: int = 0, device="cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """(x (n, 784) uint8, labels (n,) int64), seeded; MNIST's shapes, random content."""
    g = torch.Generator(device="cpu")
    g.manual_seed(int(seed))
    x = torch.randint(0, 256, (n, N_FEATURES), generator=g, dtype=torch.uint8)
    y = torch.randint(0, N_CLASSES, (n,), generator=g)
    return x.to(device), y.to(device)


def _mlp(device) -> torch.nn.Module:
    """The MLP, initialised from seed 0 without touching the process's random state (a server's other
    sessions draw from it)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(N_FEATURES, HIDDEN), torch.nn.ReLU(),
                                   torch.nn.Linear(HIDDEN, N_CLASSES)).to(device=device, dtype=torch.float32)


_MEASURING = threading.Lock()  # one measurement at a time in a process: two at once would time each other


def measure(batch_sizes: Sequence[int] = BATCH_SIZES, *, budget_s: float = 0.6, min_repeats: int = 3,
            max_repeats: int = 200, device: str = "auto", n_examples: int = N_EXAMPLES, seed: int = 0,
            progress: Callable[[float, str], None] | None = None) -> Timing:
    """Time SGD updates of the MLP for each batch size (at most about `budget_s` of timing each,
    plus one warm-up update): at least `min_repeats` and at most `max_repeats` (≥ 1) timed updates
    behind each median; returns a `Timing`."""
    from .engine import pick_device

    for name, v, lo in (("max_repeats", max_repeats, 1), ("min_repeats", min_repeats, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= MAX_REPEATS:
            raise ValueError(f"Invalid {name}: {v!r} (expected an integer in [{lo}, {MAX_REPEATS}])")
    dev = pick_device(device)
    bs = []
    for b in batch_sizes:
        if not isinstance(b, (int, np.integer)) or not 1 <= int(b) <= n_examples:
            raise ValueError(f"Invalid batch size {b!r} (expected an integer in [1, {n_examples}])")
        bs.append(int(b))
    if not (math.isfinite(budget_s) and 0 < budget_s <= 30):
        raise ValueError(f"Invalid time budget {budget_s!r} (expected seconds in (0, 30])")
    with _MEASURING:
        return _measure(bs, budget_s, min_repeats, max_repeats, dev, n_examples, seed, progress)


def _measure(bs, budget_s, min_repeats, max_repeats, dev, n_examples, seed, progress) -> Timing:
    x, y = synthetic_mnist(n_examples, seed, dev)
    order = torch.randperm(n_examples, generator=torch.Generator().manual_seed(int(seed))).to(dev)
    model = _mlp(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    per, reps = [], []
    for i, B in enumerate(bs):
        upe = -(-n_examples // B)
        pos = 0

        def update():
            nonlocal pos
            idx = order[pos * B:(pos + 1) * B]
            pos = (pos + 1) % upe
            xb = x[idx].to(torch.float32).div_(255.0)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), y[idx])
            loss.backward()
            opt.step()

        update()                                   # warm-up (allocations, kernels)
        sync()
        times = []
        spent = 0.0
        while len(times) < max_repeats and (len(times) < min_repeats or spent < budget_s):
            t0 = time.perf_counter()
            update()
            sync()
            dt = time.perf_counter() - t0
            times.append(dt)
            spent += dt
        per.append(float(np.median(times)))
        reps.append(len(times))
        if progress is not None:
            progress((i + 1) / len(bs), f"batch size {B}: {1e3 * per[-1]:.2f} ms per update")
    upes = [-(-n_examples // b) for b in bs]
    return Timing(tuple(bs), tuple(per), tuple(upes), tuple(p * u for p, u in zip(per, upes)), tuple(reps),
                  str(dev), torch.get_num_threads(), n_examples)


def table(t: Timing) -> str:
    """The measurements as a plain-text table (for the benchmark and the resolving note)."""
    lines = [f"device={t.device} threads={t.threads} N={t.n_examples}",
             f"{'batch':>7} {'updates/epoch':>14} {'ms/update':>10} {'s/epoch':>9} {'timed':>6}"]
    for r in t.rows():
        lines.append(f"{r['batch size']:>7} {r['updates per epoch']:>14} {r['time per update (ms)']:>10.3f} "
                     f"{r['time per epoch (s)']:>9.3f} {r['timed updates']:>6}")
    return "\n".join(lines)
