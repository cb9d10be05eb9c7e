"""Live decoding on the app's own pages, in real Chromium: the GAN and VAE studios' sliders
decode in the browser with no message to the server (the GAN's equal to torch's generator),
the VAE's manifold decodes under the pointer, and Your digit's placement map draws."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.latent.operations import prior_codes
from core.training.checkpoints import load_model
from harness.browser import ROOT, goto, screenshot, wait_idle

from .test_page_reconstruct import digit_png

pytestmark = pytest.mark.browser


def probe(key: str) -> str:
    return f"(window.latentExplorer && window.latentExplorer[{key!r}])"


def wait_live(page, key: str, drawn: bool = True) -> None:
    """The component is live (runtime and decoder loaded) and, if ``drawn``, has decoded its
    first digit (the sliders do at once; a map waits for the pointer)."""
    page.wait_for_function(
        f"(d) => {{ const p = {probe(key)}; return p && p.status === 'live' && (!d || p.last); }}",
        arg=drawn,
        timeout=120_000,
    )
    settle(page, key)


def settle(page, key: str) -> None:
    page.wait_for_function(f"() => !{probe(key)}.explorer.busy && !{probe(key)}.explorer.pending")


def last(page, key: str) -> dict:
    return page.evaluate(f"() => {probe(key)}.last")


def drag_slider(page, key: str, dim: int, frames_sent: list) -> list[str]:
    """Drag slider ``dim`` of component ``key`` from its left end to its right end; returns the
    kinds of the decodes it caused. Asserts that no websocket frame was sent meanwhile."""
    box = page.evaluate(
        f"""(d) => {{ const s = {probe(key)}.explorer.root
                .querySelector(`.lx-sliders input[data-dim="${{d}}"]`);
            s.scrollIntoView({{block: "center"}}); const r = s.getBoundingClientRect();
            return {{x: r.left, y: r.top, width: r.width, height: r.height}}; }}""",
        dim,
    )
    page.wait_for_timeout(300)  # the scroll settles
    before, sent_before = page.evaluate(f"() => {probe(key)}.stats.length"), len(frames_sent)
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 2, y)
    page.mouse.down()
    for t in np.linspace(0, 1, 15):
        page.mouse.move(box["x"] + 2 + (box["width"] - 4) * t, y)
        page.wait_for_timeout(30)
    page.mouse.up()
    settle(page, key)
    assert len(frames_sent) == sent_before, "dragging a slider sent messages to the server"
    return page.evaluate(f"(n) => {probe(key)}.stats.slice(n).map((s) => s.kind)", before)


def generate(model, code) -> np.ndarray:
    with torch.no_grad():
        return model.decode(torch.tensor(np.array([code]), dtype=torch.float32)).numpy().reshape(-1)


def test_gan_studio_sliders_decode_live_and_equal_the_generator(page, app_url, frames_sent):
    goto(page, app_url, "gan?model=gan_k32")
    page.get_by_text("Move one sample's z").wait_for(timeout=120_000)
    wait_live(page, "gan_sliders")
    gan = load_model(ROOT / "checkpoints" / "gan_k32.pt")
    start = last(page, "gan_sliders")
    known = prior_codes(1000, 32, 0)[0]  # sample 0 of seed 0: the page's starting code
    np.testing.assert_allclose(start["code"], known, atol=1e-6)
    assert np.abs(np.array(start["image"]) - generate(gan, known)).max() <= 1e-3
    inputs = f"{probe('gan_sliders')}.explorer.root.querySelectorAll('.lx-sliders input')"
    sliders = page.evaluate(f"() => {inputs}.length")
    assert sliders == 16  # the first 16 of 32 dimensions

    kinds = drag_slider(page, "gan_sliders", 3, frames_sent)
    assert kinds.count("slider") >= 5
    moved = last(page, "gan_sliders")
    assert moved["code"][3] != pytest.approx(known[3])
    assert moved["code"][16:] == pytest.approx(list(known[16:]))  # the rest stays
    assert np.abs(np.array(moved["image"]) - generate(gan, moved["code"])).max() <= 1e-3
    screenshot(page, "gan_sliders")

    page.evaluate(f"() => {probe('gan_sliders')}.explorer.root.querySelector('.lx-reset').click()")
    settle(page, "gan_sliders")
    np.testing.assert_allclose(last(page, "gan_sliders")["code"], known, atol=1e-6)


def test_vae_studio_sliders_and_manifold_decode_live(page, app_url, frames_sent):
    goto(page, app_url, "vae?model=vae_k2")
    page.get_by_text("KL per latent dimension").wait_for(timeout=120_000)
    wait_idle(page)
    wait_live(page, "vae_sliders")
    start = last(page, "vae_sliders")
    kinds = drag_slider(page, "vae_sliders", 0, frames_sent)
    assert kinds.count("slider") >= 5
    assert last(page, "vae_sliders")["code"][0] != pytest.approx(start["code"][0])

    # the manifold: the pointer's position is the code (raw 2-D latent), decoded in the browser
    wait_live(page, "vae_manifold", drawn=False)
    box = page.evaluate(
        f"""() => {{ const m = {probe("vae_manifold")}.explorer.map;
            m.scrollIntoView({{block: "center"}}); const r = m.getBoundingClientRect();
            return {{x: r.left, y: r.top, width: r.width, height: r.height}}; }}"""
    )
    page.wait_for_timeout(300)
    sent_before = len(frames_sent)
    for t in np.linspace(0.2, 0.8, 8):
        page.mouse.move(box["x"] + box["width"] * t, box["y"] + box["height"] * t)
        page.wait_for_timeout(30)
    settle(page, "vae_manifold")
    assert len(frames_sent) == sent_before, "hovering the manifold sent messages to the server"
    hover = page.evaluate(f"() => {probe('vae_manifold')}.explorer.hover")
    code = last(page, "vae_manifold")["code"]
    np.testing.assert_allclose(code, [hover["x"], hover["y"]], atol=1e-5)
    vae = load_model(ROOT / "checkpoints" / "vae_k2.pt")
    image = np.array(last(page, "vae_manifold")["image"])
    assert np.abs(image - generate(vae, code)).max() <= 1e-3
    screenshot(page, "vae_sliders")


def test_your_digit_is_marked_on_a_live_placement_map(page, app_url, digits, tmp_path):
    goto(page, app_url, "reconstruct")
    page.get_by_text("Upload a picture of a digit").wait_for(timeout=90_000)
    seven = tmp_path / "seven.png"
    seven.write_bytes(digit_png(digits, 7))
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(seven))
    page.get_by_text("Nearest in the latent space").wait_for(timeout=120_000)
    wait_idle(page)
    wait_live(page, "reconstruct_map", drawn=False)
    explorer = f"{probe('reconstruct_map')}.explorer"
    assert page.evaluate(f"() => {probe('reconstruct_map')}.timeline.mapDrawn > 0")
    assert page.evaluate(f"() => {explorer}.n") == 5000
    marks = page.evaluate(f"() => {explorer}.data.overlays.map((m) => [m.label, m.points.length])")
    assert marks == [["5 nearest", 5], ["your digit", 1]]
    # the ring of "your digit" is drawn on the overlay canvas, where the page put it
    drawn = page.evaluate(
        f"""() => {{ const e = {explorer}, [x, y] = e.data.overlays[1].points[0];
            const [px, py] = e.toPixel(x, y), c = e.view.canvases.overlay, s = e.view.dpr;
            const a = c.getContext("2d").getImageData(Math.round((px + 9) * s) - 3,
                Math.round(py * s) - 3, 7, 7).data;
            let ink = 0; for (let i = 3; i < a.length; i += 4) ink += a[i]; return ink; }}"""
    )
    assert drawn > 0
    legend = page.evaluate(f"() => {explorer}.root.querySelector('.lx-legend').innerText")
    assert "your digit" in legend and "5 nearest" in legend
    page.evaluate(f"() => {explorer}.map.scrollIntoView({{block: 'center'}})")
    screenshot(page, "reconstruct_placement")


def test_without_the_runtime_the_sliders_say_why(page, app_url):
    page.route("**/ort-wasm-simd-threaded.wasm", lambda route: route.fulfill(status=404))
    goto(page, app_url, "gan?model=gan_k32")
    page.get_by_text("Move one sample's z").wait_for(timeout=120_000)
    page.wait_for_function(
        f"() => {probe('gan_sliders')} && {probe('gan_sliders')}.status === 'fallback'",
        timeout=60_000,
    )
    root = f"{probe('gan_sliders')}.explorer.root"
    notice = page.evaluate(f"() => {root}.querySelector('.lx-notice').innerText")
    assert "Live preview off" in notice and "The sliders need it" in notice
    assert "Traceback" not in page.inner_text('[data-testid="stMain"]')
