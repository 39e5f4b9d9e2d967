"""Shared Streamlit helpers: limits (server-side clamping), share (setup <-> query string),
runs (cached engine calls), controls (the Playground's widgets), compat (a guard against malformed
widget messages), entry (every page runs under app.py)."""
