"""VAE studio, GAN studio and Concepts in a real Chromium, reached through the sidebar."""

from __future__ import annotations

import pytest

from harness.browser import goto, main_text, screenshot, wait_idle

pytestmark = pytest.mark.browser


def _open(page, title: str, ready: str) -> None:
    """Follow the sidebar's link and wait until the page's last section has been drawn."""
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
    page.get_by_text(ready).first.wait_for(timeout=180_000)
    wait_idle(page, 180)


def _plot_traces(page, chart: int) -> list[str]:
    page.wait_for_function(  # a busy machine may still be drawing it
        "(n) => { const p = document.querySelectorAll('.js-plotly-plot')[n];"
        " return p && p._fullData; }",
        arg=chart,
        timeout=60_000,
    )
    return page.evaluate(
        "(n) => document.querySelectorAll('.js-plotly-plot')[n]._fullData.map((t) => t.name)",
        chart,
    )


def test_vae_gan_and_concepts_pages(page, app_url):
    goto(page, app_url, "?model=vae_k2")
    page.get_by_text("Latent Lab").first.wait_for(timeout=120_000)

    _open(page, "VAE studio", "KL per latent dimension")
    text = main_text(page)
    assert "Traceback" not in text and "from the sidebar" in text
    assert {"1 sigma", "2 sigma", "mu"} <= set(_plot_traces(page, 0))  # the posterior on the map
    assert page.locator('[data-testid="stImage"] img').count() >= 1 + 2 + 6  # prior, x, z's
    # the manifold and the sliders are live explorers (tests/test_browser_live.py drives them);
    # the second may mount a moment after the page's text on a busy machine
    page.wait_for_function(
        "() => Object.keys(window.latentExplorer || {}).length >= 2", timeout=60_000
    )
    assert page.evaluate("() => Object.keys(window.latentExplorer || {}).sort()") == [
        "vae_manifold",
        "vae_sliders",
    ]
    screenshot(page, "vae_studio")

    _open(page, "GAN studio", "Which digits does G draw?")
    text = main_text(page)
    assert "Traceback" not in text and "Real-data floor" in text
    assert page.locator(".js-plotly-plot").count() == 2  # D's scores, the class histogram
    assert page.locator(".lx-sliders input").count() == 16  # the first 16 of z's 32
    screenshot(page, "gan_studio")

    _open(page, "Concepts", "A decoder, layer by layer")
    assert "PyTorch agrees" in main_text(page)
    padding = page.get_by_label("padding p")
    padding.fill("9")
    padding.press("Enter")
    page.get_by_text("there is no output").wait_for(timeout=60_000)
    wait_idle(page)
    assert "Traceback" not in main_text(page)
    padding.fill("1")
    padding.press("Enter")
    page.get_by_text("PyTorch agrees").wait_for(timeout=60_000)
    wait_idle(page)
    screenshot(page, "concepts")
