"""The twin maps (ui/explorer.py twin_maps) on the PCA vs AE page, in real Chromium: hovering
one map changes both pictures with no message to the server, a digit is ringed in both maps,
and what model B makes of model A's picture is computed in the browser as torch computes it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.analysis.compare import pca_sizes
from core.training.checkpoints import list_checkpoints, load_model
from harness.browser import ARTIFACTS, explorer_probe, goto, screenshot, wait_explorer, wait_idle

from .conftest import ROOT

pytestmark = pytest.mark.browser

KEY = "pva_twin"
PROBE = explorer_probe(KEY)
TWIN = f"{PROBE}.explorer"


def side_pixel(page, side: int, x: float, y: float) -> tuple[float, float]:
    """Map place (x, y) on side 0 or 1 -> page pixels, the maps scrolled into view."""
    return page.evaluate(
        f"""([s, x, y]) => {{ const side = {TWIN}.sides[s], box = side.box;
            const seen = box.getBoundingClientRect();
            if (seen.top < 0 || seen.bottom > innerHeight) box.scrollIntoView({{block: "center"}});
            const r = box.getBoundingClientRect(), [px, py] = side.view.toPixel(x, y);
            return [r.left + px, r.top + py]; }}""",
        [side, float(x), float(y)],
    )


def ink_at(page, side: int, x: float, y: float, dx: float = 0.0) -> int:
    """The overlay canvas's alpha summed over 7 x 7 device pixels at place (x, y) + dx css px."""
    return page.evaluate(
        f"""([s, x, y, dx]) => {{ const v = {TWIN}.sides[s].view, [px, py] = v.toPixel(x, y);
            const a = v.canvases.overlay.getContext("2d").getImageData(
                Math.round((px + dx) * v.dpr) - 3, Math.round(py * v.dpr) - 3, 7, 7).data;
            let ink = 0; for (let i = 3; i < a.length; i += 4) ink += a[i]; return ink; }}""",
        [side, float(x), float(y), float(dx)],
    )


def isolated_point(page, side: int) -> int:
    """A digit far (in pixels) from its neighbours on both maps, inside both."""
    return page.evaluate(
        f"""() => {{ const t = {TWIN}; let best = [-1, -1];
            for (let i = 0; i < 400; i++) {{
                let gap = Infinity;
                for (const side of t.sides) {{
                    const v = side.view, [u, w] = v.toPixel(...side.points.pointXY(i));
                    if (u < 20 || w < 20 || u > v.width - 20 || w > v.height - 20) gap = -1;
                    for (let j = 0; j < side.points.n && gap > 0; j++) {{
                        if (j === i) continue;
                        const [p, q] = v.toPixel(...side.points.pointXY(j));
                        gap = Math.min(gap, (p - u) ** 2 + (q - w) ** 2);
                    }}
                }}
                if (gap > best[0]) best = [gap, i];
            }}
            return best[1]; }}"""
    )


def test_hover_links_both_maps_without_a_server_message(page, app_url, frames_sent):
    goto(page, app_url, "pca_vs_ae", timeout=180)
    wait_explorer(page, KEY, timeout=180)
    wait_idle(page)
    sides = page.evaluate(f"() => {TWIN}.sides.map((s) => s.spec.title)")
    assert sides[0].startswith("PCA") and sides[1].startswith("ae_k2")
    before = len(frames_sent)

    # over a digit on map A: both reconstructions drawn, the digit ringed on map B too
    index = isolated_point(page, 0)
    xa, ya = page.evaluate(f"(i) => {TWIN}.sides[0].points.pointXY(i)", index)
    xb, yb = page.evaluate(f"(i) => {TWIN}.sides[1].points.pointXY(i)", index)
    page.mouse.move(*side_pixel(page, 0, xa, ya))
    page.wait_for_function(f"(i) => {PROBE}.last && {PROBE}.last.index === i", arg=index)
    last = page.evaluate(f"() => {PROBE}.last")
    pictures = [np.array(image) for image in last["images"]]
    assert all(p.shape == (784,) and p.max() > 0.3 for p in pictures)  # two digits drawn
    assert np.abs(pictures[0] - pictures[1]).max() > 0.05  # two models, two pictures
    page.wait_for_timeout(100)
    assert ink_at(page, 1, xb, yb, dx=8) > 0  # the linked ring (radius 8) on map B
    assert page.evaluate(f"() => {TWIN}.hover.index") == index

    # over empty space on map A: A decodes it, B encodes that and marks where it lands
    lo, hi = page.evaluate(
        f"() => {{ const b = {TWIN}.sides[0].points.bounds; return [[b.x0, b.y0], [b.x1, b.y1]]; }}"
    )
    spots = 0
    for fx, fy in ((0.5, 0.05), (0.05, 0.5), (0.95, 0.5), (0.5, 0.95)):
        x, y = lo[0] + fx * (hi[0] - lo[0]), lo[1] + fy * (hi[1] - lo[1])
        page.mouse.move(*side_pixel(page, 0, x, y))
        page.wait_for_timeout(250)
        if page.evaluate(f"() => {TWIN}.hover.index") is None:
            spots += 1
            break
    assert spots == 1, "no empty spot found on map A"
    page.wait_for_function(f"() => {PROBE}.last && {PROBE}.last.kind === 'space'")
    page.wait_for_function(f"() => !{TWIN}.busy && !{TWIN}.pending")
    last = page.evaluate(f"() => {PROBE}.last")
    assert last["side"] == 0 and last["landed"]["side"] == 1
    lx, ly = last["landed"]["place"]
    assert np.isfinite([lx, ly]).all()
    page.wait_for_timeout(100)
    assert ink_at(page, 1, lx, ly) > 0  # the star on map B
    assert len(frames_sent) == before  # nothing reached the server while hovering
    page.screenshot(path=str(ARTIFACTS / "pca_vs_ae_twin_space.png"))  # the star, as seen

    # what B makes of A's picture, as torch makes it: PCA decodes, the AE encodes
    hover = last["code"]  # PCA's code of the place: the place itself
    from ui.compute import pixel_pca

    infos = [i for i in list_checkpoints(ROOT / "checkpoints") if i.dataset == "embedded"]
    pca = pixel_pca.__wrapped__("embedded", max(pca_sizes(infos))).pca  # no Streamlit cache
    picture = np.clip(pca.mean + np.array(hover, np.float32) @ pca.components[:2], 0, 1)
    model = load_model(ROOT / "checkpoints" / "ae_k2.pt")
    with torch.no_grad():
        z = model.encode(torch.tensor(picture, dtype=torch.float32).reshape(1, 1, 28, 28))
    assert np.abs(z.numpy()[0] - np.array(last["landed"]["code"])).max() <= 1e-3

    screenshot(page, "pca_vs_ae_twin_hover")

    # a click commits the selection to Python
    page.mouse.move(*side_pixel(page, 1, xb, yb))
    page.mouse.click(*side_pixel(page, 1, xb, yb))
    page.get_by_text(f"#{index}, label").wait_for(timeout=30_000)
