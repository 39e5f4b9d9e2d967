"""Plotly figure builders (no streamlit): see viz.figures."""
from .figures import (PALETTE, Series, Track, envelope_indices, figure_json_size, frame_indices, linked_figure,
                      map_figure, path_indices, schedule_figure, surface3d_figure, trace_index)

__all__ = ["PALETTE", "Series", "Track", "envelope_indices", "figure_json_size", "frame_indices", "linked_figure",
           "map_figure", "path_indices", "schedule_figure", "surface3d_figure", "trace_index"]
