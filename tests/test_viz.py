"""viz/: thinning, level lines, and the figures (validated by plotly.py, which viz itself skips)."""
import ast
import json
import pathlib

import numpy as np
import plotly.graph_objects as go
import pytest

import optimizers
import surfaces
from viz import contours
from viz import figures as F
from viz.spec import FigureSpec

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _validated(fig) -> go.Figure:
    """The figure rebuilt by plotly.py with full validation (raises if the spec has a property or
    value plotly.js would not take), typed arrays decoded: viz builds plain specs (FigureSpec)."""
    return fig.figure() if isinstance(fig, FigureSpec) else go.Figure(fig.to_dict())


def _track(surface, name, lr, steps=300, i=0):
    t = optimizers.run(surface, name, steps=steps, lr=lr)
    return t, F.Track(f"{name} {lr}", F.PALETTE[i], t.path, t.diverged_at, t.loss)


def test_viz_does_not_import_streamlit():
    for path in (ROOT / "viz").glob("*.py"):
        tree = ast.parse(path.read_text())
        names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {(n.module or "").split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "streamlit" not in names, path


# ------------------------------------------------------------------------------ thinning
@pytest.mark.parametrize("n", [1, 2, 299, 301, 100_001])
def test_frame_indices_cover_both_ends_and_are_bounded(n):
    idx = F.frame_indices(n, 300)
    assert idx[0] == 0 and idx[-1] == n - 1
    assert len(idx) <= 300 and np.all(np.diff(idx) > 0)


def test_frame_indices_keep_the_divergence_step():
    idx = F.frame_indices(100_001, 300, must=(12_345, None))
    assert 12_345 in idx and len(idx) <= 301


def test_path_indices_keep_consecutive_pairs():
    idx = F.path_indices(100_001, 2000)
    assert len(idx) <= 2000 and idx[0] == 0 and idx[-1] == 100_000
    tail = idx[idx >= 1000]
    # every kept point past the first half has its neighbour kept too: each pair is a real step
    assert np.isin(tail[:-1], np.concatenate([tail - 1, tail + 1])).all()
    np.testing.assert_array_equal(F.path_indices(50, 2000), np.arange(50))


def test_envelope_keeps_spikes_of_a_long_line():
    y = np.ones(100_000)
    y[54_321] = 1e6          # one spike a uniform stride would very likely miss
    y[77_777] = -5.0
    idx = F.envelope_indices(y, 2000)
    assert len(idx) <= 2000 + 2
    assert 54_321 in idx and 77_777 in idx and idx[0] == 0 and idx[-1] == len(y) - 1


def test_envelope_of_a_bounce_keeps_both_sides():
    y = np.where(np.arange(100_001) % 2 == 0, 1.0, -1.0)   # y -> -y every step
    kept = y[F.envelope_indices(y, 2000)]
    assert (kept == 1.0).any() and (kept == -1.0).any()


def test_envelope_with_nan_tail():
    y = np.arange(10_000, dtype=float)
    y[5000:] = np.nan
    idx = F.envelope_indices(y, 300)
    assert 4999 in idx


# ------------------------------------------------------------------------------ level lines
def test_level_lines_of_a_circle_lie_on_it():
    xs = ys = np.linspace(-2, 2, 81)
    X, Y = np.meshgrid(xs, ys)
    Z = X**2 + Y**2
    lx, ly = contours.level_lines(xs, ys, Z, [1.0])
    ok = np.isfinite(lx)
    r = np.hypot(lx[ok], ly[ok])
    assert ok.sum() > 50
    assert np.abs(r - 1.0).max() < 0.01          # linear interpolation on a fine grid
    # one closed polyline: a single NaN separator at the end, first point == last point
    assert (~ok).sum() == 1
    assert np.allclose([lx[0], ly[0]], [lx[ok][-1], ly[ok][-1]])


def test_levels_are_geometric_for_a_log_scale_surface():
    _, _, Z = surfaces.get("rosenbrock").grid(60)
    levels, used_log = contours.levels_for(Z, 10, True)
    assert used_log and np.allclose(np.diff(np.log(levels)), np.log(levels[1] / levels[0]))
    levels, used_log = contours.levels_for(Z - 100.0, 10, False)
    assert not used_log and np.allclose(np.diff(levels), levels[1] - levels[0])


def test_shade_png_is_a_png_and_marks_undefined_values():
    v = np.array([[0.0, 0.5], [1.0, np.nan]])
    uri = contours.shade_png(v)
    assert uri.startswith("data:image/png;base64,")
    import base64
    import io

    from PIL import Image

    im = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))
    # flipped: image row 0 is the highest y; NaN is pale red, 0 is white
    assert tuple(im[1, 0]) == (255, 255, 255) and tuple(im[0, 1]) == (250, 215, 215)


