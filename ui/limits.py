"""Server-side limits on every input, from widgets and from the query string alike.

Every function here is pure: it returns the value to use and appends a human-readable note to
`notes` when it had to clamp, snap or ignore what it was given. A page shows the notes with
`show_notes(notes)` (the only streamlit use here), so an over-large or malformed request is
visibly corrected, never a crash.

    notes = []
    steps = clamp_int("steps", "100000000", STEPS, notes)   # -> 100000, notes == ["steps ... clamped ..."]
"""
from __future__ import annotations

import math
import re
from typing import Iterable, Sequence

import numpy as np

from optimizers.sweep import lr_grid

# --------------------------------------------------------------------------- the limits
STEPS = (1, 100_000)                 # updates per run (the engine allows more; a page does not)
MAX_OPTIMIZERS = 8                   # trajectories racing on one map
LR = (1e-7, 10.0)                    # η slider range (the lectures use 1e-2 and 1e-7)
EPS = (1e-12, 1e-1)
NOISE = (0.0, 1000.0)                # standard deviation of the added gradient noise
CLIP = (1e-3, 1e4)                   # max_norm for gradient clipping
SEED = (0, 2**31 - 1)
MAX_FORMULA_CHARS = 200
MAX_QUERY_VALUE_CHARS = 400          # a longer query value is ignored before parsing

# hyperparameter ranges the UI offers: (low, high); open ends of the engine's ranges stay open
HYPER = {
    "lr": LR,
    "momentum": (0.0, 0.999),
    "alpha": (0.0, 0.9999),
    "beta1": (0.0, 0.999),
    "beta2": (0.0, 0.99999),
    "eps": EPS,
    "weight_decay": (0.0, 10.0),
    "momentum_decay": (0.0, 1.0),
}
FLAGS = ("nesterov", "centered", "amsgrad", "bias_correction")
# Nesterov's look-ahead needs a momentum (torch.optim.SGD refuses nesterov=True with momentum 0)
OWN_RANGES = {("nesterov", "momentum"): (0.001, 0.999)}


def hyper_range(key: str, optimizer: str | None = None) -> tuple[float, float]:
    """The UI's range of hyperparameter `key` (of `optimizer`, where one has its own)."""
    return OWN_RANGES.get((optimizer, key), HYPER.get(key, (0.0, 1e3)))


def fmt(v) -> str:
    """A number as notes show it (6 significant digits)."""
    if isinstance(v, float) or (isinstance(v, int) and abs(v) >= 10**12):  # 1e308 rounded: not 309 digits
        return f"{float(v):.6g}"
    return str(v)


def short(raw) -> str:
    """A user's raw text as notes quote it (cut to 40 characters)."""
    s = str(raw)
    return repr(s if len(s) <= 40 else s[:37] + "...")


