"""Guards around Streamlit 1.67 behaviours that let a malformed client break a session or
silently change a value.

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

A second guard checks every widget value a client sends against the widget (as registered on the
last run) before Streamlit deserialises it (`SessionState.set_widgets_from_proto`). Streamlit's own
checks crash or lose the value: an integer number_input runs `int(nan)` (ValueError, and the
session stays broken), and a number outside a widget's bounds, or a select_slider label that is not
an option, becomes the widget's *default*. Instead (the product rule: bad input gets a clear
message and loses nothing):
- a non-finite number is dropped: the widget keeps its previous value;
- a number outside [min_value, max_value] (number_input, slider) is clamped to the nearer bound;
- a select_slider label that is not an option but a number moves to the nearest numeric option
  (in log space when all options are positive); any other unknown label is dropped;
- a text longer than the widget's max_chars is cut (as Streamlit does);
- a choice that is not one of a selectbox's, radio's, segmented control's or multiselect's options
  is dropped (Streamlit would reset the widget to its default).
Each correction leaves a note, (widget key, text), in session state; a page shows them with
`take_notes(label)`.
"""
from __future__ import annotations

import logging
import math
import threading

from . import limits as L

_LOG = logging.getLogger(__name__)
_ARRAYS = frozenset({"double_array_value", "int_array_value", "string_array_value"})
NOTES = "ui_input_notes"   # session-state key: this rerun's notes on corrected widget values
_installed = False
_INSTALL_LOCK = threading.Lock()


def install() -> bool:
    """Install the guard (idempotent, and once however many sessions' first reruns call it at the
    same time: a second wrapper would wrap the first). True when it is in place."""
    with _INSTALL_LOCK:
        return _install()


def _install() -> bool:
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
    _install_value_guard()
    return True


def _install_value_guard() -> None:
    try:
        from streamlit.runtime.state.session_state import SessionState
    except ImportError:
        _LOG.warning("ui.compat: SessionState not found; widget value guard not installed")
        return
    original = SessionState.set_widgets_from_proto

    def set_widgets_from_proto(self, widget_states):
        try:
            notes, drop = [], []
            keys = self._key_id_mapper.id_key_mapping
            for i, w in enumerate(widget_states.widgets):
                meta = self._new_widget_state.widget_metadata.get(w.id)
                serde = getattr(getattr(meta, "deserializer", None), "__self__", None)  # a bound serde.deserialize
                keep, note = correct(serde, w, self._old_state.get(w.id))
                if note:
                    notes.append((keys.get(w.id, "an input"), note))
                if not keep:
                    drop.append(i)
            for i in reversed(drop):
                del widget_states.widgets[i]
            self._old_state.pop(NOTES, None)
            if notes:
                self._new_session_state[NOTES] = notes
        except Exception:  # Streamlit's internals moved: leave the values to Streamlit
            _LOG.exception("ui.compat: widget value guard failed")
        return original(self, widget_states)

    set_widgets_from_proto.__wrapped__ = original
    SessionState.set_widgets_from_proto = set_widgets_from_proto