# ------------------------------------------------------------------------------ the map
def test_map_figure_roles_ranges_frames_and_validity():
    s = surfaces.get("bowl")
    tracks = [_track(s, "gd", 1e-2, i=0)[1], _track(s, "adam", 0.1, i=1)[1]]
    spec = F.map_figure(s, tracks, start=s.start)
    assert isinstance(spec, FigureSpec)
    fig = _validated(spec)
    roles = [t.meta for t in fig.data]
    assert roles[0] == "levels" and "click-grid" in roles and "minima" in roles and "start" in roles
    assert roles.count("path") == 2 and roles.count("heads") == 1 and "diverged" not in roles
    assert list(fig.layout.xaxis.range) == [-10.0, 10.0] and list(fig.layout.yaxis.range) == [-3.0, 3.0]
    assert fig.layout.images[0].source.startswith("data:image/png")
    heads = F.trace_index(fig, "heads")
    assert len(fig.frames) == 301
    # frames move only the head markers, never the level lines or the paths
    assert all(tuple(fr.traces) == (heads,) for fr in fig.frames)
    # frame k puts each head at step k of its path
    k = 150
    fr = next(f for f in fig.frames if f.name == str(k))
    np.testing.assert_allclose(fr.data[0].x, [tracks[0].path[k, 0], tracks[1].path[k, 0]])
    # no frame animates with a full redraw, and the slider has one step per frame
    assert len(fig.layout.sliders[0].steps) == len(fig.frames)
    for b in fig.layout.updatemenus[0].buttons:
        assert b.args[1]["frame"]["redraw"] is False
    mins = fig.data[F.trace_index(fig, "minima")]
    assert (list(mins.x), list(mins.y)) == ([0.0], [0.0])


def test_map_marks_a_diverged_track_at_its_last_finite_point():
    s = surfaces.get("bowl")
    t, tr = _track(s, "gd", 10.0)
    assert t.diverged_at == 1
    fig = _validated(F.map_figure(s, [tr], start=s.start))
    d = fig.data[F.trace_index(fig, "diverged")]
    assert np.isfinite(d.x[0]) and (d.x[0], d.y[0]) == tuple(t.path[-1])
    assert "diverged at step 1" in d.text[0]
    assert str(1) in [f.name for f in fig.frames]


def test_custom_formula_surface_with_undefined_region_draws():
    s = surfaces.get("f:log(x) + y**2")      # undefined for x <= 0: half the view
    fig = F.map_figure(s, [], start=s.start)
    _validated(fig)
    assert F.trace_index(fig, "levels") == 0 and not fig.frames


@pytest.mark.parametrize("name", surfaces.names())
def test_every_surface_has_level_lines_and_a_3d_view(name):
    s = surfaces.get(name)
    lx, ly, png, levels, _ = F.map_background(s)
    assert np.isfinite(lx).sum() > 100 and png and len(levels) >= 5
    fig = F.surface3d_figure(s, [_track(s, "adam", 0.05, steps=50)[1]])
    _validated(fig)
    assert [t.meta for t in fig.data][0] == "surface"


@pytest.mark.parametrize("presentation", [False, True])
def test_the_3d_legend_hangs_below_the_toolbars_band_as_on_the_map(presentation):
    """On a phone plotly's toolbar stays after a tap; on the 3-D view it covered the legend's first row."""
    s = surfaces.get("bowl")
    tracks = [_track(s, "adam", 0.05, steps=50)[1]]
    for fig in (F.surface3d_figure(s, tracks, presentation=presentation, height=560),
                F.map_figure(s, tracks, start=s.start, presentation=presentation)):
        layout = fig.to_dict()["layout"]
        lg, h = layout["legend"], layout["height"]
        assert lg["yref"] == "container" and lg["yanchor"] == "top"
        assert (1 - lg["y"]) * h >= F.MODEBAR_PX[presentation] and layout["margin"]["t"] >= F.MODEBAR_PX[presentation]


