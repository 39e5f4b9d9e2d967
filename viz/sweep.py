"""The sweep heatmap (plotly only; no streamlit).

Diverged cells are never drawn as huge numbers: the metric's heatmap has a gap there (NaN) and a
second heatmap paints exactly those cells in one flat colour, named "diverged" in the legend.
Cells that never reached the tolerance get their own flat colour in the steps-to-tolerance view.
A transparent marker sits on every cell so that a click selects it (plotly heatmaps cannot be
selected); its point index is the cell's trajectory index k = i·n_lr + j.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .figures import FONT_PX, log_ticks

FLOOR = 1e-16  # the smallest gap drawn, relative to max(1, |f*|): below it a loss is f* to rounding
DIVERGED_COLOR = "#d62728"
NEVER_COLOR = "#c7c7c7"
OK_COLOR = "#2ca02c"      # the "diverged" view: the runs that did not


def _widen(x, y):
    """The heatmaps' axes, and a function that shapes a (len(y), len(x)) grid to them. A heatmap with a
    single column or row has no width: plotly draws nothing (a narrow η range that the Playground's
    slider turns into one value, or a second hyperparameter from v to v). Such an axis is drawn as
    two bricks around its value: a fifth of a decade wide for η (log axis), ±5 % for the other."""
    xd, yd = np.asarray(x, float), np.asarray(y, float)
    rx, ry = (2 if xd.size == 1 else 1), (2 if yd.size == 1 else 1)
    if rx == 2:
        xd = xd[0] * 10.0 ** np.array([-0.1, 0.1])
    if ry == 2:
        half = 0.05 * abs(yd[0]) or 0.05
        yd = yd[0] + np.array([-half, half])
    return xd, yd, lambda z: np.repeat(np.repeat(np.asarray(z, float), ry, axis=0), rx, axis=1)


def _key(mask: np.ndarray, color: str, name: str) -> go.Scatter:
    """The legend's entry for cells painted in one flat colour: a square and the count."""
    return go.Scatter(x=[None], y=[None], mode="markers", marker=dict(symbol="square", size=12, color=color),
                      name=f"{name} ({int(mask.sum())} cells)", showlegend=True)


def _flat(mask: np.ndarray, color: str, name: str, x, y) -> list:
    x, y, shape = _widen(x, y)
    z = shape(np.where(mask, 1.0, np.nan))
    return [go.Heatmap(x=x, y=y, z=z, colorscale=[[0, color], [1, color]], showscale=False, hoverinfo="skip",
                       name=name, zmin=0, zmax=1), _key(mask, color, name)]


