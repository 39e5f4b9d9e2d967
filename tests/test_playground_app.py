"""The Playground page under Streamlit's AppTest, plus ui.share / ui.limits / ui.runs.

AppTest runs pages/playground.py directly (see BRIEF: with st.navigation, AppTest drops the entry
file from the second widget change on), so all the state the page needs lives in its own path.
"""
from __future__ import annotations

import base64
import json
import random
import urllib.parse

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import optimizers
import surfaces
from ui import controls, limits, runs, share
from ui.share import OptSpec, Setup
from viz import figures as F

import pathlib

PAGE = str(pathlib.Path(__file__).resolve().parents[1] / "pages" / "playground.py")


# ------------------------------------------------------------------------------ helpers
def app(query: dict | None = None, **state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=180)
    if query:
        at.query_params.update(query)
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _arr(v):
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v, dtype=float)


def figures(at: AppTest) -> dict[str, dict]:
    """The page's plotly figures by role: map, 3d, linked, schedule."""
    out = {}
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        metas = [t.get("meta") for t in spec["data"]]
        if "levels" in metas:
            out["map"] = spec
        elif "surface" in metas:
            out["3d"] = spec
        elif any(m in F.LINKED_ROWS for m in metas):
            out["linked"] = spec
        else:
            out["schedule"] = spec
    return out


def traces(spec: dict, role: str) -> list[dict]:
    return [t for t in spec["data"] if t.get("meta") == role]


def paths(at: AppTest) -> list[np.ndarray]:
    return [np.stack([_arr(t["x"]), _arr(t["y"])], -1) for t in traces(figures(at)["map"], "path")]


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def latex(at: AppTest) -> str:
    return "\n".join(e.value for e in at.latex)


def slot_key(at: AppTest, index: int, name: str) -> str:
    return controls._k(at.session_state["pg_slots"][index], name)


# ------------------------------------------------------------------------------ default scene
def test_default_scene():
    at = ok(app())
    figs = figures(at)
    assert set(figs) >= {"map", "linked", "schedule"} and "3d" not in figs
    m = figs["map"]
    assert len(traces(m, "path")) == 4 and len(traces(m, "heads")) == 1 and traces(m, "levels")
    assert [t["name"] for t in traces(m, "path")] == ["1. GD η=0.01", "2. Momentum η=0.01", "3. RMSProp η=0.01",
                                                      "4. Adam η=0.1"]
    assert m["layout"]["xaxis"]["range"] == [-10.0, 10.0] and len(m["frames"]) == 301
    assert traces(m, "minima")[0]["x"] == [0.0]
    # the start point of every path is the bowl's default start
    for p in paths(at):
        np.testing.assert_allclose(p[0], surfaces.get("bowl").start)
    # the linked plots: loss, grad norm, η_t, η_t/σ_t and m_t for the 4 optimizers
    rows = [t["meta"] for t in figs["linked"]["data"]]
    assert rows.count(F.LINKED_ROWS[0]) == 4 and rows.count(F.LINKED_ROWS[3]) == 8
    # the surface and 4 update rules in LaTeX; no warning, no error
    assert len(at.latex) == 5 and "log" in at.latex[0].value
    assert not at.warning and not at.error
    assert at.query_params["surface"] == "bowl" and len(at.query_params["opt"]) == 4
    assert [b.label for b in at.download_button] == ["Trajectories (CSV)", "Trajectories (JSON)"]


def test_the_drawn_path_is_the_engine_run():
    at = ok(app())
    t = optimizers.run("bowl", "adam", steps=300, start=(-8.0, 2.0), lr=0.1)
    np.testing.assert_allclose(paths(at)[3], t.path)          # 301 points: drawn in full


# ------------------------------------------------------------------------------ surface and start
@pytest.mark.parametrize("name", surfaces.names())
def test_every_surface(name):
    at = ok(app())
    at.selectbox(key="pg_surface").set_value(name).run()
    ok(at)
    s = surfaces.get(name)
    assert (at.session_state["pg_x0"], at.session_state["pg_y0"]) == s.start   # the start follows the surface
    m = figures(at)["map"]
    assert m["layout"]["xaxis"]["range"] == list(s.bounds[0]) and m["layout"]["yaxis"]["range"] == list(s.bounds[1])
    assert len(traces(m, "minima")[0]["x"]) == len(s.minima)
    assert s.latex in latex(at) and at.query_params["surface"] == name


def test_start_inputs_and_clamping():
    at = ok(app())
    at.number_input(key="pg_x0").set_value(5.0).run()
    at.number_input(key="pg_y0").set_value(-1.0).run()
    ok(at)
    assert all(np.allclose(p[0], (5.0, -1.0)) for p in paths(at))
    assert at.query_params["start"] == "5,-1"
    at.number_input(key="pg_x0").set_value(50.0).run()          # outside the bowl's view
    ok(at)
    assert at.session_state["pg_x0"] == 10.0 and "clamped to 10" in texts(at.info)
    assert all(np.allclose(p[0], (10.0, -1.0)) for p in paths(at))


def test_click_selection_gives_the_start():
    ev = {"selection": {"points": [{"curve_number": 3, "x": 1.0, "y": 2.0},
                                   {"curve_number": 1, "x": -4.5, "y": 0.75}]}}
    assert controls.start_from_selection(ev, grid_curve=1) == (-4.5, 0.75)
    assert controls.start_from_selection(ev) == (1.0, 2.0)
    # the map's callback prefers the click grid: the trace index it names is the grid's in the figure
    fig = F.map_figure(surfaces.get("bowl"), [F.Track("GD", "#000", np.zeros((3, 2)))], start=(0.0, 0.0))
    assert F.trace_index(fig, "click-grid") == controls.CLICK_GRID_TRACE == 1
    assert controls.start_from_selection({"selection": {"points": []}}) is None
    assert controls.start_from_selection(None) is None
    assert controls.start_from_selection({"selection": {"points": [{"x": "nan", "y": 1}]}}) is None


