"""Figures for the "Batch size & noise" page (plotly only; no streamlit)."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .figures import FONT_PX, MODEBAR_PX, even_indices, log_ticks

COLORS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#8c564b")  # five of Okabe & Ito's (as viz.figures.PALETTE), then a brown
MAX_POINTS = 2000


def projected(fig: go.Figure, presentation: bool) -> go.Figure:
    """`fig` with the projector's font (viz.figures.FONT_PX) in presentation mode: text, ticks, axis and
    subplot titles and legend (Streamlit's chart theme sets the axes' fonts itself, so they are set
    here one by one); on a screen, `fig` as it is."""
    if not presentation:
        return fig
    size = FONT_PX[True]
    fig.update_layout(font=dict(size=size), legend=dict(font=dict(size=size - 2)), hoverlabel=dict(font=dict(size=size)))
    fig.update_xaxes(tickfont=dict(size=size - 2), title_font=dict(size=size))
    fig.update_yaxes(tickfont=dict(size=size - 2), title_font=dict(size=size))
    fig.update_annotations(font=dict(size=size))
    if fig.layout.height:
        fig.update_layout(height=int(fig.layout.height * 1.25))  # the larger text takes room from the plot
    return fig


def loss_map(surface, paths: list[tuple[str, np.ndarray]], *, title: str = "", height: int = 420,
             epoch_starts: list[np.ndarray] | None = None, n: int = 120) -> go.Figure:
    """Contours of a two-parameter data loss (log scale) with paths (T+1, 2) over it; dots mark the
    point at the start of every epoch when `epoch_starts` is given (one array per path)."""
    xs, ys, Z = surface.grid(n)
    Zl = np.log10(np.maximum(Z, 1e-12))
    fig = go.Figure(go.Contour(x=xs, y=ys, z=Zl, colorscale="Greys", reversescale=True, showscale=False,
                               ncontours=18, contours=dict(coloring="heatmap", showlines=True),
                               line=dict(width=0.5), opacity=0.55, hoverinfo="skip", name="loss"))
    for i, (label, path) in enumerate(paths):
        idx = even_indices(len(path), MAX_POINTS)
        c = COLORS[i % len(COLORS)]
        fig.add_trace(go.Scatter(x=path[idx, 0], y=path[idx, 1], mode="lines+markers", name=label,
                                 line=dict(color=c, width=2), marker=dict(size=3, color=c)))
        if epoch_starts is not None and epoch_starts[i] is not None:
            e = np.asarray(epoch_starts[i])
            e = e[e < len(path)]
            fig.add_trace(go.Scatter(x=path[e, 0], y=path[e, 1], mode="markers", name=f"{label}: epoch starts",
                                     marker=dict(size=8, color=c, symbol="circle-open", line=dict(width=2)),
                                     showlegend=False))
    for (mx, my) in surface.minima[:1]:
        fig.add_trace(go.Scatter(x=[mx], y=[my], mode="markers", name="minimum",
                                 marker=dict(symbol="x", size=12, color="gold", line=dict(width=1, color="black"))))
    (x0, x1), (y0, y1) = surface.bounds
    fig.update_layout(title=title, height=height, margin=dict(l=50, r=10, t=40, b=40),
                      xaxis=dict(title="w", range=[x0, x1]), yaxis=dict(title="b", range=[y0, y1]),
                      legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, x=0))  # under the axis title at any font
    return fig


def loss_curves(curves: list[tuple[str, np.ndarray, np.ndarray]], *, x_title: str = "epoch",
                height: int = 300, log: bool = True) -> go.Figure:
    """Full-data loss against x (epochs, or updates) for several runs: (label, x, loss)."""
    fig = go.Figure()
    for i, (label, x, y) in enumerate(curves):
        idx = even_indices(len(x), MAX_POINTS)
        fig.add_trace(go.Scatter(x=np.asarray(x)[idx], y=np.asarray(y)[idx], mode="lines", name=label,
                                 line=dict(color=COLORS[i % len(COLORS)])))
    fig.update_layout(height=height, margin=dict(l=50, r=10, t=30, b=40), xaxis_title=x_title,
                      yaxis=dict(title="training loss (all examples)", type="log" if log else "linear",
                                 **(log_ticks([y for _, _, y in curves]) if log else {})),
                      legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, x=0))
    return fig


def timing_figure(timing, height: int = 340) -> go.Figure:
    """The lecture's two plots: time per update and time per epoch against batch size."""
    b = np.asarray(timing.batch_sizes)
    fig = make_subplots(rows=1, cols=2, subplot_titles=("time for one update", "time for one epoch (60,000 examples)"))
    fig.add_trace(go.Scatter(x=b, y=1e3 * np.asarray(timing.per_update_s), mode="lines+markers", name="per update",
                             hovertemplate="batch %{x}: %{y:.3g} ms<extra></extra>"), 1, 1)
    fig.add_trace(go.Scatter(x=b, y=np.asarray(timing.per_epoch_s), mode="lines+markers", name="per epoch",
                             line=dict(color=COLORS[1]),
                             hovertemplate="batch %{x}: %{y:.3g} s<extra></extra>"), 1, 2)
    fig.update_xaxes(type="log", title="batch size", tickvals=list(b), ticktext=[f"{v:,}" for v in b])  # the sizes
    # measured, in full (plotly's own ticks read "10 2 5 100" over four decades)
    fig.update_yaxes(title_text="milliseconds", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="seconds", type="log", row=1, col=2, **log_ticks([timing.per_epoch_s]))
    # the subplot titles sit under a band as high as plotly's toolbar, which covered the right one on hover
    fig.update_layout(height=height, showlegend=False, margin=dict(l=50, r=10, t=40 + MODEBAR_PX[False], b=40))
    return fig


