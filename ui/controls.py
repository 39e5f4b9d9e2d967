"""The Playground's widgets: session state <-> `Setup`, the sidebar, presets and the URL sync.

Every widget has a key under "pg_"; its value is seeded from a `Setup` (from the URL, a preset or
the previous visit) *before* the widget is created, so widgets never take `value=` arguments and
a preset or a link simply writes session state. `read_setup()` turns the widgets back into a
`Setup`, through ui.limits, with notes for anything clamped.
"""
from __future__ import annotations

import functools
import re

import streamlit as st
import torch

import optimizers
import surfaces
from optimizers import schedules

from . import limits as L
from . import compat, share
from .share import COMPOSE, COMPOSE_USES, LABELS, PARAMS, OptSpec, Setup, torch_only
from viz.figures import CLICK_GRID_TRACE

CUSTOM = "custom"   # the surface picker's "Custom formula" entry
FORMULA = "x**2 + 3*y**2"  # the formula box's starter
DOTS = (":blue[●]", ":orange[●]", ":green[●]", ":violet[●]", ":red[●]", ":gray[●]", "●", ":yellow[●]")  # viz PALETTE
CONV_LABELS = optimizers.presets.CONVENTION_TITLES
VIEW_LABELS = {"2d": "2-D map", "3d": "3-D surface", "both": "both"}
VIEW_SHORT = {"2d": "2-D", "3d": "3-D", "both": "both"}  # in presentation mode, beside the description
PARAM_LABELS = {"lr": "η (learning rate)", "momentum": "momentum λ (PyTorch's μ, the book's α)", "alpha": "α (RMS decay; the book's ρ)", "beta1": "β₁",
                "beta2": "β₂", "eps": "ε", "bias_correction": "bias correction", "nesterov": "Nesterov",
                "centered": "centered", "amsgrad": "AMSGrad", "weight_decay": "weight decay",
                "momentum_decay": "momentum decay ψ"}
NOTE_NAMES = {"pg_x0": "start x", "pg_y0": "start y", "pg_steps": "steps", "pg_noise": "noise", "pg_seed": "seed",
              "pg_clip": "clip", "pg_formula": "formula", "pg_sched": "schedule", "pg_conv": "convention",
              "pg_surface": "surface", "pg_view": "view", "pg_device": "device"}  # as read_setup names them in its notes
FLOAT_STEP = {"momentum": 0.01, "alpha": 0.001, "beta1": 0.01, "beta2": 0.0001, "weight_decay": 0.001,
              "momentum_decay": 0.001}

PRESETS: dict[str, Setup] = {
    "η=1e-2 bounces": Setup(surface="bowl", steps=300, opts=(OptSpec.make("gd", lr=1e-2),)),
    "η=1e-7 crawls": Setup(surface="bowl", steps=100_000, opts=(OptSpec.make("gd", lr=1e-7),)),
    "η=10 diverges": Setup(surface="bowl", steps=300, opts=(OptSpec.make("gd", lr=10.0), OptSpec.make("gd", lr=1e-2))),
    "Adagrad vs RMSProp on the crescent": Setup(
        surface="crescent", steps=1000, opts=(OptSpec.make("adagrad", lr=1.0), OptSpec.make("rmsprop", lr=0.03))),
    "Momentum rolls past the saddle": Setup(
        surface="saddle", steps=300, opts=(OptSpec.make("gd", lr=0.05), OptSpec.make("momentum", lr=0.05))),
    "Momentum escapes a local minimum": Setup(
        surface="local_minimum", steps=300, opts=(OptSpec.make("gd", lr=0.05), OptSpec.make("momentum", lr=0.05))),
    "Adam vs GD on Rosenbrock": Setup(
        surface="rosenbrock", steps=3000, opts=(OptSpec.make("gd", lr=1e-3), OptSpec.make("adam", lr=0.02))),
}
PRESETS = {k: share.canonical(v) for k, v in PRESETS.items()}


def devices() -> tuple[str, ...]:
    return ("auto", "cpu", "cuda") if torch.cuda.is_available() else ("auto", "cpu")