def test_a_typed_formula_survives_a_trip_to_another_surface():
    at = ok(app())
    at.selectbox(key="pg_surface").set_value(controls.CUSTOM).run()
    at.text_input(key="pg_formula").set_value("(x-1)**2 + 4*y**2").run()
    at.selectbox(key="pg_surface").set_value("saddle").run()
    at.selectbox(key="pg_surface").set_value(controls.CUSTOM).run()
    ok(at)
    assert at.text_input(key="pg_formula").value == "(x-1)**2 + 4*y**2"
    assert at.query_params["surface"] == "f:(x-1)**2 + 4*y**2"


def test_custom_formula_good_bad_and_undefined():
    at = ok(app())
    at.selectbox(key="pg_surface").set_value(controls.CUSTOM).run()
    ok(at)
    assert at.text_input(key="pg_formula").value                     # a starter formula is shown
    at.text_input(key="pg_formula").set_value("(x-1)**2 + 4*y**2").run()
    ok(at)
    assert len(paths(at)) == 4 and at.query_params["surface"] == "f:(x-1)**2 + 4*y**2"
    bad = "x**2 + foo(y)"
    at.text_input(key="pg_formula").set_value(bad).run()
    ok(at)
    assert "foo" in texts(at.error) and "character 8" in texts(at.error)
    assert at.text_input(key="pg_formula").value == bad                # what the user typed stays
    assert "^" in at.code[0].value and "map" not in figures(at)
    at.text_input(key="pg_formula").set_value("log(-1 - x**2)").run()  # defined nowhere in the view
    ok(at)
    assert "not finite anywhere" in texts(at.error)
    at.text_input(key="pg_formula").set_value("x**2 + y**2").run()     # and back to a good one
    ok(at)
    assert not at.error and len(paths(at)) == 4


# ------------------------------------------------------------------------------ optimizers
def test_add_and_remove_optimizers_up_to_eight():
    at = ok(app())
    at.selectbox(key="pg_add").set_value("nadam").run()
    at.button(key="pg_add_btn").click().run()
    ok(at)
    assert len(paths(at)) == 5 and "NAdam" in traces(figures(at)["map"], "path")[-1]["name"]
    for _ in range(3):
        at.button(key="pg_add_btn").click().run()
    ok(at)
    assert len(paths(at)) == limits.MAX_OPTIMIZERS and at.button(key="pg_add_btn").disabled
    assert len(at.query_params["opt"]) == 8
    sid = at.session_state["pg_slots"][0]
    at.button(key=controls._k(sid, "remove")).click().run()
    ok(at)
    names = [t["name"] for t in traces(figures(at)["map"], "path")]
    assert len(names) == 7 and names[0].startswith("1. Momentum")     # GD went; colours follow the order
    for _ in range(6):
        at.button(key=controls._k(at.session_state["pg_slots"][0], "remove")).click().run()
    ok(at)
    assert len(paths(at)) == 1 and at.button(key=controls._k(at.session_state["pg_slots"][0], "remove")).disabled


NON_DEFAULT = {"lr": 0.05, "momentum": 0.5, "nesterov": True, "alpha": 0.9, "eps": 1e-3, "centered": True,
               "beta1": 0.5, "beta2": 0.9, "bias_correction": False, "amsgrad": True, "weight_decay": 0.5,
               "momentum_decay": 0.5}


def _set(at, key, value):
    if key.endswith(("_lr", "_eps")):
        at.select_slider(key=key).set_value(value)
    elif isinstance(value, bool):
        at.checkbox(key=key).set_value(value)
    else:
        at.number_input(key=key).set_value(value)
    return at.run()


@pytest.mark.parametrize("name", [n for n in share.PARAMS if n != share.COMPOSE])
def test_every_hyperparameter_changes_the_run(name):
    at = ok(app())
    at.selectbox(key=slot_key(at, 0, "name")).set_value(name).run()
    ok(at)
    assert at.session_state[slot_key(at, 0, "lr")] == 0.01             # η kept when switching
    for key in share.PARAMS[name]:
        before = paths(at)[0]
        value = NON_DEFAULT[key]
        if key == "lr":
            value = 0.02
        _set(at, slot_key(at, 0, key), value)
        ok(at)
        assert not at.error, texts(at.error)
        after = paths(at)[0]
        assert before.shape != after.shape or not np.array_equal(before, after), f"{name}.{key} changed nothing"
        enc = at.query_params["opt"][0]
        assert enc.startswith(name) and f"{key}=" in enc


def test_compose_your_own_is_adam_when_built_from_adams_parts():
    at = ok(app())
    at.selectbox(key=slot_key(at, 0, "name")).set_value(share.COMPOSE).run()
    at.selectbox(key=slot_key(at, 0, "mom")).set_value("ema").run()
    at.selectbox(key=slot_key(at, 0, "rms")).set_value("adam").run()
    _set(at, slot_key(at, 0, "lr"), 0.1)
    ok(at)
    # only the parts' own hyperparameters are shown
    shown = {w.key for w in at.number_input if w.key.startswith(controls._k(at.session_state["pg_slots"][0], ""))}
    assert shown == {slot_key(at, 0, "beta1"), slot_key(at, 0, "beta2"), slot_key(at, 0, "lr") + "_typed"}
    np.testing.assert_allclose(paths(at)[0], paths(at)[3])             # slot 4 is Adam η=0.1
    assert at.query_params["opt"][0].startswith("compose,mom=ema,rms=adam")
    assert "ema+adam" in traces(figures(at)["map"], "path")[0]["name"]


