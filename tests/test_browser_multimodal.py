"""One space, two kinds of input in a real Chromium: type a sentence and its marker appears on
the map with no traceback; click a digit and the model's sentence for it appears."""

from __future__ import annotations

import pytest

from harness.browser import (
    explorer_point_pixel,
    explorer_probe,
    goto,
    main_text,
    screenshot,
    wait_explorer,
    wait_idle,
)

pytestmark = pytest.mark.browser

KEY = "mm_explorer"
PROBE = explorer_probe(KEY)


def _marks(page) -> list[str]:
    """The labels of the marks drawn over the map (ui/explorer.py overlay)."""
    return page.evaluate(
        f"() => ({PROBE}.explorer.data.overlays || []).map((m) => m.label || m.kind)"
    )


def test_type_a_sentence_then_click_a_digit(page, app_url):
    goto(page, app_url, "multimodal")
    wait_explorer(page, KEY)
    box = page.locator(".st-key-mm_sentence input")
    box.fill("a thin one, slanted left")
    box.press("Enter")
    wait_idle(page)
    page.get_by_text("What the sentence draws").wait_for(timeout=60_000)
    wait_explorer(page, KEY)
    assert "your sentence" in _marks(page)
    assert "Traceback" not in main_text(page)

    box.fill("a fat seven")
    box.press("Enter")
    wait_idle(page)
    page.get_by_text("unknown word 'fat'").wait_for(timeout=60_000)
    assert "Traceback" not in main_text(page)
    box.fill("a thick seven, slanted right")
    box.press("Enter")
    wait_idle(page)

    page.mouse.click(*explorer_point_pixel(page, KEY, 7))
    page.get_by_text("the model writes:").first.wait_for(timeout=60_000)
    wait_idle(page)
    text = main_text(page)
    assert "Traceback" not in text and " · label " in text
    for width in (1400, 900):
        page.set_viewport_size({"width": width, "height": 1000})
        wait_idle(page)
        screenshot(page, f"multimodal_{width}")
