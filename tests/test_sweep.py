"""The hyperparameter sweep: the batched grid equals individual runs, cell by cell."""
import numpy as np
import pytest

import optimizers
from optimizers import sweep as sw
from viz import sweep as vs


def _individual(r, i, j, **fixed):
    lr, v = float(r.lrs[j]), r.values[i].item()
    kw = dict(fixed)
    if r.param == "beta1":
        kw["betas"] = (v, kw.pop("beta2", 0.999))
    elif r.param == "warmup_steps":
        kw.update(schedule="warmup", schedule_args={"warmup_steps": int(v), "total_steps": r.steps})
    else:
        kw[r.param] = v
    return optimizers.run(r.surface, r.optimizer, steps=r.steps, start=r.start, lr=lr, convention=r.convention,
                          backend="eager", **kw)


CASES = [
    ("bowl", "adam", "beta1", (1e-3, 3.0), None, "torch"),
    ("crescent", "rmsprop", "alpha", (1e-3, 1.0), (0.5, 0.99), "lecture"),
    ("rosenbrock", "momentum", "momentum", (1e-5, 1e-2), None, "torch"),
    ("saddle", "gd", "warmup_steps", (1e-2, 2.0), (1, 40), "torch"),
    ("bowl", "adam", "warmup_steps", (1e-2, 3.0), (1, 40), "torch"),
]


@pytest.mark.parametrize("surface,opt,param,lr_range,value_range,conv", CASES)
def test_sweep_grid_equals_individual_runs(surface, opt, param, lr_range, value_range, conv):
    r = sw.sweep(surface, opt, param=param, lr_range=lr_range, n_lr=7, value_range=value_range, n_values=5,
                 steps=80, convention=conv, tol=1e-2)
    assert r.final_loss.shape == (len(r.values), 7)
    rng = np.random.default_rng(0)
    cells = [(0, 0), (len(r.values) - 1, 6)] + [tuple(rng.integers([0, 0], [len(r.values), 7])) for _ in range(4)]
    for i, j in cells:
        t = _individual(r, i, j)
        div = t.diverged_at is not None
        assert r.diverged[i, j] == div
        if div:
            assert np.isnan(r.final_loss[i, j])
        else:
            np.testing.assert_allclose(r.final_loss[i, j], t.loss[-1], rtol=1e-9, atol=1e-300)
            hit = np.nonzero(t.loss - r.f_star <= r.tol)[0]
            want = float(hit[0]) if len(hit) else np.nan
            np.testing.assert_equal(r.steps_to_tol[i, j], want)


def test_chunks_give_the_same_grid_and_report_progress():
    seen = []
    a = sw.sweep("bowl", "adam", param="beta1", n_lr=6, n_values=4, steps=60)
    b = sw.sweep("bowl", "adam", param="beta1", n_lr=6, n_values=4, steps=60, chunk=5, progress=seen.append)
    np.testing.assert_array_equal(a.final_loss, b.final_loss)
    np.testing.assert_array_equal(a.steps_to_tol, b.steps_to_tol)
    assert b.chunks == 5 and seen[-1] == 1.0 and all(x <= y for x, y in zip(seen, seen[1:]))


def test_diverged_cells_are_flagged_and_drawn_apart():
    r = sw.sweep("bowl", "gd", param="warmup_steps", lr_range=(1e-3, 50.0), n_lr=8, value_range=(1, 5), n_values=3,
                 steps=50)
    assert r.diverged.any() and not r.diverged.all()
    assert np.isnan(r.final_loss[r.diverged]).all() and np.isfinite(r.final_loss[~r.diverged]).all()
    fig = vs.heatmap(r, "final loss")
    main = fig.data[0]
    z = np.array(main.z, dtype=float)
    assert np.isnan(z[r.diverged]).all()
    div_trace = [d for d in fig.data if d.type == "heatmap" and d.name == "diverged"][0]
    dz = np.array(div_trace.z, dtype=float)
    np.testing.assert_array_equal(~np.isnan(dz), r.diverged)
    # the "diverged" view names both of its colours in the legend (the green cells had no entry)
    names = [d.name for d in vs.heatmap(r, "diverged").data if d.showlegend]
    n = int(r.diverged.sum())
    assert names == [f"did not diverge ({r.cells - n} cells)", f"diverged ({n} cells)"]
    # the click targets are in trajectory order: point k is cell divmod(k, n_lr)
    cells = [d for d in fig.data if d.name == "cells"][0]
    k = 13
    i, j = vs.cell_of(r, k)
    assert cells.x[k] == r.lrs[j] and cells.y[k] == r.values[i]