def _k(sid: int, name: str) -> str:
    return f"pg_o{sid}_{name}"


# --------------------------------------------------------------------------- setup -> state
def seed_state(setup: Setup, notes: list | None = None):
    """Write `setup` into the widgets' session state (call before the widgets exist)."""
    ss = st.session_state
    if setup.surface.startswith("f:"):
        ss["pg_surface"], ss["pg_formula"], ss["pg_formula_kept"] = CUSTOM, setup.surface[2:], setup.surface[2:]
    else:
        ss["pg_surface"] = setup.surface
        ss.setdefault("pg_formula", ss.get("pg_formula_kept", FORMULA))
    start = setup.start
    if start is None:
        try:
            start = surfaces.get(setup.surface).start
        except Exception:
            start = (0.0, 0.0)
    ss["pg_x0"], ss["pg_y0"] = float(start[0]), float(start[1])
    ss["pg_steps"] = int(setup.steps)
    for sid in ss.get("pg_slots", []):
        for key in [k for k in list(ss.keys()) if str(k).startswith(f"pg_o{sid}_")]:
            del ss[key]
    ss["pg_slots"] = list(range(len(setup.opts)))
    ss["pg_next_slot"] = len(setup.opts)
    for sid, o in enumerate(setup.opts):
        _seed_opt(sid, o)
    ss["pg_conv"] = setup.convention
    ss["pg_sched"] = setup.schedule
    for k, v in setup.schedule_args:
        _seed_remembered(f"pg_sched_{setup.schedule}_{k}", v)
    ss["pg_noise_on"] = setup.noise > 0
    if setup.noise > 0:
        _seed_remembered("pg_noise", float(setup.noise))
    _seed_remembered("pg_seed", int(setup.seed))
    ss["pg_clip_on"] = setup.clip is not None
    if setup.clip is not None:
        _seed_remembered("pg_clip", float(setup.clip))
    ss["pg_device"] = setup.device if setup.device in devices() else "auto"
    ss["pg_view"] = setup.view


def _seed_opt(sid: int, o: OptSpec):
    ss = st.session_state
    ss[_k(sid, "name")] = o.name
    for k, v in o.params:
        ss[_k(sid, k)] = v


# --------------------------------------------------------------------------- state -> setup
def surface_string() -> str:
    ss = st.session_state
    if ss.get("pg_surface") == CUSTOM:
        return "f:" + str(ss.get("pg_formula", ""))
    return ss.get("pg_surface", "bowl")


def read_opt(sid: int) -> OptSpec:
    ss = st.session_state
    name = ss.get(_k(sid, "name"), "gd")
    p = share.defaults(name)
    for k in p:
        if _k(sid, k) in ss:
            p[k] = ss[_k(sid, k)]
    return OptSpec(name, tuple(sorted(p.items())))


def param_label(key: str, name: str, convention: str) -> str:
    """The widget label of hyperparameter `key` of optimizer `name`, in the symbols of `convention`'s
    formula: the book writes the learning rate ε, its stabiliser δ and Adam's decay rates ρ₁, ρ₂."""
    label = PARAM_LABELS[key]
    if convention != "book" or (name != COMPOSE and name not in optimizers.presets.DEFINED["book"]):
        return label
    if key == "lr":
        return "η (learning rate; the book's ε)"
    if key == "eps":
        return "δ (stabiliser)" if name in ("adagrad", "rmsprop") else "ε (the book's δ)"
    if key in ("beta1", "beta2"):
        return f"{label} (the book's ρ{label[-1]})"
    return label


