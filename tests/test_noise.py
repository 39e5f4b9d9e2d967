"""The gradient-noise experiments (optimizers/noise.py), the timing (optimizers/hardware.py) and their
figures (viz/batch.py): divergence, limits and bad input. (The physics of escapes and of sharp vs
flat minima is tested in test_minibatch.py.)"""
import math

import numpy as np
import pytest

from optimizers import hardware
from optimizers import minibatch as mb
from optimizers import noise
from surfaces import data as sd
from viz import batch as vb

N = 20


# ------------------------------------------------------------------ escape
def test_a_diverged_run_has_not_escaped():
    # η = 1 throws every run out of the view (past the divergence box) within a few updates, even
    # the noiseless full batch: its frozen last point lies past the ridge, but it did not escape
    r = noise.escape("local_minimum", batch_sizes=(1, 20), runs=20, steps=50, lr=1.0)
    assert r.diverged == (1.0, 1.0) and r.diverged_runs == (20, 20)
    assert r.fractions == (0.0, 0.0) and r.escaped == (0, 0)
    assert np.all(r.final_x > r.threshold)            # where the frozen points lie: the old count


def test_escape_and_divergence_are_counted_per_run():
    r = noise.escape("local_minimum", batch_sizes=(1, 4, 20), runs=40, steps=100, lr=0.3, seed=2)
    f, d = np.array(r.fractions), np.array(r.diverged)
    assert np.all(f + d <= 1.0)
    assert np.all(np.array(r.escaped) == np.round(f * r.runs))
    assert np.all(np.array(r.diverged_runs) == np.round(d * r.runs))
    assert 0 < d[0] < 1 and d[-1] == 0.0               # some noisy runs diverge; the full batch never
    # and at the default step size nothing diverges
    ok = noise.escape("saddle", batch_sizes=(1, 20), runs=20, steps=100)
    assert ok.diverged == (0.0, 0.0) and ok.diverged_runs == (0, 0)


@pytest.mark.parametrize("kw,word", [
    (dict(start=(np.nan, 0.0)), "finite"), (dict(start=(0.0, np.inf)), "finite"),
    (dict(start=(0.0, 0.0, 0.0)), "start"), (dict(start=[[0.0, 0.0]] * 6), "start"),
    (dict(seed=-1), "seed"), (dict(seed=1.5), "seed"), (dict(steps=math.inf), "steps"),
    (dict(n_examples=math.nan), "n_examples"), (dict(batch_sizes=(0,)), "batch size"),
])
def test_escape_rejects_bad_input(kw, word):
    with pytest.raises(ValueError, match=word):
        noise.escape("local_minimum", runs=1, **kw)


def test_escape_from_a_given_start():
    r = noise.escape("local_minimum", batch_sizes=(20,), runs=2, steps=20, start=(2.5, 0.0))
    assert np.all(r.final_x > r.threshold)              # started in the deep basin, stays there
    assert r.fractions == (1.0,) and r.diverged == (0.0,)


@pytest.mark.parametrize("args", [(math.nan, N, 1.0), (2, N, math.nan), (2, math.nan, 1.0), (2, N, math.inf),
                                  ([1, math.nan], N, 1.0), (2, N, "a")])
def test_noise_std_rejects_non_finite_input(args):
    with pytest.raises(ValueError):
        noise.noise_std(*args)


# ------------------------------------------------------------------ sharp vs flat
def test_sharp_vs_flat_has_no_epoch_limit_of_its_own():
    # 1001 full-batch updates are 1001 epochs: more than minibatch.run allows, well within the work limit
    r = noise.sharp_vs_flat((N,), runs=5, updates=1001)
    assert r.updates == 1001 and len(r.final_w[N]) == 5


def test_sharp_vs_flat_ends_where_minibatch_run_ends():
    runs, updates = 6, 45
    r = noise.sharp_vs_flat((1, 7, N), runs=runs, updates=updates)
    s = sd.sharp_flat(N, 0)
    starts = np.stack([r.start_w, np.zeros(runs)], 1)
    for B in r.batch_sizes:
        epochs = math.ceil(updates / mb.updates_per_epoch(N, B))
        t = mb.run(s, "gd", batch_size=B, epochs=epochs, start=starts, seed=list(range(runs)), lr=r.lr)
        np.testing.assert_array_equal(r.final_w[B], t.path[updates, :, 0])


def test_sharp_vs_flat_work_limit_names_the_callers_arguments():
    with pytest.raises(ValueError, match=r"runs=5000 × updates=600 .*50,000,000") as e:
        noise.sharp_vs_flat((1,), runs=5000, updates=600)
    assert "epochs" not in str(e.value)
    with pytest.raises(ValueError, match="runs"):
        noise.sharp_vs_flat((1,), runs=5001, updates=1)
    with pytest.raises(ValueError, match="updates"):
        noise.sharp_vs_flat((1,), runs=1, updates=20_001)


@pytest.mark.parametrize("sizes,word", [((0,), "batch size"), ((N + 1,), "batch size"), ((2.5,), "batch size"),
                                        ((), "batch_sizes"), ((1, math.inf), "batch size")])