def test_grid_helpers_and_bad_input():
    lrs = sw.lr_grid(1e-4, 1.0, 5)
    np.testing.assert_allclose(np.log10(lrs), [-4, -3, -2, -1, 0])
    np.testing.assert_array_equal(sw.value_grid("warmup_steps", 1, 3, 10, 100), [1, 2, 3])
    assert "beta1" in sw.second_params("adam") and "beta1" not in sw.second_params("gd")
    with pytest.raises(ValueError, match="no 'beta1'"):
        sw.sweep("bowl", "gd", param="beta1")
    with pytest.raises(ValueError, match="Too many cells|number of"):
        sw.sweep("bowl", "adam", n_lr=101, n_values=100)
    with pytest.raises(ValueError, match="lowest must be below"):
        sw.sweep("bowl", "adam", lr_range=(1.0, 0.1))
    with pytest.raises(ValueError, match="beta1"):
        sw.sweep("bowl", "adam", value_range=(0.0, 1.5))
    with pytest.raises(ValueError, match="Unknown surface"):
        sw.sweep("nope", "adam")
    with pytest.raises(ValueError, match="metric"):
        vs.heatmap(sw.sweep("bowl", "adam", n_lr=2, n_values=2, steps=5), "speed")


@pytest.mark.parametrize("optimizer,param,convention", [
    ("rmsprop", "alpha", "book"),          # the book's δ = 1e-6, not PyTorch's ε
    ("adagrad", "warmup_steps", "book"),   # δ = 1e-7, and a warm-up schedule
    ("rmsprop", "alpha", "lecture"),
    ("momentum", "momentum", "lecture"),
    ("adam", "beta1", "torch"),
])
def test_a_cell_opens_in_the_playground_as_drawn(optimizer, param, convention):
    """The Playground setup of a cell, run the way the Playground runs it, ends at the cell's loss."""
    from ui import runs, share

    r = sw.sweep("crescent", optimizer, param=param, lrs=(3e-3, 3e-2), n_values=2, steps=60, convention=convention,
                 value_range=(5, 40) if param == "warmup_steps" else None)
    for i in range(2):
        for j in range(2):
            setup = share.sweep_cell_setup(r, i, j)
            opt, hp = runs.engine_args(setup.opts[0], setup.convention)
            t = optimizers.run(setup.surface, opt, steps=setup.steps, start=setup.start, convention=setup.convention,
                               schedule=setup.schedule, schedule_args=dict(setup.schedule_args), **hp)
            assert t.convention == convention
            np.testing.assert_allclose(t.loss[-1], r.final_loss[i, j], rtol=1e-12)


def test_nesterov_and_short_warmups_sweep_with_their_default_ranges():
    r = sw.sweep("bowl", "nesterov", param="momentum", n_lr=3, n_values=3, steps=50)
    assert r.values[0] == sw.NESTEROV_MIN and r.values[-1] == 0.99
    r = sw.sweep("bowl", "adam", param="warmup_steps", n_lr=3, n_values=5, steps=100)
    assert r.values.max() == 100


def test_a_run_that_reaches_the_tolerance_and_then_diverges_has_no_steps_to_tolerance():
    r = sw.sweep("beale", "gd", param="warmup_steps", lr_range=(1e-3, 100), n_lr=25, value_range=(1, 300),
                 n_values=10, steps=300, tol=1e-2)
    assert r.diverged.any()
    assert np.isnan(r.steps_to_tol[r.diverged]).all()


def test_no_finite_loss_anywhere_reaches_nothing():
    r = sw.sweep("f:log(x)+y**2", "adam", n_lr=3, n_values=2, steps=30, start=(-1, 0))
    assert r.diverged.all() and np.isnan(r.steps_to_tol).all() and np.isnan(r.f_star)


@pytest.mark.parametrize("history_bytes", [None, 1])
def test_without_a_known_minimum_steps_to_tolerance_is_the_same_kept_or_rerun(history_bytes, monkeypatch):
    """f* unknown (a formula surface): the loss histories are kept, or past HISTORY_BYTES each chunk runs
    again — the same answer either way."""
    kw = dict(param="beta1", n_lr=4, n_values=3, steps=80, chunk=5, tol=1e-2)
    want = sw.sweep("f:(x-1)**2 + 3*(y+0.5)**2 + 0.1*x*y", "adam", **kw)
    if history_bytes:
        monkeypatch.setattr(sw, "HISTORY_BYTES", history_bytes)
    got = sw.sweep("f:(x-1)**2 + 3*(y+0.5)**2 + 0.1*x*y", "adam", **kw)
    assert np.isfinite(want.steps_to_tol).any()
    np.testing.assert_array_equal(got.steps_to_tol, want.steps_to_tol)
    assert got.f_star == want.f_star