def _eps_help(name: str, convention: str, off: bool) -> str:
    """The ε slider's help: what ε is in this convention's formula for `name` (or that it has none)."""
    label = LABELS[name]
    if name == COMPOSE:
        return "ε of the chosen σ part, where its formula has one"
    if off:
        if convention == "lecture":
            return ("The lecture's σ has no ε: the update is η/σ · g with σ itself. σ is 0 only where every "
                    "gradient so far was 0, and that coordinate then does not move.")
        return f"Not part of the {convention}'s formula for {label}."
    if convention != "torch" and name not in optimizers.presets.DEFINED[convention]:
        return f"ε of torch.optim: the {convention} has no formula for {label}, so PyTorch's is used"
    if convention == "book" and name == "adagrad":
        return "δ of the book's algorithm 8.4 (1e-7), added to √r"
    if convention == "book" and name == "rmsprop":
        return "δ of the book's algorithm 8.5 (1e-6), inside the root: √(δ + r)"
    if convention != "torch" and name == "adam":
        return "ε of the Adam paper (the book's δ in algorithm 8.7), added outside the root, as in torch.optim"
    return "ε of torch.optim (added outside the root)"


def widget_label(key: str) -> str:
    """The name a note gives the widget `key` (ui.compat.take_notes): as read_setup names it."""
    ss = st.session_state
    if key.startswith("pg_o"):
        sid, _, param = key[len("pg_o"):].partition("_")
        name = ss.get(f"pg_o{sid}_name", "gd")
        return "optimizer" if param == "name" else f"{LABELS.get(name, name)} {param}"
    for sched in optimizers.SCHEDULES:
        if key.startswith(f"pg_sched_{sched}_"):
            return key[len(f"pg_sched_{sched}_"):]
    return NOTE_NAMES.get(key, key)


def read_setup(notes: list) -> Setup:
    """The Setup the widgets show, every value passed through ui.limits."""
    ss = st.session_state
    opts = []
    for sid in ss.get("pg_slots", [])[: L.MAX_OPTIMIZERS]:
        o = read_opt(sid)
        p = o.p
        for k, v in list(p.items()):
            if k not in ("mom", "rms"):
                p[k] = L.clamp_hyper(k, v, notes, share.defaults(o.name)[k], label=f"{LABELS[o.name]} ",
                                     optimizer=o.name)
        opts.append(OptSpec(o.name, tuple(sorted(p.items()))))
    sched = ss.get("pg_sched", "constant")
    args = share.schedule_defaults(sched)
    for k in args:
        key = f"pg_sched_{sched}_{k}"
        if key in ss:
            args[k] = ss[key]
    clip = L.clamp_float("clip", ss.get("pg_clip", 1.0), L.CLIP, notes, 1.0) if ss.get("pg_clip_on") else None
    noise = L.clamp_float("noise", ss.get("pg_noise", 1.0), L.NOISE, notes, 0.0) if ss.get("pg_noise_on") else 0.0
    surface = surface_string()
    start = (float(ss.get("pg_x0", 0.0)), float(ss.get("pg_y0", 0.0)))
    if start == (0.0, 0.0) and share.default_bounds(surface) is None:
        start = None  # only seed_state's stand-in for a formula that cannot be built: the link leaves it
        #               out, so the mended formula's link opens at the formula's own start
    return Setup(
        surface=surface, start=start,
        steps=L.clamp_int("steps", ss.get("pg_steps", 300), L.STEPS, notes, 300), opts=tuple(opts),
        convention=ss.get("pg_conv", "torch"), schedule=sched, schedule_args=tuple(sorted(args.items())),
        noise=noise, seed=L.clamp_int("seed", ss.get("pg_seed", 0), L.SEED, notes, 0), clip=clip,
        device=ss.get("pg_device", "auto"), view=ss.get("pg_view") or "2d")  # None: the view deselected


def plus_reading(text: str) -> str | None:
    """The formula a link meant when its bare + signs arrived as spaces, if one reading of the spaces
    works: " + " became three spaces (keep the spaces around it), a run of spaces was one +, or each
    space was a +. None when none of them parses."""
    for plus in (text.replace("   ", " + "), re.sub(" +", "+", text), text.replace(" ", "+")):
        if plus != text:
            try:
                surfaces.get("f:" + plus)
            except ValueError:
                continue
            return plus
    return None