def test_convention_switch_shows_each_rule():
    at = ok(app())
    assert r"b_t = \mu\, b_{t-1}" in latex(at)                          # PyTorch heavy ball
    at.radio(key="pg_conv").set_value("lecture").run()
    ok(at)
    tex = latex(at)
    assert "M_{t+1}" in tex and r"b_t = \mu" not in tex                  # the lecture's movement
    assert at.query_params["conv"] == "lecture"
    at.radio(key="pg_conv").set_value("book").run()
    ok(at)
    assert "M_{t+1}" in latex(at)
    # a preset the book does not define falls back to PyTorch's formula, and says so
    at.selectbox(key=slot_key(at, 3, "name")).set_value("nadam").run()
    ok(at)
    assert "does not define NAdam" in texts(at.caption)
    # PyTorch-only options are greyed out outside the torch convention
    at.selectbox(key=slot_key(at, 2, "name")).set_value("rmsprop").run()
    assert at.checkbox(key=slot_key(at, 2, "centered")).disabled
    at.radio(key="pg_conv").set_value("torch").run()
    assert not at.checkbox(key=slot_key(at, 2, "centered")).disabled


def test_engine_errors_are_shown_for_that_optimizer_only():
    at = ok(app())
    at.selectbox(key=slot_key(at, 1, "name")).set_value("momentum").run()
    _set(at, slot_key(at, 1, "momentum"), 0.0)
    _set(at, slot_key(at, 1, "nesterov"), True)                       # Nesterov needs momentum > 0
    ok(at)
    assert "Nesterov" in texts(at.error) and len(paths(at)) == 3


# ------------------------------------------------------------------------------ schedule, steps, noise, clipping, device
def test_schedule_and_its_arguments():
    at = ok(app())
    at.selectbox(key="pg_sched").set_value("step").run()
    at.number_input(key="pg_sched_step_step_size").set_value(50).run()
    at.number_input(key="pg_sched_step_gamma").set_value(0.5).run()
    ok(at)
    assert at.query_params["sched"] == "step,step_size=50,gamma=0.5"
    sched = figures(at)["schedule"]["data"][0]
    x, y = _arr(sched["x"]), _arr(sched["y"])
    assert y[list(x).index(49)] == 0.01 and y[list(x).index(50)] == 0.005     # η_t halves at t = 50
    eta = [t for t in figures(at)["linked"]["data"] if t["meta"] == F.LINKED_ROWS[2]][0]
    ex, ey = _arr(eta["x"]), _arr(eta["y"])
    assert ey[list(ex).index(50)] == 0.01 and ey[list(ex).index(51)] == 0.005  # update t uses η_{t-1}
    for name in optimizers.SCHEDULES:
        at.selectbox(key="pg_sched").set_value(name).run()
        ok(at)
        assert not at.error, (name, texts(at.error))
    at.selectbox(key="pg_sched").set_value("warmup").run()
    at.selectbox(key="pg_sched_warmup_decay").set_value("linear").run()
    ok(at)
    assert "decay=linear" in at.query_params["sched"]


def test_eta_can_be_typed_and_lands_on_the_slider():
    """The η slider has 169 stops (0.01 → 0.1 took 21 arrow presses): a box beside it takes a typed
    η, which moves the slider to its nearest stop (with a note when it is not a stop itself), and the
    box follows the slider."""
    at = ok(app())
    at.number_input(key="pg_o0_lr_typed").set_value(0.1).run()
    ok(at)
    assert at.select_slider(key="pg_o0_lr").value == 0.1 and "gd,lr=0.1" in str(at.query_params["opt"])
    assert "not on the slider" not in texts(at.info)
    at.number_input(key="pg_o0_lr_typed").set_value(0.037).run()
    ok(at)
    assert at.select_slider(key="pg_o0_lr").value == 0.0355 and at.number_input(key="pg_o0_lr_typed").value == 0.0355
    assert "0.037 is not on the slider; using the nearest value 0.0355" in texts(at.info)
    at.select_slider(key="pg_o0_lr").set_value(0.5).run()
    ok(at)
    assert at.number_input(key="pg_o0_lr_typed").value == 0.5


def test_the_expander_of_an_optimizer_just_changed_opens():
    """Its label names the optimizer, so a new kind is a new expander: it folded up, and the teacher
    who had just picked Adam had to find it again to set η. Now it opens."""
    at = ok(app())
    assert [e.proto.expanded for e in at.expander if "2." in e.label] == [False]
    at.selectbox(key="pg_o1_name").set_value("adam").run()
    ok(at)
    assert [(e.label, e.proto.expanded) for e in at.expander if "2." in e.label] == [(":orange[●] 2. Adam", True)]


