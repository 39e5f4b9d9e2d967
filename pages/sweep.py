"""Sweep: a heatmap of how every (η, second hyperparameter) pair does on a surface, all cells in
one batched run; click a cell to open that setting in the Playground. A thin page over
optimizers.sweep and viz.sweep."""
from __future__ import annotations

import streamlit as st
from streamlit.errors import StreamlitAPIException

import optimizers
import surfaces
from optimizers import sweep as sw
from ui import compat, controls, runs, share
from ui import limits as L
from viz import sweep as vs
from ui.entry import ensure_entry

ensure_entry()  # a deep link on a fresh server still runs under app.py

PLAYGROUND_PAGE = "pages/playground.py"
OPTIMIZERS = [o for o in optimizers.names() if sw.second_params(o)]
WORK_PER_CHUNK = 600_000      # cells × steps per batched run before the grid is split for the progress bar
LABELS = {"sw_lr_lo": "Lowest η", "sw_lr_hi": "Highest η", "sw_n_lr": "η values", "sw_steps": "Steps per run",
          "sw_w_lo": "Shortest warm-up", "sw_w_hi": "Longest warm-up", "sw_n_values": "values",
          "sw_tol": "Tolerance", "sw_metric": "Colour shows", "sw_optimizer": "Optimizer", "sw_surface": "Surface",
          "sw_convention": "Formulas"}  # widget keys, for notes


def note_label(key: str) -> str:
    for prefix, word in (("sw_lo_", "Lowest"), ("sw_hi_", "Highest")):
        if key.startswith(prefix):
            return f"{word} {sw.SECOND.get(key.rsplit('_', 1)[-1], (key,))[0]}"
    return "Up the side" if key.startswith("sw_param_") else LABELS.get(key, key)


st.header("Sweep: which learning rate works?")
st.write("Every cell of the map is one run from the same start: η along the bottom (log scale), a second "
         "hyperparameter up the side. All cells run together as one batch of trajectories.")

c1, c2, c3, c4 = st.columns(4, vertical_alignment="bottom")  # a label wrapped by the projector font
surface = c1.selectbox("Surface", surfaces.names(), index=surfaces.names().index("bowl"), key="sw_surface",
                       format_func=lambda n: n.replace("_", " "))
optimizer = c2.selectbox("Optimizer", OPTIMIZERS, index=OPTIMIZERS.index("adam"), key="sw_optimizer",
                         format_func=share.LABELS.get)
convention = c4.selectbox("Formulas", list(optimizers.CONVENTIONS), key="sw_convention",
                          format_func=lambda c: controls.CONV_LABELS.get(c, c))
# only what the chosen formulas have (the lecture's and the book's RMSProp have no momentum)
params = [k for k in sw.second_params(optimizer) if not share.torch_only(optimizer, k, convention)]
param = compat.remembered(f"sw_param_{optimizer}", params[0], lambda: c3.selectbox(
    "Up the side", params, format_func=lambda k: sw.SECOND[k][0], key=f"sw_param_{optimizer}"), options=params)

c1, c2, c3, c4 = st.columns(4, vertical_alignment="bottom")  # a label wrapped by the projector font
lr_help = f"From {L.LR[0]:g} to {L.LR[1]:g}: the values of the Playground's η slider, where a cell opens"
lr_lo = c1.number_input("Lowest η", L.LR[0], L.LR[1], 1e-3, format="%.3g", key="sw_lr_lo", help=lr_help)
lr_hi = c2.number_input("Highest η", L.LR[0], L.LR[1], 1.0, format="%.3g", key="sw_lr_hi", help=lr_help)
n_lr = c3.slider("η values", 2, sw.MAX_SIDE, 30, key="sw_n_lr")
steps = int(c4.number_input("Steps per run", 1, sw.MAX_STEPS, 300, step=50, key="sw_steps"))

notes = compat.take_notes(note_label)
lo_default, hi_default = sw.default_range(optimizer, param, steps)
c1, c2, c3, c4 = st.columns(4, vertical_alignment="bottom")  # a label wrapped by the projector font
if param == "warmup_steps":
    def warmup_input(col, label: str, key: str):
        """A warm-up longer than the run is clamped to it, with a note (Streamlit would reset it to 1)."""
        ss = st.session_state
        if ss[key] > steps:
            notes.append(f"{note_label(key)}: {ss[key]} is more than the {steps} steps per run; clamped to {steps}.")
            ss[key] = steps
        return int(col.number_input(label, 1, steps, key=key))

    v_lo = compat.remembered("sw_w_lo", 1, lambda: warmup_input(c1, "Shortest warm-up", "sw_w_lo"))
    v_hi = compat.remembered("sw_w_hi", min(hi_default, steps), lambda: warmup_input(c2, "Longest warm-up", "sw_w_hi"))
