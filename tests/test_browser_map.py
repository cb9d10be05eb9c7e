"""The latent map in a real Chromium: hovering decodes in the browser and sends nothing; a click
on a digit or on empty space opens the side panel; a link reopens the selection."""

from __future__ import annotations

import pytest

from harness.browser import (
    explorer_pixel,
    explorer_point_pixel,
    explorer_probe,
    goto,
    main_text,
    screenshot,
    streamlit_server,
    wait_explorer,
    wait_idle,
)

pytestmark = pytest.mark.browser

KEY = "map_explorer"
PROBE = explorer_probe(KEY)


def _selected(page) -> int | None:
    return page.evaluate(f"() => {PROBE}.explorer.selection && {PROBE}.explorer.selection.index")


def _corner(page, fx: float, fy: float) -> tuple[float, float]:
    """A place at a fraction of the map's box (0, 0 the top left), as page pixels."""
    x, y = page.evaluate(
        f"([fx, fy]) => {{ const e = {PROBE}.explorer; return e.toData(e.width * fx,"
        " e.height * fy); }",
        [fx, fy],
    )
    return explorer_pixel(page, KEY, x, y)


def test_hover_decodes_live_then_a_click_opens_a_digit_then_empty_space(page, app_url):
    goto(page, app_url)
    assert "Latent Lab" in main_text(page)
    screenshot(page, "home")

    sent: list = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    goto(page, app_url, "latent_map")
    wait_explorer(page, KEY)
    assert "Click a dot" in main_text(page)
    wait_idle(page)
    before, decodes = len(sent), page.evaluate(f"() => {PROBE}.stats.length")
    for f in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        page.mouse.move(*_corner(page, f, 1 - f))
        page.wait_for_timeout(40)
    page.wait_for_timeout(300)
    assert page.evaluate(f"() => {PROBE}.stats.length") - decodes >= 4  # decoded under the pointer
    assert len(sent) == before, "hovering the map sent messages to the server"
    screenshot(page, "latent_map")

    page.mouse.click(*explorer_point_pixel(page, KEY, 7))
    index = _selected(page)  # 7, or a neighbour drawn at the same pixel
    page.get_by_text(f"Digit #{index} ").wait_for()
    page.get_by_text("5 nearest neighbours in latent space").wait_for()
    images = page.locator('[data-testid="stImage"] img')
    images.nth(2 + 5 - 1).wait_for()  # original, reconstruction and five neighbours
    assert f"sel=i{index}" in page.url
    screenshot(page, "latent_map_point")

    # Far from any digit: near the top-left corner of the raw 2-D map.
    page.mouse.click(*_corner(page, 0.03, 0.03))
    page.get_by_text("Empty space at").wait_for()
    page.get_by_text("this point is the code itself").wait_for()
    images.first.wait_for()
    assert "Traceback" not in main_text(page)
    screenshot(page, "latent_map_space")


def test_a_link_reopens_the_selection_and_a_non_finite_one_decodes_nothing(page, app_url):
    goto(page, app_url, "latent_map?model=vae_k2&proj=raw&sel=i7")
    wait_explorer(page, KEY)
    page.get_by_text("Digit #7 ").wait_for()
    assert _selected(page) == 7  # the map marks it too
    goto(page, app_url, "latent_map?model=vae_k2&sel=1e309,-1e309")
    page.get_by_text("is not a place on the map").wait_for()
    assert "Empty space" not in main_text(page)
    assert page.locator('[data-testid="stMain"] [data-testid="stImage"]').count() == 0


def test_without_the_runtime_the_map_still_opens_a_digit_by_click(page, app_url):
    page.route("**/ort-wasm-simd-threaded.wasm", lambda route: route.fulfill(status=404))
    goto(page, app_url, "latent_map?model=ae_k2&proj=raw")
    wait_explorer(page, KEY, status="fallback")
    notice = page.locator(".lx-notice")
    assert notice.is_visible() and "Live preview off" in notice.inner_text()
    assert "Click a point" in notice.inner_text()
    page.mouse.click(*explorer_point_pixel(page, KEY, 11))
    page.get_by_text(f"Digit #{_selected(page)} ").wait_for()
    screenshot(page, "latent_map_fallback")


def test_a_deep_link_as_a_fresh_servers_first_request_gets_the_whole_app(page):
    """Regression: with the pages in a folder named pages/, Streamlit ran the page file alone
    (no sidebar, no model) when the first request to a new server was a deep link."""
    with streamlit_server() as (url, _):
        goto(page, url, "latent_map?model=vae_k2&proj=pca")
        pickers = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"] input')
        assert pickers.nth(1).input_value() == "vae_k2 · VAE, k=2"
        assert "Latent map" in main_text(page) and "Pick a model" not in main_text(page)
        assert page.get_by_role("radio", name="PCA of the latent").is_checked()
        # The map draws with its own element: the page never loads plotly.js (ui/preload.py)
        wait_explorer(page, KEY)
        loaded = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
        assert loaded and not [name for name in loaded if "plotly" in name.lower()]
