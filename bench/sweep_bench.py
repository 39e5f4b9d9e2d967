"""Benchmarks of issue 5: `python bench/sweep_bench.py`.

- a 100×100 sweep (η × β₁) of 300 steps on bowl with Adam, one batched run (budget ≤ 1 s after warm-up);
- the escape experiment, 100 seeds × 6 batch sizes on local_minimum, one batched run (budget ≤ 1 s);
- the time per update / per epoch vs batch size table (optimizers.hardware).
Prints the best of a few repeats after one warm-up run; no assertion (the machine may be shared).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import torch  # noqa: E402

torch.set_default_dtype(torch.float64)

from optimizers import hardware, noise, sweep  # noqa: E402


def best_of(fn, repeats=3):
    fn()                                   # warm-up (numba compilation, allocations)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


if __name__ == "__main__":
    t, r = best_of(lambda: sweep.sweep("bowl", "adam", param="beta1", lr_range=(1e-3, 1.0), n_lr=100, n_values=100,
                                       steps=300, device="auto"))
    print(f"sweep 100x100 x 300 steps, bowl, adam: {t:.3f} s (budget 1 s) on {r.device}; "
          f"{int(r.diverged.sum())} diverged")
    t, e = best_of(lambda: noise.escape("local_minimum", runs=100))
    print(f"escape 100 seeds x {len(e.batch_sizes)} batch sizes x {e.steps} steps: {t:.3f} s (budget 1 s); "
          f"fractions {dict(zip(e.batch_sizes, e.fractions))}")
    t, e = best_of(lambda: noise.escape("saddle", runs=100))
    print(f"escape (saddle) 100 seeds x {len(e.batch_sizes)} batch sizes: {t:.3f} s; fractions {dict(zip(e.batch_sizes, e.fractions))}")
    timing = hardware.measure(hardware.BATCH_SIZES, budget_s=0.5, device="auto")
    print("time per update / per epoch vs batch size (MLP 784-128-10, synthetic 60,000 x 784):")
    print(hardware.table(timing))
