"""Level lines and a shaded background for a surface, as things plotly animates without losing them.

plotly.js (as Streamlit ships it) drops contour and heatmap traces while frames animate, with
`redraw` False *and* True (checked in headless Chromium). So the map is drawn from parts that
survive: the level lines as one static scatter trace (`level_lines`, marching squares), and the
shading as a layout image (`shade_png`), which lives in the layout, not in the data.
"""
from __future__ import annotations

import base64
import io
import math

import numpy as np

# light slate ramp: low loss is pale so coloured paths stand out; (position, (r, g, b))
SHADE_STOPS = ((0.0, (255, 255, 255)), (0.4, (232, 238, 245)), (0.75, (200, 214, 229)), (1.0, (165, 184, 206)))


def levels_for(Z: np.ndarray, n: int = 14, log_scale: bool = True) -> tuple[np.ndarray, bool]:
    """`n` contour levels spanning the 1st..99th percentile of Z: geometric when `log_scale` and Z
    has positive values, else evenly spaced. Returns (levels, used_log)."""
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        return np.array([]), False
    pos = finite[finite > 0]
    if log_scale and pos.size > finite.size // 2:
        lo, hi = np.percentile(pos, [1, 99])
        lo = max(lo, hi * 1e-8)
        if hi > lo:
            return np.geomspace(lo, hi, n), True
    lo, hi = np.percentile(finite, [1, 99])
    if not hi > lo:
        lo, hi = float(finite.min()), float(finite.max())
    if not hi > lo:
        return np.array([lo]), False
    return np.linspace(lo, hi, n + 2)[1:-1], False


def _segments(xs, ys, Z, level):
    """Marching squares for one level: (points (P, 2), pairs (S, 2) of indices into points).
    Every crossing sits on a grid edge; a cell joins the crossings on its edges two by two."""
    ny, nx = Z.shape
    above = Z >= level
    with np.errstate(all="ignore"):
        # crossings on horizontal edges (i, j)-(i, j+1) and vertical edges (i, j)-(i+1, j)
        th = (level - Z[:, :-1]) / (Z[:, 1:] - Z[:, :-1])
        tv = (level - Z[:-1, :]) / (Z[1:, :] - Z[:-1, :])
    hx = xs[None, :-1] + th * (xs[1:] - xs[:-1])[None, :]
    hy = np.broadcast_to(ys[:, None], th.shape)
    vx = np.broadcast_to(xs[None, :], tv.shape)
    vy = ys[:-1, None] + tv * (ys[1:] - ys[:-1])[:, None]
    hcross = above[:, :-1] != above[:, 1:]
    vcross = above[:-1, :] != above[1:, :]
    nh = (ny) * (nx - 1)
    points = np.concatenate([np.stack([hx, hy], -1).reshape(-1, 2), np.stack([vx, vy], -1).reshape(-1, 2)])
    # per cell (i, j): the ids of its bottom, right, top, left edges
    i, j = np.meshgrid(np.arange(ny - 1), np.arange(nx - 1), indexing="ij")
    ids = np.stack([i * (nx - 1) + j, nh + i * nx + j + 1, (i + 1) * (nx - 1) + j, nh + i * nx + j], -1)
    crossed = np.stack([hcross[:-1, :], vcross[:, 1:], hcross[1:, :], vcross[:, :-1]], -1)
    finite = np.isfinite(Z[:-1, :-1]) & np.isfinite(Z[:-1, 1:]) & np.isfinite(Z[1:, :-1]) & np.isfinite(Z[1:, 1:])
    count = crossed.sum(-1)
    pairs = []
    two = (count == 2) & finite
    if two.any():
        sel = ids[two][crossed[two]].reshape(-1, 2)
        pairs.append(sel)
    four = (count == 4) & finite
    if four.any():
        c = ids[four]
        centre = (Z[:-1, :-1] + Z[:-1, 1:] + Z[1:, :-1] + Z[1:, 1:])[four] / 4 >= level
        same = centre == above[:-1, :-1][four]
        # bottom and top crossings pair with right and left, or with left and right, by the centre
        b = np.where(same[:, None], c[:, [1, 3]], c[:, [3, 1]])
        pairs.append(np.stack([c[:, 0], b[:, 0]], -1))
        pairs.append(np.stack([c[:, 2], b[:, 1]], -1))
    pairs = np.concatenate(pairs) if pairs else np.zeros((0, 2), int)
    return points, pairs


def _chains(pairs: np.ndarray) -> list[list[int]]:
    """Join segments that share an edge crossing into polylines (each crossing has degree <= 2)."""
    adj: dict[int, list[int]] = {}
    for a, b in pairs.tolist():
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, []).append(a)
    seen: set[int] = set()
    out = []
    starts = [k for k, v in adj.items() if len(v) == 1] + list(adj)
    for s in starts:
        if s in seen:
            continue
        chain, prev, cur = [s], None, s
        seen.add(s)
        while True:
            nxt = [n for n in adj[cur] if n != prev and n not in seen]
            if not nxt:
                if len(chain) > 2 and s in adj[cur] and prev is not None:
                    chain.append(s)  # close a loop
                break
            prev, cur = cur, nxt[0]
            seen.add(cur)
            chain.append(cur)
        if len(chain) > 1:
            out.append(chain)
    return out


def level_lines(xs: np.ndarray, ys: np.ndarray, Z: np.ndarray, levels) -> tuple[np.ndarray, np.ndarray]:
    """x, y (float32, NaN between polylines) of the level lines of Z[i, j] = f(xs[j], ys[i])."""
    px, py = [], []
    gap = np.array([np.nan], dtype=np.float32)
    for level in np.atleast_1d(levels):
        points, pairs = _segments(xs, ys, Z, float(level))
        for chain in _chains(pairs):
            p = points[chain].astype(np.float32)
            px += [p[:, 0], gap]
            py += [p[:, 1], gap]
    if not px:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    return np.concatenate(px), np.concatenate(py)


def shade_values(Z: np.ndarray, levels, used_log: bool) -> np.ndarray:
    """Z mapped to [0, 1] over the level range (log10 when the levels are geometric); NaN stays NaN."""
    levels = np.atleast_1d(levels)
    with np.errstate(all="ignore"):
        if used_log:
            v = np.log10(np.maximum(Z, levels[0]))
            lo, hi = math.log10(levels[0]), math.log10(levels[-1])
        else:
            v, lo, hi = Z, float(levels[0]), float(levels[-1])
        if not hi > lo:
            return np.where(np.isfinite(Z), 0.5, np.nan)
        return np.clip((v - lo) / (hi - lo), 0.0, 1.0)


def shade_png(values: np.ndarray, stops=SHADE_STOPS) -> str:
    """A data-URI PNG of `values` in [0, 1] (row 0 = lowest y, so the image is flipped) through the
    colour ramp `stops`; NaN (undefined f) is drawn pale red."""
    from PIL import Image  # Pillow comes with streamlit; imported here so viz loads without it

    pos = np.array([s[0] for s in stops])
    rgb = np.array([s[1] for s in stops], float)
    v = np.nan_to_num(values, nan=0.0)
    img = np.stack([np.interp(v, pos, rgb[:, c]) for c in range(3)], -1)
    img[~np.isfinite(values)] = (250, 215, 215)
    im = Image.fromarray(np.ascontiguousarray(img[::-1]).astype(np.uint8), "RGB")
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
