"""A client that sends widget values of the wrong type (as ../shared/tools/wsload.py does: a double
for every slider, select_sliders included) gets no exception on the page (ui/compat.py).

One real `streamlit run app.py` on 127.0.0.1, spoken to over its own websocket with Streamlit's
protobuf classes; plus the guard itself on Streamlit's WStates, without a server.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import ws_client  # noqa: E402
from proxy_stack import ProxyStack  # noqa: E402


def test_guard_keeps_a_widgets_array_type():
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    from streamlit.runtime.state.common import WidgetMetadata
    from streamlit.runtime.state.session_state import Serialized, WStates

    from ui import compat

    assert compat.install() and compat.install()          # idempotent
    options = ["0.001", "0.01", "0.1"]
    ws = WStates()
    ws.set_widget_metadata(WidgetMetadata(
        id="w", deserializer=lambda v: float(v[0]) if v and v[0] in options else 0.01,
        serializer=lambda v: [f"{v:g}"], value_type="string_array_value"))
    bad = WidgetState(id="w")
    bad.double_array_value.data.append(2.0)               # a number for a select_slider
    ws.states["w"] = Serialized(bad)
    assert ws["w"] == 0.01                                 # Streamlit's fallback: the default
    assert ws.widget_metadata["w"].value_type == "string_array_value"
    assert list(ws.get_serialized("w").string_array_value.data) == ["0.01"]   # no TypeError
    # a value of the right type is untouched
    good = WidgetState(id="w")
    good.string_array_value.data.append("0.1")
    ws.states["w"] = Serialized(good)
    assert ws["w"] == 0.1


async def _session(hostport: str) -> list[str]:
    from streamlit.proto.Slider_pb2 import Slider

    problems = []

    async def rerun(ws, values: dict) -> dict:
        run = await ws_client.rerun(ws, values, timeout=120)
        problems.extend(f"{e.exception.type}: {e.exception.message[:200]}" for e in run.of_type("exception"))
        return {e.slider.id: e.slider for e in run.of_type("slider") if e.slider.id}

    async with ws_client.connect(hostport) as ws:
        sliders = await rerun(ws, {})
        selects = [i for i, s in sliders.items() if s.type == Slider.SELECT_SLIDER]
        numeric = [i for i, s in sliders.items() if s.type != Slider.SELECT_SLIDER]
        assert selects, "the Playground has select_sliders (η, ε)"
        # wrong types: a number for each select_slider, a label for each numeric slider; twice, so
        # the run after the first bad message (where the old failure showed) is covered
        bad = {i: 3.0 for i in selects} | {i: "not a number" for i in numeric}
        await rerun(ws, bad)
        await rerun(ws, bad)
        # and then a well-formed move still works
        s = sliders[selects[0]]
        await rerun(ws, {selects[0]: s.options[len(s.options) // 3]})
    return problems


def test_wrong_typed_widget_values_over_the_websocket_show_no_exception():
    with ProxyStack(replicas=1, nginx=False) as stack:
        # a thread of its own: the session's Playwright (tests/conftest.py) may own this thread's loop
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            problems = pool.submit(asyncio.run, _session(stack.replicas[0].addr)).result(timeout=300)
        log = stack.replicas[0].log.read_text(errors="replace")
    assert not problems, problems
    assert "Traceback" not in log, log[-3000:]


async def _rerun_scalars(ws, values: dict, timeout: float = 120) -> ws_client.Run:
    """As ws_client.rerun, but each value goes out as a single value: a number as a number_input's
    double_value, a string as a selectbox's or radio's string_value."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    m = BackMsg()
    m.rerun_script.query_string = ""
    for wid, v in values.items():
        w = m.rerun_script.widget_states.widgets.add()
        w.id = wid
        if isinstance(v, str):
            w.string_value = v
        else:
            w.double_value = v
    await ws.send(m.SerializeToString())
    run = ws_client.Run()
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await asyncio.wait_for(ws.recv(), timeout))
        if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
            run.elements.append(msg.delta.new_element)
        elif msg.WhichOneof("type") == "script_finished":
            return run


async def _numbers_session(hostport: str) -> tuple[list[str], list[str]]:
    problems, infos = [], []

    async def rerun(ws, values):
        run = await _rerun_scalars(ws, values)
        problems.extend(f"{e.exception.type}: {e.exception.message[:200]}" for e in run.of_type("exception"))
        infos.extend(e.alert.body for e in run.of_type("alert"))
        return ({e.number_input.label: e.number_input for e in run.of_type("number_input")},
                {e.selectbox.label: e.selectbox for e in run.of_type("selectbox")})

    async with ws_client.connect(hostport) as ws:
        boxes, selects = await rerun(ws, {})
        steps = boxes["steps"].id
        for bad in (float("nan"), float("inf"), 1e9):
            await rerun(ws, {steps: bad})
        schedule = selects["learning-rate schedule η_t"].id
        await rerun(ws, {schedule: "no such schedule"})       # Streamlit would reset it to its default
        await rerun(ws, {})                                   # the session still works
    return problems, infos


def test_non_finite_and_out_of_range_numbers_over_the_websocket():
    """An integer box sent NaN or inf (Streamlit 1.67 runs int(nan) on it) or a value past its
    bounds: no exception, a note on the page (ui/compat.py)."""
    with ProxyStack(replicas=1, nginx=False) as stack:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            problems, infos = pool.submit(asyncio.run, _numbers_session(stack.replicas[0].addr)).result(timeout=300)
        log = stack.replicas[0].log.read_text(errors="replace")
    assert not problems, problems
    text = "\n".join(infos)
    assert "steps: nan is not a finite number; kept 300" in text and "steps: inf is not a finite number" in text
    assert "steps: 1e+09 is outside [1, 100000]; clamped to 100000" in text
    assert "schedule: 'no such schedule' is not one of the choices; kept constant." in text
    assert "Traceback" not in log, log[-3000:]