def test_figure_sizes_within_budget():
    s = surfaces.get("bowl")
    tracks = [_track(s, n, lr, i=i)[1] for i, (n, lr) in enumerate([("gd", 1e-2), ("momentum", 1e-2),
                                                                     ("rmsprop", 1e-2), ("adam", 0.1)])]
    assert F.figure_json_size(F.map_figure(s, tracks, start=s.start)) < 1_000_000
    # 8 long trajectories (synthetic: the size depends on the point count, not on the optimizer)
    rng = np.random.default_rng(0)
    long = [F.Track(f"t{i}", F.PALETTE[i], np.cumsum(rng.normal(0, 0.01, (100_001, 2)), 0)) for i in range(8)]
    fig = F.map_figure(s, long, start=s.start)
    assert len(fig.frames) <= F.MAX_FRAMES
    assert F.figure_json_size(fig) < 3_000_000


def test_the_largest_figure_fits_the_servers_message_limit():
    """The worst case the Playground allows (8 optimizers x 100,000 steps, every record as jagged as
    noise, so thinning keeps the most points) stays under server.maxMessageSize, with room for the
    message's framing."""
    import tomllib

    limit_mb = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]["maxMessageSize"]
    rng = np.random.default_rng(1)
    T = 100_000
    series = [F.Series(f"optimizer {i}", F.PALETTE[i], rng.lognormal(size=T + 1), rng.lognormal(size=T + 1),
                       rng.lognormal(size=T), rng.lognormal(size=(T, 2)), rng.normal(size=(T, 2))) for i in range(8)]
    tracks = [F.Track(f"t{i}", F.PALETTE[i], rng.normal(0, 3, (T + 1, 2)), None, rng.lognormal(size=T + 1))
              for i in range(8)]
    s = surfaces.get("bowl")
    sizes = {"linked": F.figure_json_size(F.linked_figure(series)),
             "map": F.figure_json_size(F.map_figure(s, tracks, start=s.start)),
             "3d": F.figure_json_size(F.surface3d_figure(s, tracks))}
    assert max(sizes.values()) < limit_mb * 1_000_000 - 64_000, sizes      # Streamlit: MB = 10⁶ bytes
    assert sizes["linked"] > 0.5 * limit_mb * 1_000_000, sizes    # the bound is "just above", not far above


# ------------------------------------------------------------------------------ linked plots and schedule
def test_linked_figure_rows_scales_and_lengths():
    s = surfaces.get("bowl")
    t = optimizers.run(s, "adam", steps=5000, lr=0.1)
    ser = F.Series("adam", F.PALETTE[0], t.loss, t.grad_norm, t.lr, t.step_size, t.m)
    fig = _validated(F.linked_figure([ser]))
    rows = [t.meta for t in fig.data]
    assert rows.count(F.LINKED_ROWS[0]) == 1 and rows.count(F.LINKED_ROWS[3]) == 2 and rows.count(F.LINKED_ROWS[4]) == 2
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.type == "log" and fig.layout.yaxis5.type == "linear"
    for tr in fig.data:
        assert len(tr.x) <= F.MAX_LINE_POINTS + 2
    loss = fig.data[0]
    assert loss.x[0] == 0 and loss.x[-1] == 5000 and loss.y[-1] == t.loss[-1]
    eta = next(tr for tr in fig.data if tr.meta == F.LINKED_ROWS[2])
    assert eta.x[0] == 1 and eta.x[-1] == 5000            # η_t of update t is drawn at t = 1..T
    # linear loss axis for a surface that can be negative
    assert _validated(F.linked_figure([ser], loss_log=False)).layout.yaxis.type == "linear"


def test_a_row_with_nothing_above_zero_is_drawn_on_a_linear_axis():
    """A constant surface (a typed f = 0): the gradient norm is 0 at every step, which a log axis
    leaves blank; that row becomes linear and shows the line at 0, the others stay log."""
    t = optimizers.run(surfaces.get("f:0*x+3"), "adam", steps=50, lr=0.1)
    ser = F.Series("adam", F.PALETTE[0], t.loss, t.grad_norm, t.lr, t.step_size, t.m)
    fig = _validated(F.linked_figure([ser]))
    assert (t.grad_norm == 0).all()
    assert fig.layout.yaxis2.type == "linear" and fig.layout.yaxis.type == "log" and fig.layout.yaxis3.type == "log"


