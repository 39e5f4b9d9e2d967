"""`FigureSpec`: a plotly figure kept as the plain JSON-ready dict that plotly.js draws.

Why: building a `plotly.graph_objects.Figure` runs plotly.py's per-property validators on every
trace, frame and slider step, and `st.plotly_chart` then deep-copies the whole figure
(`Figure.to_dict()`) before encoding it. For the Playground's map (300 animation frames, 300 slider
steps) and linked plots that was ~90 ms of pure Python per rerun, most of a rerun's CPU; under a
class of 30 sessions on one process it set the latency (see deploy/README.md, "Load").

A `FigureSpec` is a `BaseFigure` to Streamlit (so `st.plotly_chart` takes it), but `to_dict()`
returns the prebuilt spec itself: nothing is validated, copied or rebuilt per rerun. Numeric numpy
arrays are stored as plotly.js typed arrays (`{"dtype": "f8", "bdata": <base64>}`, as plotly.py
itself sends them), so encoding is one fast `json`/`orjson` pass over short strings.

The spec is shared between sessions by the page caches, so it is never mutated after `build`:
`FigureSpec` has no update methods, and `figure()` returns a validated *copy* as a real
`go.Figure` (what tests and notebooks use; it raises on any property plotly.js would not know).
"""
from __future__ import annotations

import base64
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from _plotly_utils.utils import is_skipped_key, to_typed_array_spec
from plotly.basedatatypes import BaseFigure


class FigureSpec(BaseFigure):
    """A figure as its plain spec: {"data": [...], "layout": {...}, optionally "frames": [...]}."""

    def __init__(self, spec: dict):  # noqa: D107 — BaseFigure.__init__ (the validating one) is skipped on purpose
        if not isinstance(spec, dict) or not isinstance(spec.get("data"), list):
            raise TypeError("FigureSpec needs a dict with a 'data' list")
        layout = spec.setdefault("layout", {})
        if "template" not in layout:     # what go.Figure would add: the default template of the moment
            layout["template"] = _template(pio.templates.default)
        _typed_arrays(spec)              # numpy arrays -> typed arrays, in place (the spec is ours)
        object.__setattr__(self, "_spec", spec)

    # ----------------------------------------------------------------- what Streamlit calls
    def to_dict(self) -> dict:
        """The spec itself (shared and read-only by contract): no copy, no validation."""
        return self._spec

    def to_plotly_json(self) -> dict:
        return self._spec

    def to_json(self, *args, **kwargs) -> str:
        kwargs["validate"] = False
        return pio.to_json(self._spec, *args, **kwargs)

    # ----------------------------------------------------------------- reading it
    @property
    def spec(self) -> dict:
        return self._spec

    @property
    def data(self) -> list[dict]:
        """The traces as plain dicts (read them, don't change them)."""
        return self._spec["data"]

    @property
    def layout(self) -> dict:
        return self._spec["layout"]

    @property
    def frames(self) -> list[dict]:
        return self._spec.get("frames", [])

    def figure(self) -> go.Figure:
        """A validated, independent `go.Figure` of the same spec, typed arrays back as numpy arrays
        (raises ValueError on a property plotly does not know or a value it does not take)."""
        return go.Figure(decoded(self._spec))

    def __repr__(self) -> str:
        n = len(self._spec["data"])
        return f"FigureSpec({n} traces, {len(self.frames)} frames)"


_PLAIN = frozenset({"template", "sliders", "updatemenus"})  # built of plain lists: not walked


def _typed_arrays(obj) -> None:
    """plotly.py's convert_to_base64, for numpy arrays only: it also tests every list it meets for
    being a homogeneous array, which for 300 frames and slider steps costs more than the rest of the
    figure. Lists stay JSON lists; the template and the animation player are plain and not walked."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if isinstance(value, np.ndarray):
                if not is_skipped_key(key):
                    obj[key] = to_typed_array_spec(value)
            elif isinstance(value, (dict, list, tuple)) and key not in _PLAIN:
                _typed_arrays(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            if isinstance(value, dict):
                _typed_arrays(value)


def _read_only(name: str):
    def refuse(self, *args, **kwargs):
        raise TypeError(f"FigureSpec.{name}: a FigureSpec is shared and read-only; put the change in "
                        "the spec it is built from, or change a copy: spec.figure()")
    refuse.__name__ = name
    return refuse


def _via_figure(name: str):
    def delegate(self, *args, **kwargs):
        return getattr(self.figure(), name)(*args, **kwargs)
    delegate.__name__ = name
    return delegate


# BaseFigure's own methods work on its validated internals, which a FigureSpec does not have:
# changing ones refuse, exporting ones go through the validated copy.
for _name in dir(BaseFigure):
    if _name.startswith(("add_", "update", "for_each_", "append_", "set_", "plotly_", "batch_", "select_",
                         "get_subplot", "print_grid", "pop")):
        setattr(FigureSpec, _name, _read_only(_name))
    elif _name.startswith(("write_", "to_html", "to_image", "to_ordered_dict", "show", "full_figure")):
        setattr(FigureSpec, _name, _via_figure(_name))


def decoded(obj):
    """A deep copy of a spec (or part of one) with every typed array back as a numpy array."""
    if isinstance(obj, dict):
        if "bdata" in obj and "dtype" in obj:
            a = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=np.dtype(obj["dtype"])).copy()
            return a.reshape([int(n) for n in str(obj["shape"]).split(",")]) if "shape" in obj else a
        return {k: decoded(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [decoded(v) for v in obj]
    return obj


@lru_cache(maxsize=8)
def _template(name) -> dict | None:
    """The plain dict of a registered plotly template (Streamlit registers and selects its own,
    "streamlit", when it is imported), shared read-only by every spec built under it."""
    if not name:
        return None
    return pio.templates[name].to_plotly_json()


__all__ = ["FigureSpec", "decoded"]
