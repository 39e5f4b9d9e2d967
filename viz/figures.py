"""Plotly figure builders for every page (no streamlit here): the map (2-D, animated), the 3-D
surface, the linked plots under the map and the small schedule plot.

Inputs are plain numpy arrays wrapped in `Track` (one trajectory to draw) and `Series` (its
records for the linked plots), so a page can feed them from `optimizers.run` or from anything else.

    from viz import figures as F
    tr = F.Track("adam", F.PALETTE[0], t.path, t.diverged_at, t.loss)
    fig = F.map_figure(surfaces.get("bowl"), [tr])
    F.trace_index(fig, "heads")        # every trace carries its role in `meta`

The map, the linked plots and the schedule plot are returned as `FigureSpec` (viz/spec.py): the
plain plotly.js spec, not a `go.Figure`, because plotly.py's validation and copying cost most of a
rerun under a class's load; `spec.figure()` gives the validated `go.Figure` (tests use it).

Long runs are thinned for drawing: at most MAX_FRAMES animation frames (`frame_indices`), at most
MAX_PATH_POINTS points per drawn path (`path_indices`, which keeps consecutive pairs so a zig-zag
stays a zig-zag) and at most MAX_LINE_POINTS per line in the linked plots (`envelope_indices`,
which keeps each bucket's min and max so spikes and bounces are not aliased away).
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import contours
from .spec import FigureSpec

# Okabe & Ito's colour-blind-safe colours (blue, orange, bluish green, reddish purple, vermillion:
# orange and vermillion, the closest pair, only meet from the fifth optimizer on), then grey, black
# and a dark yellow. Each has a Streamlit Markdown colour name (ui.controls.DOTS, in the same order),
# so a label can carry its trajectory's colour: blue, orange, green, violet and gray exactly
# (.streamlit/config.toml sets the light theme's text colours to these), red and yellow close.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#d55e00", "#7f7f7f", "#222222", "#c9a400")
MAX_FRAMES = 400           # the default 300-step scene gets every step
MAX_PATH_POINTS = 2000
MAX_LINE_POINTS = 2000
MAP_GRID = 140            # grid for level lines and shading
CLICK_GRID = 41           # invisible clickable points per side (plotly selections ignore contours)
SURFACE_GRID = 70         # 3-D surface mesh
SPEEDS = (("½×", 100), ("1×", 40), ("2×", 20), ("max", 0))  # label, ms per frame
MINIMUM_COLOR = "#ffffff"


@dataclass(frozen=True)
class Track:
    """One trajectory on the map: `path` (T+1, 2); `loss` (T+1,) for the 3-D view (optional);
    `reference` for a run shown only to compare with (the tour's grey runs): drawn under the others."""

    label: str
    color: str
    path: np.ndarray = field(repr=False)
    diverged_at: int | None = None
    loss: np.ndarray | None = field(default=None, repr=False)
    reference: bool = False


@dataclass(frozen=True)
class Series:
    """A trajectory's records for the linked plots (shapes as `optimizers.Trajectory`, K absent):
    loss, grad_norm (T+1,); lr (T,); step_size, m (T, 2)."""

    label: str
    color: str
    loss: np.ndarray = field(repr=False)
    grad_norm: np.ndarray = field(repr=False)
    lr: np.ndarray = field(repr=False)
    step_size: np.ndarray | None = field(default=None, repr=False)
    m: np.ndarray | None = field(default=None, repr=False)


# ------------------------------------------------------------------------------- thinning
def even_indices(n_points: int, max_points: int) -> np.ndarray:
    """0 … n_points−1 thinned to at most max_points evenly spaced indices (both ends kept): all of
    them when few enough."""
    n = max(1, min(n_points, max_points))
    return np.unique(np.linspace(0, n_points - 1, n).round().astype(int))


def frame_indices(n_points: int, max_frames: int = MAX_FRAMES, must: tuple = ()) -> np.ndarray:
    """Indices of the animation frames: evenly spaced over 0..n_points-1 (both ends), plus `must`."""
    idx = even_indices(n_points, max_frames)
    extra = [m for m in must if m is not None and 0 <= m < n_points]
    return np.unique(np.concatenate([idx, np.asarray(extra, int)]))


def path_indices(n_points: int, max_points: int = MAX_PATH_POINTS) -> np.ndarray:
    """Indices of the points drawn for a path of n_points: all of them if few enough; else the
    first half of the budget in full (the early steps are where paths differ most), then evenly
    spaced *pairs* of consecutive points (each kept pair is a real step), and the last point."""
    if n_points <= max_points:
        return np.arange(n_points)
    head = max_points // 2
    n_pairs = (max_points - head - 1) // 2
    starts = np.linspace(head, n_points - 2, n_pairs).round().astype(int)
    pairs = np.stack([starts, starts + 1], -1).ravel()
    return np.unique(np.concatenate([np.arange(head), pairs, [n_points - 1]]))


def envelope_indices(y: np.ndarray, max_points: int = MAX_LINE_POINTS) -> np.ndarray:
    """Indices that keep the shape of a long line: per bucket its first point, its min and its max
    (NaN-aware), so an oscillation keeps its envelope. All indices if the line is short."""
    n = len(y)
    if n <= max_points:
        return np.arange(n)
    n_buckets = max(1, max_points // 3)
    edges = np.linspace(0, n, n_buckets + 1).astype(int)
    starts = edges[:-1]
    yy = np.asarray(y, float)
    if yy.ndim > 1:
        yy = yy.reshape(n, -1)[:, 0]
    finite = np.where(np.isfinite(yy), yy, np.nan)
    out = [starts, [n - 1]]
    width = edges[1:] - edges[:-1]
    if (width == width[0]).all() and n == width[0] * n_buckets:
        block = finite.reshape(n_buckets, width[0])
        valid = ~np.isnan(block).all(1)
        if valid.any():
            lo = np.nanargmin(np.where(valid[:, None], block, 0.0), 1) + starts
            hi = np.nanargmax(np.where(valid[:, None], block, 0.0), 1) + starts
            out += [lo[valid], hi[valid]]
    else:
        for a, b in zip(edges[:-1], edges[1:]):
            seg = finite[a:b]
            if np.isfinite(seg).any():
                out += [[a + int(np.nanargmin(seg)), a + int(np.nanargmax(seg))]]
    return np.unique(np.concatenate([np.asarray(o, int) for o in out]))


# ------------------------------------------------------------------------------- style
# the band (px) a figure keeps free at its top for plotly's toolbar, which shows on hover and stays after
# a tap on a phone (measured in Chromium: 26 px tall, 35 px at presentation mode's 22 px root font)
MODEBAR_PX = {False: 24, True: 30}


FONT_PX = {False: 13, True: 22}  # the figures' font size, on a screen and in presentation mode


# characters per legend line: a longer run label wraps at a space (a horizontal legend entry wider
# than its plot is cut at the right edge: a map column at 1024 px in presentation mode is ~470 px,
# 36 characters of its 21 px legend font; a phone's plot ~350 px, 44 of 12 px)
LEGEND_CHARS = {False: 44, True: 36}


def legend_label(label: str, presentation: bool = False, width: int | None = None) -> str:
    """`label` for a legend: broken into lines of at most `width` (LEGEND_CHARS) characters at spaces
    (a word longer than that keeps its own line)."""
    width, lines = width or LEGEND_CHARS[presentation], []
    for word in str(label).split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _style(presentation: bool) -> dict:
    return dict(font=FONT_PX[presentation], line=4.0 if presentation else 2.0,
                head=20 if presentation else 12, mark=16 if presentation else 11, modebar=MODEBAR_PX[presentation])


def trace_index(fig, role: str) -> int:
    """Index of the first trace whose `meta` is `role` (e.g. "heads", "click-grid"), or -1.
    `fig` is a FigureSpec (traces are dicts) or a go.Figure."""
    for i, t in enumerate(fig.data):
        if (t.get("meta") if isinstance(t, dict) else t.meta) == role:
            return i
    return -1


@lru_cache(maxsize=32)
def _map_background(surface, n: int):
    xs, ys, Z = surface.grid(n)
    levels, used_log = contours.levels_for(Z, 14, surface.log_scale)
    lx, ly = contours.level_lines(xs, ys, Z, levels)
    png = contours.shade_png(contours.shade_values(Z, levels, used_log)) if len(levels) else None
    return lx, ly, png, levels, used_log


def map_background(surface, n: int = MAP_GRID):
    """(level-line x, y, shading PNG data URI, levels, levels are geometric) for a surface, cached."""
    try:
        return _map_background(surface, n)
    except TypeError:  # an unhashable surface: draw without the cache
        return _map_background.__wrapped__(surface, n)


@lru_cache(maxsize=32)
def _click_grid(surface):
    """The invisible clickable points (x, y, f), CLICK_GRID per side over the view."""
    xr, yr = _axis_ranges(surface)
    # rounded to 10⁻⁴ of the view's size: a click starts at (5, -0.9), not (5, -0.8999999999999999)
    # (the start goes into the link the teacher shares)
    xs, ys = (np.round(np.linspace(lo, hi, CLICK_GRID), _decimals(hi - lo)) for lo, hi in (xr, yr))
    GX, GY = np.meshgrid(xs, ys)
    F = surface.numpy(GX, GY)
    return GX.ravel(), GY.ravel(), np.where(np.isfinite(F), F, np.nan).ravel()


def _decimals(span: float) -> int:
    """Decimal places that resolve 10⁻⁴ of `span`."""
    return max(0, 4 - math.floor(math.log10(span))) if span > 0 and math.isfinite(span) else 6


def _axis_ranges(surface):
    (x0, x1), (y0, y1) = surface.bounds
    return [x0, x1], [y0, y1]


# ------------------------------------------------------------------------------- the map
def map_figure(surface, tracks: list[Track], *, start=None, n_frames: int = MAX_FRAMES,
               clickable: bool = True, presentation: bool = False, height: int = 560,
               animate: bool = True, title: str | None = None, path_width: float | None = None) -> FigureSpec:
    """The 2-D map: shading (layout image) and level lines (static scatter), a star at each known
    minimum, the start point, each track's path drawn once (thinned), one trace of head markers
    animated by frames (play / pause / speed buttons and a timeline slider), and an X where a track
    diverged. Axis ranges are fixed to `surface.bounds`. Trace roles are in `meta`. `path_width`
    overrides the paths' line width."""
    st_ = _style(presentation)
    xr, yr = _axis_ranges(surface)
    lx, ly, png, _, _ = map_background(surface)
    data = [dict(type="scatter", x=lx, y=ly, mode="lines", line=dict(color="rgba(60,80,110,0.45)", width=1),
                 hoverinfo="skip", showlegend=False, meta="levels", name="level lines")]
    if clickable:  # right after the level lines: CLICK_GRID_TRACE
        gx, gy, gf = _click_grid(surface)
        data.append(dict(
            type="scatter", x=gx, y=gy, customdata=gf,
            # small discs (below the grid's ~7 px spacing on a phone): plotly picks among the markers whose
            # disc holds the pointer, and 14 px discs moved a tap on a phone one grid step to the right
            mode="markers", marker=dict(size=6, color="rgba(0,0,0,0)", opacity=0.0),
            hovertemplate="click to start here<br>x=%{x:.3g}, y=%{y:.3g}<br>f=%{customdata:.4g}<extra></extra>",
            showlegend=False, meta="click-grid", name="click to set start"))
    if surface.minima:
        mx, my = zip(*surface.minima)
        data.append(dict(type="scatter", x=list(mx), y=list(my), mode="markers", name="known minimum", meta="minima",
                         marker=dict(symbol="star", size=st_["mark"] + 6, color=MINIMUM_COLOR,
                                     line=dict(color="black", width=1)),
                         hovertemplate="minimum (%{x:.4g}, %{y:.4g})<extra></extra>"))
    if start is not None:
        data.append(dict(type="scatter", x=[float(start[0])], y=[float(start[1])], mode="markers", name="start",
                         meta="start", marker=dict(symbol="circle-open", size=st_["mark"] + 4, color="black",
                                                   line=dict(width=3)),
                         hovertemplate="start (%{x:.4g}, %{y:.4g})<extra></extra>"))
    # reference runs are drawn first, under the others (one that ends where the run being shown does
    # must not hide it); legendrank keeps the legend in the tracks' order
    for rank, tr in sorted(enumerate(tracks), key=lambda it: not it[1].reference):
        idx = path_indices(len(tr.path))
        p = tr.path[idx]
        data.append(dict(type="scatter", x=p[:, 0], y=p[:, 1], mode="lines", name=legend_label(tr.label, presentation),
                         meta="path",
                         legendgroup=tr.label, legendrank=1001 + rank,
                         line=dict(color=tr.color, width=path_width or st_["line"]),
                         customdata=idx, hovertemplate=f"{tr.label}<br>step %{{customdata}}<br>"
                         "(%{x:.4g}, %{y:.4g})<extra></extra>"))
    n_points = max((len(tr.path) for tr in tracks), default=1)
    frames_at = frame_indices(n_points, n_frames if animate else 1,
                              must=tuple(tr.diverged_at for tr in tracks)) if tracks else np.array([0])

    # heads[f, i] = track i's point at frame f (a finished track waits at its last point)
    heads = np.stack([tr.path[np.minimum(frames_at, len(tr.path) - 1)] for tr in tracks], 1) if tracks \
        else np.zeros((len(frames_at), 0, 2))
    hx, hy = heads[-1, :, 0].tolist(), heads[-1, :, 1].tolist()  # the still picture (and the end of playback): where each run ended
    data.append(dict(type="scatter", x=hx, y=hy, mode="markers", name="position", meta="heads", showlegend=False,
                     marker=dict(size=st_["head"], color=[tr.color for tr in tracks],
                                 line=dict(color="white", width=2)),
                     text=[tr.label for tr in tracks], hovertemplate="%{text}<extra></extra>"))
    heads_i = len(data) - 1
    dead = [tr for tr in tracks if tr.diverged_at is not None]
    if dead:
        colors = [tr.color for tr in dead]
        data.append(dict(
            type="scatter", x=[float(tr.path[-1][0]) for tr in dead], y=[float(tr.path[-1][1]) for tr in dead],
            mode="markers+text", meta="diverged", name="diverged", showlegend=False,
            marker=dict(symbol="x-thin", size=st_["mark"] + 10, color=colors, line=dict(width=4, color=colors)),
            text=[f"{tr.label} diverged at step {tr.diverged_at}" for tr in dead], textposition="top center",
            textfont=dict(size=st_["font"]), hovertemplate="%{text}<extra></extra>"))

    font, tick = st_["font"], st_["font"] - 1
    legend_font = st_["font"] - 1
    # the legend sits above the map; more than LEGEND_ROWS rows scroll instead of squeezing the map
    rows = _legend_rows([d["name"] for d in data if d.get("showlegend", True) and d.get("name")], legend_font)
    legend_max = LEGEND_ROWS * _legend_row_px(legend_font) + 6
    axis = dict(showgrid=False, zeroline=False, tickfont=dict(size=tick, color=AXIS_COLOR))
    top_px = (40 if title else 10) + st_["modebar"]
    layout = dict(
        height=height, margin=dict(l=10, r=10, t=top_px, b=10), title=dict(text=title) if title else None,
        xaxis=dict(axis, range=list(xr), title=dict(text="x", font=dict(size=font, color=AXIS_COLOR))),
        yaxis=dict(axis, range=list(yr), title=dict(text="y", font=dict(size=font, color=AXIS_COLOR))),
        font=dict(size=font), hovermode="closest", dragmode="pan", uirevision=surface.name,
        # the legend hangs below a band at the top for plotly's toolbar, which shows on hover (and stays
        # after a tap on a phone) and would hide the last entries; yref "container" places it in pixels
        # of the figure, and plotly moves the plot down below it
        legend=dict(orientation="h", yref="container", yanchor="top", y=1 - top_px / height, xanchor="left", x=0,
                    font=dict(size=legend_font), maxheight=legend_max),
        plot_bgcolor="white",
    )
    if layout["title"] is None:
        del layout["title"]
    if png:
        layout["images"] = [dict(source=png, xref="x", yref="y", x=xr[0], y=yr[1], sizex=xr[1] - xr[0],
                                 sizey=yr[1] - yr[0], sizing="stretch", layer="below", opacity=1.0)]
    spec = dict(data=data, layout=layout)
    if animate and tracks and len(frames_at) > 1:
        xs, ys = heads[:, :, 0].tolist(), heads[:, :, 1].tolist()
        spec["frames"] = [dict(name=name, data=[dict(type="scatter", x=x, y=y)], traces=[heads_i])
                          for name, x, y in zip(map(str, frames_at.tolist()), xs, ys)]
        # the player's rows are placed in paper units (fractions of the plot's height): convert from
        # pixels with the plot height this layout leaves (the legend's rows estimated for a narrow
        # map, so that a taller legend does not pull the buttons up onto the tick labels; plotly leaves
        # 18 px between a legend placed in container pixels and the plot, measured in Chromium)
        top = layout["margin"]["t"] + min(rows, LEGEND_ROWS) * _legend_row_px(legend_font) + 18
        _, bottom = _player(tuple(frames_at.tolist()), font, 1000)
        plot_h = max(120, height - top - bottom)
        player, bottom = _player(tuple(frames_at.tolist()), font, plot_h)
        layout.update(player, margin=dict(layout["margin"], b=bottom))
    return FigureSpec(spec)


CLICK_GRID_TRACE = 1       # the clickable map's invisible click grid: its trace index (curve_number in a selection)
LEGEND_ROWS = 6            # lines of the map's legend shown before it scrolls (a wrapped label takes two)
AXIS_COLOR = "#31333f"     # tick labels and axis titles: Streamlit's text colour, not its pale grey (projectors)


def _legend_row_px(font: int) -> int:
    """The height (px) of one row of a horizontal legend in this font size (measured in Chromium)."""
    return round(1.9 * font + 6)


def _legend_rows(names: list[str], font: int, width: int = 440) -> int:
    """Rows a horizontal legend of `names` takes in a plot `width` px wide (rough: 0.55 em per
    character plus the symbol); `width` is a little over a phone's (about 280 px): narrower and the
    rows sit a little closer to the plot (the player keeps a margin for that), wider and they sit
    further down, taking height from the map on a projector."""
    rows, used, tall = 0, 0.0, 1  # lines of the finished rows; the row being filled: its width, its lines
    for name in names:
        lines = str(name).split("<br>")
        w = 0.55 * font * max(map(len, lines)) + 46
        if used and used + w > width:
            rows, used, tall = rows + tall, 0.0, 1
        used += w
        tall = max(tall, len(lines))
    return rows + tall if names else 0


@lru_cache(maxsize=64)
def _player(frames_at: tuple[int, ...], font: int, plot_h: int = 400) -> tuple[dict, int]:
    """Layout entries of the animation player for frames named by `frames_at` (play / pause /
    replay and speed buttons, and the timeline slider: one step per frame), and the bottom margin
    (px) they need, for a plot area `plot_h` px high (plotly places them in fractions of it).
    Cached and shared by the figures that use it (read-only, like every FigureSpec).

    Row 1, below the x tick labels and the axis title: play / pause / replay. Row 2: the step
    ("step 120") on the left, the speed buttons on the right, the timeline under both. Two groups
    per row, each under 170 px at the normal font, so a phone-wide map (about 280 px) fits them."""
    def play(ms):
        return dict(label="", method="animate", args=[None, dict(
            frame=dict(duration=ms, redraw=False), transition=dict(duration=0), fromcurrent=True, mode="immediate")])

    replay = play(SPEEDS[1][1])
    replay["args"][1]["fromcurrent"] = False
    buttons = [dict(play(SPEEDS[1][1]), label="▶ Play"),
               dict(label="Pause", method="animate", args=[[None], dict(
                   frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")]),
               dict(replay, label="Replay")]
    speed = [dict(play(ms), label=label) for label, ms in SPEEDS]
    # pixels below the plot area: tick labels (font − 1) and the axis title (font), then the rows
    button_h = round(1.3 * (font - 2) + 16)
    label_h = round(1.3 * font)
    row1_px = round(1.3 * (font - 1) + 6) + round(1.3 * font + 4) + 12
    row2_px = row1_px + button_h + 8
    rail_px = row2_px + button_h + 6                  # the timeline's rail, under the speed buttons
    bottom = rail_px + 30
    row1, row2 = -row1_px / plot_h, -row2_px / plot_h
    still = dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")
    return dict(
        updatemenus=[
            dict(type="buttons", direction="left", showactive=False, x=0.0, y=row1, xanchor="left", yanchor="top",
                 pad=dict(t=0, r=4), buttons=buttons, font=dict(size=font - 2, color=AXIS_COLOR)),
            dict(type="buttons", direction="left", showactive=True, active=1, x=1.0, y=row2, xanchor="right",
                 yanchor="top", pad=dict(t=0, r=0), buttons=speed, font=dict(size=font - 2, color=AXIS_COLOR))],
        sliders=[dict(
            active=len(frames_at) - 1, x=0.0, len=1.0, y=row2, yanchor="top", pad=dict(t=0, b=0),
            currentvalue=dict(prefix="step ", font=dict(size=font, color=AXIS_COLOR),
                              offset=max(4, rail_px - row2_px - label_h)),
            ticklen=0, minorticklen=0,
            font=dict(size=6, color="rgba(0,0,0,0)"),  # 400 tick labels are unreadable: currentvalue says the step
            steps=[dict(method="animate", label=str(k), args=[[str(k)], still]) for k in frames_at])]), \
        bottom


# ------------------------------------------------------------------------------- 3-D
def surface3d_figure(surface, tracks: list[Track], *, presentation: bool = False, height: int = 560) -> go.Figure:
    """The same surface in 3-D (log10 f where the map's levels are geometric), with each track's
    path lifted onto it and a marker where it ended. Axis ranges are the surface's bounds."""
    st_ = _style(presentation)
    _, _, _, levels, used_log = map_background(surface)
    xs, ys, Z = surface.grid(SURFACE_GRID)
    lo = levels[0] if used_log and len(levels) else None

    def lift(z):
        z = np.asarray(z, float)
        if used_log:
            with np.errstate(all="ignore"):
                return np.log10(np.maximum(z, lo))
        return z

    zz = lift(Z)
    data = [go.Surface(x=xs, y=ys, z=zz, colorscale=[[0, "#ffffff"], [0.4, "#e8eef5"], [0.75, "#c8d6e5"], [1, "#a5b8ce"]],
                       showscale=False, opacity=0.92, meta="surface", name="surface",
                       hovertemplate="x=%{x:.3g}, y=%{y:.3g}<extra></extra>")]
    lift_by = 0.01 * float(np.nanmax(zz) - np.nanmin(zz)) if np.isfinite(zz).any() else 0.0
    for tr in tracks:
        if tr.loss is None:
            continue
        idx = path_indices(len(tr.path), 1000)
        z = lift(tr.loss[idx]) + lift_by
        data.append(go.Scatter3d(x=tr.path[idx, 0], y=tr.path[idx, 1], z=z, mode="lines",
                                 name=legend_label(tr.label, presentation),
                                 meta="path", line=dict(color=tr.color, width=st_["line"] * 2)))
        fin = np.flatnonzero(np.isfinite(tr.loss))
        if fin.size:
            e = fin[-1]
            data.append(go.Scatter3d(x=[tr.path[e, 0]], y=[tr.path[e, 1]], z=[lift(tr.loss[e]) + lift_by], mode="markers",
                                     meta="end", showlegend=False, name=tr.label,
                                     marker=dict(size=st_["head"] // 2, color=tr.color,
                                                 symbol="x" if tr.diverged_at is not None else "circle")))
    if surface.minima:
        mx, my = np.array(surface.minima, float).T
        data.append(go.Scatter3d(x=mx, y=my, z=lift(surface.numpy(mx, my)) + lift_by, mode="markers", meta="minima",
                                 name="known minimum", marker=dict(size=st_["mark"] // 2 + 2, color=MINIMUM_COLOR,
                                                                   symbol="diamond", line=dict(color="black", width=1))))
    (x0, x1), (y0, y1) = surface.bounds
    ratio = min(1.0, max(0.35, (y1 - y0) / (x1 - x0)))
    tick = max(10, st_["font"] - 6)  # 16 px on a projector (it was 14)
    fig = go.Figure(data=data)
    top_px = 10 + st_["modebar"]  # the legend below a band for plotly's toolbar, as on the map (on a phone
    # the toolbar stays after a tap and covered the legend's first row)
    fig.update_layout(height=height, margin=dict(l=0, r=0, t=top_px, b=0), font=dict(size=st_["font"]),
                      uirevision=surface.name,
                      legend=dict(orientation="h", yref="container", yanchor="top", y=1 - top_px / height,
                                  xanchor="left", x=0, font=dict(size=st_["font"] - 1)),
                      # few ticks: on the bowl's short y axis seven labels ran together
                      scene=dict(xaxis=dict(range=[x0, x1], title="x", tickfont=dict(size=tick), nticks=6),
                                 yaxis=dict(range=[y0, y1], title="y", tickfont=dict(size=tick), nticks=4),
                                 zaxis=dict(title="log₁₀ f" if used_log else "f", tickfont=dict(size=tick), nticks=5),
                                 aspectmode="manual", aspectratio=dict(x=1, y=ratio, z=0.6),
                                 # closer than plotly's default distance: the surface filled a third of the box
                                 camera=dict(eye=dict(x=-1.05, y=-1.4, z=0.95))))
    return fig


# ------------------------------------------------------------------------------- linked plots
LINKED_ROWS = ("loss f(θ_t)", "gradient norm ‖g_t‖", "learning rate η_t",
               "effective step η_t/σ_t  (x solid, y dashed)", "momentum m_t  (x solid, y dashed)")


@lru_cache(maxsize=16)
def _subplots_layout(rows: tuple[str, ...], spacing: float) -> dict:
    """make_subplots' axes (domains, shared x) and row titles for `rows` stacked plots, as a plain
    layout dict without template (built once per shape: make_subplots validates everything)."""
    layout = make_subplots(rows=len(rows), cols=1, shared_xaxes=True, vertical_spacing=spacing,
                           subplot_titles=rows).layout.to_plotly_json()
    layout.pop("template", None)
    return layout


def _axis(kind: str, r: int) -> str:
    """Layout key of row r's axis ("xaxis", "yaxis3", ...)."""
    return f"{kind}axis" + ("" if r == 1 else str(r))


def _ref(kind: str, r: int) -> str:
    """A trace's reference to row r's axis ("x", "y3", ...)."""
    return kind + ("" if r == 1 else str(r))


def linked_figure(series: list[Series], *, loss_log: bool = True, presentation: bool = False,
                  height: int | None = None, rows: tuple[str, ...] = LINKED_ROWS) -> FigureSpec:
    """Plots that share the step axis (zooming one zooms all): loss (log scale), gradient norm (log;
    "stuck" is not "small gradient"), η_t, and per coordinate η_t/σ_t and m_t. Records of update t
    (η_t, σ_t, m_t) are drawn at step t = 1..T, point records (loss, ‖g‖) at t = 0..T."""
    st_ = _style(presentation)
    rows = tuple(r for r in rows if r in LINKED_ROWS)
    layout = copy.deepcopy(_subplots_layout(rows, 0.06 if presentation else 0.045))
    data = []
    for s in series:
        first = True
        for r, row in enumerate(rows, start=1):
            if row == LINKED_ROWS[0]:
                lines = [(np.arange(len(s.loss)), s.loss, "solid")]
            elif row == LINKED_ROWS[1]:
                lines = [(np.arange(len(s.grad_norm)), s.grad_norm, "solid")]
            elif row == LINKED_ROWS[2]:
                lines = [(np.arange(1, len(s.lr) + 1), s.lr, "solid")]
            elif row == LINKED_ROWS[3]:
                if s.step_size is None:
                    continue
                t = np.arange(1, len(s.step_size) + 1)
                lines = [(t, s.step_size[:, 0], "solid"), (t, s.step_size[:, 1], "dash")]
            else:
                if s.m is None:
                    continue
                t = np.arange(1, len(s.m) + 1)
                lines = [(t, s.m[:, 0], "solid"), (t, s.m[:, 1], "dash")]
            for x, y, dash in lines:
                y = np.asarray(y, float)
                i = envelope_indices(y)
                data.append(dict(type="scatter", x=x[i].astype(np.int32), y=y[i], mode="lines",
                                 name=legend_label(s.label, presentation),
                                 legendgroup=s.label, showlegend=first, meta=row,
                                 line=dict(color=s.color, width=st_["line"] * 0.75, dash=dash),
                                 hovertemplate=f"{s.label}<br>t=%{{x}}<br>%{{y:.4g}}<extra></extra>",
                                 xaxis=_ref("x", r), yaxis=_ref("y", r)))
                first = False
    for r, row in enumerate(rows, start=1):
        ys = [np.asarray(d["y"], float) for d in data if d["meta"] == row]
        # nothing above 0 (a constant surface's gradient norm): a log axis would be blank, a linear one
        # shows the line at 0
        drawable = any(((y > 0) & np.isfinite(y)).any() for y in ys)
        log = row != LINKED_ROWS[4] and (loss_log or row != LINKED_ROWS[0]) and drawable
        layout[_axis("y", r)].update(type="log" if log else "linear", exponentformat="power")
        if log:
            layout[_axis("y", r)].update(log_ticks(ys))
    layout[_axis("x", len(rows))]["title"] = dict(text="step t")
    for ann in layout.get("annotations", []):
        ann["font"] = dict(ann.get("font", {}), size=st_["font"])
    per_row = 230 if presentation else 170
    total = height or per_row * len(rows) + 60 + st_["modebar"]
    layout.update(height=total, margin=dict(l=10, r=10, t=10 + st_["modebar"], b=10),
                  font=dict(size=st_["font"]), hovermode="x unified" if len(series) > 1 else "closest",
                  # under a band for plotly's toolbar, as on the map (on a phone the toolbar stays after a
                  # tap and covered the legend's first row); plotly moves the plots down below it
                  legend=dict(orientation="h", yref="container", yanchor="top", y=1 - st_["modebar"] / total,
                              xanchor="left", x=0, font=dict(size=st_["font"] - 1)))
    return FigureSpec(dict(data=data, layout=layout))


def tick_label(m: int, k: int) -> str:
    """The tick m·10ᵏ (m in 1, 2, 5) as a student reads it: 0.05, 20, 5000; 5×10⁻⁵ outside 0.001 … 10⁴."""
    if -3 <= k <= 3:
        return f"{m * 10.0**k:g}"
    power = f"10<sup>{str(k).replace('-', '−')}</sup>"
    return power if m == 1 else f"{m}×{power}"


def log_ticks(ys) -> dict:
    """Tick settings for a short log axis over the values `ys`. Left alone, plotly labels the digits
    between the powers of ten with the digit alone (0.05 as "5", 20 as "2"), which a student reads as
    5 and 2, crowded and unreadable on a projector in panels 170 px high: below two decades label
    1, 2 and 5 of each decade in full (0.01, 0.02, 0.05), the powers of ten only below four; above
    that, and at the ends of float64 (subnormals, near 1e308), plotly's own choice."""
    v = np.concatenate([np.asarray(y, float).ravel() for y in ys]) if ys else np.array([])
    v = v[np.isfinite(v) & (v > 0)]
    decades = np.log10(v.max()) - np.log10(v.min()) if v.size else np.inf  # not of max/min: that can overflow
    if decades < 2 and 1e-300 < v.min() and v.max() < 1e300:
        lo, hi = int(np.floor(np.log10(v.min()))), int(np.ceil(np.log10(v.max())))
        ticks = [(m, k) for k in range(lo - 1, hi + 1) for m in (1, 2, 5)
                 if v.min() / 10 <= m * 10.0**k <= v.max() * 10]      # plotly draws those in its range
        return dict(tickmode="array", tickvals=[m * 10.0**k for m, k in ticks],
                    ticktext=[tick_label(m, k) for m, k in ticks])
    return dict(dtick=1) if decades < 4 else {}


# ------------------------------------------------------------------------------- schedule
def schedule_figure(lines: list[tuple[str, str, np.ndarray]], *, height: int = 150,
                    presentation: bool = False) -> FigureSpec:
    """A small η_t-vs-step plot: `lines` of (label, colour, η_t for t = 0..T-1). Log scale when the
    rates span more than two decades."""
    st_ = _style(presentation)
    data, vals = [], []
    for label, color, eta in lines:
        eta = np.asarray(eta, float)
        i = envelope_indices(eta, 600)
        data.append(dict(type="scatter", x=i.astype(np.int32), y=eta[i], mode="lines", name=label,
                         line=dict(color=color, width=2),
                         hovertemplate=f"{label}<br>t=%{{x}}: η=%{{y:.3g}}<extra></extra>"))
        vals.append(eta[np.isfinite(eta) & (eta > 0)])
    allv = np.concatenate(vals) if vals else np.array([])
    log = allv.size > 0 and allv.max() > 100 * allv.min()
    layout = dict(height=height, margin=dict(l=0, r=0, t=4, b=0), showlegend=False,
                  font=dict(size=max(10, st_["font"] - 2)),
                  yaxis=dict(type="log" if log else "linear", exponentformat="power",
                             **(log_ticks([allv]) if log else {})))  # log: > 2 decades
    return FigureSpec(dict(data=data, layout=layout))


def figure_json_size(fig) -> int:
    """Bytes of the figure's JSON as sent to the browser (a FigureSpec or a go.Figure)."""
    return len(fig.to_json(validate=False).encode())


__all__ = ["PALETTE", "Track", "Series", "map_figure", "surface3d_figure", "linked_figure", "schedule_figure",
           "frame_indices", "path_indices", "envelope_indices", "trace_index", "map_background",
           "figure_json_size", "MAX_FRAMES", "MAX_PATH_POINTS", "MAX_LINE_POINTS"]