# --------------------------------------------------------------------------- URL sync
def sync_from_url() -> list[str]:
    """At the start of a run: a link opened (first run, or query parameters that differ from what
    this page last wrote) seeds the widgets from the URL; otherwise a visit back to the page
    restores the last setup. Returns the notes about the URL's values."""
    ss = st.session_state
    current = share.normalize(st.query_params)
    setup_q = {k: v for k, v in current.items() if k != "present"}
    notes: list[str] = []
    first = "pg_setup" not in ss
    if (first and setup_q) or (not first and setup_q and setup_q != ss.get("pg_last_q")):
        setup, notes = share.decode(current, devices=devices())
        seed_state(setup)
        ss["pg_setup"] = setup
    elif first:
        seed_state(Setup())
        ss["pg_setup"] = Setup()
    elif "pg_surface" not in ss or any(_k(sid, "name") not in ss for sid in ss.get("pg_slots", [])):
        seed_state(ss["pg_setup"])  # back from another page: its widgets' state was dropped
    return notes


def write_url(setup: Setup, presentation: bool = False):
    q = share.encode(setup)
    if presentation:
        q["present"] = "1"
    norm = share.normalize(q)
    if share.normalize(st.query_params) != norm:
        st.query_params.from_dict(q)
    st.session_state["pg_last_q"] = {k: v for k, v in norm.items() if k != "present"}  # app.py keeps present
    st.session_state["pg_setup"] = setup


# --------------------------------------------------------------------------- callbacks
def apply_preset(name: str):
    seed_state(PRESETS[name])
    st.session_state["pg_flash"] = f"Preset: {name}"


def _seed_remembered(key: str, value):
    """Set a widget drawn only some of the time (compat.remembered): its value now and the one it
    comes back with."""
    st.session_state[key] = st.session_state[f"{key}_kept"] = value


def _restore_formula():
    """Back to the formula box after another surface: Streamlit dropped (or kept a stale) value of the
    hidden box, so put back the last formula it showed."""
    ss = st.session_state
    if ss.get("pg_surface") == CUSTOM and not ss.get("pg_formula_shown"):
        ss["pg_formula"] = ss.get("pg_formula_kept", FORMULA)


def _on_surface():
    ss = st.session_state
    _restore_formula()
    try:
        s = surfaces.get(surface_string())
        ss["pg_x0"], ss["pg_y0"] = map(float, s.start)
    except Exception:
        pass


def _on_start():
    ss = st.session_state
    notes = ss.setdefault("pg_widget_notes", [])
    try:
        b = surfaces.get(surface_string()).bounds
    except Exception:
        return
    x, y = L.clamp_start((ss.get("pg_x0"), ss.get("pg_y0")), b, notes, (0.0, 0.0))
    ss["pg_x0"], ss["pg_y0"] = x, y


def _on_opt_name(sid: int):
    ss = st.session_state
    name = ss[_k(sid, "name")]
    lr = ss.get(_k(sid, "lr"))
    for k, v in share.defaults(name, ss.get("pg_conv", "torch")).items():
        ss[_k(sid, k)] = v
    if lr is not None:
        ss[_k(sid, "lr")] = lr  # keep the chosen η when switching the optimizer
    ss["pg_open_slot"] = sid  # its expander has a new label (a new expander): it opens, not folds up


def _on_conv():
    """A new convention: an ε still at the old convention's default takes the new one's (the book's δ
    is 1e-7 for Adagrad and 1e-6 for RMSProp, PyTorch's ε 1e-10 and 1e-8); a chosen ε stays."""
    ss = st.session_state
    new, old = ss.get("pg_conv", "torch"), ss.get("pg_conv_shown", "torch")
    for sid in ss.get("pg_slots", []):
        name, wk = ss.get(_k(sid, "name")), _k(sid, "eps")
        if name in PARAMS and name != COMPOSE and wk in ss and "eps" in PARAMS[name] \
                and ss[wk] == share.defaults(name, old)["eps"]:
            ss[wk] = share.defaults(name, new)["eps"]


def _add_opt():
    ss = st.session_state
    if len(ss["pg_slots"]) >= L.MAX_OPTIMIZERS:
        return
    sid = ss.get("pg_next_slot", len(ss["pg_slots"]))
    ss["pg_next_slot"] = sid + 1
    _seed_opt(sid, OptSpec.make(ss.get("pg_add", "adam")))
    ss["pg_slots"] = ss["pg_slots"] + [sid]


