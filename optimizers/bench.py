"""Benchmark: the engine side by side with the loop users write, in one run.

    python -m optimizers.bench [--repeat 3]

(a) one trajectory, Adam, 2,000 steps on bowl: engine vs the naive loop (one torch.optim optimizer,
    autograd, a Python loop); (b) 64 trajectories vs one; (c) a 100×100 sweep (10,000
    trajectories) of 300 steps; (d) the 100,000-step η=1e-7 run. Each backend ("numba", "eager") is
    timed after a warm-up; the one-off warm-up (numba compilation, or loading its on-disk cache) is
    printed separately. Times are the best of --repeat runs.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

import surfaces
from .engine import run


def naive_loop(surface, steps: int, start, lr: float) -> np.ndarray:
    """What a user writes: a parameter, torch.optim.Adam, backward() every step."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=lr)
    path = [p.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        surface(p).backward()
        opt.step()
        path.append(p.detach().clone())
    return torch.stack(path).numpy()


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m optimizers.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    s = surfaces.get("bowl")
    T = 2000
    print(f"torch {torch.__version__}, {torch.get_num_threads()} torch thread(s); times are the best of {args.repeat}")

    t0 = time.perf_counter()
    run(s, "adam", steps=5, backend="numba")
    run(s, "adam", steps=5, start=np.tile(s.start, (300, 1)), backend="numba")  # the parallel kernel too
    print(f"one-off warm-up of the numba backend (compile or load cache): {time.perf_counter() - t0:.2f} s")

    naive = best(lambda: naive_loop(s, T, s.start, 0.1), args.repeat)
    ref = naive_loop(s, T, s.start, 0.1)
    rows = [("naive torch.optim loop, 1 trajectory", naive, 1)]
    for backend in ("numba", "eager"):
        one = best(lambda: run(s, "adam", steps=T, lr=0.1, backend=backend), args.repeat)
        t = run(s, "adam", steps=T, lr=0.1, backend=backend)
        assert np.abs(t.path - ref).max() < 1e-9, "the engine must match torch.optim"
        k64 = best(lambda: run(s, "adam", steps=T, lr=0.1, start=np.tile(s.start, (64, 1)), backend=backend), args.repeat)
        rows += [(f"{backend}: 1 trajectory", one, 1), (f"{backend}: 64 trajectories", k64, 64)]
    print(f"\n(a)/(b) Adam, {T} steps on bowl")
    print(f"{'':42s} {'total':>10s} {'µs/step':>10s} {'vs naive':>10s}")
    for label, sec, _ in rows:
        print(f"{label:42s} {sec * 1e3:8.2f} ms {sec / T * 1e6:10.2f} {naive / sec:9.1f}×")
    by = {label: sec for label, sec, _ in rows}
    for backend in ("numba", "eager"):
        one, k64 = by[f"{backend}: 1 trajectory"], by[f"{backend}: 64 trajectories"]
        print(f"(a) {backend}: one trajectory is {naive / one:.1f}× faster than the naive loop (goal ≥ 20×)")
        print(f"(b) {backend}: 64 trajectories cost {k64 / one:.2f}× one (goal ≤ 2×); "
              f"{k64 / 64 / T * 1e9:.0f} ns per trajectory-step")

    lrs = np.logspace(-4, 1, 100)
    b1 = np.linspace(0.0, 0.99, 100)
    L, B = np.meshgrid(lrs, b1)
    for backend in ("numba", "eager"):
        sec = best(lambda: run(s, "adam", steps=300, lr=L.ravel().tolist(), betas=(B.ravel().tolist(), 0.999),
                               backend=backend), 1 if backend == "eager" else args.repeat)
        print(f"(c) {backend}: 100×100 sweep (10,000 trajectories) × 300 steps: {sec:.3f} s")
    for backend in ("numba", "eager"):
        sec = best(lambda: run(s, "gd", steps=100_000, lr=1e-7, backend=backend), 1 if backend == "eager" else args.repeat)
        print(f"(d) {backend}: 100,000 steps of GD with η=1e-7 on bowl: {sec:.3f} s")


if __name__ == "__main__":
    main()
