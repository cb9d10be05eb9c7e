"""The latent map in a real Chromium: click a digit, then empty space, and see decoded images."""

from __future__ import annotations

import pytest

from .browser import click_plot_point, click_plot_xy, goto, screenshot, streamlit_server

pytestmark = pytest.mark.browser


def _panel_text(page) -> str:
    return page.inner_text('[data-testid="stMain"]')


def test_click_a_digit_then_empty_space(page, app_url):
    goto(page, app_url)
    assert "Latent Lab" in _panel_text(page)
    screenshot(page, "home")

    goto(page, app_url, "latent_map")
    assert "Click a dot" in _panel_text(page)
    screenshot(page, "latent_map")

    click_plot_point(page, 7)
    page.get_by_text("Digit #7").wait_for()
    page.get_by_text("5 nearest neighbours in latent space").wait_for()
    images = page.locator('[data-testid="stImage"] img')
    images.nth(2 + 5 - 1).wait_for()  # original, reconstruction and five neighbours
    screenshot(page, "latent_map_point")

    # Far from any digit: the top-left corner of the raw 2-D map lands on the faint grid.
    ranges = page.evaluate(
        "() => { const l = document.querySelector('.js-plotly-plot')._fullLayout;"
        " return [l.xaxis.range, l.yaxis.range]; }"
    )
    x = ranges[0][0] + 0.03 * (ranges[0][1] - ranges[0][0])
    y = ranges[1][1] - 0.03 * (ranges[1][1] - ranges[1][0])
    click_plot_xy(page, x, y)
    page.get_by_text("Empty space at").wait_for()
    page.get_by_text("this point is the code itself").wait_for()
    images.first.wait_for()
    assert "Traceback" not in _panel_text(page)
    screenshot(page, "latent_map_space")


def test_a_deep_link_as_a_fresh_servers_first_request_gets_the_whole_app(page):
    """Regression: with the pages in a folder named pages/, Streamlit ran the page file alone
    (no sidebar, no model) when the first request to a new server was a deep link."""
    with streamlit_server() as url:
        goto(page, url, "latent_map?model=vae_k2&proj=pca")
        pickers = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"] input')
        assert pickers.nth(1).input_value() == "vae_k2 · VAE, k=2"
        assert "Latent map" in _panel_text(page) and "Pick a model" not in _panel_text(page)
        assert page.get_by_role("radio", name="PCA of the latent").is_checked()
