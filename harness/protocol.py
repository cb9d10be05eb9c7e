"""Streamlit's own WebSocket protocol, without a browser: what a page sends to open itself, and
the messages of one script run up to ``script_finished``. For clients that must cost next to
nothing (bench/capacity.py's many sessions) or run where no browser is (deploy/smoke.py).

    async with websockets.connect(stream_url(url), subprotocols=["streamlit"]) as ws:
        await ws.send(page_open("latent_map", "model=ae_k2&sel=i7"))
        elements = await run_elements(ws)  # [Element]: st.title, st.image, ... as sent
"""

from __future__ import annotations

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


def stream_url(url: str) -> str:
    """http://host:port -> the app's WebSocket, ws://host:port/_stcore/stream."""
    return url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"


def page_open(page: str, query: str = "") -> bytes:
    """The message a browser sends to run ``page`` (its url path) with this query string."""
    message = BackMsg()
    message.rerun_script.page_name = page
    message.rerun_script.query_string = query
    return message.SerializeToString()


async def run_elements(ws) -> list[Element]:
    """Read one run's messages up to ``script_finished``; the elements it drew, in order."""
    elements = []
    while True:
        message = ForwardMsg()
        message.ParseFromString(await ws.recv())
        kind = message.WhichOneof("type")
        if kind == "script_finished":
            return elements
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            elements.append(message.delta.new_element)
