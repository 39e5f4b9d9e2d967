"""A guard around one Streamlit 1.67 behaviour that lets a malformed client break a session.

When a widget's value arrives from the client, Streamlit deserialises it on first read and then
*rewrites the widget's wire type* to whatever field the client used (`WStates.__getitem__`:
"update metadata to reflect information from WidgetState proto"). A client that sends a number
array for a select_slider (whose wire type is a string array, e.g. `../shared/tools/wsload.py`,
which sends every slider a double) gets its value ignored (the deserialiser falls back to the
default) but leaves the widget typed "double array" with a serialiser that returns strings, and
the next `st.select_slider` call fails inside Streamlit with "TypeError: must be real number, not
str": an exception on the student's page, caused by bytes a browser never sends.

`install()` wraps `WStates.__getitem__` so that a client's *array* field never replaces a widget's
registered array type (double / int / string arrays are not interchangeable; every other field,
where Streamlit relies on the rewrite, is left alone). The value still deserialises as Streamlit
decides (a wrong type gives the widget's default), so a bad message changes nothing else. Installed
once per process by every page (ui.entry.ensure_entry). If Streamlit's internals move, `install()`
does nothing and says so in the server log.
"""
from __future__ import annotations

import logging

_LOG = logging.getLogger(__name__)
_ARRAYS = frozenset({"double_array_value", "int_array_value", "string_array_value"})
_installed = False


def install() -> bool:
    """Install the guard (idempotent). True when it is in place."""
    global _installed
    if _installed:
        return True
    try:
        from streamlit.runtime.state.session_state import WStates
    except ImportError:
        _LOG.warning("ui.compat: streamlit.runtime.state.session_state.WStates not found; guard not installed")
        return False
    original = WStates.__getitem__

    def __getitem__(self, k):
        before = self.widget_metadata.get(k)
        value = original(self, k)
        after = self.widget_metadata.get(k)
        if (before is not None and after is not None and after.value_type != before.value_type
                and before.value_type in _ARRAYS and after.value_type in _ARRAYS):
            _LOG.info("widget %s: the client sent a %s for a %s; ignored", k, after.value_type,
                         before.value_type)
            self.set_widget_metadata(before)
        return value

    __getitem__.__wrapped__ = original
    WStates.__getitem__ = __getitem__
    _installed = True
    return True
