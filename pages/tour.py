"""Lecture tour: the optimization lectures' figures as twelve live scenes, each with the numbers behind its
claim (the batch-size figures are on the Batch page).

A thin page: a scene (tour.scenes) and the switches it offers -> cached runs and measured numbers
(tour.run_scene, tour.measure) -> the Playground's map (viz.figures) and the tour's small plots
(tour.figures). "Open in Playground" carries the scene's setup in ui.share's query format.
No maths here.
"""
import os
import re
import sys

# This file shares its name with the `tour` package. Run on its own (AppTest, `streamlit run
# pages/tour.py`) its folder comes first on sys.path and `import tour` would find this file: put
# the repository root first so the package wins (under app.py the root is already there).
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if sys.path[:1] != [_ROOT]:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

import optimizers  # noqa: E402
import surfaces  # noqa: E402
import tour  # noqa: E402
from tour import figures as TF  # noqa: E402
from tour import links  # noqa: E402
from tour import scenes as S  # noqa: E402
from ui import compat, controls, entry, limits, runs, share  # noqa: E402
from viz import figures as F  # noqa: E402

entry.ensure_entry()  # a deep link on a fresh server still runs under app.py

ss = st.session_state
presentation = bool(ss.get("presentation", False))
NUMBERS = [s.number for s in S.SCENES]
# the small plots keep only "reset axes" and "save as PNG" in plotly's toolbar: the full one covers
# their titles on a phone (drag still zooms, a double click resets)
SMALL_PLOT_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": [
    "zoom2d", "pan2d", "select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d"]}


# ------------------------------------------------------------------------------ which scene
def _scene_from_url(notes: list) -> int:
    raw = st.query_params.get("scene", "1")
    n = int(raw) if re.fullmatch("[0-9]{1,3}", str(raw)) else None   # int() also took "1_2", "１２" and "٣"
    if n in NUMBERS:
        return n
    notes.append(f"scene: {limits.short(raw)} is not a scene number ({NUMBERS[0]} to {NUMBERS[-1]}); "
                 f"opening scene {NUMBERS[0]}.")
    return NUMBERS[0]


notes = compat.take_notes(lambda key: {"tour_p_lr": "η", "tour_scene": "scene", "tour_p_sched": "schedule η_t",
                                       "tour_p_mom": "momentum part m_t", "tour_p_rms": "RMS part σ_t"}.get(key, key))
if "tour_scene" not in ss:  # a link's ?scene= wins; back from another page (no ?scene=): where it was
    kept = ss.get("tour_scene_kept")
    ss["tour_scene"] = _scene_from_url(notes) if "scene" in st.query_params or kept is None else kept


# In presentation mode, when ?scene= changes and on the first slide shown, scroll the page so that the
# scene row (Previous, Scene, Next) hides just under Streamlit's top bar and the scene's title opens the
# screen. Installed once per browser tab; it does nothing on other pages (no scene row) or with
# presentation mode off (no present=1 in the address).
SCROLL_WATCH = """
if (!window.tourScrollWatch) {
  window.tourScrollWatch = true;
  let last = new URLSearchParams(location.search).get('scene'), shown = false;
  setInterval(() => {
    const q = new URLSearchParams(location.search), scene = q.get('scene'), present = q.get('present') === '1';
    const step = scene !== last && last !== null && scene !== null;
    const first = present && !shown;  // the first slide: opened by a link, or the mode just switched on
    last = scene;
    shown = present;
    const row = document.querySelector('.st-key-tour_scene')?.closest('[data-testid=stHorizontalBlock]');
    const main = document.querySelector('[data-testid=stMain]');
    const bar = document.querySelector('[data-testid=stHeader]');
    if (!(step || first) || !row || !main) return;
    const under = bar ? bar.getBoundingClientRect().bottom : 0, box = row.getBoundingClientRect();
    if (present) {  // a slide: the row just above the screen, the title at its top
      main.scrollTo({top: main.scrollTop + box.bottom - under});
    } else if (box.top < under) {  // stepped from the scene's end (the row out of sight): the row in view
      main.scrollTo({top: main.scrollTop + box.top - under});
    }
  }, 150);
}"""


def _step(delta: int):
    ss["tour_scene"] = min(max(ss["tour_scene"] + delta, NUMBERS[0]), NUMBERS[-1])


@st.cache_data(max_entries=64, show_spinner=False)
def scene_runs(number: int, convention: str | None, surface: str, parts: tuple):
    """The scene's runs and measured numbers, cached on plain values (scene 2's 100,000 steps run once)."""
    scene = S.scene_with_parts(number, parts)
    trajs = tour.run_scene(scene, convention, surface)
    return trajs, tour.measure(scene, trajs, convention, surface)


