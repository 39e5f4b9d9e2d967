"""The engine: batching, divergence, input checks, noise, clipping, the records, devices."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import optimizers
import surfaces

BACKENDS = ["eager", "numba"]


def single(surface, name, k, starts=None, per=None, **common):
    """The k-th trajectory of a batch, run on its own: start k, and the k-th of every listed value."""
    kw = dict(common)
    for key, values in (per or {}).items():
        if key == "betas":
            b1, b2 = values
            kw["betas"] = (b1[k] if isinstance(b1, list) else b1, b2[k] if isinstance(b2, list) else b2)
        else:
            kw[key] = values[k]
    if starts is not None:
        kw["start"] = tuple(starts[k])
    return optimizers.run(surface, name, **kw)


def batch_size(starts, per) -> int:
    if starts is not None:
        return len(starts)
    for key, values in per.items():
        for v in (values if key == "betas" else [values]):
            if isinstance(v, list):
                return len(v)
    raise AssertionError("not a batch")


BATCH_CASES = [
    # (surface, optimizer, starts or None, per-trajectory values, common arguments)
    ("bowl", "adam", [(-8.0, 2.0), (8.0, -2.5), (3.0, 1.0)], {}, dict(lr=0.1)),
    ("crescent", "momentum", None, {"lr": [1e-3, 3e-3, 5e-3]}, dict(convention="lecture")),
    ("crescent", "nesterov", None, {"momentum": [0.5, 0.8, 0.9]}, dict(convention="book", lr=3e-3)),
    ("beale", "rmsprop", [(1.0, 1.5), (-2.0, -2.0), (0.5, 0.5)], {"alpha": [0.9, 0.99, 0.5]},
     dict(lr=0.01, centered=True)),
    ("himmelblau", "adam", None, {"betas": ([0.9, 0.5, 0.0], [0.99, 0.999, 0.9])}, dict(lr=0.05)),
    ("himmelblau", "radam", None, {"betas": (0.9, [0.99, 0.999, 0.9])}, dict(lr=0.01)),
    ("crescent", "adagrad", [(-3.0, 6.0), (-3.5, 3.0)], {"lr": [0.05, 0.1]}, dict(convention="lecture")),
    ("crescent", "rmsprop", None, {"momentum": [0.3, 0.5, 0.9]}, dict(lr=3e-3)),
    ("rosenbrock", "nadam", None, {"momentum_decay": [4e-3, 0.0, 0.1]}, dict(lr=0.03)),
    ("bowl", "gd", None, {"lr": [1e-3, 3e-3]}, dict(schedule="warmup",
                                                     schedule_args={"warmup_steps": 20, "total_steps": 150})),
    ("saddle", "adamw", None, {"weight_decay": [0.0, 0.1, 0.5]}, dict(lr=0.03)),
    ("crescent", "adagrad", None, {"lr_decay": [0.0, 0.5, 0.05]}, dict(lr=0.3)),
    ("crescent", "adagrad", None, {"lr_decay": [0.0, 0.5], "lr": [0.3, 0.1]}, {}),
    ("crescent", "momentum", None, {"momentum": [0.0, 0.9]}, dict(lr=3e-3, dampening=0.5)),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", BATCH_CASES, ids=[f"{c[0]}-{c[1]}-{'+'.join(c[3]) or 'starts'}" for c in BATCH_CASES])
def test_a_batch_equals_the_same_runs_one_by_one(case, backend):
    surface, name, starts, per, common = case
    common = dict(common, steps=200, backend=backend)
    K = batch_size(starts, per)
    kw = dict(common, **per)
    if starts is not None:
        kw["start"] = np.array(starts)
    t = optimizers.run(surface, name, **kw)
    assert t.path.shape == (201, K, 2) and t.loss.shape == (201, K) and t.grad_norm.shape == (201, K)
    assert t.m.shape == t.sigma.shape == t.step_size.shape == (200, K, 2)
    assert isinstance(t.diverged_at, list) and len(t.diverged_at) == K
    for k in range(K):
        one = single(surface, name, k, starts, per, **common)
        assert one.path.shape == (201, 2)
        np.testing.assert_allclose(t.path[:, k], one.path, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(t.loss[:, k], one.loss, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(t.m[:, k], one.m, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(t.sigma[:, k], one.sigma, rtol=1e-12, atol=1e-12)
        lr_k = t.lr[:, k] if t.lr.ndim == 2 else t.lr
        np.testing.assert_allclose(lr_k, one.lr, rtol=1e-15)
        assert t.diverged_at[k] == one.diverged_at
    # the trajectories are not all the same (else the comparison would not see a mix-up)
    assert np.abs(t.path[-1, 0] - t.path[-1, 1]).max() > 1e-6


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name,kw", [("rmsprop", dict(lr=3e-3)), ("gd", dict(lr=3e-3, convention="lecture"))])
def test_a_trajectorys_records_do_not_depend_on_its_batch(name, kw, backend):
    """A sweep over momentum that includes 0 must record, for the μ = 0 trajectory, what the μ = 0
    run alone records: the batch uses the momentum form for every trajectory as soon as one μ is
    nonzero (RMSprop: a buffer of g/σ; lecture: the movement M), and m_t is recorded in the rule's
    units, so the μ = 0 trajectory still records g_t."""
    t = optimizers.run("crescent", name, steps=50, momentum=[0.0, 0.9], backend=backend, **kw)
    one = optimizers.run("crescent", name, steps=50, momentum=0.0, backend=backend, **kw)
    np.testing.assert_allclose(t.path[:, 0], one.path, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.sigma[:, 0], one.sigma, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.m[:, 0], one.m, rtol=1e-12, atol=1e-12)


def test_a_sweep_of_k_values_gives_k_learning_rate_columns():
    t = optimizers.run("bowl", "gd", steps=20, lr=[1e-3, 2e-3, 4e-3], schedule="exponential",
                       schedule_args={"gamma": 0.9})
    assert t.lr.shape == (20, 3)
    np.testing.assert_allclose(t.lr[:, 2], 4e-3 * 0.9 ** np.arange(20), rtol=1e-13)


def test_numpy_arrays_are_accepted_as_per_trajectory_values():
    """run() treats an np.ndarray as one value per trajectory (engine._length), so the checks must
    accept it too; it must give the same as a list."""
    a = optimizers.run("bowl", "adam", steps=30, lr=np.array([0.01, 0.1]), betas=(np.array([0.9, 0.8]), 0.99))
    b = optimizers.run("bowl", "adam", steps=30, lr=[0.01, 0.1], betas=([0.9, 0.8], 0.99))
    np.testing.assert_array_equal(a.path, b.path)
    with pytest.raises(ValueError, match="lr"):
        optimizers.run("bowl", "adam", steps=30, lr=np.array([0.01, -0.1]))


# ------------------------------------------------------------------ divergence
def check_frozen(t, d, k=None):
    """Path frozen at the last finite point from update d on; loss/grad NaN from point d on;
    m, σ, step size NaN from update d (index d-1) on; everything before finite."""
    sel = (lambda a: a[:, k]) if k is not None else (lambda a: a)
    path, loss, gn, m, sig = sel(t.path), sel(t.loss), sel(t.grad_norm), sel(t.m), sel(t.sigma)
    assert isinstance(d, int) and 1 <= d <= len(m)
    assert np.isfinite(path).all()
    assert (path[d - 1:] == path[d - 1]).all()
    assert np.isfinite(loss[:d]).all() and np.isnan(loss[d:]).all()
    assert np.isfinite(gn[:d]).all() and np.isnan(gn[d:]).all()
    assert np.isfinite(m[:d - 1]).all() and np.isnan(m[d - 1:]).all()
    assert np.isnan(sig[d - 1:]).all() and np.isnan(sel(t.step_size)[d - 1:]).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_divergence_is_reported_not_raised(backend):
    """gd with η = 10 on bowl: the first step throws y to about −2000, far outside the view."""
    t = optimizers.run("bowl", "gd", steps=50, lr=10.0, backend=backend)
    assert t.diverged_at == 1
    check_frozen(t, 1)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("surface,lr", [("bowl", 2.1), ("rosenbrock", 0.01), ("himmelblau", 0.05)])
def test_a_later_divergence_freezes_the_path_at_its_last_finite_point(surface, lr, backend):
    """bowl at η = 2.1: x grows ×1.1 a step until it leaves the view by far (~50 steps);
    rosenbrock at η = 0.01 overflows within a few steps."""
    t = optimizers.run(surface, "gd", steps=200, lr=lr, backend=backend)
    assert t.diverged_at is not None and t.diverged_at > 1
    check_frozen(t, t.diverged_at)
    # up to the divergence it is the same run as a shorter one that does not diverge
    short = optimizers.run(surface, "gd", steps=t.diverged_at - 1, lr=lr, backend=backend)
    assert short.diverged_at is None
    np.testing.assert_array_equal(short.path, t.path[:t.diverged_at])


@pytest.mark.parametrize("backend", BACKENDS)
def test_in_a_batch_only_the_diverging_trajectory_is_marked(backend):
    lrs = [1e-3, 2.1, 1e-2]
    t = optimizers.run("bowl", "gd", steps=200, lr=lrs, backend=backend)
    assert t.diverged_at[0] is None and t.diverged_at[2] is None
    assert isinstance(t.diverged_at[1], int)
    check_frozen(t, t.diverged_at[1], k=1)
    for k in (0, 2):
        one = optimizers.run("bowl", "gd", steps=200, lr=lrs[k], backend=backend)
        np.testing.assert_array_equal(t.path[:, k], one.path)
        assert np.isfinite(t.loss[:, k]).all()


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kwargs,word", [
    (dict(lr=-0.1), "lr"),
    (dict(lr=float("nan")), "lr"),
    (dict(lr="fast"), "lr"),
    (dict(lr=[0.1, -0.1]), "lr"),
    (dict(optimizer="adam", betas=(0.9, 1.0)), "beta2"),
    (dict(optimizer="adam", betas=(1.2, 0.999)), "beta1"),
    (dict(optimizer="adam", betas=([0.9, 1.5], 0.999)), "beta1"),
    (dict(optimizer="adam", betas=0.9), "betas"),
    (dict(optimizer="momentum", momentum=1.0), "momentum"),
    (dict(optimizer="momentum", momentum=-0.5), "momentum"),
    (dict(optimizer="rmsprop", alpha=1.0), "alpha"),
    (dict(optimizer="adam", eps=-1e-8), "eps"),
    (dict(optimizer="adam", amsgrad="yes"), "amsgrad"),
    (dict(optimizer="nesterov", momentum=0.0), "Nesterov"),
    (dict(optimizer="nesterov", momentum=[0.9, 0.0]), "Nesterov"),
    (dict(optimizer="gd", nesterov=True), "Nesterov"),
    (dict(optimizer="nesterov", dampening=0.1), "Nesterov"),
    (dict(optimizer="sgd"), "optimizer"),
    (dict(optimizer="gd", foo=1.0), "foo"),
    (dict(schedule="cosine_warm"), "schedule"),
    (dict(schedule="step", schedule_args={"step_size": 0}), "step_size"),
    (dict(schedule="step", schedule_args={"gamma": 1.5}), "gamma"),
    (dict(schedule="step", schedule_args={"size": 10}), "size"),
    (dict(schedule="warmup", schedule_args={"decay": "exp"}), "decay"),
    (dict(convention="slides"), "convention"),
    (dict(steps=0), "steps"),
    (dict(steps=-5), "steps"),
    (dict(steps=optimizers.MAX_STEPS + 1), "steps"),
    (dict(start=(1.0, 2.0, 3.0)), "start"),
    (dict(start=(float("nan"), 0.0)), "start"),
    (dict(start=(float("inf"), 0.0)), "start"),
    (dict(start=np.zeros((2, 3))), "start"),
    (dict(start=np.zeros((0, 2))), "start"),
    (dict(start=np.zeros((2, 2, 2))), "start"),
    (dict(start=[[1.0, 1.0], [2.0, 2.0]], lr=[0.1, 0.2, 0.3]), "length"),
    (dict(noise=-1.0), "noise"),
    (dict(noise=float("nan")), "noise"),
    (dict(max_norm=0.0), "max_norm"),
    (dict(max_norm=-1.0), "max_norm"),
    (dict(device="tpu"), "device"),
    (dict(backend="jax"), "backend"),
])
def test_bad_input_raises_a_value_error_naming_it(kwargs, word):
    kwargs = dict(kwargs)
    name = kwargs.pop("optimizer", "gd")
    kwargs.setdefault("steps", 10)
    with pytest.raises(ValueError, match=word):
        optimizers.run("bowl", name, **kwargs)


def test_unknown_surface_is_a_value_error():
    with pytest.raises(ValueError, match="surface"):
        optimizers.run("moon", "gd", steps=5)


@pytest.mark.parametrize("kwargs,word", [
    (dict(steps=2.5), "steps"),          # not silently int(2.5) = 2 updates
    (dict(steps="ten"), "steps"),
    (dict(steps=None), "steps"),
    (dict(noise="a lot"), "noise"),
    (dict(max_norm="one"), "max_norm"),
    (dict(max_norm=float("nan")), "max_norm"),
    (dict(start=("a", "b")), "start"),
    (dict(seed="x", noise=0.1), "seed"),
    (dict(seed=1.5, noise=0.1), "seed"),  # not silently truncated
    (dict(schedule="step", schedule_args=[100]), "schedule_args"),
    (dict(lr=[]), "lr"),                          # K = 0 is no batch
    (dict(lr=np.array([[0.1, 0.2]])), "lr"),      # not a flat sequence
    (dict(lr=[[0.1], [0.2, 0.3]]), "lr"),
    (dict(schedule="step", schedule_args={"gamma": np.array([[0.5, 0.6]])}), "gamma"),
    (dict(seed=2**63, noise=0.1), "seed"),
    (dict(schedule=["step"]), "schedule"),        # unhashable names: a ValueError, not a TypeError
    (dict(schedule={}), "schedule"),
    (dict(convention=["torch"]), "convention"),
])
def test_malformed_arguments_get_a_value_error_naming_them(kwargs, word):
    """Bad input gets a clear message and never a crash: these come from a CLI or a URL."""
    kwargs = dict(kwargs)
    kwargs.setdefault("steps", 10)
    with pytest.raises(ValueError, match=word):
        optimizers.run("bowl", "gd", **kwargs)


# ------------------------------------------------------------------ noise
@pytest.mark.parametrize("backend", BACKENDS)
def test_noise_is_reproducible_with_a_seed_and_differs_across_seeds(backend):
    kw = dict(steps=100, lr=0.05, noise=0.5, backend=backend)
    a = optimizers.run("himmelblau", "adam", seed=3, **kw)
    b = optimizers.run("himmelblau", "adam", seed=3, **kw)
    c = optimizers.run("himmelblau", "adam", seed=4, **kw)
    clean = optimizers.run("himmelblau", "adam", steps=100, lr=0.05, backend=backend)
    np.testing.assert_array_equal(a.path, b.path)
    assert np.abs(a.path - c.path).max() > 1e-3
    assert np.abs(a.path - clean.path).max() > 1e-3
    zero = optimizers.run("himmelblau", "adam", steps=100, lr=0.05, noise=0.0, seed=3, backend=backend)
    np.testing.assert_array_equal(zero.path, clean.path)


def test_noise_is_the_same_on_both_backends():
    kw = dict(steps=300, lr=0.01, noise=0.3, seed=7)
    a = optimizers.run("crescent", "momentum", backend="eager", **kw)
    b = optimizers.run("crescent", "momentum", backend="numba", **kw)
    np.testing.assert_allclose(a.path, b.path, rtol=1e-9, atol=1e-9)


def test_noise_has_the_stated_standard_deviation():
    """For plain GD m_t is the gradient actually used, so m_t − ∇f(θ_t) is the added noise:
    a zero-mean Gaussian with the given standard deviation, independent across coordinates."""
    sd = 0.7
    t = optimizers.run("bowl", "gd", steps=4000, lr=1e-4, noise=sd, seed=11)
    eps = t.m - t.grad[:-1]  # (T, 2)
    assert abs(eps.mean()) < 4 * sd / np.sqrt(eps.size)
    assert abs(eps.std() / sd - 1) < 0.05
    assert abs(np.corrcoef(eps[:, 0], eps[:, 1])[0, 1]) < 0.1


# ------------------------------------------------------------------ clipping
@pytest.mark.parametrize("backend", BACKENDS)
def test_clipping_bounds_every_step(backend):
    """On cliff the gradient on the wall reaches ~375; with max_norm = 1 every GD step is ≤ η·1.
    The start sits on the wall's foot (x = 0.95), so the unclipped first step is a jump of ~η·300."""
    lr, max_norm = 0.05, 1.0
    start = (0.95, 0.5)
    t = optimizers.run("cliff", "gd", steps=300, lr=lr, max_norm=max_norm, start=start, backend=backend)
    steps = np.linalg.norm(np.diff(t.path, axis=0), axis=-1)
    assert steps.max() <= lr * max_norm * (1 + 1e-12)
    assert np.linalg.norm(t.m, axis=-1).max() <= max_norm * (1 + 1e-12)
    assert (t.grad_norm > max_norm).any()  # clipping did have something to clip
    unclipped = optimizers.run("cliff", "gd", steps=300, lr=lr, start=start, backend=backend)
    assert np.linalg.norm(np.diff(unclipped.path, axis=0), axis=-1).max() > lr * max_norm * 10