def heatmap(result, metric: str = "final loss", *, label: str | None = None, height: int = 520,
            selected: tuple[int, int] | None = None, presentation: bool = False) -> go.Figure:
    """The sweep's grid as a heatmap over (η on a log axis, second hyperparameter); with
    `presentation`, the projector's fonts (ticks, titles, colour bar, legend and hover)."""
    x = result.lrs
    y = result.values
    label = label or result.param
    div = result.diverged
    if metric == "final loss":
        # a gap below rounding (a loss at f*, or a last-bit below it) is drawn at that floor, not at
        # log10(1e-300) = −300, which would squeeze every other cell into one colour
        floor = FLOOR * max(1.0, abs(result.f_star)) if np.isfinite(result.f_star) else FLOOR
        gap = np.maximum(result.final_loss - result.f_star, floor)
        z = np.where(div, np.nan, np.log10(gap))
        cbar = "log₁₀(final loss − f*)"
        extra = []
    elif metric == "steps to tolerance":
        z = np.where(div, np.nan, result.steps_to_tol)
        cbar = f"first step with loss − f* ≤ {result.tol:g}"
        never = ~div & np.isnan(result.steps_to_tol)
        extra = _flat(never, NEVER_COLOR, "never reached", x, y) if never.any() else []
    elif metric == "diverged":
        z = np.where(div, np.nan, 0.0)
        cbar = None
        extra = [_key(~div, OK_COLOR, "did not diverge")]
    else:
        raise ValueError(f"Unknown metric {metric!r}; choose 'final loss', 'steps to tolerance' or 'diverged'")
    xd, yd, shape = _widen(x, y)
    widened = xd.size != len(x) or yd.size != len(y)  # its hover would name the bricks' edges: the cells' own say it
    main = go.Heatmap(x=xd, y=yd, z=shape(z), colorscale="Viridis" if cbar else [[0, OK_COLOR], [1, OK_COLOR]],
                      showscale=cbar is not None,
                      # above the cells, across: on a phone the upright bar and its title took a third of
                      # the 358 px (cells 5.7 px wide)
                      colorbar=dict(title=dict(text=cbar or "", side="top"), orientation="h", x=0, xanchor="left",
                                    len=1.0, y=1.0, yanchor="bottom", yref="paper", thickness=12, ypad=6),
                      hovertemplate=None if widened else "η=%{x:.3g}, " + label + "=%{y:.4g}: %{z:.3g}<extra></extra>",
                      hoverinfo="skip" if widened else None, name=metric)
    data = [main] + extra
    if div.any():
        data += _flat(div, DIVERGED_COLOR, "diverged", x, y)
    # click targets: one transparent marker per cell, in trajectory order k = i·n_lr + j
    X, Y = np.meshgrid(x, y)
    words = ["diverged" if k else f"final loss {f:.3g}<br>steps to tolerance "
             + (f"{int(t)}" if np.isfinite(t) else f"never within {result.tol:g}")
             for f, t, k in zip(result.final_loss.ravel(), result.steps_to_tol.ravel(), div.ravel())]
    data.append(go.Scatter(x=X.ravel(), y=Y.ravel(), mode="markers", name="cells", showlegend=False,
                           # smaller than a cell on a phone (~7 px): plotly picks among the markers whose
                           # disc holds the pointer, and 13 px discs picked the cell beside the one tapped
                           marker=dict(size=4, opacity=0.0, symbol="square",
                                       color="#222222"),  # invisible; its hover box: dark, so its words read well
                           text=words,
                           # the hint in the box itself: as plotly's <extra> it was a second box, over the toolbar
                           hovertemplate=("η=%{x:.3g}, " + label + "=%{y:.4g}<br>%{text}"
                                          "<br><i>click to open in the Playground</i><extra></extra>")))
    if selected is not None:
        i, j = selected
        data.append(go.Scatter(x=[x[j]], y=[y[i]], mode="markers", name="selected", showlegend=False,
                               hoverinfo="skip", marker=dict(symbol="square-open", size=16, color="white",
                                                             line=dict(width=2))))
    fig = go.Figure(data)
    font = FONT_PX[presentation]
    fig.update_layout(height=height, clickmode="event+select", font=dict(size=font), hoverlabel=dict(font=dict(size=font)),
                      margin=dict(l=90, r=20, t=110, b=115) if presentation else dict(l=60, r=20, t=80, b=80),
                      # the x title as a note under the tick labels: with the colour bar across the top,
                      # plotly put the axis title in the tick labels' row, where it read as a tick
                      xaxis=dict(type="log", **log_ticks([np.asarray(x, float)])), yaxis=dict(title=label),
                      annotations=[dict(text="learning rate η", xref="paper", yref="paper", x=0.5, y=0,
                                        yshift=-(2 * font + 10), yanchor="top", showarrow=False,
                                        font=dict(size=font))],
                      legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, x=0),  # under the axis title
                      dragmode=False)
    axis_font = dict(tickfont=dict(size=font), title_font=dict(size=font))  # Streamlit's theme sets the axes' own
    fig.update_xaxes(**axis_font)
    fig.update_yaxes(**axis_font)
    return fig


def cell_of(result, point_index: int) -> tuple[int, int]:
    """(i, j) of the cell whose click-target marker has this point index."""
    J = len(result.lrs)
    k = int(point_index)
    if not 0 <= k < result.final_loss.size:
        raise ValueError(f"No cell {k} in a {result.final_loss.shape} sweep")
    return divmod(k, J)
