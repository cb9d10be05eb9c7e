"""Style & content in a real Chromium: the style row is drawn, loads, and follows the digit."""

from __future__ import annotations

import re

import pytest

from harness.browser import goto, main_text, screenshot, wait_idle

pytestmark = pytest.mark.browser

# Every loaded picture of the style row: [caption, src] where the caption reads "as 4: 4 · 99%".
ROW_JS = """() => [...document.querySelectorAll('[data-testid="stImage"]')]
    .map((el) => [el.innerText.trim(), el.querySelector('img')])
    .filter(([text, img]) => /^as \\d/.test(text) && img && img.complete && img.naturalWidth > 0)
    .map(([text, img]) => [text, img.src])"""


def _row(page) -> list[list[str]]:
    page.wait_for_function(f"() => ({ROW_JS})().length === 10", timeout=120_000)
    return page.evaluate(ROW_JS)


def test_the_style_row_follows_the_picked_digit(page, app_url):
    goto(page, app_url)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Style & content").click()
    page.get_by_text("Where the class lives").first.wait_for(timeout=180_000)
    wait_idle(page, 180)
    first = _row(page)
    assert [text.split(":")[0] for text, _ in first] == [f"as {d}" for d in range(10)]
    read = [int(re.search(r": (\d) ·", text).group(1)) for text, _ in first]
    assert sum(r == d for d, r in enumerate(read)) >= 8, first  # each render reads as its label
    assert "Traceback" not in main_text(page) and "near chance" not in main_text(page)
    screenshot(page, "style_content")

    which = page.get_by_role("spinbutton", name=re.compile(r"Which one \(of \d+\)")).first
    which.fill("5")
    which.press("Enter")
    wait_idle(page, 120)
    second = _row(page)
    assert [src for _, src in second] != [src for _, src in first]  # another digit's style
    assert "Traceback" not in main_text(page)

    page.get_by_text("By index").click()
    wait_idle(page, 120)
    index = page.get_by_role("spinbutton", name=re.compile("Validation digit"))
    index.fill("42")
    index.press("Enter")
    page.get_by_text("validation digit 42").first.wait_for(timeout=60_000)
    wait_idle(page, 120)
    assert len(_row(page)) == 10
    screenshot(page, "style_content_index")
