"""A Streamlit session over the app's own websocket, without a browser: Streamlit's protobuf
messages in and out (BackMsg / ForwardMsg). Used by scripts/loadtest.py and the tests; also
`frame_outcome`, for the frames a real browser's websocket receives (Playwright).

    async with connect("127.0.0.1:8501") as ws:
        run = await rerun(ws, {}, timeout=60)               # the first run of the start page
        sliders = [e.slider for e in run.of_type("slider")]
        run = await rerun(ws, {sliders[0].id: sliders[0].options[3]}, timeout=60)
        assert not run.of_type("exception")

Widget values go out as a browser sends them for sliders: a string (a select_slider's option label)
as a string array, a number as a double array.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


def connect(hostport: str):
    """`async with connect(...) as ws`: the app's websocket at host:port."""
    import websockets

    return websockets.connect(f"ws://{hostport}/_stcore/stream", subprotocols=["streamlit"], max_size=2**28)


@dataclass
class Run:
    """What one script run sent: the size of every message, and the elements it drew."""

    sizes: list[int] = field(default_factory=list)
    elements: list = field(default_factory=list)    # Element protos of the new_element deltas

    def of_type(self, kind: str) -> list:
        """The elements of one kind ("exception", "slider", "plotly_chart", ...)."""
        return [e for e in self.elements if e.WhichOneof("type") == kind]


def frame_outcome(payload) -> tuple[str, str] | None:
    """What a ForwardMsg frame (as a browser's websocket receives it) says about the run:
    ("finished", "") for a successful script_finished, ("exception", message) for an exception
    drawn on the page, None for anything else (text frames included)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    if isinstance(payload, str):
        return None
    msg = ForwardMsg()
    msg.ParseFromString(payload)
    kind = msg.WhichOneof("type")
    if kind == "script_finished" and msg.script_finished == msg.FINISHED_SUCCESSFULLY:
        return "finished", ""
    if kind == "delta" and msg.delta.new_element.WhichOneof("type") == "exception":
        return "exception", msg.delta.new_element.exception.message
    return None


async def rerun(ws, values: dict, timeout: float) -> Run:
    """Ask for a rerun with `values` (widget id -> str or number) and collect its messages up to
    `script_finished`."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    m = BackMsg()
    m.rerun_script.query_string = ""
    for wid, v in values.items():
        w = m.rerun_script.widget_states.widgets.add()
        w.id = wid
        (w.string_array_value if isinstance(v, str) else w.double_array_value).data.append(v)
    await ws.send(m.SerializeToString())
    run = Run()
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout)
        run.sizes.append(len(raw))
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            run.elements.append(msg.delta.new_element)
        elif kind == "script_finished":
            return run
