"""The benchmark's own reference kernels (optimizers/bench.py) compute what they claim."""
import shutil

import numpy as np
import pytest

import optimizers
from optimizers import bench


def test_hand_written_adam_on_bowl_is_the_engines_adam():
    starts = np.array([[-8.0, 2.0], [3.0, -1.0], [0.5, 0.25]])
    path = bench.adam_bowl_by_hand(starts, 300, lr=0.1)
    t = optimizers.run("bowl", "adam", steps=300, start=starts, lr=0.1)
    np.testing.assert_allclose(path, t.path, rtol=0, atol=1e-12)


def test_records_only_writes_every_record():
    T, K = 5, 3
    path, loss, grad, m, sigma = bench.records_only(K, T)
    t = optimizers.run("bowl", "adam", steps=T, start=np.zeros((K, 2)) + 1.0, lr=0.1)
    assert path.shape == t.path.shape and loss.shape == t.loss.shape and m.shape == t.m.shape
    assert sigma.shape == t.sigma.shape and grad.shape == t.grad.shape
    tt, kk = np.meshgrid(np.arange(T + 1), np.arange(K), indexing="ij")
    np.testing.assert_array_equal(loss, tt + 0.5 * kk)                    # every cell written
    np.testing.assert_array_equal(path[..., 1], tt + 0.5 * kk)
    np.testing.assert_array_equal(sigma[..., 0], (tt - 0.5 * kk)[:T])


def test_torch_block_adam_on_bowl_is_the_engines_adam():
    starts = np.array([[-8.0, 2.0], [3.0, -1.0]])
    path = bench.adam_bowl_compiled(starts, 300, lr=0.1, block=100)  # plain torch: the same operations
    t = optimizers.run("bowl", "adam", steps=300, start=starts, lr=0.1)
    np.testing.assert_allclose(path, t.path, rtol=0, atol=1e-9)
    with pytest.raises(ValueError, match="multiple of the block"):
        bench.adam_bowl_compiled(starts, 250, block=100)


@pytest.mark.skipif(shutil.which("g++") is None and shutil.which("c++") is None,
                    reason="torch.compile on the CPU needs a C++ compiler")
def test_torch_compile_of_the_block_runs_and_agrees():
    """`--compile` keeps working with this torch (a small block compiles in seconds)."""
    import torch
    starts = np.array([[-8.0, 2.0], [3.0, -1.0]])
    fn = torch.compile(bench._adam_bowl_block, dynamic=False)
    path = bench.adam_bowl_compiled(starts, 20, block=10, fn=fn)
    np.testing.assert_allclose(path, bench.adam_bowl_compiled(starts, 20, block=10), rtol=0, atol=1e-12)
