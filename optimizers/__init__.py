"""Optimizers as the lectures' summary rule θ ← θ − (η_t / σ_t) · m_t. Pure library: no streamlit.

    import surfaces, optimizers
    t = optimizers.run(surfaces.get("bowl"), "adam", steps=1000, lr=0.1)
"""
from . import parts, schedules
from .engine import MAX_STEPS, Trajectory, pick_device, run
from .presets import (CONVENTIONS, DEFAULTS, MOMENTUM_PART_NAMES, MOMENTUM_PARTS, RMS_PART_NAMES, RMS_PARTS, Optimizer,
                      compose, names, resolve)
from .schedules import SCHEDULES, lr_at

__all__ = ["run", "Trajectory", "Optimizer", "compose", "names", "resolve", "parts", "schedules", "lr_at",
           "SCHEDULES", "CONVENTIONS", "DEFAULTS", "MOMENTUM_PARTS", "RMS_PARTS", "MOMENTUM_PART_NAMES", "RMS_PART_NAMES",
           "MAX_STEPS", "pick_device"]