def _real(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def correct(serde, w, prev) -> tuple[bool, str | None]:
    """Check one WidgetState `w` from a client against its widget's serde (NumberInputSerde and
    SliderSerde: min_value, max_value; SelectSliderSerde: options, formatted_option_to_index;
    TextInputSerde: max_chars); fix `w` in place. Returns (keep, note): keep False drops `w`, so
    the widget keeps `prev`, its previous value."""
    field = w.WhichOneof("value")
    kept = f"kept {L.fmt(prev)}" if prev is not None else "ignored"
    if field in ("double_value", "int_value", "double_array_value") and _real(getattr(serde, "min_value", None)) \
            and _real(getattr(serde, "max_value", None)):
        values = list(w.double_array_value.data) if field == "double_array_value" else [getattr(w, field)]
        bad = [v for v in values if not math.isfinite(v)]
        if bad:
            return False, f"{L.fmt(bad[0])} is not a finite number; {kept}."
        lo, hi = serde.min_value, serde.max_value
        fixed = [type(v)(min(max(v, lo), hi)) for v in values]
        moved = [(v, c) for v, c in zip(values, fixed) if v != c]
        if not moved:
            return True, None
        if field == "double_array_value":
            del w.double_array_value.data[:]
            w.double_array_value.data.extend(fixed)
        else:
            setattr(w, field, fixed[0])
        return True, f"{L.fmt(moved[0][0])} is outside [{L.fmt(lo)}, {L.fmt(hi)}]; clamped to {L.fmt(moved[0][1])}."
    if field == "string_array_value" and hasattr(serde, "formatted_option_to_index"):
        index, labels = serde.formatted_option_to_index, list(w.string_array_value.data)
        unknown = [s for s in labels if s not in index]
        if not unknown:
            return True, None
        v, options = L.parse_float(unknown[0]), list(serde.options)
        if v is None or len(unknown) > 1 or not all(_real(o) for o in options):
            return False, f"{L.short(unknown[0])} is not one of the slider's values; {kept}."
        if min(options) > 0:  # η, ε: nearest in log space
            best = L.nearest_log(options, v)
        else:
            best = min(range(len(options)), key=lambda i: abs(options[i] - v))
        label = next(s for s, i in index.items() if i == best)
        del w.string_array_value.data[:]
        w.string_array_value.data.extend([label if s == unknown[0] else s for s in labels])
        return True, f"{L.short(unknown[0])} is not on the slider; using the nearest value {label}."
    options = getattr(serde, "formatted_option_to_option_index", None)  # selectbox, radio, segmented control, multiselect
    if isinstance(options, dict) and field in ("string_value", "string_array_value"):
        labels = [w.string_value] if field == "string_value" else list(w.string_array_value.data)
        unknown = [s for s in labels if s not in options]
        if not unknown:
            return True, None
        return False, f"{L.short(unknown[0])} is not one of the choices; {_kept_option(serde, prev)}."
    max_chars = getattr(serde, "max_chars", None)
    if field == "string_value" and max_chars is not None and len(w.string_value) > max_chars:
        n, w.string_value = len(w.string_value), w.string_value[:max_chars]
        return True, f"{n} characters is more than {max_chars}; cut to {max_chars}."
    return True, None


def _kept_option(serde, prev) -> str:
    """'kept <the previous choice as the widget shows it>' (a list for a multiselect)."""
    if prev is None:
        return "ignored"
    fmt = getattr(serde, "format_func", str)
    try:
        shown = ", ".join(str(fmt(v)) for v in prev) if isinstance(prev, (list, tuple)) else str(fmt(prev))
    except Exception:  # a format_func that cannot show it: the value itself
        shown = str(prev)
    return f"kept {shown}"


def take_notes(label=str) -> list[str]:
    """This rerun's notes on corrected widget values, each as 'label(key): text' (and forgotten)."""
    import streamlit as st

    return [f"{label(k)}: {text}" for k, text in st.session_state.pop(NOTES, None) or []]


def remembered(key: str, default, draw, options=None):
    """Draw a widget (`draw()`, which creates it with `key` and no default of its own) whose value
    must survive the runs that do not draw it. Streamlit drops the state of a widget a run does not
    draw: the Sweep's β₁ range came back at its default after a visit to another optimizer. The last
    value is kept in `{key}_kept` and put back; `default` serves the first time, and whenever the
    value is not among `options` (a choice the page no longer offers). Returns the value."""
    import streamlit as st

    ss = st.session_state
    if options is not None:
        for k in (key, f"{key}_kept"):
            if k in ss and ss[k] not in options:
                ss[k] = default
    if key not in ss:
        ss[key] = ss.get(f"{key}_kept", default)
    value = draw()
    ss[f"{key}_kept"] = ss[key]
    return value