# --------------------------------------------------------------------------- numbers
def parse_float(raw) -> float | None:
    """A finite float from a number or string (None when it is not one)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float, np.floating, np.integer)):
        v = float(raw)
    else:
        s = str(raw).strip()
        if not s or len(s) > 64:
            return None
        try:
            v = float(s)
        except ValueError:
            return None
    return v if math.isfinite(v) else None


def _within(name: str, v, bounds, notes: list):
    """`v` clamped into `bounds` (lo, hi), with a note when it moves."""
    lo, hi = bounds
    if lo <= v <= hi:
        return v
    c = min(max(v, lo), hi)
    notes.append(f"{name}: {fmt(v)} is outside [{fmt(lo)}, {fmt(hi)}]; clamped to {fmt(c)}.")
    return c


def clamp_float(name: str, raw, bounds: tuple[float, float], notes: list, default: float | None = None) -> float | None:
    """`raw` as a float inside `bounds` (clamped with a note); `default` (with a note) if not a number."""
    v = parse_float(raw)
    if v is None:
        notes.append(f"{name}: {short(raw)} is not a finite number; using {fmt(default)}.")
        return default
    return _within(name, v, bounds, notes)


def clamp_int(name: str, raw, bounds: tuple[int, int], notes: list, default: int | None = None) -> int | None:
    """`raw` as an integer inside `bounds`; a non-integer number is rounded (with a note)."""
    v = parse_float(raw)
    if v is None:
        notes.append(f"{name}: {short(raw)} is not an integer; using {fmt(default)}.")
        return default
    i = int(round(v))
    if i != v:
        notes.append(f"{name}: {fmt(v)} is not an integer; rounded to {i}.")
    return _within(name, i, bounds, notes)


def parse_flag(name: str, raw, notes: list, default: bool = False) -> bool:
    s = str(raw).strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off", ""):
        return False
    notes.append(f"{name}: {short(raw)} is not 0 or 1; using {int(default)}.")
    return default


def choose(name: str, raw, options: Sequence[str], notes: list, default: str) -> str:
    """`raw` if it is one of `options`, else `default` with a note."""
    s = str(raw)
    if s in options:
        return s
    notes.append(f"{name}: {short(raw)} is not one of {', '.join(map(str, options))}; using {default!r}.")
    return default


# --------------------------------------------------------------------------- log grids
def log_grid(lo: float, hi: float, per_decade: int = 20, nice=(1.0, 2.0, 3.0, 5.0)) -> tuple[float, ...]:
    """Values from lo to hi: `per_decade` log-spaced values per decade (3 significant digits) plus
    the 'nice' values 1, 2, 3, 5 × 10^k; a log-spaced value within 2 % of a nice one is dropped."""
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    nice_vals = {float(f"{m * 10.0**k:.3g}") for k in range(k0, k1 + 1) for m in nice}
    vals = set(nice_vals)
    for i in range(k0 * per_decade, k1 * per_decade + 1):
        v = float(f"{10.0 ** (i / per_decade):.3g}")
        if all(abs(v - n) > 0.02 * n for n in nice_vals):
            vals.add(v)
    return tuple(sorted(v for v in vals if lo * (1 - 1e-12) <= v <= hi * (1 + 1e-12)))


LR_GRID = log_grid(*LR)
EPS_GRID = tuple(10.0**k for k in range(-12, 0))


def nearest_log(grid: Sequence[float], value: float) -> int:
    """Index of the value of a positive `grid` nearest to `value` in log space (`value` clamped to
    the grid's range first, so a `value` ≤ 0 is nearest to the smallest)."""
    g = np.asarray(grid, float)
    return int(np.argmin(np.abs(np.log(g) - math.log(min(max(value, g.min()), g.max())))))


def playground_lrs(lo: float, hi: float, n: int) -> tuple[float, ...]:
    """n log-spaced rates from lo to hi (the Sweep's η axis), each moved to the nearest value of the
    Playground's η slider (LR_GRID), repeats dropped: a clicked cell then opens with exactly its η."""
    return tuple(sorted({float(LR_GRID[nearest_log(LR_GRID, v)]) for v in lr_grid(lo, hi, n)}))


def snap(name: str, value: float, grid: Sequence[float], notes: list) -> float:
    """The grid value nearest to `value` in log space (with a note when it differs by > 0.1 %)."""
    best = float(np.asarray(grid, float)[nearest_log(grid, value)])
    if abs(best - value) > 1e-3 * abs(value):
        notes.append(f"{name}: {fmt(value)} is not on the slider; using the nearest value {fmt(best)}.")
    return best


def snap_lr(name: str, raw, notes: list, default: float = 1e-2) -> float:
    v = clamp_float(name, raw, LR, notes, default)
    return snap(name, v, LR_GRID, notes)


def clamp_hyper(key: str, raw, notes: list, default, label: str = "", optimizer: str | None = None) -> float | bool:
    """One optimizer hyperparameter from a widget or the query string, inside the UI's range (the
    optimizer's own, see OWN_RANGES)."""
    name = f"{label}{key}"
    if key in FLAGS:
        return parse_flag(name, raw, notes, bool(default))
    if key == "lr":
        return snap_lr(name, raw, notes, default)
    if key == "eps":
        v = clamp_float(name, raw, EPS, notes, default)
        return snap(name, v, EPS_GRID, notes)
    return clamp_float(name, raw, hyper_range(key, optimizer), notes, default)


def clamp_start(raw_xy: Iterable, bounds, notes: list, default) -> tuple[float, float]:
    """A start point inside the surface's bounds (each coordinate clamped with a note)."""
    try:
        xs = list(raw_xy)
    except TypeError:
        xs = []
    if len(xs) != 2:
        notes.append(f"start: {short(raw_xy)} is not 'x,y'; using the surface's default start.")
        return tuple(map(float, default))
    (x0, x1), (y0, y1) = bounds
    x = clamp_float("start x", xs[0], (x0, x1), notes, float(default[0]))
    y = clamp_float("start y", xs[1], (y0, y1), notes, float(default[1]))
    return (x, y)


_MD_ALWAYS = re.compile(r"([\\`*$<~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")  # emphasis (an _ inside a
# word like step_size is not), code, LaTeX, HTML, strikethrough
_MD_COLON = re.compile(r":(?=[A-Za-z0-9_+\-])")    # :smile: emoji and :red[...] colour, not "steps: 5"
_MD_LINK = re.compile(r"\](?=\()")                 # [text](url)


def md_escape(text: str) -> str:
    """`text` shown literally by Streamlit's Markdown: what could start emphasis, code, LaTeX ($),
    HTML, an emoji, a colour or a link is backslash-escaped (CommonMark escapes any ASCII
    punctuation), so a typed formula x**2+3*y**2 reads as typed instead of turning bold. The notes
    have one line each, so line-start syntax (lists, headings) cannot occur."""
    text = _MD_ALWAYS.sub(lambda m: "\\" + m.group(0), str(text))
    return _MD_LINK.sub(r"\\]", _MD_COLON.sub(r"\\:", text))


def md_code(text: str) -> str:
    """`text` as inline code (nothing inside is Markdown), fenced by more backticks than it holds."""
    text = str(text)
    fence = "`" * (max((len(r) for r in re.findall("`+", text)), default=0) + 1)
    pad = " " if "`" in text else ""  # CommonMark strips one space each side when both are there
    return f"{fence}{pad}{text}{pad}{fence}"


def show_notes(notes: Sequence[str]):
    """Show the notes (deduplicated) as one visible info box."""
    if not notes:
        return
    import streamlit as st

    seen = list(dict.fromkeys(notes))
    st.info("Some inputs were adjusted:\n\n" + "\n".join(f"- {md_escape(n)}" for n in seen), icon="ℹ️")
