"""Widget values a browser never sends (NaN, ±inf, values outside a widget's bounds, a select_slider
label that is not an option, a choice that is not an option, an over-long formula), sent as AppTest sends them: the page must not
break, and the value is clamped (or the previous one kept) with a visible note (ui/compat.py).

The product rule: "Bad input gets a clear message and loses nothing: out-of-range hyperparameters
are clamped or refused on the server (browser bounds can be bypassed)".
"""
from __future__ import annotations

import math
import pathlib

import pytest
from streamlit.testing.v1 import AppTest

from ui import controls, limits

PAGES = pathlib.Path(__file__).resolve().parents[1] / "pages"


def app(page: str, **state) -> AppTest:
    at = AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=240)
    for k, v in state.items():
        at.session_state[k] = v
    return ok(at.run())


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def notes(at: AppTest) -> str:
    return "\n".join(i.value for i in at.info)


def charts(at: AppTest) -> int:
    return len(at.get("plotly_chart"))


def slot_key(at: AppTest, index: int, name: str) -> str:
    return controls._k(at.session_state["pg_slots"][index], name)


# ------------------------------------------------------------------------------ non-finite numbers
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_playground_non_finite_steps_keep_the_previous_value(bad):
    at = app("playground")
    n = charts(at)
    at.number_input(key="pg_steps").set_value(bad).run()
    ok(at)
    assert at.session_state["pg_steps"] == 300 and at.query_params["steps"] == "300"
    assert "steps: " in notes(at) and "not a finite number; kept 300" in notes(at)
    assert charts(at) == n
    ok(at.run())                                                        # the session is not broken
    assert at.session_state["pg_steps"] == 300 and charts(at) == n and "not a finite" not in notes(at)


def test_playground_non_finite_integer_boxes_and_start():
    at = app("playground")
    at.toggle(key="pg_noise_on").set_value(True).run()
    at.number_input(key="pg_seed").set_value(7).run()
    at.number_input(key="pg_seed").set_value(math.nan).run()
    ok(at)
    assert at.session_state["pg_seed"] == 7 and "seed: nan is not a finite number; kept 7" in notes(at)
    at.selectbox(key="pg_sched").set_value("step").run()
    at.number_input(key="pg_sched_step_step_size").set_value(-math.inf).run()
    ok(at)
    assert at.session_state["pg_sched_step_step_size"] == 100 and "step_size: -inf" in notes(at)
    at.number_input(key="pg_x0").set_value(math.nan).run()
    ok(at)
    assert at.session_state["pg_x0"] == -8.0 and "start x: nan" in notes(at)
    assert at.query_params["start"] == "-8,2"


def test_batch_and_sweep_non_finite_integer_boxes():
    at = app("batch")
    at.number_input(key="seed").set_value(math.nan).run()
    ok(at)
    assert at.session_state["seed"] == 0 and "Seed: nan is not a finite number" in notes(at)
    at = app("sweep")
    at.number_input(key="sw_steps").set_value(math.inf).run()
    ok(at)
    assert at.session_state["sw_steps"] == 300 and "not a finite number" in notes(at) and charts(at) == 1
    at.selectbox(key="sw_param_adam").set_value("warmup_steps").run()
    at.number_input(key="sw_w_lo").set_value(math.nan).run()
    at.number_input(key="sw_w_hi").set_value(-math.inf).run()
    ok(at)
    assert at.session_state["sw_w_lo"] == 1 and at.session_state["sw_w_hi"] == 200 and charts(at) == 1


# ------------------------------------------------------------------------------ out of range: clamped, with a note
def test_playground_out_of_range_values_are_clamped_with_a_note():
    at = app("playground")
    at.number_input(key="pg_steps").set_value(10**9).run()
    ok(at)
    assert at.session_state["pg_steps"] == limits.STEPS[1] and at.query_params["steps"] == "100000"
    assert "clamped to 100000" in notes(at)
    at.number_input(key="pg_steps").set_value(0).run()
    assert at.session_state["pg_steps"] == 1 and "clamped to 1" in notes(at)
    at.selectbox(key=slot_key(at, 0, "name")).set_value("momentum").run()
    at.number_input(key=slot_key(at, 0, "momentum")).set_value(5.0).run()
    ok(at)
    assert at.session_state[slot_key(at, 0, "momentum")] == 0.999
    assert "Momentum momentum: 5 is outside [0, 0.999]; clamped to 0.999" in notes(at)
    at.toggle(key="pg_clip_on").set_value(True).run()
    at.number_input(key="pg_clip").set_value(1e9).run()
    ok(at)
    assert at.session_state["pg_clip"] == limits.CLIP[1] and "clip: 1e+09" in notes(at)
    at.select_slider(key=slot_key(at, 1, "lr")).set_value(1e9).run()
    ok(at)
    assert at.session_state[slot_key(at, 1, "lr")] == 10.0
    assert "using the nearest value 10" in notes(at)
    ok(at.run())
    assert at.session_state[slot_key(at, 1, "lr")] == 10.0 and not at.info