def escape_figure(results, height: int = 340) -> go.Figure:
    """Fraction of runs that escaped (without diverging) against batch size, with ±1 standard-error
    bars; one line per surface. The hover gives the gradient-noise scale σ_B and the fraction that
    diverged; where any run diverged, a dotted line per surface shows that fraction too."""
    results = list(results)
    if not results:
        raise ValueError("No escape results to plot (give at least one noise.escape result)")
    fig = go.Figure()
    for i, r in enumerate(results):
        c = COLORS[i % len(COLORS)]
        fig.add_trace(go.Scatter(
            x=list(r.batch_sizes), y=list(r.fractions), mode="lines+markers", name=r.surface.replace("_", " "),
            error_y=dict(type="data", array=list(r.stderr()), visible=True),
            customdata=np.stack([r.noise, r.escaped, r.diverged], 1),
            hovertemplate="batch %{x}: %{y:.0%} escaped (%{customdata[1]:.0f} runs), %{customdata[2]:.0%} diverged, "
                          "noise σ_B=%{customdata[0]:.3g}<extra></extra>",
            line=dict(color=c)))
        if any(d > 0 for d in r.diverged):
            fig.add_trace(go.Scatter(
                x=list(r.batch_sizes), y=list(r.diverged), mode="lines+markers", name=f"{r.surface.replace('_', ' ')}: diverged",
                hovertemplate="batch %{x}: %{y:.0%} diverged<extra></extra>",
                line=dict(color=c, dash="dot"), marker=dict(symbol="x")))
    fig.update_layout(height=height, margin=dict(l=50, r=10, t=30, b=40),
                      xaxis=dict(title="batch size B (of N = 20)", type="log", tickvals=list(results[0].batch_sizes)),
                      yaxis=dict(title="fraction of runs that escaped", range=[-0.05, 1.05], tickformat=".0%"),
                      legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, x=0))
    return fig


def sharp_flat_figure(surface, result, *, train_fn, test_fn, height: int = 380) -> go.Figure:
    """Training and testing loss along w, the two minima and the test−train gap at each, and
    where the runs of each batch size ended (a rug of final w per batch size)."""
    (w0, w1), _ = surface.bounds
    w = np.linspace(w0, w1, 1200)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=w, y=train_fn(w), mode="lines", name="training loss", line=dict(color="black")))
    fig.add_trace(go.Scatter(x=w, y=test_fn(w), mode="lines", name="testing loss (shifted)",
                             line=dict(color=COLORS[1], dash="dash")))
    for key, label in (("flat", "flat"), ("sharp", "sharp")):
        m = result.summary[key]
        color = COLORS[2] if key == "flat" else COLORS[3]
        fig.add_trace(go.Scatter(x=[m["w"], m["w"]], y=[m["train"], m["test"]], mode="lines+markers",
                                 line=dict(color=color, width=3),
                                 name=f"{label} minimum: test − train = {m['gap']:.3f}"))
        # the label above the bar, on a white box with an arrow down to it: the space over a minimum is
        # clear of both curves (as plain text at the bar's top it sat on the testing curve). Short, as
        # that space is narrow at a projector's font: the colour and the legend say which minimum.
        fig.add_annotation(x=m["w"], y=max(m["train"], m["test"]), text=f"gap {m['gap']:.2f}",
                           showarrow=True, arrowhead=0, arrowcolor=color, ax=0, ay=-48,
                           bgcolor="rgba(255,255,255,0.9)", bordercolor=color, borderpad=3, font=dict(color="#222"))
    for i, B in enumerate(result.batch_sizes):
        fw = np.asarray(result.final_w[B])
        fig.add_trace(go.Scatter(x=fw, y=np.full_like(fw, -0.08 - 0.08 * i), mode="markers",
                                 marker=dict(symbol="line-ns-open", size=10, color=COLORS[(i + 4) % len(COLORS)]),
                                 name=f"where runs ended, batch {B}"))
    fig.update_layout(height=height, margin=dict(l=50, r=10, t=30, b=40), xaxis_title="parameter w",
                      yaxis=dict(title="loss", range=[-0.1 - 0.08 * len(result.batch_sizes), 1.8]),
                      legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, x=0))  # under the axis title at any width
    return fig


def basin_bars(result, height: int = 300) -> go.Figure:
    """Stacked bars: the fraction of runs that ended at the flat and in the sharp minimum, per batch
    size (and at neither, when any did: still on their way, or diverged)."""
    if not result.batch_sizes:
        raise ValueError("No batch sizes in this sharp-vs-flat result: nothing to plot")
    labels = [f"batch {b}" for b in result.batch_sizes]
    fig = go.Figure()
    for key, color in (("flat", COLORS[2]), ("sharp", COLORS[3]), ("other", "#bbbbbb")):
        vals = [result.fractions[b][key] for b in result.batch_sizes]
        if key == "other" and max(vals) < 1e-9:
            continue
        fig.add_trace(go.Bar(x=labels, y=vals, name=f"{key} minimum" if key != "other" else "neither (still on its way, or diverged)",
                             marker_color=color, text=[f"{v:.0%}" for v in vals], textposition="inside"))
    fig.update_layout(barmode="stack", height=height, margin=dict(l=50, r=10, t=30, b=40),
                      yaxis=dict(title="fraction of runs", tickformat=".0%", range=[0, 1]))
    return fig