st.header("Lecture tour")
if not presentation:  # on a 720-pixel projector these lines pushed the scene itself off the first screen
    st.caption("The lectures' optimizer figures, live: each scene runs the optimizers the slide talks about and "
               "shows the measured numbers behind its claim. The batch-size figures (noise, time per update, "
               "sharp and flat minima) are on the Batch size & noise page; batch normalisation is not covered.")
limits.show_notes(notes)

nav_l, nav_m, nav_r = st.columns([6, 7, 6] if presentation else [2, 7, 2], vertical_alignment="bottom")
# in presentation mode a presenter's clicker steps through the scenes: its buttons send PageUp/PageDown
# (elsewhere those keys keep scrolling the page, as a student reading on a laptop expects)
nav_l.button("◀ Previous", on_click=_step, args=(-1,), disabled=ss["tour_scene"] == NUMBERS[0], key="tour_prev",
             width="stretch", shortcut="PageUp" if presentation else None)
nav_m.selectbox("Scene", NUMBERS, key="tour_scene", format_func=lambda n: f"{n}. {S.get(n).title}",
                label_visibility="collapsed" if presentation else "visible")  # the title is under it, in full
nav_r.button("Next ▶", on_click=_step, args=(1,), disabled=ss["tour_scene"] == NUMBERS[-1], key="tour_next",
             width="stretch", shortcut="PageDown" if presentation else None)
number = ss["tour_scene"]
ss["tour_scene_kept"] = number  # Streamlit drops the selectbox's state while another page runs
if st.query_params.get("scene") != str(number):
    st.query_params["scene"] = str(number)
scene = S.get(number)

# In presentation mode the scene is a slide: its title and formula across the screen, then its words
# (and the measured numbers) on the left and the map on the right, so that the picture is on the
# projector's first screen with the text (one below the other, the map began 760 px down a 720 px
# screen); on a laptop or phone, one column.
st.subheader(f"{scene.number}. {scene.title}")
if presentation:
    st.latex(scene.latex)  # the full width: in a column the formulas scrolled sideways
    words, picture = st.columns([5, 6])
else:
    words, picture = st.container(), None

# ------------------------------------------------------------------------------ the scene's words
words.write(scene.text)
if not presentation:
    words.latex(scene.latex)
words.info(f"**Claim.** {scene.claim}", icon=":material/target:")

# ------------------------------------------------------------------------------ its switches
convention, surface, parts = None, scene.surface, ()
switches = words.columns(2 if presentation else 3)  # the projector's larger font needs the width
if scene.conventions:
    with switches[0]:
        convention = compat.remembered(f"tour_conv_{number}", scene.conventions[0], lambda: st.segmented_control(
            "Formula convention", list(scene.conventions), format_func=controls.CONV_LABELS.get,
            key=f"tour_conv_{number}")) or scene.conventions[0]
if len(scene.all_surfaces()) > 1:
    with switches[1]:
        surface = compat.remembered(f"tour_surface_{number}", scene.surface, lambda: st.segmented_control(
            "Surface", list(scene.all_surfaces()), key=f"tour_surface_{number}",
            format_func=lambda n: n.replace("_", " "))) or scene.surface
if number == 12:
    # one under the other in the words' column on a projector (2×2 cut the names), else in a row
    c1, c2, c3, c4 = (words,) * 4 if presentation else st.columns(4)
    d_mom, d_rms, d_sched, _, d_lr = S.PARTS_DEFAULT
    schedule = c1.selectbox("Schedule η_t", list(S.PARTS_SCHEDULES), index=list(S.PARTS_SCHEDULES).index(d_sched),
                            key="tour_p_sched", format_func=S.PARTS_SCHEDULE_NAMES.get)
    momentum = c2.selectbox("Momentum part m_t", list(optimizers.MOMENTUM_PARTS), key="tour_p_mom",
                            index=list(optimizers.MOMENTUM_PARTS).index(d_mom), format_func=optimizers.MOMENTUM_PART_NAMES.get)
    rms = c3.selectbox("RMS part σ_t", list(optimizers.RMS_PARTS), index=list(optimizers.RMS_PARTS).index(d_rms),
                       key="tour_p_rms", format_func=optimizers.RMS_PART_NAMES.get)
    lr = c4.select_slider("η", S.PARTS_LRS, value=d_lr, key="tour_p_lr")
    parts = (momentum, rms, schedule, float(lr))
    scene = S.scene_with_parts(number, parts)
if scene.conventions and scene.convention_note:
    words.caption(scene.convention_note)

with st.spinner("Running the scene…"):
    trajs, result = scene_runs(number, convention, surface, parts)