def test_a_schedule_first_offered_fits_the_run_and_a_misfit_is_said():
    """Picked in the Playground, a schedule's lengths fit the run (cosine's T_max = 100 restarted twice
    in 300 steps; the Transformer's 4000-step warm-up never ended), and the link carries them; a link's
    own lengths are kept, with a plain warning when they do not fit."""
    at = ok(app())
    at.selectbox(key="pg_sched").set_value("cosine").run()
    ok(at)
    assert at.number_input(key="pg_sched_cosine_T_max").value == 300
    assert at.query_params["sched"] == "cosine,T_max=300" and "⚠️" not in texts(at.caption)
    for name, key, want in (("transformer", "warmup_steps", 30), ("warmup", "total_steps", 300), ("linear", "tau", 300),
                            ("step", "step_size", 100), ("resnet_warmup", "warmup_steps", 30)):
        at.selectbox(key="pg_sched").set_value(name).run()
        assert at.number_input(key=f"pg_sched_{name}_{key}").value == want, name
        assert "⚠️" not in texts(at.caption), name
    at = ok(app({"sched": "cosine,T_max=100", "steps": "300"}))
    assert at.number_input(key="pg_sched_cosine_T_max").value == 100
    assert "T_max = 100 is shorter than the 300 steps" in texts(at.caption)
    at = ok(app({"sched": "transformer", "steps": "300"}))  # the signature's 4000 steps: a link made before
    assert "warm-up (4000 steps) is not over" in texts(at.caption)


def test_schedule_lengths_follow_the_steps_unless_set():
    """A schedule length still at its fitted value follows a change of the steps (T_max 300 → 1000);
    one set by hand (or by a link) stays, with the warning when it no longer fits."""
    at = ok(app())
    at.selectbox(key="pg_sched").set_value("cosine").run()
    at.number_input(key="pg_steps").set_value(1000).run()
    ok(at)
    assert at.number_input(key="pg_sched_cosine_T_max").value == 1000 and "⚠️" not in texts(at.caption)
    at.selectbox(key="pg_sched").set_value("warmup").run()  # a schedule not drawn when the steps changed
    assert at.number_input(key="pg_sched_warmup_warmup_steps").value == 100
    at.number_input(key="pg_sched_warmup_warmup_steps").set_value(40).run()
    at.number_input(key="pg_steps").set_value(2000).run()
    ok(at)
    assert at.number_input(key="pg_sched_warmup_warmup_steps").value == 40  # set by hand: kept
    assert at.number_input(key="pg_sched_warmup_total_steps").value == 2000
    at.selectbox(key="pg_sched").set_value("cosine").run()
    assert at.number_input(key="pg_sched_cosine_T_max").value == 2000
    at = ok(app({"sched": "cosine,T_max=100", "steps": "300"}))  # a link's own length stays
    at.number_input(key="pg_steps").set_value(1000).run()
    assert at.number_input(key="pg_sched_cosine_T_max").value == 100
    assert "T_max = 100 is shorter than the 1000 steps" in texts(at.caption)


def test_steps():
    at = ok(app())
    at.number_input(key="pg_steps").set_value(1000).run()
    ok(at)
    m = figures(at)["map"]
    assert all(len(p) == 1001 for p in paths(at)) and len(m["frames"]) == F.MAX_FRAMES
    assert m["frames"][-1]["name"] == "1000" and at.query_params["steps"] == "1000"


def test_noise_seed_and_clipping():
    at = ok(app())
    clean = paths(at)[0]
    at.toggle(key="pg_noise_on").set_value(True).run()
    at.number_input(key="pg_noise").set_value(5.0).run()
    ok(at)
    noisy = paths(at)[0]
    assert not np.allclose(clean, noisy) and at.query_params["noise"] == "5"
    at.number_input(key="pg_seed").set_value(7).run()
    assert not np.allclose(noisy, paths(at)[0]) and at.query_params["seed"] == "7"
    at.toggle(key="pg_noise_on").set_value(False).run()
    np.testing.assert_allclose(paths(at)[0], clean)
    at.toggle(key="pg_clip_on").set_value(True).run()
    at.number_input(key="pg_clip").set_value(1.0).run()
    ok(at)
    clipped = paths(at)[0]
    t = optimizers.run("bowl", "gd", steps=300, start=(-8.0, 2.0), lr=0.01, max_norm=1.0)
    np.testing.assert_allclose(clipped, t.path)
    assert at.query_params["clip"] == "1"


def test_a_hidden_setting_comes_back_with_its_value():
    """Switching clipping or noise off and on again, or leaving a schedule and coming back, keeps what
    was set (Streamlit drops the state of a widget a run does not draw: clipping came back at its
    minimum 0.001 from a shared link, noise at 0 while its toggle said on, a schedule at its defaults)."""
    at = ok(app({"clip": "7", "noise": "5", "seed": "3", "sched": "step,step_size=50,gamma=0.5"}))
    assert at.number_input(key="pg_clip").value == 7.0 and at.number_input(key="pg_noise").value == 5.0
    for toggle in ("pg_clip_on", "pg_noise_on"):
        at.toggle(key=toggle).set_value(False).run()
        at.toggle(key=toggle).set_value(True).run()
        ok(at)
    assert at.number_input(key="pg_clip").value == 7.0 and at.query_params["clip"] == "7"
    assert at.number_input(key="pg_noise").value == 5.0 and at.query_params["noise"] == "5"
    assert at.number_input(key="pg_seed").value == 3 and at.query_params["seed"] == "3"
    at.number_input(key="pg_clip").set_value(2.5).run()          # a value typed here, not from the link
    at.toggle(key="pg_clip_on").set_value(False).run()
    assert "clip" not in at.query_params
    at.selectbox(key="pg_sched").set_value("cosine").run()
    at.selectbox(key="pg_sched").set_value("step").run()
    at.toggle(key="pg_clip_on").set_value(True).run()
    ok(at)
    assert at.number_input(key="pg_sched_step_gamma").value == 0.5
    assert at.number_input(key="pg_sched_step_step_size").value == 50
    assert at.query_params["sched"] == "step,step_size=50,gamma=0.5" and at.query_params["clip"] == "2.5"


