"""Benchmark: the engine side by side with the loop users write, in one run.

    python -m optimizers.bench [--repeat 3] [--compile]

(a) one trajectory, Adam, 2,000 steps on bowl: engine vs the naive loop (one torch.optim optimizer,
    autograd, a Python loop); (b) 64 trajectories vs one; (c) a 100×100 sweep (10,000
    trajectories) of 300 steps; (d) the 100,000-step η=1e-7 run. Each backend ("numba", "eager") is
    timed after a warm-up; the one-off warm-up (numba compilation, or loading its on-disk cache) is
    printed separately. Times are the best of --repeat runs (the eager backend's (c) and (d): one run;
    "(b) in context": at least 10). The numba backend splits batches of 64 or more trajectories over its threads (NUMBA_NUM_THREADS, by default the number of cores; the
    Docker image serves with 1): compare (b) and (c) at NUMBA_NUM_THREADS=1 and at the default.

"(b) in context" measures the floors for goal (b) on this machine: what merely *writing* the
records of 64 trajectories costs (a numba loop that stores the same arrays the engine returns,
fresh arrays as the engine allocates them; the best of several runs, so memory the allocator
reuses — a first run that faults the pages in costs more), and the ratio that the fastest compiled
code reaches (Adam on bowl written out by hand in numba: no formula interpreter, no options, SIMD
math from surfaces/vmath.py; it matches the engine to 1e-12). A ratio of 2 needs a per-step cost
that batching shares (dispatch, as in eager torch); the engine's lock-step lanes share their
decoding and branching, and SIMD shares the arithmetic 8 lanes at a time, but each lane still pays
its own exp, log, square roots and divisions, and writes its own records.

`--compile` also times the lever the issue suggests, torch.compile over blocks of 100 steps (Adam on
bowl written in torch, the path recorded; it matches the engine to 1e-9), for 1 and 64
trajectories. Its compilation (tens of seconds per shape, printed separately) is why it is an
option.
"""
from __future__ import annotations

import argparse
import math
import time

import numba
import numpy as np
import torch

import surfaces
from surfaces import vmath
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


@numba.njit(error_model="numpy", cache=True)
def _store_records(T, path, loss, grad, m_out, s_out):
    """Write every record array the engine returns (path, loss, grad, m, σ), values only."""
    K = loss.shape[1]
    for t in range(T + 1):
        for k in range(K):
            v = t + 0.5 * k
            loss[t, k] = v
            path[t, k, 0] = v
            path[t, k, 1] = v
            grad[t, k, 0] = v
            grad[t, k, 1] = v
        if t < T:
            for k in range(K):
                v = t - 0.5 * k
                m_out[t, k, 0] = v
                m_out[t, k, 1] = v
                s_out[t, k, 0] = v
                s_out[t, k, 1] = v


def records_only(K: int, T: int) -> tuple[np.ndarray, ...]:
    """The records of K trajectories of T steps, allocated and written (nothing computed):
    path, loss, grad (T+1 rows), m, σ (T rows), shaped as the engine's."""
    out = (np.empty((T + 1, K, 2)), np.empty((T + 1, K)), np.empty((T + 1, K, 2)), np.empty((T, K, 2)),
           np.empty((T, K, 2)))
    _store_records(T, *out)
    return out