def _remove_opt(sid: int):
    ss = st.session_state
    if len(ss["pg_slots"]) > 1:
        ss["pg_slots"] = [s for s in ss["pg_slots"] if s != sid]


def on_map_select():
    """plotly selection on the map (a click on the invisible grid or a path): move the start there."""
    ss = st.session_state
    ev = ss.get("pg_map")
    point = start_from_selection(ev, grid_curve=CLICK_GRID_TRACE)
    if point is None:
        return
    try:
        b = surfaces.get(surface_string()).bounds
    except Exception:
        return
    notes = ss.setdefault("pg_widget_notes", [])
    ss["pg_x0"], ss["pg_y0"] = L.clamp_start(point, b, notes, point)
    ss["pg_flash"] = f"Start moved to ({ss['pg_x0']:.3g}, {ss['pg_y0']:.3g})."


def start_from_selection(ev, grid_curve: int | None = None) -> tuple[float, float] | None:
    """(x, y) of the clicked point in a plotly selection event (prefer the click grid), or None."""
    try:
        points = ev["selection"]["points"]
    except (KeyError, TypeError, IndexError):
        return None
    best = None
    for p in points or []:
        x, y = L.parse_float(p.get("x")), L.parse_float(p.get("y"))
        if x is None or y is None:
            continue
        if grid_curve is not None and p.get("curve_number") == grid_curve:
            return (x, y)
        best = best or (x, y)
    return best


# --------------------------------------------------------------------------- widgets
def _log_fmt(v: float) -> str:
    return f"{v:.3g}"


def _typed_lr(wk: str, tk: str) -> None:
    """A typed η goes to the slider: its nearest value (said in a note when it differs)."""
    ss = st.session_state
    try:
        typed = float(ss[tk])
    except (TypeError, ValueError):
        return
    ss[wk] = L.snap("η", typed, L.LR_GRID, ss.setdefault("pg_widget_notes", []))  # the box follows when drawn


