"""The tour's own plotly pieces (no streamlit): the small plots beside a scene's map, the arrows that
take one momentum step apart (scenes 8 and 9) and the warm-up schedules of scene 6. The map itself
is the Playground's (viz.figures.map_figure); long lines are thinned with viz.figures' helpers.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

import surfaces
from viz import figures as F

from . import claims as C
from .scenes import Scene

REFERENCE_COLOR = "#9a9a9a"

# kind -> (title, y-axis log?)
PLOTS = {  # short titles: three plots share a row, about 300 px each on a 1024-pixel projector
    "loss": ("loss f(θ_t)", True),
    "grad_norm": ("gradient norm ‖g_t‖", True),
    "lr": ("learning rate η_t", True),
    "step_size": ("η_t/σ_t (x solid, y dashed)", True),
    "x": ("position x_t", False),
    "y": ("y_t (across the valley)", False),
    "sigma_x": ("σ_t along x (|g_t| dotted)", True),
}


def colors(scene: Scene) -> list[str]:
    out, k = [], 0
    for run in scene.runs:
        if run.reference:
            out.append(REFERENCE_COLOR)
        else:
            out.append(F.PALETTE[k % len(F.PALETTE)])
            k += 1
    return out


def tracks(scene: Scene, trajs: dict) -> list[F.Track]:
    return [F.Track(label, color, t.path, t.diverged_at, t.loss, reference=run.reference)
            for (label, t), color, run in zip(trajs.items(), colors(scene), scene.runs)]


def _line(fig, x, y, label, color, width, dash="solid", show=True):
    y = np.asarray(y, float)
    i = F.envelope_indices(y)
    tr = go.Scatter(x=np.asarray(x)[i], y=y[i], mode="lines", name=label, legendgroup=label, showlegend=show,
                    line=dict(color=color, width=width, dash=dash),
                    hovertemplate=f"{label}<br>t=%{{x}}<br>%{{y:.4g}}<extra></extra>")
    fig.add_trace(tr)


def side_plot(kind: str, scene: Scene, trajs: dict, *, presentation: bool = False, height: int | None = None) -> go.Figure:
    """One small plot against the step t for every run of the scene (`kind` in PLOTS); reference
    runs are drawn first, under the others, and the legend keeps the scene's order."""
    title, log = PLOTS[kind]
    height = height or (340 if presentation else 260)
    width = 3.0 if presentation else 1.8
    fig = go.Figure()
    runs = list(zip(trajs.items(), colors(scene), scene.runs))
    for (label, t), color, _ in sorted(runs, key=lambda r: not r[2].reference):
        T = len(t.lr)
        if kind == "loss":
            _line(fig, np.arange(T + 1), t.loss, label, color, width)
        elif kind == "grad_norm":
            _line(fig, np.arange(T + 1), t.grad_norm, label, color, width)
        elif kind == "lr":
            _line(fig, np.arange(1, T + 1), t.lr, label, color, width)
        elif kind == "step_size":
            _line(fig, np.arange(1, T + 1), t.step_size[:, 0], label, color, width)
            _line(fig, np.arange(1, T + 1), t.step_size[:, 1], label, color, width, "dash", show=False)
        elif kind == "x":
            _line(fig, np.arange(T + 1), t.path[:, 0], label, color, width)
        elif kind == "y":
            _line(fig, np.arange(T + 1), t.path[:, 1], label, color, width)
        elif kind == "sigma_x":
            _line(fig, np.arange(1, T + 1), t.sigma[:, 0], label, color, width)
            _line(fig, np.arange(1, T + 1), np.abs(t.grad[:-1, 0]), label, color, width * 0.7, "dot", show=False)
    if log:  # a log axis only where the values span more than two decades
        vals = np.concatenate([np.asarray(tr.y, float) for tr in fig.data]) if fig.data else np.array([])
        vals = vals[np.isfinite(vals) & (vals > 0)]
        log = vals.size > 0 and vals.max() > 100 * vals.min()
    font = 20 if presentation else 12
    top = 2 * font + 10                                # the title and a little air
    yaxis = dict(type="log" if log else "linear", exponentformat="power")
    if log:
        yaxis.update(F.log_ticks([tr.y for tr in fig.data]))  # log: > 2 decades
    for tr in fig.data:
        tr.legendrank = 1000 + list(trajs).index(tr.legendgroup)
        if presentation:  # a third of a projector: long labels wrap (they were cut at the right edge)
            tr.name = F.legend_label(tr.legendgroup, width=26)
    if presentation and len(trajs) > 1:  # the wrapped legend takes its lines from the plot: add them
        lines = sum(tr.name.count("<br>") + 1 for tr in fig.data if tr.showlegend is not False)
        height += 26 * max(0, lines - 2)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=top, b=10),
                      title=dict(text=title, font=dict(size=17 if presentation else font)),  # 3 plots a row
                      font=dict(size=font), showlegend=len(trajs) > 1, hovermode="closest",
                      # at the figure's bottom: plotly makes room for it under the tick labels, at any font
                      legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, xanchor="left", x=0,
                                  font=dict(size=16 if presentation else font)),
                      xaxis=dict(title=dict(text="step t", standoff=14 if presentation else 8)), yaxis=yaxis)
    return fig