def test_short_log_axes_label_few_ticks():
    """Two constant rates a decade apart (GD at 0.01, Adam at 0.1): plotly alone labels 2…9 between
    them; the η panel labels 1, 2, 5 per decade; 2–4 decades get powers of ten only; the loss over
    many decades keeps plotly's choice."""
    s = surfaces.get("bowl")
    runs = [optimizers.run(s, opt, steps=300, lr=lr) for opt, lr in (("gd", 0.01), ("adam", 0.1))]
    ser = [F.Series(f"{i}", F.PALETTE[i], t.loss, t.grad_norm, t.lr, t.step_size, t.m) for i, t in enumerate(runs)]
    fig = _validated(F.linked_figure(ser))
    axis = {row: fig.layout[f"yaxis{'' if r == 1 else r}"] for r, row in enumerate(F.LINKED_ROWS, start=1)}
    eta = axis[F.LINKED_ROWS[2]]
    assert [float(t) for t in eta.ticktext] == list(eta.tickvals) and "0.05" in eta.ticktext  # 1, 2, 5 per decade
    decades = np.log10(max(np.nanmax(t.loss) for t in runs) / min(np.nanmin(t.loss) for t in runs))
    assert decades > 4 and axis[F.LINKED_ROWS[0]].dtick is None
    assert F.log_ticks([np.array([1e-4, 0.05])]) == {"dtick": 1}
    assert F.log_ticks([np.array([np.nan, 0.0, 3.0])])["tickvals"] == [0.5, 1.0, 2.0, 5.0, 10.0, 20.0]
    assert F.log_ticks([]) == {} and F.log_ticks([np.array([5e-324, 1e300])]) == {}
    from viz import batch as VB

    curves = VB.loss_curves([("B = 20", np.arange(3), np.array([200.0, 10.0, 4.0])), ("B = 1", np.arange(3), np.ones(3))])
    assert curves.layout.yaxis.dtick == 1                   # 2.3 decades: powers of ten only
    for gamma, dtick in ((0.995, 1), (0.99, None)):  # η falls 2.2 and 4.4 decades in 1,000 steps
        eta = F.schedule_figure([("a", "#000", optimizers.lr_at("exponential", 1000, 0.1, {"gamma": gamma}))])
        assert eta.layout["yaxis"]["type"] == "log" and eta.layout["yaxis"].get("dtick") == dtick


def test_schedule_figure_is_log_when_rates_span_decades():
    steps = 1000
    flat = F.schedule_figure([("a", "#000", optimizers.lr_at("constant", steps, 0.1))])
    decay = F.schedule_figure([("a", "#000", optimizers.lr_at("exponential", steps, 0.1, {"gamma": 0.99}))])
    assert flat.layout["yaxis"]["type"] == "linear" and decay.layout["yaxis"]["type"] == "log"
    _validated(decay)
    assert json.loads(decay.to_json())["data"][0]["y"]


# ------------------------------------------------------------------------------ FigureSpec
def test_figure_spec_sends_what_a_validated_figure_sends_and_stays_unchanged():
    """st.plotly_chart's own path (return_figure_from_figure_or_data + to_json) on a FigureSpec
    gives the same figure as plotly.py's validated Figure of the same spec, and leaves the shared
    spec as it was."""
    import copy

    import plotly.io as pio
    import plotly.tools
    from viz.spec import decoded

    s = surfaces.get("bowl")
    tracks = [_track(s, "gd", 1e-2, i=0)[1], _track(s, "adam", 0.1, i=1)[1]]
    t = optimizers.run(s, "adam", steps=300, lr=0.1)
    ser = F.Series("adam", F.PALETTE[0], t.loss, t.grad_norm, t.lr, t.step_size, t.m)
    for spec in (F.map_figure(s, tracks, start=s.start), F.linked_figure([ser]),
                 F.schedule_figure([("a", "#000", t.lr)])):
        before = copy.deepcopy(spec.spec)
        sent = pio.to_json(plotly.tools.return_figure_from_figure_or_data(spec, validate_figure=True), validate=False)
        assert spec.spec == before                                   # nothing mutated the shared spec
        reference = pio.to_json(spec.figure(), validate=False)
        a, b = decoded(json.loads(sent)), decoded(json.loads(reference))
        plain = dict(sort_keys=True, default=lambda v: [str(v.dtype)] + np.asarray(v, float).tolist())
        assert json.dumps(a, **plain) == json.dumps(b, **plain)
        assert a["layout"]["template"]                               # the theme template, as go.Figure adds it


