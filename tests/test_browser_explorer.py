"""The live latent explorer in real Chromium, on tests/apps/explorer_demo.py and shipped models.

Hovering and sliders must decode in the browser with no message to the server (we count the
websocket frames the page sends); the browser's decode must equal torch's; clicks and drags
must reach Python; without the runtime or a decoder the map falls back to clicks.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from core.data.datasets import load_dataset
from core.latent.caches import cached_projection
from core.latent.neighbours import nearest
from core.training.checkpoints import load_model
from harness.browser import (
    ROOT,
    explorer_isolated,
    explorer_pixel,
    explorer_point_pixel,
    explorer_probe,
    screenshot,
    streamlit_server,
    wait_idle,
)

pytestmark = pytest.mark.browser

KEY = "demo_explorer"
PROBE = explorer_probe(KEY)


@pytest.fixture(scope="module")
def demo_url():
    with streamlit_server(script=ROOT / "tests" / "apps" / "explorer_demo.py") as (url, _):
        yield url


def open_demo(page, url: str, query: str, status: str = "live") -> None:
    page.goto(f"{url}/?{query}", wait_until="domcontentloaded")
    wait_idle(page)
    page.wait_for_function(
        f"(s) => {{ const p = {PROBE}; return p && p.status === s; }}", arg=status, timeout=60_000
    )


def page_xy(page, x: float, y: float) -> tuple[float, float]:
    """Data coordinates on the map -> page pixels."""
    return explorer_pixel(page, KEY, x, y)


def sent_to_python(page, name: str) -> dict:
    """The demo prints each trigger value Python received as JSON in a code block."""
    page.wait_for_function(
        "(name) => [...document.querySelectorAll('[data-testid=stCode]')]"
        '.some((c) => c.innerText.includes(`"${name}"`))',
        arg=name,
        timeout=30_000,
    )
    for block in page.locator('[data-testid="stCode"]').all_inner_texts():
        if f'"{name}"' in block:
            return json.loads(block)[name]
    raise AssertionError(f"no {name} in the page")


def decodes(page) -> int:
    return page.evaluate(f"() => {PROBE}.stats.length")


def settle(page) -> None:
    page.wait_for_function(f"() => !{PROBE}.explorer.busy && !{PROBE}.explorer.pending")


def empty_spot(coords: np.ndarray) -> np.ndarray:
    """A place on the map inside its box, as far as possible from every point (so the pointer
    decodes space, not a point's reconstruction)."""
    lo, hi = coords.min(0), coords.max(0)
    grid = np.stack(np.meshgrid(*[np.linspace(a, b, 40) for a, b in zip(lo, hi, strict=True)]), -1)
    grid = grid.reshape(-1, 2)
    span = hi - lo
    dist = (((grid[:, None, :] - coords[None, ::5, :]) / span) ** 2).sum(-1).min(1)
    return grid[int(np.argmax(dist))]


def isolated(coords: np.ndarray, n: int) -> list[int]:
    """n points (among the first 500) farthest from their nearest neighbour: a click at one
    lands on it, not on a neighbour drawn at the same pixel."""
    _, dist = nearest(coords, coords[:500], 2)  # [500, 2], itself first
    return [int(i) for i in np.argsort(-dist[:, 1])[:n]]


@pytest.fixture(scope="module")
def ae_k2():
    path = ROOT / "checkpoints" / "ae_k2.pt"
    model = load_model(path)
    codes, projection = cached_projection(
        model, path, load_dataset("embedded"), "raw", ROOT / "checkpoints" / "projections"
    )
    return model, codes, projection


def torch_decode(model, code) -> np.ndarray:
    with torch.no_grad():
        return model.decode(torch.tensor([code], dtype=torch.float32)).numpy().reshape(-1)


def test_hover_decodes_live_without_any_server_message(page, demo_url, frames_sent, ae_k2):
    open_demo(page, demo_url, "model=ae_k2&proj=raw")
    _, codes, _ = ae_k2
    settle(page)
    before, sent_before = decodes(page), len(frames_sent)
    (x0, y0), (x1, y1) = page_xy(page, *codes.min(0)), page_xy(page, *codes.max(0))
    pictures = set()
    for t in np.linspace(0.1, 0.9, 25):
        page.mouse.move(x0 + (x1 - x0) * t, y0 + (y1 - y0) * (1 - t))
        page.wait_for_timeout(30)
        pictures.add(page.evaluate(f"() => {PROBE}.last.image.slice(300, 480).join()"))
    settle(page)
    assert decodes(page) - before >= 10  # the preview followed the pointer
    assert len(pictures) >= 10  # ... and showed different digits
    assert len(frames_sent) == sent_before, "hovering sent messages to the server"
    assert "script runs: 1 " in page.inner_text('[data-testid="stMain"]')
    screenshot(page, "explorer-hover")


def test_the_runtime_and_arrays_come_uncompressed_from_the_file(page, demo_url):
    """Streamlit gzips /app/static/ responses per request in the server process (0.6 s of CPU for
    the 14 MB runtime, per session); the explorer asks for whole-file ranges, served as is."""
    open_demo(page, demo_url, "model=ae_k2&proj=raw")
    fetched = page.evaluate(
        """() => performance.getEntriesByType('resource')
            .filter(e => e.name.includes('/app/static/') && !e.name.endsWith('.mjs'))
            .map(e => [e.name.split('/').pop(), e.encodedBodySize, e.decodedBodySize])"""
    )
    names = [name for name, *_ in fetched]
    assert "ort-wasm-simd-threaded.wasm" in names and any(n.endswith(".onnx") for n in names)
    assert any(n.endswith(".bin") for n in names), names  # the map's arrays
    for name, encoded, decoded in fetched:
        assert encoded == decoded > 0, f"{name} came compressed ({encoded} of {decoded} bytes)"


@pytest.mark.parametrize(("model", "proj"), [("ae_k2", "raw"), ("vae_k16", "pca")])
def test_preview_at_a_map_point_equals_torch(page, demo_url, model, proj):
    path = ROOT / "checkpoints" / f"{model}.pt"
    codes, projection = cached_projection(
        load_model(path), path, load_dataset("embedded"), proj, ROOT / "checkpoints" / "projections"
    )
    open_demo(page, demo_url, f"model={model}&proj={proj}")
    spot = empty_spot(projection.coords)
    page.mouse.move(*page_xy(page, *spot))
    page.wait_for_function(f"() => {PROBE}.explorer.hover && {PROBE}.last")
    settle(page)
    hover, last = page.evaluate(
        f"() => [{{x: {PROBE}.explorer.hover.x, y: {PROBE}.explorer.hover.y}}, {PROBE}.last]"
    )
    assert np.hypot(hover["x"] - spot[0], hover["y"] - spot[1]) < 0.02 * np.ptp(projection.coords)
    expected, exact = projection.inverse(np.array([[hover["x"], hover["y"]]]), codes)
    assert exact
    np.testing.assert_allclose(last["code"], expected[0], atol=1e-5)  # the JS inverse rule
    image = np.array(last["image"])
    assert image.shape == (784,)
    assert np.abs(image - torch_decode(load_model(path), last["code"])).max() <= 1e-3


def test_tsne_preview_is_the_weighted_mean_and_says_it_is_approximate(page, demo_url):
    path = ROOT / "checkpoints" / "vae_k16.pt"
    codes, projection = cached_projection(
        load_model(path),
        path,
        load_dataset("embedded"),
        "tsne",
        ROOT / "checkpoints" / "projections",
    )
    open_demo(page, demo_url, "model=vae_k16&proj=tsne")
    page.mouse.move(*page_xy(page, *empty_spot(projection.coords)))
    page.wait_for_function(f"() => {PROBE}.explorer.hover && {PROBE}.last")
    settle(page)
    hover, last = page.evaluate(
        f"() => [{{x: {PROBE}.explorer.hover.x, y: {PROBE}.explorer.hover.y}}, {PROBE}.last]"
    )
    expected, exact = projection.inverse(np.array([[hover["x"], hover["y"]]]), codes)
    assert not exact
    np.testing.assert_allclose(last["code"], expected[0], atol=1e-4)
    assert "approximate" in page.locator(".lx-where").inner_text()


def test_a_click_on_a_point_reaches_python(page, demo_url, ae_k2):
    open_demo(page, demo_url, "model=ae_k2&proj=raw")
    _, codes, _ = ae_k2
    index = isolated(codes, 1)[0]
    page.mouse.click(*page_xy(page, *codes[index]))
    click = sent_to_python(page, "click")
    assert click["index"] == index
    np.testing.assert_allclose(click["code"], codes[index], atol=1e-6)


def test_a_drag_between_points_decodes_a_strip_and_hands_the_pair(page, demo_url, ae_k2):
    open_demo(page, demo_url, "model=ae_k2&proj=raw")
    _, codes, _ = ae_k2
    a, b = isolated(codes, 2)
    (ax, ay), (bx, by) = page_xy(page, *codes[a]), page_xy(page, *codes[b])
    page.mouse.move(ax, ay)
    page.mouse.down()
    for t in np.linspace(0, 1, 12):
        page.mouse.move(ax + (bx - ax) * t, ay + (by - ay) * t)
        page.wait_for_timeout(25)
    settle(page)
    kinds = page.evaluate(f"() => {PROBE}.stats.map((s) => s.kind)")
    assert kinds.count("path") >= 3
    assert page.locator(".lx-strip").is_visible()
    page.mouse.up()
    assert sent_to_python(page, "pair") == {"from": a, "to": b}


def test_a_slider_drag_decodes_live_without_any_server_message(page, demo_url, frames_sent):
    open_demo(page, demo_url, "model=vae_k16&proj=pca")
    page.mouse.click(*page_xy(page, 0.0, 0.0))  # select the code at the map's centre
    sent_to_python(page, "click")
    wait_idle(page)
    slider = page.locator('.lx-sliders input[data-dim="0"]')
    assert page.locator(".lx-sliders input").count() == 16
    box = slider.bounding_box()
    page.mouse.move(1, 1)  # leave the map: the preview shows the selection
    settle(page)
    before, sent_before = decodes(page), len(frames_sent)
    first = page.evaluate(f"() => {PROBE}.last.code[0]")
    page.mouse.move(box["x"] + 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    for t in np.linspace(0, 1, 15):
        page.mouse.move(box["x"] + 2 + (box["width"] - 4) * t, box["y"] + box["height"] / 2)
        page.wait_for_timeout(30)
    page.mouse.up()
    settle(page)
    kinds = page.evaluate(f"(n) => {PROBE}.stats.slice(n).map((s) => s.kind)", before)
    assert kinds.count("slider") >= 5
    assert page.evaluate(f"() => {PROBE}.last.code[0]") != pytest.approx(first)
    assert len(frames_sent) == sent_before, "dragging a slider sent messages to the server"
    screenshot(page, "explorer-slider")


def test_off_map_and_non_finite_codes_are_never_decoded(page, demo_url):
    open_demo(page, demo_url, "model=ae_k2&proj=raw")
    box = page.locator(".lx-map").bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(*centre)
    for _ in range(12):  # zoom far out: most of the map is now far beyond the data
        page.mouse.wheel(0, 400)
    page.wait_for_timeout(100)
    settle(page)
    before = decodes(page)
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    page.wait_for_timeout(200)
    assert "Off the map" in page.locator(".lx-where").inner_text()
    page.evaluate(
        f"""() => {{ const e = {PROBE}.explorer;
            e.request({{codes: Float32Array.of(NaN, 0), kind: "test", t: 0}});
            e.request({{codes: Float32Array.of(Infinity, 1), kind: "test", t: 0}}); }}"""
    )
    settle(page)
    assert decodes(page) == before
    image = np.array(page.evaluate(f"() => {PROBE}.last.image"))
    assert np.isfinite(image).all()


@pytest.mark.parametrize("broken", ["runtime", "export"])
def test_without_runtime_or_export_the_map_falls_back_to_click(page, demo_url, ae_k2, broken):
    if broken == "runtime":  # the static route to the WASM file is blocked
        page.route("**/ort-wasm-simd-threaded.wasm", lambda route: route.fulfill(status=404))
    query = "model=ae_k2&proj=raw" + ("&decoder=missing" if broken == "export" else "")
    open_demo(page, demo_url, query, status="fallback")
    notice = page.locator(".lx-notice")
    assert notice.is_visible() and "Live preview off" in notice.inner_text()
    assert "Click a point" in notice.inner_text()
    _, codes, _ = ae_k2
    index = isolated(codes, 1)[0]
    page.mouse.click(*page_xy(page, *codes[index]))
    assert sent_to_python(page, "click")["index"] == index
    if broken == "runtime":
        screenshot(page, "explorer-fallback")


def test_hover_redraws_only_what_moved_and_leaves_no_trace(page, demo_url):
    """The overlay redraws only the box around what moved (renderer.js drawOverlay): after a
    selection and a few hovers its pixels equal those of a whole redraw of the same scene."""
    open_demo(page, demo_url, "model=ae_k2&proj=raw")
    settle(page)
    a, b, c = explorer_isolated(page, KEY, 3)
    page.evaluate(f"(i) => {PROBE}.explorer.select(i, null)", a)  # a ring far from the hovers
    overlay = f"""() => {{ const v = {PROBE}.explorer.view, c = v.canvases.overlay;
        return Array.from(c.getContext("2d").getImageData(0, 0, c.width, c.height).data
            .filter((_, i) => i % 4 === 3)); }}"""

    def ink_near(alpha: list, index: int) -> int:
        """The overlay's alpha summed over 21 x 21 device pixels around point ``index``."""
        w, dpr = page.evaluate(
            f"() => [{PROBE}.explorer.view.canvases.overlay.width, devicePixelRatio]"
        )
        px, py = page.evaluate(
            f"(i) => {PROBE}.explorer.toPixel(...{PROBE}.explorer.pointXY(i))", index
        )
        grid = np.array(alpha).reshape(-1, w)
        x, y = round(px * dpr), round(py * dpr)
        return int(grid[max(0, y - 10) : y + 11, max(0, x - 10) : x + 11].sum())

    for index in (b, c):
        page.mouse.move(*explorer_point_pixel(page, KEY, index))
        page.wait_for_function(f"(i) => {PROBE}.explorer.hover.index === i", arg=index)
    drawn = page.evaluate(overlay)
    assert ink_near(drawn, a) > 0 and ink_near(drawn, c) > 0  # selected and hovered rings
    assert ink_near(drawn, b) == 0  # the ring left behind was wiped
    whole = page.evaluate(
        f"() => {{ {PROBE}.explorer.view.overlayStamp = null; {PROBE}.explorer.drawOverlay(); }}"
    )
    assert whole is None
    assert page.evaluate(overlay) == drawn  # the same pixels as a whole redraw
