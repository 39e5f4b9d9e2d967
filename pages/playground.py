"""Playground: race up to 8 optimizers on a loss surface, animated in the browser.

A thin page: widgets (ui.controls) -> a plain `Setup` -> cached engine runs (ui.runs) -> figures
(viz.figures). No maths here.
"""
import numpy as np
import streamlit as st

from ui.entry import ensure_entry

ensure_entry()  # a deep link on a fresh server: rerun through app.py (see ui/entry.py)

import optimizers  # noqa: E402
import surfaces  # noqa: E402
from ui import compat, controls, limits, runs, share  # noqa: E402
from viz import figures as F  # noqa: E402

ss = st.session_state
presentation = bool(ss.get("presentation", False))

url_notes = controls.sync_from_url()
plot_box = controls.sidebar()
notes = list(url_notes) + compat.take_notes(controls.widget_label) + ss.pop("pg_widget_notes", [])
setup = controls.read_setup(notes)
controls.write_url(setup, presentation)

# ------------------------------------------------------------------------------ header
if not presentation:  # on a projector the top navigation names the page, and the map needs the height
    st.header("Playground")
flash = ss.pop("pg_flash", None)
if flash:
    st.toast(flash)
limits.show_notes(notes)

try:
    surface = surfaces.get(setup.surface)
except ValueError as err:  # surfaces.FormulaError is a ValueError with .position and .reason
    text = setup.surface[2:] if setup.surface.startswith("f:") else setup.surface
    st.error(f"{limits.md_code('f(x, y) = ' + text)} cannot be used: {limits.md_escape(err)}")
    pos = getattr(err, "position", None)
    if pos is not None and text:
        st.code(text + "\n" + " " * min(pos, len(text)) + "^", language=None)
    if " " in text:  # a link's bare + arrives as a space: try the readings of its spaces as plus signs
        plus = controls.plus_reading(text)
        if plus is not None:
            st.info(f"With + for the spaces it reads {limits.md_code(plus)}, which works. In a link, + must be "
                    "written %2B: a bare + arrives as a space.")
    st.stop()

# on a projector the view switch sits beside the description (below the formula, the map began
# 580 px down a 720 px screen), with short labels
words_col, view_col = st.columns([3, 2], vertical_alignment="center") if presentation else (st, st)
words_col.caption(limits.md_escape(surface.description))
if surface.latex:
    st.latex(surface.latex)

# ------------------------------------------------------------------------------ runs
start = setup.start or surface.start
undefined_start = not np.isfinite(surface.numpy(*start))
if undefined_start:  # e.g. log(x) at x < 0: every run stops at its first step
    st.warning(f"f is not defined at the start ({start[0]:g}, {start[1]:g}), so no optimizer can take a step "
               "from there. Click the map where it is coloured, or type another start.", icon="⚠️")
key = share.query_string(setup.with_(view="2d", seed=setup.run_seed))  # determines every run and figure below
results, tracks, series = [], [], []
with st.spinner("Running the optimizers…"):
    for i, opt in enumerate(setup.opts):
        color, label = F.PALETTE[i % len(F.PALETTE)], f"{i + 1}. {opt.label}"
        try:
            r = runs.run_spec(setup, opt, start)
        except ValueError as err:
            st.error(f"{controls.DOTS[i]} **{limits.md_escape(label)}** cannot run: {limits.md_escape(err)}")
            continue
        results.append((label, r))
        tracks.append(F.Track(label, color, r["path"], r["diverged_at"], r["loss"]))
        series.append(F.Series(label, color, r["loss"], r["grad_norm"], r["lr"], runs.step_size(r), r["m"]))

for i, (label, r) in enumerate(results):
    if r["diverged_at"] is not None and not undefined_start:  # said once above, not once per optimizer
        st.warning(f"**{label}** diverged at step {r['diverged_at']}: the update left the view by far or "
                   "became non-finite. Its path is drawn up to its last finite point (✕).", icon="⚠️")