def test_device_choices():
    at = ok(app())
    sb = at.selectbox(key="pg_device")
    assert list(sb.options) == list(controls.devices())
    sb.set_value("cpu").run()
    ok(at)
    assert at.query_params["device"] == "cpu" and len(paths(at)) == 4


def test_views_and_presentation_mode():
    at = ok(app())
    at.segmented_control(key="pg_view").set_value("3d").run()
    ok(at)
    figs = figures(at)
    assert "3d" in figs and "map" not in figs and at.query_params["view"] == "3d"
    at.segmented_control(key="pg_view").set_value("both").run()
    assert {"3d", "map"} <= set(figures(at))
    small = figures(at)["map"]["layout"]["font"]["size"]
    at2 = ok(app(presentation=True))
    big = figures(at2)["map"]["layout"]["font"]["size"]
    assert big > small and at2.query_params["present"] == "1"
    assert traces(figures(at2)["map"], "path")[0]["line"]["width"] > traces(figures(at)["map"], "path")[0]["line"]["width"]


def test_deselecting_the_view_keeps_the_2d_map():
    at = ok(app())
    at.segmented_control(key="pg_view").set_value("3d").run()
    at.segmented_control(key="pg_view").set_value(None).run()
    ok(at)
    assert "view" not in at.query_params and "view=" not in at.code[-1].value
    assert "map" in figures(at) and "3d" not in figures(at)
    assert at.segmented_control(key="pg_view").value == "2d"


# ------------------------------------------------------------------------------ divergence and presets
def test_divergence_at_eta_10_is_named_with_its_step():
    at = ok(app())
    _set(at, slot_key(at, 0, "lr"), 10.0)
    ok(at)
    warning = texts(at.warning)
    assert "1. GD η=10" in warning and "diverged at step 1" in warning
    m = figures(at)["map"]
    d = traces(m, "diverged")[0]
    assert np.isfinite(d["x"][0]) and len(traces(m, "path")) == 4       # the others still race
    assert len(at.latex) == 5


@pytest.mark.parametrize("preset", list(controls.PRESETS))
def test_presets(preset):
    at = ok(app())
    at.button(key=f"pg_preset_{preset}").click().run()
    ok(at)
    want = controls.PRESETS[preset]
    assert at.session_state["pg_surface"] == want.surface
    assert [t["name"].split(". ", 1)[1] for t in traces(figures(at)["map"], "path")] == [o.label for o in want.opts]
    assert share.decode(at.query_params)[0] == want.with_(start=surfaces.get(want.surface).start)
    if "diverges" in preset:
        assert "diverged at step" in texts(at.warning)


# ------------------------------------------------------------------------------ the query string
def test_query_round_trip_through_the_page():
    setup = Setup(surface="crescent", start=(-3.5, 3.0), steps=400,
                  opts=(OptSpec.make("adagrad", lr=0.5), OptSpec.make("rmsprop", lr=0.03, alpha=0.9),
                        OptSpec.make(share.COMPOSE, mom="movement", rms="adagrad_mean", lr=0.2)),
                  convention="lecture", schedule="cosine", schedule_args=(("T_max", 200), ("eta_min", 0.001)),
                  noise=0.5, seed=3, clip=2.0, device="cpu", view="both")
    q = share.encode(setup)
    at = ok(app(q))
    assert not at.info                                                   # nothing needed adjusting
    assert at.selectbox(key="pg_surface").value == "crescent"
    assert at.number_input(key="pg_steps").value == 400 and at.radio(key="pg_conv").value == "lecture"
    assert at.select_slider(key=slot_key(at, 1, "lr")).value == 0.03
    assert at.number_input(key=slot_key(at, 1, "alpha")).value == 0.9
    assert at.number_input(key="pg_sched_cosine_T_max").value == 200
    assert at.toggle(key="pg_clip_on").value and at.number_input(key="pg_clip").value == 2.0
    assert all(np.allclose(p[0], (-3.5, 3.0)) for p in paths(at))
    assert share.normalize(at.query_params) == share.normalize(q)        # the page writes back the same link
    # a widget change keeps the rest of the link
    at.number_input(key="pg_steps").set_value(500).run()
    assert share.decode(at.query_params)[0] == setup.with_(steps=500)


def test_links_built_by_other_pages_decode_to_their_setup():
    setup = controls.PRESETS["Adagrad vs RMSProp on the crescent"].with_(start=(-3.0, 6.0))
    link = share.link(setup)
    assert link.startswith(share.PLAYGROUND_PATH + "?")
    parsed = urllib.parse.parse_qs(link.split("?", 1)[1])
    assert share.decode(parsed) == (setup, [])