def test_a_select_slider_label_that_is_no_number_keeps_the_previous_value():
    """(AppTest cannot send a label that is not an option's: the guard itself, on a WidgetState.)"""
    from streamlit.elements.widgets.select_slider import SelectSliderSerde
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    from ui import compat

    opts = limits.LR_GRID
    serde = SelectSliderSerde(opts, formatted_option_to_index={controls._log_fmt(v): i for i, v in enumerate(opts)},
                              default_indices=[0], format_func=controls._log_fmt)
    w = WidgetState(id="w")
    w.string_array_value.data.append("fast")
    assert compat.correct(serde, w, 0.5) == (False, "'fast' is not one of the slider's values; kept 0.5.")
    w = WidgetState(id="w")
    w.string_array_value.data.append("0.0123")
    keep, note = compat.correct(serde, w, 0.5)
    assert keep and list(w.string_array_value.data) == ["0.0126"] and "nearest value 0.0126" in note


def test_a_choice_that_is_not_an_option_keeps_the_previous_choice():
    """selectbox, radio, segmented control and multiselect: an unknown label is dropped (Streamlit
    would reset the widget to its default), with a note naming the kept choice as the widget shows it.
    (AppTest refuses to send such a label: the guard itself, on WidgetStates; over the websocket in
    tests/test_malformed_client.py.)"""
    from streamlit.elements.widgets.button_group import _SingleSelectButtonGroupSerde
    from streamlit.elements.widgets.multiselect import MultiSelectSerde
    from streamlit.elements.widgets.radio import RadioSerde
    from streamlit.elements.widgets.selectbox import SelectboxSerde
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    from ui import compat

    options = ["torch", "lecture", "book"]
    shown = {"torch": "PyTorch", "lecture": "the lecture", "book": "the book"}
    index = {shown[o]: i for i, o in enumerate(options)}
    kw = dict(formatted_options=list(index), formatted_option_to_option_index=index, default_option_index=0,
              format_func=shown.get)

    def single(value, field="string_value"):
        w = WidgetState(id="w")
        if field == "string_value":
            w.string_value = value
        else:
            w.string_array_value.data.append(value)
        return w

    for serde in (SelectboxSerde(options, **kw), RadioSerde(options, **kw)):
        assert compat.correct(serde, single("the book"), "lecture") == (True, None)
        assert compat.correct(serde, single("Adam"), "lecture") == (
            False, "'Adam' is not one of the choices; kept the lecture.")
        assert compat.correct(serde, single("Adam"), None) == (False, "'Adam' is not one of the choices; ignored.")
    serde = _SingleSelectButtonGroupSerde(options, **kw)
    assert compat.correct(serde, single("the book", "string_array_value"), "torch") == (True, None)
    assert compat.correct(serde, single("x" * 60, "string_array_value"), "torch") == (
        False, f"'{'x' * 37}...' is not one of the choices; kept PyTorch.")
    serde = MultiSelectSerde(options, formatted_options=list(index), formatted_option_to_option_index=index,
                             default_options_indices=[0], format_func=shown.get)
    w = WidgetState(id="w")
    w.string_array_value.data.extend(["PyTorch", "the book"])
    assert compat.correct(serde, w, ["torch"]) == (True, None)
    w.string_array_value.data.append("Adam")
    assert compat.correct(serde, w, ["torch", "book"]) == (
        False, "'Adam' is not one of the choices; kept PyTorch, the book.")


def test_batch_out_of_range_values_are_clamped_with_a_note():
    at = app("batch")
    at.number_input(key="seed").set_value(-1).run()
    ok(at)
    assert at.session_state["seed"] == 0 and "Seed: -1 is outside [0, 10000]; clamped to 0" in notes(at)
    at.slider(key="batch_size").set_value(1000).run()
    at.slider(key="epochs").set_value(10**6).run()
    ok(at)
    assert at.session_state["batch_size"] == 20 and at.session_state["epochs"] == 50
    assert "Epochs: 1e+06 is outside [1, 50]; clamped to 50" in notes(at)
    at.number_input(key="lr_gd").set_value(1e9).run()
    ok(at)
    assert at.session_state["lr_gd"] == 10.0 and "Learning rate η: 1e+09" in notes(at)


def test_sweep_out_of_range_steps_are_clamped_with_a_note():
    at = app("sweep")
    at.slider(key="sw_n_lr").set_value(2).run()
    at.slider(key="sw_n_values").set_value(2).run()
    at.number_input(key="sw_steps").set_value(10**9).run()
    ok(at)
    assert at.session_state["sw_steps"] == 20_000 and "clamped to 20000" in notes(at) and charts(at) == 1


# ------------------------------------------------------------------------------ text
def test_a_formula_over_the_limit_is_cut_with_a_note():
    at = app("playground")
    at.selectbox(key="pg_surface").set_value(controls.CUSTOM).run()
    at.text_input(key="pg_formula").set_value("x**2+" * 50 + "y**2").run()
    ok(at)
    assert "254 characters is more than 200; cut to 200" in notes(at)
