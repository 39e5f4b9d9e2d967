"""Minibatch training on data surfaces, the gradient-noise model, escapes, sharp vs flat minima."""
import math

import numpy as np
import pytest
import torch

import optimizers
from optimizers import minibatch as mb
from optimizers import noise
from optimizers.engine import check_int
from surfaces import data as sd

N = 20


def analytic_example_grads(s, wb):
    """∇ℓ_i = 2 (w x_i + b − y_i) (x_i, 1): the oracle, written from the formula, not the code."""
    x, y = s.data["x"], s.data["y"]
    r = wb[0] * x + wb[1] - y
    return np.stack([2 * r * x, 2 * r], 1)          # (N, 2)


@pytest.mark.parametrize("normalize", [False, True])
def test_minibatch_gradient_is_the_mean_of_the_batch_examples_gradients(normalize):
    s = sd.regression(N, 3, normalize)
    t = mb.run(s, "gd", batch_size=3, epochs=2, seed=[4, 9], lr=0.01)
    assert t.updates_per_epoch == 7                   # 6 batches of 3 and one of 2
    for u in range(len(t.grad)):
        for k in range(2):
            idx = t.batch(u, k)
            assert len(idx) == (2 if u % 7 == 6 else 3)
            want = analytic_example_grads(s, t.path[u, k])[idx].mean(0)
            np.testing.assert_allclose(t.grad[u, k], want, rtol=1e-12, atol=1e-12)
            # and the batch loss is the mean of those examples' losses
            x, y = s.data["x"][idx], s.data["y"][idx]
            np.testing.assert_allclose(t.batch_loss[u, k], np.mean((t.path[u, k, 0] * x + t.path[u, k, 1] - y) ** 2),
                                       rtol=1e-12)


@pytest.mark.parametrize("name,conv,hp", [
    ("gd", "torch", dict(lr=0.02)), ("momentum", "lecture", dict(lr=0.01)), ("nesterov", "book", dict(lr=0.01)),
    ("adagrad", "lecture", dict(lr=1.0)), ("rmsprop", "torch", dict(lr=0.05)), ("adam", "torch", dict(lr=0.3)),
])
def test_batch_size_n_is_exactly_the_full_batch_run(name, conv, hp):
    s = sd.regression(N, 0, False)
    t = mb.run(s, name, batch_size=N, epochs=40, shuffle=True, seed=5, convention=conv, **hp)
    r = optimizers.run(s, name, steps=40, convention=conv, backend="eager", **hp)
    assert np.array_equal(t.path, r.path)
    assert np.array_equal(t.loss, r.loss)
    np.testing.assert_array_equal(t.lr, r.lr)


def test_schedule_and_per_trajectory_hyperparameters_match_the_engine():
    s = sd.regression(N, 1, True)
    lrs = [0.01, 0.05, 0.2]
    t = mb.run(s, "adam", batch_size=N, epochs=30, lr=lrs, schedule="step", schedule_args={"step_size": 10, "gamma": 0.5})
    r = optimizers.run(s, "adam", steps=30, lr=lrs, schedule="step", schedule_args={"step_size": 10, "gamma": 0.5},
                       backend="eager")
    assert np.array_equal(t.path, r.path)


def test_without_shuffle_examples_are_visited_in_order():
    s = sd.regression(N, 0, False)
    t = mb.run(s, "gd", batch_size=1, epochs=3, shuffle=False, lr=0.001)
    visited = np.concatenate([t.batch(u) for u in range(len(t.grad))])
    np.testing.assert_array_equal(visited, np.tile(np.arange(N), 3))
    # the gradient of update u is example u mod N's own gradient
    for u in (0, 7, 19, 20, 45):
        np.testing.assert_allclose(t.grad[u], analytic_example_grads(s, t.path[u])[u % N], rtol=1e-12)
    t7 = mb.run(s, "gd", batch_size=7, epochs=2, shuffle=False, lr=0.001)
    assert [t7.batch(u).tolist() for u in range(3)] == [list(range(7)), list(range(7, 14)), list(range(14, 20))]


def test_shuffle_is_a_fresh_seeded_permutation_every_epoch():
    s = sd.regression(N, 0, False)
    a = mb.run(s, "gd", batch_size=4, epochs=5, shuffle=True, seed=11, lr=0.001)
    b = mb.run(s, "gd", batch_size=4, epochs=5, shuffle=True, seed=11, lr=0.001)
    c = mb.run(s, "gd", batch_size=4, epochs=5, shuffle=True, seed=12, lr=0.001)
    for e in range(5):
        np.testing.assert_array_equal(np.sort(a.order[e]), np.arange(N))   # every example once per epoch
    assert len({tuple(o) for o in a.order}) == 5                          # a different order each epoch
    assert np.array_equal(a.path, b.path) and not np.array_equal(a.path, c.path)