@pytest.mark.parametrize("backend", BACKENDS)
def test_clipping_is_torch_clip_grad_norm(backend):
    """Oracle: SGD with momentum and torch.nn.utils.clip_grad_norm_ before each step."""
    s = surfaces.get("cliff")
    lr, max_norm, steps = 0.05, 2.0, 250
    t = optimizers.run(s, "momentum", steps=steps, lr=lr, max_norm=max_norm, backend=backend)
    p = torch.tensor(s.start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, momentum=0.9)
    path = [p.detach().clone().numpy()]
    for _ in range(steps):
        opt.zero_grad()
        s(p).backward()
        torch.nn.utils.clip_grad_norm_([p], max_norm)
        opt.step()
        path.append(p.detach().clone().numpy())
    path = np.array(path)
    assert np.linalg.norm(path[-1] - path[0]) > 1
    np.testing.assert_allclose(t.path, path, rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------ the records
RULES = [
    # (optimizer, kwargs, how θ_{t+1} − θ_t follows from the records)
    ("gd", dict(lr=3e-3), "sigma_m"),
    ("momentum", dict(lr=1e-3), "sigma_m"),
    ("nesterov", dict(lr=1e-3), "sigma_m"),
    ("adagrad", dict(lr=0.3), "sigma_m"),
    ("rmsprop", dict(lr=0.03), "sigma_m"),
    ("rmsprop", dict(lr=0.03, centered=True), "sigma_m"),
    ("adam", dict(lr=0.1), "sigma_m"),
    ("adam", dict(lr=0.1, amsgrad=True, weight_decay=0.1), "sigma_m"),
    ("nadam", dict(lr=0.1), "sigma_m"),
    ("radam", dict(lr=3e-3), "sigma_m"),
    ("adagrad", dict(lr=0.3, convention="lecture"), "sigma_m"),
    ("rmsprop", dict(lr=0.03, alpha=0.9, convention="lecture"), "sigma_m"),
    ("rmsprop", dict(lr=0.03, convention="book"), "sigma_m"),
    # torch RMSprop with momentum (θ ← θ − η·b, b a buffer of g/σ) records m_t = σ_t·b_t, and the
    # lecture's movement (θ ← θ + M) records m_t = −M·σ_t/η_t: the same rule reads back from both
    ("rmsprop", dict(lr=3e-3, momentum=0.9), "sigma_m"),
    ("momentum", dict(lr=1e-3, convention="lecture"), "sigma_m"),
    ("nesterov", dict(lr=1e-3, convention="book"), "sigma_m"),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name,kw,rule", RULES, ids=[f"{n}-{kw}" for n, kw, _ in RULES])
def test_records_follow_the_rule(name, kw, rule, backend):
    """θ_{t+1} = θ_t − (η_t/σ_t)·m_t read back from the records: step_size = η_t/σ_t."""
    t = optimizers.run("bowl", name, steps=200, schedule="cosine", schedule_args={"T_max": 200}, backend=backend,
                       **kw)
    assert t.diverged_at is None
    step = np.diff(t.path, axis=0)
    lr = t.lr[:, None]
    np.testing.assert_allclose(t.step_size, lr / t.sigma, rtol=1e-14)
    assert rule == "sigma_m"
    expected = -t.step_size * t.m
    np.testing.assert_allclose(step, expected, rtol=1e-9, atol=1e-12)
    assert np.abs(step).max() > 1e-3


@pytest.mark.parametrize("backend", BACKENDS)
def test_adam_records_are_its_moments(backend):
    """m_t and σ_t of Adam recomputed from the recorded gradients (an independent numpy loop)."""
    b1, b2, eps = 0.9, 0.99, 1e-8
    t = optimizers.run("beale", "adam", steps=200, lr=0.03, betas=(b1, b2), backend=backend)
    s = np.zeros(2)
    v = np.zeros(2)
    for n in range(1, 201):
        g = t.grad[n - 1]
        s = b1 * s + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        np.testing.assert_allclose(t.m[n - 1], s / (1 - b1**n), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(t.sigma[n - 1], np.sqrt(v / (1 - b2**n)) + eps, rtol=1e-10)
    np.testing.assert_allclose(t.lr, 0.03)


@pytest.mark.parametrize("backend", BACKENDS)
def test_gd_records(backend):
    t = optimizers.run("rosenbrock", "gd", steps=100, lr=1e-3, schedule="step", schedule_args={"step_size": 30},
                       backend=backend)
    np.testing.assert_array_equal(t.sigma, 1.0)
    np.testing.assert_allclose(t.m, t.grad[:-1], rtol=1e-15)
    np.testing.assert_allclose(t.lr, 1e-3 * 0.1 ** (np.arange(100) // 30), rtol=1e-15)
    s = surfaces.get("rosenbrock")
    np.testing.assert_allclose(t.grad, s.grad(t.path), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.loss, s(torch.as_tensor(t.path)).numpy(), rtol=1e-13)
    np.testing.assert_allclose(t.grad_norm, np.linalg.norm(t.grad, axis=-1), rtol=1e-15)


def test_trajectory_shapes_and_metadata():
    t = optimizers.run("bowl", "adam", steps=50, lr=0.1)
    assert t.path.shape == (51, 2) and t.loss.shape == (51,) and t.grad.shape == (51, 2)
    assert t.grad_norm.shape == (51,) and t.lr.shape == (50,)
    assert t.m.shape == t.sigma.shape == t.step_size.shape == (50, 2)
    assert t.path.dtype == np.float64 and t.diverged_at is None
    assert t.optimizer == "adam" and t.convention == "torch" and t.notes == ()
    assert isinstance(t.latex, str) and r"\theta_{t+1}" in t.latex
    assert t.path[0].tolist() == list(surfaces.get("bowl").start)


# ------------------------------------------------------------------ compose: the summary slide
@pytest.mark.parametrize("parts,preset", [
    (("ema", "adam", dict(lr=0.1)), ("adam", dict(lr=0.1))),
    (("heavy_ball", "none", dict(lr=1e-3, momentum=0.9)), ("momentum", dict(lr=1e-3))),
    (("nesterov", "none", dict(lr=1e-3, momentum=0.8)), ("nesterov", dict(lr=1e-3, momentum=0.8))),
    (("none", "none", dict(lr=3e-3)), ("gd", dict(lr=3e-3))),
    (("movement", "none", dict(lr=1e-3, momentum=0.9)), ("momentum", dict(lr=1e-3, convention="lecture"))),
    (("none", "adagrad_mean", dict(lr=0.3)), ("adagrad", dict(lr=0.3, convention="lecture"))),
    (("none", "adagrad_sum", dict(lr=0.3)), ("adagrad", dict(lr=0.3))),
    (("none", "rmsprop", dict(lr=0.03, alpha=0.9)), ("rmsprop", dict(lr=0.03, alpha=0.9))),
    (("none", "rmsprop_lecture", dict(lr=0.03, alpha=0.9)), ("rmsprop", dict(lr=0.03, alpha=0.9, convention="lecture"))),
])
def test_composed_parts_reproduce_the_presets(parts, preset):
    mom, rms, hp = parts
    a = optimizers.run("bowl", optimizers.compose(mom, rms, **hp), steps=150)
    b = optimizers.run("bowl", preset[0], steps=150, **preset[1])
    np.testing.assert_allclose(a.path, b.path, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("backend", ["eager", "numba"])
@pytest.mark.parametrize("mom, rms, hp", [
    ("heavy_ball", "none", dict(lr=0.01, momentum=[0.5, 0.9])),
    ("none", "none", dict(lr=[0.1, 0.2])),
    ("ema", "adam", dict(lr=[0.1, 0.05], beta1=[0.8, 0.9], beta2=0.99, eps=[1e-8, 1e-3])),
    ("movement", "rmsprop_lecture", dict(lr=0.01, momentum=[0.0, 0.9], alpha=[0.5, 0.99])),
])
def test_compose_takes_per_trajectory_values_like_a_named_optimizer(mom, rms, hp, backend):
    """compose()'s hyperparameters may be length-K sequences too: the batch equals its runs one by one,
    on both backends (K counted from them when there is one start)."""
    batch = optimizers.run("crescent", optimizers.compose(mom, rms, **hp), steps=120, backend=backend)
    assert batch.path.shape == (121, 2, 2)
    for k in range(2):
        one = {key: v[k] if isinstance(v, list) else v for key, v in hp.items()}
        t = optimizers.run("crescent", optimizers.compose(mom, rms, **one), steps=120, backend=backend)
        np.testing.assert_allclose(batch.path[:, k], t.path, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="disagree"):
        optimizers.run("crescent", optimizers.compose(mom, rms, **hp), steps=5, start=np.zeros((3, 2)), backend=backend)


def test_compose_checks_its_input():
    with pytest.raises(ValueError, match="momentum part"):
        optimizers.compose("flywheel", "none")
    with pytest.raises(ValueError, match="RMS part"):
        optimizers.compose("none", "adadelta")
    with pytest.raises(ValueError, match="lr"):
        optimizers.compose("none", "none", lr=-1)
    with pytest.raises(ValueError, match="beta2"):
        optimizers.compose("ema", "adam", beta2=1.0)
    with pytest.raises(ValueError, match="compose"):
        optimizers.run("bowl", optimizers.compose("ema", "adam"), steps=5, lr=0.1)


# ------------------------------------------------------------------ devices
@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_cuda_without_a_gpu_is_a_clear_value_error():
    with pytest.raises(ValueError, match="cuda"):
        optimizers.run("bowl", "adam", steps=5, device="cuda")


def test_auto_device_works_and_matches_cpu():
    a = optimizers.run("bowl", "adam", steps=50, lr=0.1, device="auto")
    b = optimizers.run("bowl", "adam", steps=50, lr=0.1, device="cpu")
    assert a.device == ("cuda" if torch.cuda.is_available() else "cpu") or a.device.startswith("cuda")
    np.testing.assert_allclose(a.path, b.path, rtol=1e-12, atol=1e-12)
    assert isinstance(a.path, np.ndarray)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_matches_cpu():
    kw = dict(steps=300, lr=0.05, start=np.array([(-8.0, 2.0), (8.0, -2.5)]))
    a = optimizers.run("bowl", "adam", device="cuda", **kw)
    b = optimizers.run("bowl", "adam", device="cpu", backend="eager", **kw)
    np.testing.assert_allclose(a.path, b.path, rtol=1e-9, atol=1e-9)
    assert isinstance(a.path, np.ndarray) and a.device.startswith("cuda")


@pytest.mark.parametrize("backend", BACKENDS)
def test_record_final_and_loss_keep_what_record_all_has(backend):
    """record="final" (and "loss", which also keeps the loss history) must give exactly the rows
    that record="all" has at the start and the end, including a diverged trajectory's NaNs."""
    starts = np.array([[-8.0, 2.0], [-8.0, 2.0], [5.0, 1.0]])
    kw = dict(steps=60, start=starts, lr=[0.01, 10.0, 0.001], backend=backend)
    full = optimizers.run("bowl", "gd", **kw)
    assert full.diverged_at[1] is not None
    for record in ("final", "loss"):
        t = optimizers.run("bowl", "gd", record=record, **kw)
        assert t.diverged_at == full.diverged_at
        assert t.path.shape == (2, 3, 2) and t.m.shape == (1, 3, 2)
        np.testing.assert_array_equal(t.path, full.path[[0, -1]])
        np.testing.assert_array_equal(t.grad_norm, full.grad_norm[[0, -1]])
        for field in ("m", "sigma", "step_size"):
            np.testing.assert_array_equal(getattr(t, field), getattr(full, field)[-1:])
        np.testing.assert_array_equal(t.loss, full.loss if record == "loss" else full.loss[[0, -1]])


def test_per_trajectory_schedule_arguments():
    warm = [5, 20, 40]
    t = optimizers.run("bowl", "adam", steps=60, lr=0.1, schedule="warmup",
                       schedule_args={"warmup_steps": warm, "total_steps": 60})
    assert t.path.shape == (61, 3, 2) and t.lr.shape == (60, 3)
    for k, w in enumerate(warm):
        one = optimizers.run("bowl", "adam", steps=60, lr=0.1, schedule="warmup",
                             schedule_args={"warmup_steps": w, "total_steps": 60})
        np.testing.assert_array_equal(t.lr[:, k], one.lr)
        np.testing.assert_allclose(t.path[:, k], one.path, rtol=0, atol=1e-13)
    with pytest.raises(ValueError, match="warmup_steps"):
        optimizers.run("bowl", "adam", steps=10, schedule="warmup", schedule_args={"warmup_steps": [5, 0]})
    with pytest.raises(ValueError, match="disagree"):
        optimizers.run("bowl", "adam", steps=10, lr=[0.1, 0.2, 0.3], schedule="warmup",
                       schedule_args={"warmup_steps": [5, 6]})


def test_an_unhashable_optimizer_name_is_a_value_error():
    with pytest.raises(ValueError, match="optimizer"):
        optimizers.run("bowl", ["adam"], steps=5)


@pytest.mark.parametrize("name,kw", [
    ("nesterov", dict(lr=0.01, dampening=[0.0])),
    ("momentum", dict(convention="lecture", weight_decay=[0.0, 0.0])),
    ("rmsprop", dict(convention="lecture", momentum=[0.0, 0.0])),
    ("adagrad", dict(initial_accumulator_value=(0.0, 0.1))),
])
def test_per_trajectory_values_of_the_checked_options_are_accepted(name, kw):
    """Options that are checked for being nonzero take lists and tuples as every other one does."""
    t = optimizers.run("bowl", name, steps=5, **kw)
    assert t.path.shape[1] == len(next(v for v in kw.values() if isinstance(v, (list, tuple))))


@pytest.mark.parametrize("backend", BACKENDS)
def test_numpy_scalars_are_single_values(backend):
    t = optimizers.run("bowl", "adam", steps=20, lr=np.array(0.1), betas=(np.float64(0.9), np.array(0.999)),
                       backend=backend)
    one = optimizers.run("bowl", "adam", steps=20, lr=0.1, backend=backend)
    assert t.path.shape == (21, 2) and t.diverged_at is None
    np.testing.assert_array_equal(t.path, one.path)


def test_large_seeds_are_taken_exactly():
    a = optimizers.run("bowl", "gd", steps=5, noise=1.0, seed=2**53)
    b = optimizers.run("bowl", "gd", steps=5, noise=1.0, seed=2**53 + 1)  # the same float, not the same seed
    assert np.abs(a.path - b.path).max() > 0
    optimizers.run("bowl", "gd", steps=5, noise=1.0, seed=2**63 - 1)      # the top of the stated range


@pytest.mark.parametrize("backend", BACKENDS)
def test_lecture_momentum_records_nan_m_where_its_own_lr_is_zero(backend):
    """m_t = −M·σ/η is undefined where η_t = 0: NaN for that trajectory, whatever the others' η."""
    kw = dict(steps=4, lr=[0.01, 0.01], convention="lecture", schedule="step",
              schedule_args={"step_size": [2, 10], "gamma": 0.0}, backend=backend)
    t = optimizers.run("bowl", "momentum", **kw)
    assert np.isnan(t.m[2:, 0]).all() and np.isfinite(t.m[:, 1]).all() and np.isfinite(t.m[:2, 0]).all()


@pytest.mark.parametrize("backend", ["eager", "numba"])
def test_record_loss_keeps_the_loss_of_every_step_and_the_last_point(backend):
    """record="loss" (the Sweep's steps-to-tolerance) gives the full run's loss, with the start and
    last rows of the rest, on both backends; the eager backend keeps only the loss of each update
    (it kept all nine columns of every update and cut them afterwards: ~14 GB for a 100×100 sweep of
    20,000 steps on a GPU)."""
    starts = np.array([[-8.0, 1.0], [-6.0, 2.0], [3.0, -1.0]])
    kw = dict(steps=1500, start=starts, lr=[0.001, 0.005, 40.0], momentum=0.9, backend=backend)  # the last diverges
    full = optimizers.run("bowl", "momentum", **kw)
    loss = optimizers.run("bowl", "momentum", record="loss", **kw)
    assert full.diverged_at[2] is not None and loss.diverged_at == full.diverged_at
    np.testing.assert_array_equal(loss.loss, full.loss)
    np.testing.assert_array_equal(loss.path, full.path[[0, -1]])
    np.testing.assert_array_equal(loss.sigma, full.sigma[-1:])
