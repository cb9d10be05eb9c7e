"""Interpolate and Mix in a real Chromium: two clicks on the map become an interpolation strip."""

from __future__ import annotations

import pytest

from .browser import click_plot_point, goto, screenshot, wait_idle

pytestmark = pytest.mark.browser

# The dataset index of the point of one class farthest (in pixels) from every other point of the
# map, away from the modebar's band at the top: nothing covers it, so a click must select it.
_ISOLATED_POINT_JS = """(name) => {
    const gd = document.querySelectorAll('.js-plotly-plot')[0];
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const px = (x) => (x - xa.range[0]) / (xa.range[1] - xa.range[0]) * xa._length;
    const py = (y) => (ya.range[1] - y) / (ya.range[1] - ya.range[0]) * ya._length;
    const traces = gd._fullData.filter((t) => t.customdata && t.name !== 'empty space');
    const all = traces.flatMap((t) => Array.from(t.x, (x, i) => [px(x), py(t.y[i])]));
    const mine = traces.find((t) => t.name === name);
    let best = null, bestGap = -1;
    Array.from(mine.x).forEach((x, i) => {
        const [u, v] = [px(x), py(mine.y[i])];
        if (v < 40 || u < 10 || u > xa._length - 10 || v > ya._length - 10) return;
        let gap = Infinity;
        for (const [p, q] of all) {
            const d = (p - u) ** 2 + (q - v) ** 2;
            if (d > 0 && d < gap) gap = d;
        }
        if (gap > bestGap) { bestGap = gap; best = mine.customdata[i]; }
    });
    return best;
}"""


def _main_text(page) -> str:
    return page.inner_text('[data-testid="stMain"]')


def _open(page, title: str) -> None:
    """Follow the sidebar's link, as a person would: the session (and the map's pair) is kept."""
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
    wait_idle(page)


def test_two_clicks_on_the_map_then_the_interpolation_strip(page, app_url):
    goto(page, app_url)
    _open(page, "Latent map")
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)  # first map: slow
    a, b = (page.evaluate(_ISOLATED_POINT_JS, name) for name in ("1", "0"))
    click_plot_point(page, a)
    page.get_by_text(f"Digit #{a} ").wait_for()
    click_plot_point(page, b)
    page.get_by_text(f"Digit #{b} ").wait_for()
    screenshot(page, "interpolate_map_pair")

    _open(page, "Interpolate")
    page.get_by_text(f"From #{a} (1) to #{b} (0)").wait_for()
    page.locator(".js-plotly-plot").nth(1).wait_for()
    assert page.locator(".st-key-interp_strip img").count() == 10  # the default 10 steps
    assert page.locator(".js-plotly-plot").count() == 2  # the path on the map, probabilities
    assert "Traceback" not in _main_text(page)
    screenshot(page, "interpolate")


def test_mix_shows_new_digits_and_their_codes(page, app_url):
    goto(page, app_url)
    _open(page, "Mix a class")
    page.get_by_text("16 new 8s").wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    assert page.locator(".st-key-mix_grid img").count() == 16
    assert "Traceback" not in _main_text(page)
    screenshot(page, "mix")