@numba.njit(error_model="numpy", cache=True)
def _adam_bowl(x0, y0, T, lr, b1, b2, eps, path, loss, grad, m_out, s_out):
    """torch.optim.Adam on bowl (0.5 x² + 100 logcosh(2y)) written out by hand, K lanes, all records:
    the floor for compiled code on this CPU. Two fused loops over the lanes per step (gradient and
    loss; the update), vectorizable math (surfaces/vmath.py), and each record stored by a loop of its
    own (a loop that writes several arrays the caller passed in needs a runtime alias check per pair,
    and past a few LLVM gives up on SIMD)."""
    K = x0.shape[0]
    x, y = x0.copy(), y0.copy()
    mx, my, vx, vy = np.zeros(K), np.zeros(K), np.zeros(K), np.zeros(K)
    gx, gy, f, dx, dy = np.empty(K), np.empty(K), np.empty(K), np.empty(K), np.empty(K)
    ln2 = math.log(2.0)
    for t in range(T + 1):
        for k in range(K):
            z = 2.0 * y[k]
            a = abs(z)
            e = vmath.exp(-2.0 * a)
            th = (1.0 - e) / (1.0 + e)
            gx[k] = x[k]
            gy[k] = 200.0 * (th if z >= 0 else -th)
            f[k] = 0.5 * x[k] * x[k] + 100.0 * (a + vmath.log1p01(e) - ln2)
        for k in range(K):
            loss[t, k] = f[k]
        for k in range(K):
            path[t, k, 0] = x[k]
            path[t, k, 1] = y[k]
        for k in range(K):
            grad[t, k, 0] = gx[k]
            grad[t, k, 1] = gy[k]
        if t == T:
            break
        bc1 = 1.0 - b1 ** (t + 1)
        bc2 = math.sqrt(1.0 - b2 ** (t + 1))
        for k in range(K):
            mx[k] = b1 * mx[k] + (1.0 - b1) * gx[k]
            my[k] = b1 * my[k] + (1.0 - b1) * gy[k]
            vx[k] = b2 * vx[k] + (1.0 - b2) * gx[k] * gx[k]
            vy[k] = b2 * vy[k] + (1.0 - b2) * gy[k] * gy[k]
            dx[k] = vmath.sqrt(vx[k]) / bc2 + eps
            dy[k] = vmath.sqrt(vy[k]) / bc2 + eps
            x[k] -= lr / bc1 * mx[k] / dx[k]
            y[k] -= lr / bc1 * my[k] / dy[k]
        for k in range(K):
            m_out[t, k, 0] = mx[k]
            m_out[t, k, 1] = my[k]
        for k in range(K):
            s_out[t, k, 0] = dx[k]
            s_out[t, k, 1] = dy[k]


def adam_bowl_by_hand(starts: np.ndarray, T: int, lr: float = 0.1) -> np.ndarray:
    """Run `_adam_bowl` from starts (K, 2); returns the path (T+1, K, 2)."""
    K = starts.shape[0]
    path = np.empty((T + 1, K, 2))
    _adam_bowl(np.ascontiguousarray(starts[:, 0]), np.ascontiguousarray(starts[:, 1]), T, lr, 0.9, 0.999, 1e-8,
               path, np.empty((T + 1, K)), np.empty((T + 1, K, 2)), np.empty((T, K, 2)), np.empty((T, K, 2)))
    return path


BLOCK = 100  # steps per compiled call


def _adam_bowl_block(x, y, mx, my, vx, vy, bc1, bc2, lr: float, b1: float, b2: float, eps: float):
    """BLOCK steps of torch.optim.Adam on bowl as torch operations (bc1, bc2: the block's bias
    corrections 1 − β₁ᵗ and √(1 − β₂ᵗ), as tensors so that one compiled graph serves every block)."""
    xs, ys = [], []
    for i in range(bc1.shape[0]):
        gx, gy = x, 200.0 * torch.tanh(2.0 * y)
        mx = b1 * mx + (1.0 - b1) * gx
        my = b1 * my + (1.0 - b1) * gy
        vx = b2 * vx + (1.0 - b2) * gx * gx
        vy = b2 * vy + (1.0 - b2) * gy * gy
        x = x - lr / bc1[i] * mx / (vx.sqrt() / bc2[i] + eps)
        y = y - lr / bc1[i] * my / (vy.sqrt() / bc2[i] + eps)
        xs.append(x)
        ys.append(y)
    return x, y, mx, my, vx, vy, torch.stack(xs), torch.stack(ys)


