"""Attributes and Few labels in a real Chromium: the attribute slider moves the digit, a box and
a lasso selection on the map become groups A and B and their vector, and the learning curves
draw."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.browser import goto, main_text, screenshot, wait_idle

pytestmark = pytest.mark.browser

# The index of the map (the chart with one trace per class, not ui/preload's tiny chart) and the
# pixel box of its plot area.
_MAP_BOX_JS = """() => {
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    const n = plots.findIndex((p) => p._fullData && p._fullData.length > 5);
    const r = plots[n].querySelector('.nsewdrag').getBoundingClientRect();
    return [n, r.left, r.top, r.width, r.height];
}"""


def _box_select(page, x0: float, y0: float, x1: float, y1: float) -> None:
    """Drag a selection box between two fractions of the map's plot area."""
    _, left, top, width, height = page.evaluate(_MAP_BOX_JS)
    page.mouse.move(left + x0 * width, top + y0 * height)
    page.mouse.down()
    for t in (0.25, 0.5, 0.75, 1.0):  # plotly draws the box from intermediate moves
        page.mouse.move(left + (x0 + t * (x1 - x0)) * width, top + (y0 + t * (y1 - y0)) * height)
    page.mouse.up()
    wait_idle(page)


def _lasso_select(page, cx: float, cy: float, r: float) -> None:
    """Pick the toolbar's lasso and draw a closed octagon of radius r (fractions of the plot
    area) around (cx, cy)."""
    n, left, top, width, height = page.evaluate(_MAP_BOX_JS)
    chart = page.locator(".js-plotly-plot").nth(n)
    chart.hover()  # the toolbar shows on hover
    chart.locator('.modebar-btn[data-title="Lasso Select"]').click()
    corners = [(cx + r * math.cos(a), cy + r * math.sin(a)) for a in np.linspace(0, 2 * math.pi, 9)]
    page.mouse.move(left + corners[0][0] * width, top + corners[0][1] * height)
    page.mouse.down()
    for x, y in corners[1:]:
        page.mouse.move(left + x * width, top + y * height, steps=4)
    page.mouse.up()
    wait_idle(page)


def test_the_attribute_slider_and_two_groups_on_the_map(page, app_url):
    goto(page, app_url, "attributes?model=ae_k16")
    page.get_by_text("At α = +1.00: slant").first.wait_for(timeout=120_000)
    assert page.get_by_text("At α = +1.00: slant").count() == 2  # plain and keeps-the-digit
    slider = page.locator(".st-key-attr_alpha").get_by_role("slider")
    slider.focus()
    page.keyboard.press("Home")  # the slider's minimum, -2 std
    wait_idle(page)
    page.get_by_text("At α = -2.00: slant").first.wait_for()
    assert page.get_by_text("At α = -2.00: slant").count() == 2
    screenshot(page, "attributes")

    page.locator(".js-plotly-plot .nsewdrag").last.scroll_into_view_if_needed()
    page.get_by_role("button", name="Selection → A").click()  # nothing selected yet
    wait_idle(page)
    page.get_by_text("Nothing is selected").wait_for()
    for select, group in (
        (lambda: _box_select(page, 0.05, 0.05, 0.45, 0.45), "A"),  # a box at the top left
        (lambda: _lasso_select(page, 0.7, 0.7, 0.2), "B"),  # a lasso at the bottom right
    ):
        select()
        selected = page.get_by_text("digits selected on the map.").inner_text()
        assert not selected.startswith("0 "), selected
        page.get_by_role("button", name=f"Selection → {group}").click()
        wait_idle(page)
        page.get_by_text(f"Group {group}: ").first.wait_for()
    page.get_by_text("|mean A − mean B| =").wait_for()
    assert page.locator(".js-plotly-plot").count() >= 1
    assert "Traceback" not in main_text(page)
    screenshot(page, "attributes_groups")


def test_few_labels_draws_the_curves_and_the_table(page, app_url):
    goto(page, app_url, "few_labels")
    page.get_by_text("A good code is a better starting point than pixels").wait_for(timeout=120_000)
    page.locator(".st-key-few_plot .js-plotly-plot").wait_for()
    page.locator("[data-testid=stDataFrame]").wait_for()
    assert "Traceback" not in main_text(page)
    screenshot(page, "few_labels")
