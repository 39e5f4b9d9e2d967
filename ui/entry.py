"""Make every page run under the entry file (app.py), even for a deep link on a fresh server.

Streamlit 1.67 starts in its old `pages/`-folder mode (PagesManager.uses_pages_directory is True
when a folder named pages/ sits beside the entry file) until the entry file's st.navigation runs
once. So the first visitor after a (re)start who opens a deep link such as /playground?... gets the
page run *without* app.py (no top navigation, no shared controls) — and so does every later
visitor until someone opens "/". A page calls `ensure_entry()` first: in that mode it switches the
flag off (what st.navigation itself does) and reruns, and the rerun goes through app.py.
"""
from __future__ import annotations

import streamlit as st

from . import compat

# session-state key: app.py's hidden /playground page (see there), for st.page_link from other pages.
# Per session, not a module global that every session's rerun would write (and that outlived an
# AppTest of app.py in the test process).
PLAYGROUND_PAGE = "entry_playground_page"


def playground_page():
    """Where a link to the Playground points: app.py's /playground page, or the page file when a page
    runs on its own (AppTest), where st.page_link has no navigation to point into."""
    return st.session_state.get(PLAYGROUND_PAGE) or "pages/playground.py"


def ensure_entry() -> None:
    compat.install()  # a malformed client message must not break the page (see ui/compat.py)
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without this internal: nothing to fix
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