@pytest.mark.parametrize("query, note", [
    ({"steps": "1000000000"}, "clamped to 100000"),
    ({"steps": "abc"}, "not an integer"),
    ({"opt": ["gd,lr=100"]}, "clamped to 10"),
    ({"opt": ["bogus,lr=1"]}, "unknown optimizer"),
    ({"opt": ["adam,beta1=1.5,zzz=1"]}, "no parameter"),
    ({"opt": [f"gd,lr={i / 100}" for i in range(1, 12)]}, "at most 8"),
    ({"start": "nan,1"}, "not a finite number"),
    ({"start": "1e9,0"}, "clamped to 10"),
    ({"surface": "moon"}, "not one of"),
    ({"conv": "matlab"}, "not one of"),
    ({"sched": "step,step_size=-4,gamma=2"}, "clamped"),
    ({"device": "cuda"}, "not available"),
    ({"noise": "-1"}, "clamped to 0"),
    ({"clip": "1e99"}, "clamped"),
    ({"hack": "1"}, "unknown parameter"),
    ({"surface": "f:" + "x+" * 150 + "y"}, "301 characters is more than 200; not used"),
    ({"opt": ["gd,lr=" + "9" * 500]}, "too long"),
])
def test_malformed_query_values_give_a_visible_note(query, note):
    at = ok(app(query))
    assert note in texts(at.info), texts(at.info)
    if not query.get("surface", "").startswith("f:"):
        assert "map" in figures(at)


def _fuzz_value(rng: random.Random, key: str) -> str | list[str]:
    junk = ["", " ", "nan", "inf", "-inf", "1e309", "-0", "0x10", "1_000", "None", "%00", "'; DROP", "\u202e",
            "😀", ",", "=", ",,=,", "[]", "{}", "\\", "1,2,3", "1e-400", "-1e-400", "a" * 300]
    nums = [str(rng.uniform(-1e3, 1e3)), str(rng.randint(-10, 600)), f"{rng.uniform(0, 2):.3f}", "1e9", "-5"]
    pool = junk + nums
    if key == "opt":
        names = list(share.PARAMS) + ["gd ", "ADAM", ""]
        keys = ["lr", "momentum", "beta1", "beta2", "eps", "alpha", "nesterov", "mom", "rms", "x", ""]
        return [",".join([rng.choice(names)] + [f"{rng.choice(keys)}={rng.choice(pool)}" for _ in range(rng.randint(0, 4))])
                for _ in range(rng.randint(0, 10))]
    if key == "sched":
        arg = rng.choice(["step_size", "gamma", "T_max", "decay", "warmup_steps", "zz"])
        return f"{rng.choice(list(optimizers.SCHEDULES) + ['x'])},{arg}={rng.choice(pool)}"
    if key == "surface":
        return rng.choice(surfaces.names() + ["f:x**2+y", "f:__import__('os')", "f:" + rng.choice(pool), rng.choice(pool)])
    if key == "steps":  # big values are clamped to 100000 (covered above); keep the runs short here
        return rng.choice(junk + [str(rng.randint(-10, 300)), "2.5", "-1"])
    if key == "start":
        return f"{rng.choice(pool)},{rng.choice(pool)}"
    return rng.choice(pool)


def test_query_fuzzing_never_raises():
    rng = random.Random(20261121)
    # the decoder alone, on many inputs
    for _ in range(2000):
        q = {k: _fuzz_value(rng, k) for k in rng.sample(share.KNOWN + ("junk",), rng.randint(0, len(share.KNOWN)))}
        setup, notes = share.decode(q)
        assert isinstance(setup, Setup) and 1 <= len(setup.opts) <= limits.MAX_OPTIMIZERS
        assert limits.STEPS[0] <= setup.steps <= limits.STEPS[1]
    # the page, on 200 of them (one session: each new query string is a newly opened link)
    at = AppTest.from_file(PAGE, default_timeout=180)
    for i in range(200):
        q = {k: _fuzz_value(rng, k) for k in rng.sample(share.KNOWN, rng.randint(1, 5))}
        q["steps"] = q.get("steps", "50")
        at.query_params.clear()
        at.query_params.update(q)
        at.run()
        assert not at.exception, (i, q, [e.value for e in at.exception])


# ------------------------------------------------------------------------------ ui.share / ui.limits / ui.runs
def test_encode_decode_round_trip_for_every_optimizer_and_schedule():
    for name in share.PARAMS:
        for sched in optimizers.SCHEDULES:
            s = share.canonical(Setup(opts=(OptSpec.make(name, lr=0.002),), schedule=sched, start=(1.0, -1.0)))
            assert share.decode(share.encode(s)) == (s, []), (name, sched)


def test_lr_grid_holds_the_lectures_rates():
    for v in (1e-7, 1e-3, 2e-3, 1e-2, 0.1, 1.0, 10.0, 5e-3, 0.03):
        assert v in limits.LR_GRID
    assert limits.LR_GRID[0] == 1e-7 and limits.LR_GRID[-1] == 10.0
    notes = []
    assert limits.snap_lr("lr", "0.0123", notes) in limits.LR_GRID and notes


def test_export_csv_and_json():
    s = Setup()
    r = runs.run_spec(s, s.opts[0], (-8.0, 2.0))
    csv_text = runs.trajectories_csv([("GD", r)])
    assert csv_text.startswith(runs.BOM)                                  # Excel reads η as UTF-8
    lines = csv_text[1:].strip().splitlines()
    assert lines[0].split(",") == runs.CSV_COLUMNS and len(lines) == 1 + 301
    assert {line.split(",")[-1] for line in lines[1:]} == {"0"}
    first = lines[1].split(",")
    assert first[:4] == ["GD", "0", "-8.0", "2.0"] and float(first[6]) == 0.01
    assert lines[-1].split(",")[6] == ""                                 # no update leaves the last point
    doc = json.loads(runs.trajectories_json([("GD", r)], share.encode(s)))
    assert doc["setup"]["surface"] == "bowl" and doc["trajectories"][0]["path"][0] == [-8.0, 2.0]
    assert len(doc["trajectories"][0]["eta_t"]) == 300
    # a long run is thinned to one step in k, ending on the last step
    idx = runs.export_indices(100_001)
    assert len(idx) <= runs.EXPORT_MAX_STEPS + 2 and idx[-1] == 100_000