@pytest.mark.parametrize("B", range(1, N + 1))
def test_each_epoch_has_ceil_n_over_b_updates(B):
    s = sd.regression(N, 0, True)
    E = 3
    t = mb.run(s, "gd", batch_size=B, epochs=E, lr=0.01)
    U = math.ceil(N / B)
    assert t.updates_per_epoch == U and len(t.path) == E * U + 1
    np.testing.assert_array_equal(t.epoch_starts, np.arange(E + 1) * U)
    sizes = [len(t.batch(u)) for u in range(U)]
    assert sum(sizes) == N and sizes[:-1] == [B] * (U - 1)


def _autograd_hessian(s, at):
    p = torch.tensor(at, dtype=torch.float64)
    return torch.autograd.functional.hessian(lambda q: s(q), p).numpy()


def test_normalisation_makes_the_hessian_round():
    raw, std = sd.regression(N, 0, False), sd.regression(N, 0, True)
    H_raw = _autograd_hessian(raw, (0.3, -1.0))
    H_std = _autograd_hessian(std, (0.3, -1.0))
    ev_raw, ev_std = np.linalg.eigvalsh(H_raw), np.linalg.eigvalsh(H_std)
    assert ev_raw[-1] / ev_raw[0] > 20                       # long and tilted before
    assert ev_std[-1] / ev_std[0] == pytest.approx(1.0, abs=1e-9)   # round after
    np.testing.assert_allclose(H_std, 2 * np.eye(2), atol=1e-9)
    np.testing.assert_allclose(sd.regression_hessian(raw), H_raw, rtol=1e-10)
    # the same optimizer, with an η just below the raw bowl's stability limit 2/λ_max, does far
    # better on the round bowl: the raw bowl's flat direction crawls
    lr = 0.8 * 2 / ev_raw[-1]
    a = mb.run(raw, "gd", batch_size=N, epochs=30, lr=lr)
    b = mb.run(std, "gd", batch_size=N, epochs=30, lr=lr)
    lo_a, lo_b = raw(torch.tensor(raw.minima[0])).item(), std(torch.tensor(std.minima[0])).item()
    assert a.diverged_at is None and b.diverged_at is None
    assert b.loss[-1] - lo_b < 1e-2 * (a.loss[-1] - lo_a)


def test_minimum_and_data_are_seeded():
    s = sd.regression(N, 0, False)
    x, y = sd.regression_data(N, 0)
    np.testing.assert_array_equal(s.data["x"], x)
    g = s.grad(np.array(s.minima[0]))
    assert np.abs(g).max() < 1e-10
    assert not np.array_equal(sd.regression_data(N, 1)[0], x)


def test_minibatch_noise_formula_matches_real_minibatches():
    """σ_B = σ₁ √((N − B)/(B (N − 1))) against batches drawn from the data set itself."""
    s = sd.regression(N, 0, True)
    G = analytic_example_grads(s, (0.0, 0.0))                      # (N, 2)
    sigma1 = G.std(0)                                              # population spread of one example's gradient
    rng = np.random.default_rng(0)
    for B in (1, 3, 10, 19, 20):
        means = np.stack([G[rng.permutation(N)[:B]].mean(0) for _ in range(20000)])
        want = noise.noise_std(B, N, 1.0) * sigma1
        np.testing.assert_allclose(means.std(0), want, rtol=0.03, atol=1e-10)
    assert noise.noise_std(N, N, 5.0) == 0.0


@pytest.mark.parametrize("surface", ["local_minimum", "saddle"])
def test_escape_fractions_rise_with_noise_and_full_batch_never_escapes(surface):
    r = noise.escape(surface, batch_sizes=(1, 2, 4, 8, 12, 20), runs=100, seed=1)
    f, se = np.array(r.fractions), r.stderr()
    assert r.batch_sizes[-1] == 20 and r.fractions[-1] == 0.0 and r.noise[-1] == 0.0
    assert np.all(np.diff(r.noise) < 0)                            # bigger batch, less noise
    for i in range(len(f) - 1):                                    # less noise, no more escapes (within 3 s.e.)
        assert f[i + 1] <= f[i] + 3 * math.hypot(se[i], se[i + 1]) + 1e-12
    assert f[0] >= 0.5
    # and the noise level itself: more per-example spread, more escapes
    lo = noise.escape(surface, batch_sizes=(2,), runs=100, seed=1, per_example_std=0.5 * noise.ESCAPE[surface]["per_example_std"])
    hi = noise.escape(surface, batch_sizes=(2,), runs=100, seed=1)
    assert lo.fractions[0] <= hi.fractions[0] + 3 * math.hypot(lo.stderr()[0], hi.stderr()[0])


