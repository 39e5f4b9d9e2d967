"""Shared Streamlit helpers: limits (server-side clamping), share (setup <-> query string),
runs (cached engine calls), controls (the Playground's widgets)."""