def test_sharp_vs_flat_checks_batch_sizes_first(sizes, word):
    with pytest.raises(ValueError, match=word):
        noise.sharp_vs_flat(sizes, runs=5, updates=10)


def test_sharp_vs_flat_fractions_are_counts_and_never_negative():
    # 14 runs: 9 flat + 5 sharp, where 1 − 9/14 − 5/14 is −5.6e−17 in floating point
    r = noise.sharp_vs_flat((N,), runs=14, updates=300)
    fr = r.fractions[N]
    for k in ("flat", "sharp", "other", "diverged"):
        assert 0.0 <= fr[k] <= 1.0 and (fr[k] * 14).is_integer()
    assert fr["flat"] + fr["sharp"] > 0.99 and fr["other"] == 0.0


def test_sharp_vs_flat_diverged_runs_are_in_neither_minimum():
    r = noise.sharp_vs_flat((N,), runs=4, updates=50, lr=400.0)
    assert r.fractions[N] == {"flat": 0.0, "sharp": 0.0, "other": 1.0, "diverged": 1.0}


# ------------------------------------------------------------------ hardware
@pytest.mark.parametrize("kw,word", [(dict(max_repeats=0), "max_repeats"), (dict(max_repeats=2.5), "max_repeats"),
                                     (dict(min_repeats=-1), "min_repeats")])
def test_measure_rejects_bad_repeats(kw, word):
    with pytest.raises(ValueError, match=word):
        hardware.measure((1,), budget_s=0.01, device="cpu", n_examples=50, **kw)


def test_measure_times_at_most_max_repeats():
    t = hardware.measure((1, 5), budget_s=0.01, min_repeats=1, max_repeats=2, device="cpu", n_examples=50)
    assert all(1 <= r <= 2 for r in t.repeats) and all(np.isfinite(t.per_update_s))


def test_measure_leaves_the_process_random_state_alone():
    """The MLP is initialised from seed 0 in a forked random state: "Measure now" reset the server's
    global torch RNG (every session's) to seed 0."""
    import torch

    torch.manual_seed(1234)
    torch.rand(3)
    before = torch.get_rng_state()
    hardware.measure((1, 5), budget_s=0.01, min_repeats=1, max_repeats=2, device="cpu", n_examples=50)
    assert torch.equal(before, torch.get_rng_state())


# ------------------------------------------------------------------ figures
def test_empty_figures_are_a_clear_error():
    with pytest.raises(ValueError, match="No escape results"):
        vb.escape_figure([])
    empty = noise.SharpFlatResult((), {}, {}, np.zeros(0), {}, 1, 0.1, 1)
    with pytest.raises(ValueError, match="No batch sizes"):
        vb.basin_bars(empty)


def test_escape_figure_shows_divergence_when_there_is_some():
    calm = noise.escape("saddle", batch_sizes=(1, 20), runs=5, steps=20)
    wild = noise.escape("local_minimum", batch_sizes=(1, 20), runs=5, steps=20, lr=1.0)
    assert [t.name for t in vb.escape_figure([calm]).data] == ["saddle"]
    fig = vb.escape_figure([calm, wild])
    assert [t.name for t in fig.data] == ["saddle", "local minimum", "local minimum: diverged"]
    assert list(fig.data[2].y) == [1.0, 1.0] and list(fig.data[1].y) == [0.0, 0.0]


def test_sharp_vs_flat_counts_a_run_still_on_its_way_for_neither_minimum():
    """"flat" meant anywhere left of the ridge, "sharp" only near the canyon: after 600 updates 13 of
    the 100 B = 1 runs were still on the slope and counted as flat. Both now need the run near the
    minimum; with the page's 1200 updates every run has arrived."""
    from surfaces import data as sdata

    s = sdata.sharp_flat(N, 0)
    short = noise.sharp_vs_flat((1,), runs=100, updates=600, seed=0)
    w = np.asarray(short.final_w[1])
    on_the_way = (w < s.data["barrier"]) & (np.abs(w - s.data["flat"]) >= sdata.FLAT_WIDTH)
    assert on_the_way.sum() >= 10 and short.fractions[1]["other"] * 100 >= on_the_way.sum()
    full = noise.sharp_vs_flat((1,), runs=100, seed=0)
    assert full.updates == 1200 and full.fractions[1]["other"] == 0.0


def test_sharp_flat_gap_labels_sit_above_their_bars_on_a_box():
    """Each minimum's 'gap' label is a boxed annotation pointing down at the top of its bar (as text
    at the bar's top it sat on the testing curve)."""
    r = noise.sharp_vs_flat((N,), runs=4, updates=50)
    s = sd.sharp_flat(N, 0)
    fig = vb.sharp_flat_figure(s, r, train_fn=lambda w: sd.train_loss_1d(s, w), test_fn=lambda w: sd.test_loss_1d(s, w))
    labels = dict(zip(("flat", "sharp"), fig.layout.annotations))
    assert len(fig.layout.annotations) == 2
    for key, a in labels.items():
        m = r.summary[key]
        assert a.text == f"gap {m['gap']:.2f}"
        assert (a.x, a.y) == (m["w"], max(m["train"], m["test"])) and a.ay < 0 and a.bgcolor
    assert not any(getattr(t, "text", None) for t in fig.data)