# ------------------------------------------------------------------------------ the schedule mini-plot
with plot_box:
    lines = [(opt.label, F.PALETTE[i % len(F.PALETTE)],
              optimizers.lr_at(setup.schedule, setup.steps, opt.p["lr"], dict(setup.schedule_args)))
             for i, opt in enumerate(setup.opts)]
    fig = runs.cached_figure(("schedule", key), lambda: F.schedule_figure(lines))
    st.plotly_chart(fig, key="pg_sched_plot", config={"displayModeBar": False})

# ------------------------------------------------------------------------------ the map
if ss.get("pg_view") is None:  # the view deselected: the 2-D map, as read_setup reads it
    ss["pg_view"] = "2d"
view_col.segmented_control("view", list(controls.VIEW_LABELS), key="pg_view", label_visibility="collapsed",
                           format_func=(controls.VIEW_SHORT if presentation else controls.VIEW_LABELS).get)
view = ss.get("pg_view") or "2d"
height = 680 if presentation else 560
config = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": "playground", "scale": 2},
          "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
# side by side; stacked in presentation mode, where each needs the full width of a projector
cols = st.columns(2) if view == "both" and not presentation else [st.container(), st.container()]
if view in ("2d", "both"):
    with cols[0]:
        fig = runs.cached_figure(("map", key, start, presentation, height), lambda: F.map_figure(
            surface, tracks, start=start, presentation=presentation, height=height))
        st.plotly_chart(fig, key="pg_map", on_select=controls.on_map_select, selection_mode="points", config=config)
        st.caption("Click the map to move the start point · ▶ Play animates the race in your browser, "
                   "the slider scrubs through the steps · the camera icon saves a PNG.")
if view in ("3d", "both"):
    with cols[-1]:
        fig3 = runs.cached_figure(("3d", key, start, presentation, height), lambda: F.surface3d_figure(
            surface, tracks, presentation=presentation, height=height))
        st.plotly_chart(fig3, key="pg_3d", config=config)

# ------------------------------------------------------------------------------ linked plots
if series:
    st.subheader("What the optimizers see")
    fig = runs.cached_figure(("linked", key, start, presentation), lambda: F.linked_figure(
        series, loss_log=surface.log_scale, presentation=presentation))
    st.plotly_chart(fig, key="pg_linked", config=config)

# ------------------------------------------------------------------------------ update rules
st.subheader("Update rules, as computed")
st.caption("t = 0, 1, 2, … counts the updates, as the lecture's Adagrad and RMSProp slides do (θ₀ is the start). "
           "The Adam paper (the lecture's Adam slide) and PyTorch's documentation count from 1, so their bias "
           "correction 1 − βᵗ reads 1 − βᵗ⁺¹ here.")
for i, (label, r) in enumerate(results):
    st.markdown(f"{controls.DOTS[i % len(controls.DOTS)]} **{label}** — convention: "
                f"{controls.CONV_LABELS.get(r['convention'], r['convention'])}")
    st.latex(r"\begin{gathered}" + r["latex"] + r"\end{gathered}")
    for note in r["notes"]:
        st.caption(note)

# ------------------------------------------------------------------------------ export & share
st.subheader("Export and share")
c1, c2 = st.columns(2)
c1.download_button("Trajectories (CSV)", data=lambda: runs.trajectories_csv(results), file_name="trajectories.csv",
                   mime="text/csv", on_click="ignore", key="pg_csv", width="stretch")
c2.download_button("Trajectories (JSON)", data=lambda: runs.trajectories_json(results, share.encode(setup)),
                   file_name="trajectories.json", mime="application/json", on_click="ignore", key="pg_json",
                   width="stretch")
if runs.export_stride(setup.steps + 1) > 1:
    st.caption(f"Runs of more than {runs.EXPORT_MAX_STEPS:,} steps are exported one step in "
               f"{runs.export_stride(setup.steps + 1)}, and the last step.")
st.caption("The address bar always holds this exact setup: copy it to share. Relative link:")
st.code(share.link(setup), language=None)
