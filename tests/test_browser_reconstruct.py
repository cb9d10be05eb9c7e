"""The "Your digit" page in a real Chromium: upload a digit, a broken file, then a digit again;
draw on the canvas; search the GAN."""

from __future__ import annotations

import pytest

from harness.browser import goto, main_text, screenshot, wait_idle

from .test_page_reconstruct import digit_png

pytestmark = pytest.mark.browser


def _upload(page, path) -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    wait_idle(page, timeout=120)


def test_upload_a_digit_a_broken_file_and_a_digit_again(page, app_url, digits, tmp_path):
    goto(page, app_url, "reconstruct")
    page.get_by_text("Upload a picture of a digit").wait_for(timeout=90_000)
    screenshot(page, "reconstruct_empty")

    seven = tmp_path / "seven.png"
    seven.write_bytes(digit_png(digits, 7))
    _upload(page, seven)
    page.get_by_text("seven.png, step by step").wait_for()
    page.get_by_text("Its reconstruction error").wait_for()
    page.get_by_text("Nearest in the latent space").wait_for()
    wait_idle(page)
    text = main_text(page)
    assert "ae_k2 · MSE" in text and "PCA k=2 · MSE" in text
    # 5 steps + input + every reconstruction + 5 neighbours
    assert page.locator('[data-testid="stImage"] img').count() >= 5 + 1 + 10 + 5
    screenshot(page, "reconstruct_digit")

    broken = tmp_path / "broken.png"
    broken.write_bytes(bytes(range(256)) * 16)
    _upload(page, broken)
    page.get_by_text("not an image we can read").wait_for()
    text = main_text(page)
    assert "broken.png" in text and "Traceback" not in text
    assert "seven.png, step by step" in text  # the previous digit is still shown
    screenshot(page, "reconstruct_broken")

    four = tmp_path / "four.png"
    four.write_bytes(digit_png(digits, 4))
    _upload(page, four)
    page.get_by_text("four.png, step by step").wait_for()
    text = main_text(page)
    assert "not an image" not in text and "Traceback" not in text
    assert "ae_k2 · MSE" in text

    slider = page.get_by_role("slider").first  # the GAN search's steps: 300 -> 100
    slider.focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    wait_idle(page)
    page.get_by_role("button", name="Search the GAN's latent space").click()
    page.get_by_text("100 steps reached MSE").wait_for(timeout=180_000)
    wait_idle(page)
    assert "Traceback" not in main_text(page)
    screenshot(page, "reconstruct_gan")


def test_draw_a_digit_on_the_canvas(page, app_url):
    goto(page, app_url, "reconstruct")
    page.get_by_role("tab", name="Draw").click()
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for()
    box = canvas.bounding_box()
    # A "7": a bar across the top, then a diagonal down to the bottom left.
    points = [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]
    page.mouse.move(box["x"] + points[0][0] * box["width"], box["y"] + points[0][1] * box["height"])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=12)
    page.mouse.up()
    page.get_by_text("Your drawing, step by step").wait_for(timeout=60_000)
    wait_idle(page)
    # What a person sees: the reconstruction's caption, once the page has drawn it (a canvas
    # update can start one more rerun after the first idle moment on a loaded machine).
    page.get_by_text("ae_k2 · MSE").first.wait_for(timeout=60_000)
    text = main_text(page)
    assert "Traceback" not in text, text
    screenshot(page, "reconstruct_drawing")
