"""Entry point: `streamlit run app.py`. Routes between the pages and holds the shared controls."""
import streamlit as st
import torch

from ui import entry

torch.set_num_threads(1)  # one thread per rerun: concurrent sessions must not fight over the cores

# Presentation mode: a link with ?present=1 opens in it, and the pill at the top switches it. It is a pill
# (a button), not a toggle: a toggle is a checkbox <input>, and while the keyboard focus stays in an
# input Streamlit ignores key shortcuts, so a presenter's clicker did nothing right after switching on.
# The pages read the mode as a bool in st.session_state["presentation"].
PRESENT = "Presentation mode"
if "present_pick" not in st.session_state:  # the first run; or Streamlit dropped the widget's state, as it
    # does on st.switch_page ("Open in Playground", a Sweep cell): then the plain key still knows the mode
    on = st.session_state.get("presentation", st.query_params.get("present") == "1")
    st.session_state["present_pick"] = PRESENT if on else None
st.session_state["presentation"] = st.session_state["present_pick"] == PRESENT
if st.session_state["presentation"] and st.query_params.get("present") != "1":  # on every page, a reload or a
    st.query_params["present"] = "1"                                              # copied link keeps the mode
elif not st.session_state["presentation"] and "present" in st.query_params:
    del st.query_params["present"]
# In presentation mode the sidebar starts collapsed, so the figures get the projector's full width; its
# » button still opens it, so a teacher can change a setting in front of the class without leaving the mode.
st.set_page_config(page_title="Error-surface visualizer", page_icon="⛰️", layout="wide",
                   initial_sidebar_state="collapsed" if st.session_state["presentation"] else "auto")

PAGES = [("pages/playground.py", "Playground", "playground-page", ":material/landscape:"),
         ("pages/tour.py", "Lecture tour", "tour", ":material/school:"),
         ("pages/batch.py", "Batch size & noise", "batch", ":material/scatter_plot:"),
         ("pages/sweep.py", "Sweep", "sweep", ":material/grid_on:")]
# the Playground is the default page, served at "/"; its url_path is only a name the default page reserves
pages = [st.Page(path, title=title, url_path=url, icon=icon, default=(url == "playground-page"))
         for path, title, url, icon in PAGES]


def playground_alias():
    """/playground?… (the Playground's name: in links made before ui.share.link pointed to "/", or
    typed by hand): Streamlit would answer with a "Page not found" dialog. Go to "/" with the same
    query (repeated keys such as opt kept)."""
    st.switch_page(pages[0], query_params={k: st.query_params.get_all(k) for k in st.query_params})


alias = st.Page(playground_alias, title="Playground", url_path="playground", visibility="hidden")
# links to the Playground from other pages point at the alias: Streamlit writes a link to the default
# page as a bare "?query", which a new tab (or a copied link) resolves against the current page
st.session_state[entry.PLAYGROUND_PAGE] = alias
nav = st.navigation(pages + [alias], position="top")

left, right = st.columns(2, vertical_alignment="center")
left.markdown("#### Error-surface visualizer")
if not st.session_state["presentation"]:  # a projector needs the height for the figures
    left.caption("How neural-network optimizers move on a loss surface.")
# Larger fonts and lines for a projector; the Playground's sidebar folds away (» at the top left opens it)
right.pills(PRESENT, [PRESENT], key="present_pick", label_visibility="collapsed",
            format_func=lambda o: f":material/co_present: {o}")
# Style sheets go through st.html, which sends a style-only snippet to the page without an element
# (st.markdown would leave an empty row). On a phone the longest display formulas (up to 449 px wide at
# KaTeX's 1.21 em) scroll sideways in 358 px; at 0.92 em every formula fits (Beale's surface and the
# NAdam, RAdam and centred RMSProp rules are written narrower, on more lines, for it).
PHONE = "@media (max-width: 480px) {.katex-display > .katex {font-size: 0.92em !important;}}"
PRESENT_CSS = """
  html, body, [data-testid="stAppViewContainer"] {font-size: 22px;}
  [data-testid="stMainBlockContainer"] {padding-top: 4rem !important;}
  [data-testid="stMain"] [data-testid="stMarkdownContainer"] p, [data-testid="stMain"] [data-testid="stCaptionContainer"]
    {font-size: 1.25rem !important;}
  .katex {font-size: 1.6em !important;}
  h2 {font-size: 2.4rem !important;}
  [data-testid="stColumn"]:has(.st-key-tour_picture) {position: sticky; top: 4rem; align-self: flex-start;}
  [data-testid="stMain"]:focus, [data-testid="stMain"]:focus-visible {outline: none;}"""
# (the tour's map column stays in view while the scene's longer words and numbers scroll past it; a
# click into the page gave the main area a focus frame that every clicker PageDown then drew)
st.html(f"<style>{PRESENT_CSS if st.session_state['presentation'] else ''}\n{PHONE}</style>")
# On a touch screen plotly.js takes every touch that starts on a 2-D plot for itself (it cancels the
# browser's default at touchstart): a swipe over a chart zoomed or panned it instead of scrolling the
# page, and the charts fill a phone's width, so a student could scroll only on the text. And plotly
# selects the point of its *last hover* on a click, while a touch hovers only after the tap: the
# first tap on the map (or a Sweep cell) showed the hover box and selected nothing, the next one
# selected the point of the tap before. So a touch on a 2-D plot's area is kept from plotly: the
# browser scrolls on a swipe, and turns a tap into mouse events (move, down, up, click) at the tap,
# which plotly handles as a mouse click: hover, then the click where the finger was. (Zoom and pan
# stay in the toolbar's buttons; the 3-D view, a WebGL canvas, still turns by touch.) The style hides
# the script's empty element, which would leave a gap of its own.
TOUCH = """
if (!window.touchToMouse) {
  window.touchToMouse = true;
  document.addEventListener('touchstart', (e) => {
    if (e.target.closest && e.target.closest('.js-plotly-plot .nsewdrag')) e.stopPropagation();
  }, {capture: true, passive: true});
}"""
st.html(f"<script id='touch-to-mouse'>{TOUCH}</script><style>[data-testid=stElementContainer]:has(#touch-to-mouse) "
        "{display: none;}</style>", unsafe_allow_javascript=True)

nav.run()
