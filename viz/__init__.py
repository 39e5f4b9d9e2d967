"""Plotly figure builders (no streamlit): see viz.figures. The Playground's figures are FigureSpecs
(viz.spec): plain plotly.js specs that st.plotly_chart sends without re-validating or copying."""
from .figures import (PALETTE, Series, Track, envelope_indices, figure_json_size, frame_indices, linked_figure,
                      map_figure, path_indices, schedule_figure, surface3d_figure, trace_index)
from .spec import FigureSpec

__all__ = ["PALETTE", "FigureSpec", "Series", "Track", "envelope_indices", "figure_json_size", "frame_indices",
           "linked_figure", "map_figure", "path_indices", "schedule_figure", "surface3d_figure", "trace_index"]