# ------------------------------------------------------------------------------ figure and numbers
map_col, num_col = (picture.container(key="tour_picture"), words) if presentation else st.columns([3, 2])
height = 600 if presentation else 470
key = ("tour", number, convention, surface, parts, presentation)


def build_map():
    s = surfaces.get(surface)
    return F.map_figure(s, TF.tracks(scene, trajs), start=scene.start_on(surface), clickable=False,
                        presentation=presentation, height=height, path_width=scene.path_width)


with map_col:
    st.plotly_chart(runs.cached_figure(key + ("map",), build_map), key=f"tour_map_{number}",
                    config={"displaylogo": False})
with num_col:
    st.markdown("**Measured**")
    lines = []
    for m in result.measures:
        mark = "" if m.ok is None else (":green[**✓**] " if m.ok else ":red[**✗**] ")
        need = f" — claim: {m.need}" if m.need else ""
        lines.append(f"- {mark}{m.label}: **{m.shown()}**{need}")
    st.markdown("\n".join(lines))
    checked = any(m.ok is not None for m in result.measures)
    if checked and result.holds:
        st.success("The claim holds on these numbers.", icon=":material/check_circle:")
    elif checked:
        st.warning(result.note or "The claim does not hold with these settings.", icon=":material/swap_horiz:")
    if result.note and result.holds:
        st.info(result.note, icon=":material/info:")
    setup, link_note = links.playground_link(scene, convention, surface)
    try:
        st.page_link(entry.playground_page(), label="Open in Playground",
                     icon=":material/landscape:",
                     query_params=share.encode(setup))
    except Exception:  # no navigation (the page run on its own): a plain relative link does the same
        st.link_button("Open in Playground", url=share.link(setup), icon=":material/landscape:")
    if link_note:
        st.caption(link_note)

if number == 6:
    st.plotly_chart(runs.cached_figure(key + ("schedules",), lambda: TF.schedules_figure(presentation)),
                    key="tour_schedules", config=SMALL_PLOT_CONFIG)
diagram = number in (8, 9)  # one update magnified: movement (8) or look-ahead (9)
plot_cols = st.columns(len(scene.plots) + diagram)
if diagram:
    hp, path = scene.runs[1].hyper_dict(), list(trajs.values())[1].path
    build = TF.movement_figure if number == 8 else TF.lookahead_figure
    with plot_cols[0]:
        st.plotly_chart(runs.cached_figure(key + ("diagram",), lambda: build(
            path, surface, hp["lr"], hp["momentum"], presentation=presentation)), key=f"tour_diagram_{number}",
            config=SMALL_PLOT_CONFIG)
for col, kind in zip(plot_cols[diagram:], scene.plots):
    with col:
        st.plotly_chart(runs.cached_figure(key + (kind,), lambda kind=kind: TF.side_plot(
            kind, scene, trajs, presentation=presentation)), key=f"tour_plot_{number}_{kind}",
            config=SMALL_PLOT_CONFIG)
if scene.note:
    st.caption(scene.note)
for label, t in trajs.items():
    if t.diverged_at is not None:
        st.warning(f"**{label}** diverged at step {t.diverged_at}: its path is drawn up to its last finite point.",
                   icon=":material/warning:")

# ------------------------------------------------------------------------------ the next scene, and its top
if not presentation and number != NUMBERS[-1]:
    # a scene is 3-4 screens on a phone: the way on is also at its end (a presenter's clicker needs none)
    end_l, end_r = st.columns([1, 2])
    end_l.button("◀ Previous scene", on_click=_step, args=(-1,), disabled=number == NUMBERS[0], key="tour_prev_end",
                 width="stretch")
    end_r.button(f"Next: {number + 1}. {S.get(number + 1).title} ▶", on_click=_step, args=(1,), key="tour_next_end",
                 width="stretch", type="primary")
    # a long title wraps on a phone (Streamlit's buttons cut their label with "…")
    st.html("<style>.st-key-tour_next_end button {height: auto;} .st-key-tour_next_end button * "
            "{white-space: normal !important; overflow: visible !important; text-overflow: clip !important;}</style>")
# A new scene keeps the old scroll position: after a clicker's PageDown with the figures in view, the
# class saw the next scene from its middle, and after the Next at a scene's end the reader saw the
# next one's end. SCROLL_WATCH brings each new scene's title to the top in presentation mode, and the
# row of Previous / Scene / Next into view when it was out of sight. The browser runs a script once,
# when its element is new, so it watches the address instead of being drawn anew per scene (an
# element updated in place does not run again).
st.html(f"<script>{SCROLL_WATCH}</script>", unsafe_allow_javascript=True)