def test_with_a_known_minimum_no_history_is_kept(monkeypatch):
    """The page's sweeps (built-in surfaces, all with a known minimum) reduce each chunk as it comes."""
    kept = []
    real = sw._first_below
    monkeypatch.setattr(sw, "HISTORY_BYTES", 0)
    monkeypatch.setattr(sw, "_first_below", lambda h, level: kept.append(h.shape) or real(h, level))
    r = sw.sweep("bowl", "adam", param="beta1", n_lr=4, n_values=3, steps=50, chunk=4)
    assert r.chunks == 3 and kept == [(51, 4)] * 3


def test_the_final_loss_colour_scale_starts_at_rounding_not_at_minus_300():
    r = sw.sweep("himmelblau", "adam", param="beta1", n_lr=10, n_values=5, steps=300)
    z = np.array(vs.heatmap(r, "final loss").data[0].z, dtype=float)
    assert np.nanmin(z) >= -16 and (r.final_loss == r.f_star).any()


def test_a_single_column_or_row_is_drawn_with_a_width():
    """One η (a narrow range the Playground's slider grid turns into one value) and a second
    hyperparameter from v to v: a plotly heatmap with one column or row has no width and drew a blank
    map. Each such axis is drawn as two bricks around its value; the click targets stay on the cells."""
    r = sw.sweep("bowl", "adam", param="beta1", lrs=(0.01,), value_range=(0.5, 0.5), n_values=30, steps=20)
    assert r.final_loss.shape == (1, 1) and list(r.values) == [0.5]        # one row, not 30 copies
    fig = vs.heatmap(r, "final loss")
    for trace in (d for d in fig.data if d.type == "heatmap"):
        assert len(trace.x) == 2 and len(trace.y) == 2 and np.asarray(trace.z, float).shape == (2, 2)
        assert np.isclose(np.sqrt(trace.x[0] * trace.x[1]), 0.01) and np.isclose(np.mean(trace.y), 0.5)
    assert fig.data[0].hoverinfo == "skip"                                 # the cell's own hover names it
    cells = [d for d in fig.data if d.name == "cells"][0]
    assert list(cells.x) == [0.01] and list(cells.y) == [0.5] and cells.marker.size <= 40
    r = sw.sweep("bowl", "adam", param="beta1", lrs=(0.01, 0.1), value_range=(0.0, 0.9), n_values=3, steps=20)
    main = vs.heatmap(r, "final loss").data[0]
    assert list(main.x) == [0.01, 0.1] and list(main.y) == list(r.values)  # an ordinary grid is unchanged


def test_the_heatmap_reads_on_a_projector_and_its_hover_in_words():
    """In presentation mode the heatmap kept 12-13 px ticks and titles under 27 px body text; a cell
    that never reached the tolerance said "steps to tolerance NaN"."""
    from viz import figures as F

    r = sw.sweep("bowl", "gd", param="warmup_steps", lr_range=(1e-3, 50.0), n_lr=6, value_range=(1, 5), n_values=2,
                 steps=40)
    big, small = vs.heatmap(r, presentation=True), vs.heatmap(r)
    for fig, px in ((big, F.FONT_PX[True]), (small, F.FONT_PX[False])):
        assert fig.layout.font.size == px and fig.layout.xaxis.tickfont.size == px
        assert fig.layout.yaxis.title.font.size == px and fig.layout.hoverlabel.font.size == px
        # the colour bar lies across the top: upright on the right, it took a third of a phone's width
        bar = fig.data[0].colorbar
        assert bar.orientation == "h" and bar.len == 1.0 and bar.yanchor == "bottom" and fig.layout.margin.r <= 20
        # ... and the x title is a note below the tick labels (as an axis title plotly put it in their row)
        note = fig.layout.annotations[0]
        assert note.text == "learning rate η" and note.yshift <= -2 * px and fig.layout.margin.b >= -note.yshift + 2 * px
    words = [d for d in big.data if d.name == "cells"][0].text
    never = ~r.diverged & np.isnan(r.steps_to_tol)
    assert never.any() and r.diverged.any()
    assert all(w == "diverged" for w in np.array(words)[r.diverged.ravel()])
    assert all("never within 0.001" in w and "NaN" not in w for w in np.array(words)[never.ravel()])


def test_second_axis_values_are_short_decimals_inside_the_range():
    """A Sweep cell's value goes into the Playground link: 0.5121, not 0.5120689655172415 — rounded
    to 1 % of the spacing, so no two rows merge, and never outside [lo, hi] (β₂ < 1)."""
    v = sw.value_grid("momentum", 0.5, 0.99, 30, 300)
    assert len(v) == 30 and v[0] == 0.5 and v[-1] == 0.99 and all(len(repr(float(x))) <= 6 for x in v)
    np.testing.assert_allclose(v, np.linspace(0.5, 0.99, 30), atol=0.01 * 0.49 / 29)
    tight = sw.value_grid("alpha", 0.999, 0.99999, 30, 300)
    assert len(tight) == 30 and tight.max() <= 0.99999 and tight.min() >= 0.999