def _arrow(x0, y0, x1, y1, color):
    return dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                arrowhead=2, arrowsize=0.8, arrowwidth=2.5, arrowcolor=color, text="", standoff=0, startstandoff=0)


def _diagram(points, arrows, legend, title, presentation, height):
    """A small equal-aspect vector diagram: `arrows` (x0, y0, x1, y1, colour), `points` (x, y, text)
    marked as labelled dots, `legend` (text, colour) explaining the arrow colours."""
    size = 16 if presentation else 12
    fig = go.Figure()
    px_, py_, pt_ = zip(*points)
    fig.add_trace(go.Scatter(x=px_, y=py_, mode="markers+text", text=pt_, textposition="top center",
                             marker=dict(size=7, color="black"), showlegend=False, hoverinfo="skip",
                             textfont=dict(size=size)))
    for text, color in legend:  # legend entries for the arrow colours (annotations have none)
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=color, width=3), name=text))
    xs = [a[0] for a in arrows] + [a[2] for a in arrows]
    ys = [a[1] for a in arrows] + [a[3] for a in arrows]
    pad = 0.15 * max(max(xs) - min(xs), max(ys) - min(ys), 1e-9)
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=2 * size + 10, b=10), title=dict(text=title, font=dict(size=size)),
        annotations=[_arrow(*a) for a in arrows], showlegend=True,
        legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0, font=dict(size=size)),
        xaxis=dict(range=[min(xs) - pad, max(xs) + pad], zeroline=False, showticklabels=False),
        yaxis=dict(range=[min(ys) - pad, max(ys) + pad], zeroline=False, showticklabels=False, scaleanchor="x"),
        plot_bgcolor="#f7f9fb", font=dict(size=size))
    return fig


GREY, RED, BLACK, BLUE = "#777777", "#d55e00", "#000000", "#0072b2"  # red and blue of viz.figures.PALETTE


def movement_figure(path: np.ndarray, surface: str, lr: float, momentum: float, *, presentation: bool = False,
                    height: int = 300, n: int = 3) -> go.Figure:
    """Scene 8, the lecture's picture of the first `n` updates of the momentum run: each movement
    m^{t+1} (black) is λ·m^t (grey, the last movement scaled by λ) followed by −η·g^t (red)."""
    g = surfaces.get(surface).grad(path[:n])
    arrows, points = [], [(path[0][0], path[0][1], "θ⁰")]
    sup = "⁰¹²³⁴⁵⁶⁷⁸⁹"
    for t in range(min(n, len(path) - 1)):
        p = path[t]
        last = path[t] - path[t - 1] if t else np.zeros(2)
        a = p + momentum * last
        b = a - lr * g[t]
        if t:
            arrows.append((*p, *a, GREY))
        arrows += [(*a, *b, RED), (*p, *path[t + 1], BLACK)]
        points.append((path[t + 1][0], path[t + 1][1], "θ" + "".join(sup[int(c)] for c in str(t + 1))))
    return _diagram(points, arrows, [("λ·(last movement)", GREY), ("−η·gradient", RED), ("movement", BLACK)],
                    f"the first {n} movements", presentation, height)  # the legend spells out the rule