def test_linked_traces_sit_on_their_rows_axes():
    s = surfaces.get("bowl")
    t = optimizers.run(s, "momentum", steps=100, lr=0.01)
    spec = F.linked_figure([F.Series("m", F.PALETTE[0], t.loss, t.grad_norm, t.lr, t.step_size, t.m)])
    for tr in spec.data:
        r = F.LINKED_ROWS.index(tr["meta"]) + 1
        assert tr["yaxis"] == ("y" if r == 1 else f"y{r}") and tr["xaxis"] == ("x" if r == 1 else f"x{r}")
    # one shared step axis, titled on the bottom row only
    assert spec.layout["xaxis5"]["title"]["text"] == "step t" and spec.layout["xaxis"]["matches"] == "x5"


def test_figure_spec_is_read_only_and_exports_through_a_validated_copy():
    s = surfaces.get("bowl")
    spec = F.map_figure(s, [_track(s, "adam", 0.1, steps=20)[1]], start=s.start)
    for change in (lambda f: f.update_layout(height=10), lambda f: f.add_trace({"type": "scatter"}),
                   lambda f: f.update_traces(line_width=9), lambda f: f.pop("layout")):
        with pytest.raises(TypeError, match="read-only"):
            change(spec)
    assert spec.layout["height"] == 560
    html = spec.to_html(include_plotlyjs=False, full_html=False)
    assert "Plotly.newPlot" in html
    with pytest.raises(ValueError):                     # figure() validates: an unknown property fails
        FigureSpec({"data": [{"type": "scatter", "not_a_property": 1}]}).figure()


def test_reference_runs_are_drawn_under_the_others_in_legend_order():
    """A tour's grey reference run that ends where the shown run ends must not hide it: reference
    tracks come first among the paths (drawn underneath), the legend keeps the tracks' order."""
    s = surfaces.get("bowl")
    path = np.array([[-8.0, 1.0], [-4.0, 0.5], [0.0, 0.0]])
    tracks = [F.Track("shown", F.PALETTE[0], path), F.Track("reference", "#9a9a9a", path, reference=True),
              F.Track("other", F.PALETTE[1], path)]
    paths = [d for d in F.map_figure(s, tracks).to_dict()["data"] if d.get("meta") == "path"]
    assert [d["name"] for d in paths] == ["reference", "shown", "other"]
    assert [d["name"] for d in sorted(paths, key=lambda d: d["legendrank"])] == ["shown", "reference", "other"]


@pytest.mark.parametrize("presentation", [False, True])
def test_long_run_labels_wrap_in_every_legend(presentation):
    """A horizontal legend entry wider than its plot is cut at the right edge (scene 12's 'same steps:
    PyTorch's Adagrad (root of the sum, ε = 0)' at 1024 px in presentation mode): the map, the 3-D
    view and the linked plots break a long label at spaces, every line within LEGEND_CHARS, and the
    map's legend leaves room for the extra lines (it scrolled)."""
    s = surfaces.get("bowl")
    long = "same steps: PyTorch's Adagrad (root of the sum, ε = 0)"
    path = np.array([[-8.0, 1.0], [-4.0, 0.5], [0.0, 0.0]])
    t = optimizers.run(s, "gd", steps=3, lr=0.01)
    tracks = [F.Track(long, F.PALETTE[0], path, loss=np.ones(3)), F.Track("GD", F.PALETTE[1], path, loss=np.ones(3))]
    names = [d["name"] for d in F.map_figure(s, tracks, presentation=presentation).to_dict()["data"]
             if d.get("meta") == "path"]
    names3d = [d.name for d in F.surface3d_figure(s, tracks, presentation=presentation).data if d.meta == "path"]
    series = F.Series(long, F.PALETTE[0], t.loss, t.grad_norm, t.lr, t.step_size, t.m)
    linked = F.linked_figure([series], presentation=presentation).to_dict()
    names_linked = {d["name"] for d in linked["data"]}
    width = F.LEGEND_CHARS[presentation]
    for got in (names, names3d, sorted(names_linked)):
        assert got[0].replace("<br>", " ") == long and "<br>" in got[0]
        assert max(len(line) for line in got[0].split("<br>")) <= width
    assert names[1] == "GD"
    assert F._legend_rows([names[0]], 12, width=10_000) == names[0].count("<br>") + 1  # one entry, its lines
    assert F._legend_rows(["a", "b<br>c", "d"], 12, width=10_000) == 2  # one row, as tall as its tallest entry
    assert F.legend_label("a " + "x" * 60) == "a<br>" + "x" * 60  # a word longer than a line keeps its own


