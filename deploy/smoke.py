"""Open one page of a running Latent Lab over Streamlit's own WebSocket protocol, no browser,
and fail unless its run finishes without an exception. deploy/check.sh runs it against the
Dockerfile's CMD with no network.

    python deploy/smoke.py http://127.0.0.1:8501 latent_map "model=ae_k2&sel=i7"
"""

from __future__ import annotations

import asyncio
import sys

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


async def open_page(url: str, page: str, query: str, timeout: float = 120.0) -> list[str]:
    """The page's elements by type, in the order the server sent them, once its run finished."""
    opening = BackMsg()
    opening.rerun_script.page_name = page
    opening.rerun_script.query_string = query
    elements = []
    ws_url = url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
    async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=None) as ws:
        await ws.send(opening.SerializeToString())
        async with asyncio.timeout(timeout):
            while True:
                message = ForwardMsg()
                message.ParseFromString(await ws.recv())
                kind = message.WhichOneof("type")
                if kind == "script_finished":
                    return elements
                if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                    elements.append(message.delta.new_element.WhichOneof("type"))


def main() -> None:
    url, page, query = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""
    elements = asyncio.run(open_page(url, page, query))
    if "exception" in elements or not elements:
        sys.exit(f"{page}: {len(elements)} elements, {elements.count('exception')} exception(s)")
    print(f"   {page}?{query}: {len(elements)} elements, no exception")


if __name__ == "__main__":
    main()
