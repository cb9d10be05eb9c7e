"""Open one page of a running Latent Lab over Streamlit's own WebSocket protocol, no browser,
and fail unless its run finishes without an exception. deploy/check.sh runs it against the
Dockerfile's CMD with no network.

    python deploy/smoke.py http://127.0.0.1:8501 latent_map "model=ae_k2&sel=i7"
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.protocol import page_open, run_elements, stream_url  # noqa: E402


async def open_page(url: str, page: str, query: str, timeout: float = 120.0) -> list[str]:
    """The types of the page's elements, in the order the server sent them."""
    async with websockets.connect(stream_url(url), subprotocols=["streamlit"], max_size=None) as ws:
        await ws.send(page_open(page, query))
        async with asyncio.timeout(timeout):
            return [element.WhichOneof("type") for element in await run_elements(ws)]


def main() -> None:
    url, page, query = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""
    elements = asyncio.run(open_page(url, page, query))
    if "exception" in elements or not elements:
        sys.exit(f"{page}: {len(elements)} elements, {elements.count('exception')} exception(s)")
    print(f"   {page}?{query}: {len(elements)} elements, no exception")


if __name__ == "__main__":
    main()