def lookahead_step(path: np.ndarray, surface: str, momentum: float, first: int = 80) -> int:
    """The update (within the first `first`) where the gradient at the look-ahead point differs most
    from the one at the current point: where Nesterov's braking shows."""
    s = surfaces.get(surface)
    v = np.vstack([np.zeros((1, 2)), np.diff(path, axis=0)])[: min(first, len(path) - 1)]
    p = path[: len(v)]
    d = np.hypot(*(s.grad(p + momentum * v) - s.grad(p)).T)
    return int(np.argmax(d[1:])) + 1


def lookahead_figure(path: np.ndarray, surface: str, lr: float, momentum: float, *, presentation: bool = False,
                     height: int = 300) -> go.Figure:
    """Scene 9 (the book's figure), one update of the Nesterov run: the momentum step λv (grey) to
    the look-ahead point, the gradient step taken there (red) — Nesterov's update — and, from the same
    point, the gradient step taken at θ (blue), which classical momentum would add instead."""
    s = surfaces.get(surface)
    t = lookahead_step(path, surface, momentum)
    p, v = path[t], path[t] - path[t - 1]
    look = p + momentum * v
    nest, classic = look - lr * s.grad(look), look - lr * s.grad(p)
    return _diagram(
        [(p[0], p[1], "θ"), (look[0], look[1], "θ+λv")],
        [(*p, *look, GREY), (*look, *nest, RED), (*look, *classic, BLUE)],
        [("λv (momentum step)", GREY), ("−η·g(θ+λv): Nesterov", RED), ("−η·g(θ): classical", BLUE)],
        f"update t = {t} of the Nesterov run", presentation, height)


def schedules_figure(presentation: bool = False, height: int = 300) -> go.Figure:
    """Scene 6: the Transformer's η_t (d_model = 512, warmup_steps = 4000; peak marked) and ResNet's
    0.01-then-0.1, both from the library's schedules. ResNet's switch is not a formula (the paper goes
    back to 0.1 once the training error is below 80 %, about 400 iterations): drawn at iteration 400."""
    tr, rn = C.transformer_rate(), C.resnet_rate()
    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        # two short lines each: on a phone each title has about 170 px (the formula and the 80 % rule
        # are in the scene's text)
        "Transformer (d_model = 512,<br>warmup_steps = 4000)",
        "ResNet-110: 0.01, then 0.1<br>from ≈ 400 iterations"))
    i = F.envelope_indices(tr, 800)
    fig.add_trace(go.Scatter(x=i + 1, y=tr[i], mode="lines", name="Transformer", line=dict(color=F.PALETTE[0], width=2),
                             hovertemplate="step %{x}: η=%{y:.3g}<extra></extra>"), row=1, col=1)
    k = int(np.argmax(tr))
    fig.add_trace(go.Scatter(x=[k + 1], y=[tr[k]], mode="markers+text", text=[f"peak at step {k + 1}"],
                             textposition="middle right", marker=dict(size=9, color=RED), showlegend=False,
                             hovertemplate="step %{x}: η=%{y:.4g}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=np.arange(len(rn)), y=rn, mode="lines", name="ResNet",
                             line=dict(color=F.PALETTE[1], width=2),
                             hovertemplate="iteration %{x}: η=%{y:.3g}<extra></extra>"), row=1, col=2)
    font = 18 if presentation else 12
    # the titles sit below a band as high as plotly's toolbar (as the map's legend does): on a phone
    # the toolbar stays after a tap and covered the right-hand title
    band = F.MODEBAR_PX[presentation]
    fig.update_layout(height=height + band, margin=dict(l=10, r=10, t=(60 if presentation else 50) + band, b=10),
                      showlegend=False,
                      font=dict(size=font))
    fig.update_xaxes(title_text="step", row=1, col=1)
    fig.update_xaxes(title_text="iteration", row=1, col=2)
    # η in plain numbers (0.0006) or powers of ten: plotly's default SI prefixes read 600μ, and μ is
    # the momentum's symbol in this course
    fig.update_yaxes(exponentformat="power")
    fig.update_annotations(font_size=font)
    return fig