def test_export_of_a_diverged_run_is_valid_json():
    s = Setup(opts=(OptSpec.make("gd", lr=10.0),))
    r = runs.run_spec(s, s.opts[0], (-8.0, 2.0))
    doc = json.loads(runs.trajectories_json([("GD", r)]))
    assert doc["trajectories"][0]["diverged_at"] == 1 and doc["trajectories"][0]["loss"][-1] is None
    rows = [line.split(",") for line in runs.trajectories_csv([("GD", r)])[1:].strip().splitlines()[1:]]
    assert [row[-1] for row in rows[:3]] == ["0", "1", "1"] and rows[1][2:4] == ["-8.0", "2.0"]  # frozen, flagged


def test_a_start_where_f_is_not_defined_says_so():
    at = app({"surface": "f:log(x) + y**2", "start": "-1,0"})
    assert not at.exception
    warnings = texts(at.warning)
    assert "not defined at the start (-1, 0)" in warnings and len(at.warning) == 1   # not again per optimizer
    at = app({"surface": "f:log(x) + y**2", "start": "1,0"})
    assert "not defined at the start" not in texts(at.warning)


def test_epsilon_follows_the_convention_unless_chosen():
    """Under the book's convention RMSProp's ε is the book's δ = 1e-6 (inside the root), not
    PyTorch's 1e-8; under the lecture's it is greyed out (the slides' RMSProp has no ε). A value the
    user picked stays."""
    at = ok(app())
    eps = slot_key(at, 2, "eps")  # the default race's third optimizer is RMSProp
    assert at.session_state[eps] == 1e-8
    at.radio(key="pg_conv").set_value("book").run()
    assert ok(at).session_state[eps] == 1e-6 and at.query_params["conv"] == "book"
    # the link leaves the book's δ out (it is that convention's default) and decodes back to it
    assert "rmsprop,lr=0.01" in at.query_params["opt"]
    back, _ = share.decode(dict(at.query_params))
    assert dict(back.opts[2].params)["eps"] == 1e-6
    at.radio(key="pg_conv").set_value("lecture").run()
    assert at.select_slider(key=eps).disabled and "The lecture's σ has no ε" in at.select_slider(key=eps).help
    at.radio(key="pg_conv").set_value("torch").run()
    assert ok(at).session_state[eps] == 1e-8 and not at.select_slider(key=eps).disabled
    at.select_slider(key=eps).set_value(1e-4).run()
    at.radio(key="pg_conv").set_value("book").run()
    assert ok(at).session_state[eps] == 1e-4


@pytest.mark.parametrize("name, convention, words", [
    ("adagrad", "torch", "outside the root"), ("adagrad", "book", "8.4 (1e-7)"), ("rmsprop", "book", "√(δ + r)"),
    ("adagrad", "lecture", "σ has no ε"), ("rmsprop", "lecture", "σ has no ε"), ("adam", "lecture", "Adam paper"),
    ("adam", "book", "algorithm 8.7"), ("radam", "lecture", "the lecture has no formula for RAdam"),
    ("nadam", "book", "the book has no formula for NAdam"), ("compose", "lecture", "chosen σ part")])
def test_epsilon_help_says_what_epsilon_is_in_each_formula(name, convention, words):
    from ui.share import torch_only

    assert words in controls._eps_help(name, convention, torch_only(name, "eps", convention))


def test_the_book_convention_labels_use_the_books_symbols():
    """The book writes the learning rate ε, the stabiliser δ and Adam's decay rates ρ₁, ρ₂: its
    Adagrad's ε slider read "ε" above a formula with δ."""
    at = ok(app({"opt": ["adagrad", "adam", "nadam"], "conv": "book"}))
    labels = [s.label for s in at.select_slider] + [n.label for n in at.number_input]
    assert labels.count("δ (stabiliser)") == 1 and labels.count("ε (the book's δ)") == 1
    assert labels.count("η (learning rate; the book's ε)") == 2 and "β₁ (the book's ρ₁)" in labels
    assert labels.count("η (learning rate)") == 1 and labels.count("ε") == 1         # NAdam: torch.optim's
    at = ok(app({"opt": ["adagrad"], "conv": "lecture"}))
    assert "δ (stabiliser)" not in [s.label for s in at.select_slider]


def test_the_chosen_schedule_shows_its_formula():
    at = ok(app({"sched": "transformer"}))
    assert "d_model^−0.5" in texts(at.sidebar.caption) and "η is each optimizer's own" in texts(at.sidebar.caption)


def test_a_formula_is_shown_as_typed_and_a_links_bare_plus_is_explained():
    """Markdown must not eat a formula's ** (it turned x**2+3*y**2 into bold x 2+3*y 2); a hand-written
    link with a bare + (which arrives as a space) gets a hint that names the working formula."""
    at = ok(app({"surface": "f:x**2+3*y**2+x*y"}))
    caption = texts(at.caption)
    assert r"x\*\*2+3\*y\*\*2+x\*y" in caption
    at = ok(app({"surface": "f:x**2 3*y**2"}))                    # ?surface=f:x**2+3*y**2 typed in a link
    assert texts(at.error).startswith("`f(x, y) = x**2 3*y**2` cannot be used")
    assert "`x**2+3*y**2`, which works" in texts(at.info) and "%2B" in texts(at.info)
    at = ok(app({"surface": "f:x**2 y**"}))                        # no + makes it work: no hint
    assert "%2B" not in texts(at.info)