def adam_bowl_compiled(starts: np.ndarray, T: int, lr: float = 0.1, block: int = BLOCK, fn=None):
    """Run Adam on bowl from starts (K, 2) for T steps (a multiple of `block`) through `fn` (a
    torch.compile of _adam_bowl_block; plain torch when None). Returns the path (T+1, K, 2)."""
    if T % block:
        raise ValueError(f"T = {T} is not a multiple of the block ({block} steps)")
    fn = fn or _adam_bowl_block
    b1, b2 = 0.9, 0.999
    st = torch.as_tensor(starts, dtype=torch.float64)
    z = torch.zeros(st.shape[0], dtype=torch.float64)
    state = (st[:, 0].clone(), st[:, 1].clone(), z, z.clone(), z.clone(), z.clone())
    xs, ys = [st[None, :, 0]], [st[None, :, 1]]
    for t0 in range(0, T, block):
        t = torch.arange(t0 + 1, t0 + block + 1, dtype=torch.float64)
        out = fn(*state, 1.0 - b1 ** t, (1.0 - b2 ** t).sqrt(), lr, b1, b2, 1e-8)
        state = out[:6]
        xs.append(out[6])
        ys.append(out[7])
    return torch.stack([torch.cat(xs), torch.cat(ys)], dim=-1).numpy()


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def compile_reference(ref: np.ndarray, naive: float, one_engine: float, T: int, repeat: int) -> None:
    """Time torch.compile over blocks of steps for 1 and 64 trajectories (one compilation each)."""
    print(f"    torch.compile over blocks of {BLOCK} steps (Adam on bowl in torch, the path only):")
    times = {}
    for K in (1, 64):
        starts = np.tile(np.asarray(surfaces.get("bowl").start, float), (K, 1))
        fn = torch.compile(_adam_bowl_block, dynamic=False)
        t0 = time.perf_counter()
        path = adam_bowl_compiled(starts, T, fn=fn)
        compile_s = time.perf_counter() - t0
        assert np.abs(path[:, 0] - ref).max() < 1e-9, "the compiled reference must match torch.optim"
        times[K] = best(lambda: adam_bowl_compiled(starts, T, fn=fn), repeat)
        print(f"      {K:2d} trajector{'y' if K == 1 else 'ies'}: {times[K] * 1e3:.2f} ms, {times[K] / T * 1e6:.2f} µs/step "
              f"({naive / times[K]:.0f}× the naive loop; compilation {compile_s:.1f} s)")
    print(f"      64 ÷ 1 = {times[64] / times[1]:.2f}×; its single trajectory is "
          f"{times[1] / one_engine:.1f}× the numba engine's")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m optimizers.bench", description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--compile", action="store_true",
                    help="also time torch.compile over blocks of steps (compiles for about a minute)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    s = surfaces.get("bowl")
    T = 2000
    print(f"torch {torch.__version__}, {torch.get_num_threads()} torch thread(s), {numba.get_num_threads()} numba thread(s) "
          f"(NUMBA_NUM_THREADS); times are the best of {args.repeat}")

    t0 = time.perf_counter()
    run(s, "adam", steps=5, backend="numba")
    run(s, "adam", steps=5, start=np.tile(s.start, (300, 1)), backend="numba")  # and the pool of threads
    records_only(1, 2)
    adam_bowl_by_hand(np.zeros((1, 2)), 2)
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
        print(f"(b) {backend}: 64 trajectories cost {k64 / one:.2f}× one of its own (goal ≤ 2×), "
              f"{k64 / naive:.3f}× one naive-loop trajectory; {k64 / 64 / T * 1e9:.0f} ns per trajectory-step")

    reps = max(args.repeat, 10)  # sub-millisecond runs: more repeats for a stable best
    one_engine = by["numba: 1 trajectory"]
    floor = best(lambda: records_only(64, T), reps)
    starts64 = np.tile(np.asarray(s.start, float), (64, 1))
    assert np.abs(adam_bowl_by_hand(starts64[:1], T)[:, 0] - ref).max() < 1e-12, "the hand-written kernel must match"
    h1 = best(lambda: adam_bowl_by_hand(starts64[:1], T), reps)
    h64 = best(lambda: adam_bowl_by_hand(starts64, T), reps)
    print("\n(b) in context: what a ratio of 2 would leave for 64 trajectories")
    print(f"    only allocating and writing the records of 64 trajectories: {floor * 1e3:.3f} ms "
          f"= {floor / one_engine:.2f}× the engine's whole single trajectory")
    print(f"    Adam on bowl written out by hand (the fastest compiled code here): 1 trajectory {h1 * 1e3:.3f} ms, "
          f"64 trajectories {h64 * 1e3:.3f} ms: {h64 / h1:.1f}× one")
    if args.compile:
        compile_reference(ref, naive, one_engine, T, args.repeat)

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