def test_escape_without_noise_is_plain_gradient_descent():
    r = noise.escape("local_minimum", batch_sizes=(20,), runs=3, steps=50)
    t = optimizers.run("local_minimum", "gd", steps=50, lr=0.1, backend="eager")
    np.testing.assert_allclose(r.final_x[0], t.path[-1, 0], rtol=1e-12)


def test_sharp_minimum_has_the_larger_test_gap_and_small_batches_leave_it():
    s = sd.sharp_flat(N, 0)
    summ = sd.sharp_flat_summary(s)
    assert summ["sharp"]["curvature"] > 20 * summ["flat"]["curvature"]
    assert summ["sharp"]["gap"] > 5 * summ["flat"]["gap"]
    assert abs(summ["sharp"]["train"] - summ["flat"]["train"]) < 0.05          # about equally low for training
    np.testing.assert_allclose(sd.test_loss_1d(s, np.array([1.0])), sd.train_loss_1d(s, np.array([1.0 - sd.TEST_SHIFT])))
    np.testing.assert_allclose(s.data["weight"].mean(), 1.0)
    r = noise.sharp_vs_flat((1, N), runs=60)
    small, full = r.fractions[1], r.fractions[N]
    assert full["sharp"] > 0.2                                     # the full batch settles in the canyon
    assert small["sharp"] < full["sharp"] - 0.15
    assert small["flat"] > full["flat"]