else:  # the Playground's range for this hyperparameter, so that a clicked cell opens as drawn
    lo, hi = L.hyper_range(param, optimizer)
    own = f"{optimizer}_{param}" if optimizer == "nesterov" else param  # Nesterov's μ range starts above 0

    def range_input(col, word: str, key: str):
        """A value from an older range (or set by hand) outside [lo, hi] is clamped, with a note."""
        if key in st.session_state:
            st.session_state[key] = L.clamp_float(note_label(key), st.session_state[key], (lo, hi), notes, lo)
        return col.number_input(f"{word} {sw.SECOND[param][0]}", lo, hi, format="%.4g", key=key)

    v_lo = compat.remembered(f"sw_lo_{own}", float(lo_default), lambda: range_input(c1, "Lowest", f"sw_lo_{own}"))
    v_hi = compat.remembered(f"sw_hi_{own}", float(hi_default), lambda: range_input(c2, "Highest", f"sw_hi_{own}"))
n_values = c3.slider(f"{sw.SECOND[param][0]} values", 2, sw.MAX_SIDE, 30, key="sw_n_values")
metric = c4.selectbox("Colour shows", sw.METRICS, key="sw_metric")
tol = 1e-3
if metric == "steps to tolerance":
    tol = float(compat.remembered("sw_tol", 1e-3, lambda: st.number_input(
        "Tolerance on loss − f*", 1e-12, 1e6, format="%.3g", key="sw_tol")))
L.show_notes(notes)

try:
    lrs = L.playground_lrs(float(lr_lo), float(lr_hi), n_lr)
except ValueError as e:
    st.error(str(e))
    st.stop()
cells = len(lrs) * n_values
work = cells * steps
chunk = None if work <= WORK_PER_CHUNK else max(1, WORK_PER_CHUNK // steps)
bar = st.progress(0.0, text=f"{cells} runs of {steps} steps …") if chunk is not None else None
try:
    result = runs.sweep(surface, optimizer, param, lrs, (v_lo, v_hi), n_values, steps, convention, tol, chunk,
                       progress=(lambda f: bar.progress(min(f, 1.0), text=f"{f:.0%} of {cells} runs")) if bar else None)
except ValueError as e:
    if bar is not None:
        bar.empty()
    st.error(str(e))
    st.stop()
if bar is not None:
    bar.empty()

sel_key = f"sw_sel_{surface}_{optimizer}_{param}_{len(lrs)}_{n_values}"
label = sw.SECOND[param][0]
event = st.plotly_chart(vs.heatmap(result, metric, label=label, presentation=bool(st.session_state.get("presentation"))),
                        key=sel_key, on_select="rerun",
                        selection_mode="points")
n_div = int(result.diverged.sum())
runs_text = f"{result.cells} run{'' if result.cells == 1 else 's'} of {result.steps} step{'' if result.steps == 1 else 's'}"
st.caption(f"{runs_text} in {result.seconds:.2f} s on {result.device}"
           + (f" ({result.chunks} batches)" if result.chunks > 1 else "") + f"; {n_div} diverged. "
           f"f* = {result.f_star:.4g}, the surface's lowest known value. η takes the values of the Playground's "
           f"slider ({len(lrs)} in this range). Click a cell to open it in the Playground."
           + (" Warm-up: η rises linearly over that many steps, then falls along a half cosine to 0 at the last "
              "step." if param == "warmup_steps" else "")
           + (" Steps to tolerance is the first step that gets that close; an oscillating run may leave again."
              if metric == "steps to tolerance" else ""))

points = (event.selection.points if event and getattr(event, "selection", None) else []) or []
if points:
    pt = points[0]
    try:
        i, j = vs.cell_of(result, pt.get("point_index", pt.get("point_number", -1)))
    except (ValueError, TypeError):
        st.warning("That point is not a cell of the sweep.")
    else:
        setup = share.sweep_cell_setup(result, i, j)
        query = share.encode(setup)
        st.session_state["sw_last_link"] = share.link(setup)
        try:
            st.switch_page(PLAYGROUND_PAGE, query_params=query)
        except StreamlitAPIException:  # no Playground registered (this page run on its own): a link instead
            cell = result.cell(i, j)
            st.info(f"Cell η = {cell['lr']:.3g}, {label} = {cell[param]:.4g}: final loss {cell['final_loss']:.4g}"
                    + (" (diverged)" if cell["diverged"] else ""))
            st.markdown(f"[Open this setting in the Playground]({share.link(setup)})")