def test_short_log_axes_label_their_ticks_in_full():
    """plotly labels a short log axis' in-between ticks with their digit alone: the η panel read
    10⁻¹, 5, 2, 10⁻² (0.05 as "5"), the epoch-time axis put a "5" below 1. Each tick now carries its
    whole value, as a plain number in 0.001 … 10⁴ and as m×10ᵏ outside."""
    t = F.log_ticks([np.array([0.01, 0.1])])
    assert t["tickmode"] == "array" and t["ticktext"] == ["0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1",
                                                           "0.2", "0.5"]
    np.testing.assert_allclose(t["tickvals"], [1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5])
    assert [F.tick_label(m, k) for m, k in ((5, -5), (1, -7), (2, 4), (1, 5), (2, 3), (5, -4))] == [
        "5×10<sup>−5</sup>", "10<sup>−7</sup>", "2×10<sup>4</sup>", "10<sup>5</sup>", "2000", "5×10<sup>−4</sup>"]
    # the ends of float64 (a formula like 1e308 + x**2, a subnormal) keep plotly's own ticks, no crash
    assert F.log_ticks([np.array([1e308])]) == {"dtick": 1} and F.log_ticks([np.array([5e-324])]) == {"dtick": 1}
    from viz import batch as VB

    fig = VB.timing_figure(type("T", (), dict(batch_sizes=(1, 10, 100), per_update_s=(3e-4, 4e-4, 1e-3),
                                              per_epoch_s=(18.0, 2.4, 0.6)))())
    ax = fig.layout.yaxis2
    assert dict(zip(ax.tickvals, ax.ticktext))[0.5] == "0.5" and [float(t) for t in ax.ticktext] == list(ax.tickvals)
    assert fig.layout.xaxis.ticktext == ("1", "10", "100") == fig.layout.xaxis2.ticktext   # the measured sizes


def test_the_sidebar_dots_have_their_lines_colours():
    """The Playground's dots (:blue[●] …) took Streamlit's own blue, orange, green and violet, visibly
    not the lines' Okabe & Ito colours; the light theme's text colours are set to PALETTE. Red and
    yellow stay Streamlit's (st.error's and st.warning's text), so dots 5 and 8 only come close."""
    import re
    import tomllib

    from ui import controls

    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]["light"]
    names = [re.match(r":(\w+)\[", d).group(1) if d.startswith(":") else None for d in controls.DOTS]
    assert len(names) == len(F.PALETTE)
    set_ = {name: color for name, color in zip(names, F.PALETTE) if f"{name}TextColor" in theme}
    assert set_ == {"blue": "#0072b2", "orange": "#e69f00", "green": "#009e73", "violet": "#cc79a7", "gray": "#7f7f7f"}
    assert all(theme[f"{name}TextColor"] == color for name, color in set_.items())


def test_the_click_grid_gives_short_coordinates():
    """A click on the map starts the runs at a grid point that goes into the shared link: (5, -0.9),
    not (5, -0.8999999999999999); still evenly spread over the whole view."""
    for name in surfaces.names():
        s = surfaces.get(name)
        gx, gy, _ = F._click_grid(s)
        assert all(len(repr(float(v))) <= 8 for v in np.concatenate([gx, gy])), name
        (x0, x1), (y0, y1) = F._axis_ranges(s)
        xs = np.unique(gx)
        assert len(xs) == F.CLICK_GRID and np.isclose(xs[0], x0) and np.isclose(xs[-1], x1)
        np.testing.assert_allclose(np.diff(xs), (x1 - x0) / (F.CLICK_GRID - 1), rtol=1e-3)
