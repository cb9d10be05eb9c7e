"""The whole Fashion-MNIST training file on the live map in Chromium: 60,000 points drawn,
decoded under the pointer, and a click names the item's class."""

from __future__ import annotations

import pytest

from core.data.datasets import DEBIAN_FASHION_DIR, FASHION_NAMES
from harness import browser

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (DEBIAN_FASHION_DIR / "train-images-idx3-ubyte.gz").exists(),
        reason="needs Debian's dataset-fashion-mnist (scripts/test.sh installs it)",
    ),
]

KEY = "map_explorer"
PROBE = browser.explorer_probe(KEY)


def test_the_whole_fashion_set_is_drawn_and_decodes_live(page, app_url):
    browser.goto(page, app_url, "latent_map?dataset=fashion-mnist&model=fashion_ae_k2", timeout=180)
    browser.wait_explorer(page, KEY, timeout=180)
    assert page.evaluate(f"() => {PROBE}.explorer.n") == 60_000  # every image, not a sample
    browser.wait_idle(page)
    decodes = page.evaluate(f"() => {PROBE}.stats.length")
    index = browser.explorer_isolated(page, KEY, 1)[0]
    x, y = browser.explorer_point_pixel(page, KEY, index)
    for dx in (-30, -15, 0, 15, 30):
        page.mouse.move(x + dx, y + 20)
        page.wait_for_timeout(60)
    page.wait_for_timeout(300)
    assert page.evaluate(f"() => {PROBE}.stats.length") > decodes  # decoded in the browser
    browser.screenshot(page, "fashion_map")

    # the screenshot resized the window, so the map (taller than the window) may have scrolled
    x, y = browser.explorer_point_pixel(page, KEY, index)
    page.mouse.click(x, y)
    text = page.locator('[data-testid="stMain"]')
    page.get_by_text("5 nearest neighbours in latent space").wait_for(timeout=60_000)
    shown = text.inner_text()
    assert "Item #" in shown and any(name in shown for name in FASHION_NAMES)
    assert "Digit" not in shown and "Traceback" not in shown
    browser.screenshot(page, "fashion_map_point")