def test_sharp_flat_training_loss_is_the_documented_shape():
    """The mean of the N example losses is L(w, b) = ℓ(w) + ½b² (surfaces.data.shape_loss), as its
    docstring says: the canyon's weights average to 1, so only w matters."""
    s = sd.sharp_flat(N, 0)
    w, b = np.meshgrid(np.linspace(-3, 3, 41), np.linspace(-1, 1, 5))
    xy = torch.tensor(np.stack([w, b], -1))
    mean = s.example_losses(xy).mean(-1).numpy()
    np.testing.assert_allclose(mean, sd.shape_loss(w) + 0.5 * b**2, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(s(xy).numpy(), mean, rtol=1e-12)


def test_bad_input_is_a_clear_error():
    s = sd.regression(N, 0, False)
    for kw, word in ((dict(batch_size=0), "batch_size"), (dict(batch_size=N + 1), "batch_size"),
                     (dict(batch_size=2.5), "batch_size"), (dict(epochs=0), "epochs"), (dict(seed=-1), "seed")):
        with pytest.raises(ValueError, match=word):
            mb.run(s, "gd", **kw)
    with pytest.raises(ValueError, match="data-defined"):
        mb.run("bowl", "gd")
    with pytest.raises(ValueError, match="lr"):
        mb.run(s, "gd", lr=-1.0)
    with pytest.raises(ValueError, match="examples"):
        sd.regression(1)
    for n in (math.inf, -math.inf, math.nan, 2.5):  # int(±inf) raised OverflowError, not a clear message
        with pytest.raises(ValueError, match="number of examples"):
            sd.regression(n)
        with pytest.raises(ValueError, match="number of examples"):
            sd.sharp_flat(n)
    with pytest.raises(ValueError, match="batch size"):
        noise.noise_std(0, N, 1.0)
    with pytest.raises(ValueError, match="Unknown escape"):
        noise.escape("bowl")


def test_divergence_freezes_the_path():
    s = sd.regression(N, 0, False)
    t = mb.run(s, "gd", batch_size=5, epochs=20, lr=5.0)
    assert t.diverged_at is not None
    assert np.isfinite(t.path).all()
    assert np.isnan(t.loss[-1]) and np.isfinite(t.loss[0])


@pytest.mark.parametrize("start", [(np.nan, 0.0), (0.0, np.inf), [[0.0, 0.0], [np.nan, 1.0]]])
def test_a_non_finite_start_is_rejected(start):
    s = sd.regression(N, 0, False)
    with pytest.raises(ValueError, match="Invalid start: the coordinates must be finite numbers"):
        mb.run(s, "gd", batch_size=5, epochs=2, start=start, lr=0.01)
    with pytest.raises(ValueError, match="finite"):
        mb.final_points(s, "gd", 5, 3, start, [0, 1], lr=0.01)


@pytest.mark.parametrize("kw,word", [
    (dict(epochs=math.inf), "epochs"), (dict(epochs=-math.inf), "epochs"), (dict(batch_size=math.inf), "batch_size"),
    (dict(epochs=math.nan), "epochs"), (dict(seed=[]), "seed"), (dict(seed=math.inf), "seed"), (dict(seed=[1, -2]), "seed"),
])
def test_non_finite_and_empty_arguments_are_a_value_error(kw, word):
    s = sd.regression(N, 0, False)
    with pytest.raises(ValueError, match=word):
        mb.run(s, "gd", **{"batch_size": 5, **kw})
    with pytest.raises(ValueError, match="steps"):
        check_int("steps", float("inf"), 1, 10)
    with pytest.raises(ValueError, match="steps"):
        check_int("steps", 10**400, 1, 10)
    with pytest.raises(ValueError, match="steps"):
        check_int("steps", True, 1, 10)


@pytest.mark.parametrize("name,B,U,hp", [("gd", 1, 45, dict(lr=0.025)), ("momentum", 3, 50, dict(lr=0.02)),
                                         ("adam", N, 33, dict(lr=0.1)), ("gd", 7, 10, dict(lr=0.025))])
def test_final_points_are_the_run_paths_point_after_that_many_updates(name, B, U, hp):
    s = sd.sharp_flat(N, 0)
    starts = np.stack([np.linspace(-3.5, 3.5, 5), np.zeros(5)], 1)
    t = mb.run(s, name, batch_size=B, epochs=math.ceil(U / mb.updates_per_epoch(N, B)), start=starts,
               seed=[3, 1, 4, 1, 5], **hp)
    p, d = mb.final_points(s, name, B, U, starts, [3, 1, 4, 1, 5], **hp)
    np.testing.assert_array_equal(p, t.path[U])
    np.testing.assert_array_equal(d, [-1] * 5)
    with pytest.raises(ValueError, match="Too much work"):
        mb.final_points(s, name, B, mb.MAX_UPDATES, (0.0, 0.0), list(range(13)), **hp)   # 13 × 200,000 × 20


@pytest.mark.parametrize("shuffle", [True, False])
def test_final_points_with_a_batch_size_per_run_equal_each_batch_size_run_alone(shuffle):
    """Several batch sizes in one batched run (as sharp_vs_flat runs them) give bit for bit the points
    of each batch size run on its own, with the same seeds."""
    s = sd.sharp_flat(N, 0)
    starts = np.stack([np.linspace(-3.5, 3.5, 4), np.zeros(4)], 1)
    sizes, seeds = [1, 1, 3, 3, N, N, 7, 7], [0, 1, 0, 1, 0, 1, 0, 1]
    p, d = mb.final_points(s, "momentum", sizes, 47, starts[[0, 1] * 4], seeds, shuffle=shuffle, lr=0.02)
    for i, B in enumerate((1, 3, N, 7)):
        q, e = mb.final_points(s, "momentum", B, 47, starts[[0, 1]], [0, 1], shuffle=shuffle, lr=0.02)
        np.testing.assert_array_equal(p[2 * i:2 * i + 2], q)
        np.testing.assert_array_equal(d[2 * i:2 * i + 2], e)
    with pytest.raises(ValueError, match="batch_size: 3 values for 8 runs"):
        mb.final_points(s, "gd", [1, 2, 3], 5, (0.0, 0.0), seeds, lr=0.01)
    with pytest.raises(ValueError, match="batch_size"):
        mb.final_points(s, "gd", [1] * 7 + [N + 1], 5, (0.0, 0.0), seeds, lr=0.01)


def test_composed_and_per_trajectory_values_run_as_in_the_engine():
    """minibatch.run builds its optimizer and η_t through the engine's own functions: a composed
    optimizer with one momentum per trajectory and a per-trajectory Adagrad lr_decay (both crashed
    when the trainer kept its own copies) give, at B = N, the engine's paths."""
    s = sd.regression(N, 0, False)
    opt = optimizers.compose("heavy_ball", "none", lr=0.01, momentum=[0.5, 0.9])
    t = mb.run(s, opt, batch_size=N, epochs=5)
    e = optimizers.run(s, opt, steps=5, backend="eager")
    assert t.path.shape == (6, 2, 2)
    np.testing.assert_allclose(t.path, e.path, rtol=0, atol=1e-12)
    t = mb.run(s, "adagrad", batch_size=N, epochs=8, lr=0.1, lr_decay=[0.1, 0.2])
    e = optimizers.run(s, "adagrad", steps=8, lr=0.1, lr_decay=[0.1, 0.2], backend="eager")
    assert t.path.shape == (9, 2, 2) and not np.allclose(t.path[:, 0], t.path[:, 1])
    np.testing.assert_allclose(t.path, e.path, rtol=0, atol=1e-12)
    np.testing.assert_allclose(t.lr, e.lr, rtol=0, atol=0)