def test_md_escape_and_md_code_show_text_literally():
    assert limits.md_escape("a*b_c $x$ :red[y] [a](b) ~~s~~ <i>") == r"a\*b_c \$x\$ \:red[y] [a\](b) \~\~s\~\~ \<i>"
    assert limits.md_escape("steps: 5 is outside [1, 100000].") == "steps: 5 is outside [1, 100000]."  # plain text stays
    assert limits.md_code("x**2") == "`x**2`"
    assert limits.md_code("a`b") == "`` a`b ``" and limits.md_code("``") == "``` `` ```"


def test_notes_stay_short_and_say_what_happens():
    """A huge integer is quoted like a float (not 309 digits); clip=nan says clipping is off."""
    notes: list = []
    assert limits.clamp_int("steps", "1e308", limits.STEPS, notes, 300) == limits.STEPS[1]
    assert notes == [f"steps: 1e+308 is outside [1, {limits.STEPS[1]}]; clamped to {limits.STEPS[1]}."]
    setup, notes = share.decode({"clip": "nan"})
    assert setup.clip is None and notes == ["clip: 'nan' is not a finite number; clipping is off."]


def test_shared_cache_keeps_the_most_recent_entries():
    cache, calls = runs.SharedCache(2), []
    def compute(v):
        return lambda: calls.append(v) or v
    assert cache.get("a", compute(1)) == 1 and cache.get("b", compute(2)) == 2
    assert cache.get("a", compute(9)) == 1                    # a hit: not computed again, now the newest
    cache.get("c", compute(3))                                # evicts b, the least recently used
    assert cache.get("b", compute(4)) == 4 and calls == [1, 2, 3, 4]


def test_a_book_link_without_eps_gets_the_books_delta():
    """?conv=book&opt=rmsprop is the book's RMSProp, δ = 1e-6 included (it got PyTorch's 1e-8 under the
    book's formula); a chosen ε is kept and written out, so every setup survives encode → decode."""
    setup, notes = share.decode({"opt": ["rmsprop", "adagrad"], "conv": "book"})
    assert notes == [] and [dict(o.params)["eps"] for o in setup.opts] == [1e-6, 1e-7]
    torch_eps = setup.with_(opts=(OptSpec.make("rmsprop", eps=1e-8),))
    assert share.encode(torch_eps)["opt"] == ["rmsprop,eps=1e-08,lr=0.01"]
    assert share.decode(share.encode(torch_eps))[0] == torch_eps


def test_a_links_start_stand_in_for_a_broken_formula_is_not_written_back():
    """A formula that cannot be built has no start; its stand-in (0, 0) went into the address bar, so
    the link mended by hand opened at (0, 0), where log(x) is undefined: four "diverged at step 1"."""
    at = ok(app({"surface": "f:log(x) y**2"}))
    assert at.error and "start" not in at.query_params
    mended = {k: v for k, v in share.normalize(at.query_params).items()}
    mended["surface"] = ["f:log(x)+y**2"]
    at = ok(app(mended))
    assert not at.error and "not defined at the start" not in texts(at.warning)
    assert "at step 1:" not in texts(at.warning)  # (the default race walks into log(x) < 0 later on)
    assert at.session_state["pg_x0"] == surfaces.get("f:log(x)+y**2").start[0]


def test_a_links_pytorch_only_options_under_another_convention_are_named():
    """Two RMSProps, one with centered=1, momentum and ε under conv=lecture: the same run twice with
    no word why. They are kept (the greyed-out widgets show them) and a note says they do nothing."""
    setup, notes = share.decode({"conv": "lecture", "opt": ["rmsprop,centered=1,momentum=0.9,eps=0.1,lr=0.1",
                                                            "rmsprop,lr=0.1", "adam,amsgrad=1"]})
    assert setup.opts[0].p["centered"] is True and setup.opts[0].p["momentum"] == 0.9
    assert notes == ["opt rmsprop: centered=1, eps=0.1, momentum=0.9 are not in the lecture's formula for RMSProp, "
                     "so they have no effect (conv=torch uses them).",
                     "opt adam: amsgrad=1 is not in the lecture's formula for Adam, so it has no effect "
                     "(conv=torch uses it)."]
    assert share.decode({"conv": "torch", "opt": ["rmsprop,centered=1"]})[1] == []


def test_seed_survives_a_link_with_the_noise_off_and_any_zero_clip_is_off():
    setup = share.Setup(seed=7)
    assert share.encode(setup)["seed"] == "7" and share.decode(share.encode(setup))[0] == setup
    for zero in ("0", "0.0", "-0", "0e0"):
        setup, notes = share.decode({"clip": zero})
        assert setup.clip is None and notes == [], zero


@pytest.mark.parametrize("arrived, meant", [
    ("x**2   3*y**2", "x**2 + 3*y**2"),            # " + " in a link: three spaces
    ("x**2 3*y**2", "x**2+3*y**2"),
    ("sin(x) * y   1", "sin(x) * y + 1"),          # the other spaces were meant
    ("x**2  y**2", "x**2+y**2"),                   # " +" or "+ ": two spaces, one +
    ("(x y", None)])
def test_the_plus_hint_reads_a_links_spaces_sensibly(arrived, meant):
    assert controls.plus_reading(arrived) == meant


def test_a_surface_near_the_largest_float_draws_its_plots():
    """A loss near 1e308 spans under two decades: the short-axis ticks overflowed (2·10³⁰⁸ is inf) and
    the page raised."""
    ok(app({"surface": "f:1e308 + x**2 + y**2", "steps": "20"}))
