"""The lecture tour: the optimization lectures' figures as live scenes, each measuring its claim (the
batch-size figures live on the Batch page; batch normalisation is not covered).
Pure library (no streamlit): `tour.scenes.SCENES` holds the ordered scenes, `tour.scenes.run_scene`
runs one, and `tour.claims.measure` turns its trajectories into the numbers behind its claim.

    from tour import SCENES, run_scene, measure
    scene = SCENES[0]
    result = measure(scene, run_scene(scene))       # or: measure_scene(1, convention="book")
    result.holds, [m.text() for m in result.measures]
"""
from .claims import Measure, Result, measure, measure_scene
from .scenes import SCENES, RunSetup, Scene, get, run_scene, run_setup

__all__ = ["SCENES", "Scene", "RunSetup", "get", "run_scene", "run_setup", "measure", "measure_scene", "Measure", "Result"]