def _snap_state(wk: str, name: str, grid) -> None:
    """Put a select_slider's state on its grid (a value from a link or a preset may lie between
    its options); written back only when it moves."""
    ss = st.session_state
    try:
        value = float(ss[wk])
    except (TypeError, ValueError):
        value = float("nan")
    snapped = L.snap(name, value, grid, []) if value == value else float(grid[len(grid) // 2])
    if snapped != value:
        ss[wk] = snapped


def opt_widgets(sid: int, index: int, convention: str, n_slots: int):
    """One optimizer's expander: its kind, its hyperparameters, a remove button."""
    ss = st.session_state
    o = read_opt(sid)
    # a label that does not change with η: a changed label is a new expander, which would fold up
    # (one whose optimizer was just changed opens: the teacher who picked Adam goes on to its η)
    with st.expander(f"{DOTS[index % len(DOTS)]} {index + 1}. {LABELS[o.name]}",
                     expanded=(index == 0 and n_slots <= 2) or ss.get("pg_open_slot") == sid):
        st.selectbox("optimizer", list(PARAMS), key=_k(sid, "name"), format_func=LABELS.get,
                     on_change=_on_opt_name, args=(sid,))
        name = ss[_k(sid, "name")]
        shown = PARAMS[name]
        if name == COMPOSE:
            c1, c2 = st.columns(2)
            c1.selectbox("momentum part", list(optimizers.MOMENTUM_PARTS), key=_k(sid, "mom"),
                         format_func=optimizers.MOMENTUM_PART_NAMES.get)
            c2.selectbox("RMS part", list(optimizers.RMS_PARTS), key=_k(sid, "rms"), format_func=optimizers.RMS_PART_NAMES.get)
            used = COMPOSE_USES[ss[_k(sid, "mom")]] + COMPOSE_USES[ss[_k(sid, "rms")]]
            shown = ("lr",) + tuple(k for k in PARAMS[COMPOSE] if k in used)
        for key in shown:
            wk = _k(sid, key)
            if wk not in ss:
                ss[wk] = share.defaults(name, convention)[key]
            off = torch_only(name, key, convention)
            help_ = f"Not part of the {convention}'s formula for {LABELS[name]}." if off else None
            label = param_label(key, name, convention)
            if key == "lr":
                _snap_state(wk, "η", L.LR_GRID)
                st.select_slider(label, options=L.LR_GRID, key=wk, format_func=_log_fmt)
                # a box to type η in: the slider has 169 stops (0.01 → 0.1 took 21 arrow presses)
                tk = f"{wk}_typed"
                if ss.get(tk) != ss[wk]:
                    ss[tk] = ss[wk]  # it shows the slider's value
                st.number_input("or type η", min_value=L.LR[0], max_value=L.LR[1], key=tk, format="%g",
                                step=None, on_change=_typed_lr, args=(wk, tk))
            elif key == "eps":
                _snap_state(wk, "ε", L.EPS_GRID)
                st.select_slider(label, options=L.EPS_GRID, key=wk, format_func=lambda v: f"{v:.0e}", disabled=off,
                                 help=_eps_help(name, convention, off))
            elif key in L.FLAGS:
                ss[wk] = bool(ss[wk])
                st.checkbox(label, key=wk, disabled=off, help=help_)
            else:
                lo, hi = L.hyper_range(key, name)
                ss[wk] = float(min(max(float(ss[wk]), lo), hi))
                st.number_input(label, min_value=float(lo), max_value=float(hi), step=FLOAT_STEP.get(key, 0.01),
                                format="%.5f" if key == "beta2" else "%.4f", key=wk, disabled=off, help=help_)
        st.button("Remove", key=_k(sid, "remove"), on_click=_remove_opt, args=(sid,), disabled=n_slots <= 1,
                  width="stretch")


def schedule_widgets():
    ss = st.session_state
    st.selectbox("learning-rate schedule η_t", list(optimizers.SCHEDULES), key="pg_sched")
    sched = ss["pg_sched"]
    st.caption(L.md_escape(schedules.FORMULAS[sched]) + ("; η is each optimizer's own" if sched != "constant" else ""))
    steps = L.clamp_int("steps", ss.get("pg_steps", 300), L.STEPS, [], 300)
    _refit_schedules(ss.get("pg_sched_fit_steps", steps), steps)
    ss["pg_sched_fit_steps"] = steps
    defaults = share.fitted_schedule_args(sched, steps)  # first offered to fit the run; a link's own values win
    ranges = schedules.ARG_RANGES[sched]
    cols = st.columns(2) if defaults else []
    args = {}
    for i, (k, d) in enumerate(defaults.items()):
        wk = f"pg_sched_{sched}_{k}"
        args[k] = compat.remembered(wk, d, functools.partial(_schedule_arg, cols[i % 2], wk, k, ranges.get(k)))
    note = share.schedule_fit_note(sched, args, steps)
    if note:
        st.caption(f"⚠️ {L.md_escape(note)}")


def _refit_schedules(old: int, steps: int) -> None:
    """When the steps change from `old`, every schedule length still at its fitted value for `old`
    steps follows the run (a T_max of 300 becomes 1,000 with the steps); a length the user or a link
    set otherwise is kept (and schedule_fit_note warns if it no longer fits)."""
    if old == steps:
        return
    ss = st.session_state
    for name in optimizers.SCHEDULES:
        before, after = share.fitted_schedule_args(name, old), share.fitted_schedule_args(name, steps)
        for k, v in before.items():
            if after[k] == v:
                continue
            for key in (f"pg_sched_{name}_{k}", f"pg_sched_{name}_{k}_kept"):
                if key in ss and ss[key] == v:
                    ss[key] = after[k]


def _schedule_arg(col, wk: str, k: str, rng):
    ss = st.session_state
    if k == "decay":
        return col.selectbox(k, ["cosine", "linear"], key=wk)
    lo, hi, integer = rng
    if integer:
        ss[wk] = int(min(max(int(ss[wk]), lo), hi))
        return col.number_input(k, min_value=int(lo), max_value=int(hi), step=1, key=wk)
    else:
        ss[wk] = float(min(max(float(ss[wk]), lo), hi))
        return col.number_input(k, min_value=float(lo), max_value=float(hi), step=0.01, format="%.4f", key=wk)


def sidebar():
    """All the Playground's sidebar widgets (presets, surface, start, optimizers, convention,
    schedule, steps, noise, clipping, device); the schedule mini-plot is drawn by the page into
    the container returned."""
    ss = st.session_state
    with st.sidebar:
        with st.expander("Presets", expanded=False):
            for name in PRESETS:
                st.button(name, key=f"pg_preset_{name}", on_click=apply_preset, args=(name,), width="stretch")
        st.subheader("Surface")
        st.selectbox("surface", surfaces.names() + [CUSTOM], key="pg_surface", on_change=_on_surface,
                     format_func=lambda n: "Custom formula" if n == CUSTOM else n.replace("_", " "))
        _restore_formula()
        ss["pg_formula_shown"] = ss["pg_surface"] == CUSTOM
        if ss["pg_surface"] == CUSTOM:
            st.text_input("f(x, y) =", key="pg_formula", max_chars=L.MAX_FORMULA_CHARS, on_change=_on_surface,
                          help="numbers, x, y, pi, e, + - * / **, sin cos tan exp log sqrt abs tanh sinh cosh, "
                               "min(a, b), max(a, b)")
            ss["pg_formula_kept"] = ss["pg_formula"]
        c1, c2 = st.columns(2)
        c1.number_input("start x", key="pg_x0", step=0.1, format="%.3f", on_change=_on_start)
        c2.number_input("start y", key="pg_y0", step=0.1, format="%.3f", on_change=_on_start)

        st.subheader("Optimizers")
        slots = ss["pg_slots"]
        for i, sid in enumerate(slots[: L.MAX_OPTIMIZERS]):
            opt_widgets(sid, i, ss.get("pg_conv", "torch"), len(slots))
        c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
        ss.setdefault("pg_add", "adam")
        c1.selectbox("add", list(PARAMS), key="pg_add", format_func=LABELS.get, label_visibility="collapsed")
        c2.button("Add", key="pg_add_btn", on_click=_add_opt, disabled=len(slots) >= L.MAX_OPTIMIZERS,
                  help=f"up to {L.MAX_OPTIMIZERS} optimizers", width="stretch")
        st.radio("formula convention", list(CONV_LABELS), key="pg_conv", format_func=CONV_LABELS.get, on_change=_on_conv,
                 horizontal=True, help="lecture: the adaptive-learning-rate and momentum slides; book: Goodfellow "
                                      "et al., as the Training-NN slides give it; PyTorch: exactly torch.optim")
        ss["pg_conv_shown"] = ss["pg_conv"]  # _on_conv compares the new convention with this one

        st.subheader("Run")
        schedule_widgets()
        plot_box = st.container()
        st.number_input("steps", min_value=L.STEPS[0], max_value=L.STEPS[1], step=100, key="pg_steps")
        st.toggle("gradient noise", key="pg_noise_on", help="add Gaussian noise to every gradient (minibatch-like)")
        if ss["pg_noise_on"]:  # hidden settings keep their values (compat.remembered)
            c1, c2 = st.columns(2)
            compat.remembered("pg_noise", 1.0, lambda: c1.number_input(
                "noise std", min_value=0.0, max_value=L.NOISE[1], step=0.1, key="pg_noise"))
            compat.remembered("pg_seed", 0, lambda: c2.number_input(
                "seed", min_value=L.SEED[0], max_value=L.SEED[1], step=1, key="pg_seed"))
        st.toggle("gradient clipping", key="pg_clip_on", help="clip each gradient's norm, as torch.nn.utils.clip_grad_norm_")
        if ss["pg_clip_on"]:
            compat.remembered("pg_clip", 1.0, lambda: st.number_input(
                "max gradient norm", min_value=L.CLIP[0], max_value=L.CLIP[1], step=0.1, format="%.3f", key="pg_clip"))
        st.selectbox("device", devices(), key="pg_device",
                     help="auto: the GPU when there is one" + ("" if torch.cuda.is_available() else
                                                              " (this server has none)"))
    return plot_box
