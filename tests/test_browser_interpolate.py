"""Interpolate and Mix in a real Chromium: a drag on the map becomes an interpolation strip."""

from __future__ import annotations

import pytest

from harness.browser import (
    explorer_isolated,
    explorer_point_pixel,
    explorer_probe,
    goto,
    main_text,
    screenshot,
    wait_explorer,
    wait_idle,
)

pytestmark = pytest.mark.browser


def _open(page, title: str) -> None:
    """Follow the sidebar's link, as a person would: the session (and the map's pair) is kept."""
    page.locator('[data-testid="stSidebarNav"] a', has_text=title).click()
    wait_idle(page)


def _drag(page, key: str, a: int, b: int) -> None:
    (ax, ay), (bx, by) = (explorer_point_pixel(page, key, i) for i in (a, b))
    page.mouse.move(ax, ay)
    page.mouse.down()
    for t in (0.2, 0.4, 0.6, 0.8, 1.0):
        page.mouse.move(ax + (bx - ax) * t, ay + (by - ay) * t)
        page.wait_for_timeout(40)
    page.mouse.up()


def _label(page, key: str, i: int) -> str:
    e = f"{explorer_probe(key)}.explorer"
    return page.evaluate(f"(i) => {e}.data.class_names[{e}.points.labels[i]]", i)


def test_a_drag_on_the_map_opens_the_interpolation_strip(page, app_url):
    goto(page, app_url)
    _open(page, "Latent map")
    wait_explorer(page, "map_explorer", timeout=120)  # first map: slow
    a, b = explorer_isolated(page, "map_explorer", 2)
    names = _label(page, "map_explorer", a), _label(page, "map_explorer", b)
    _drag(page, "map_explorer", a, b)
    page.get_by_text(f"From #{a} ({names[0]}) to #{b} ({names[1]})").wait_for()
    wait_idle(page)
    assert "/interpolate" in page.url
    wait_explorer(page, "interp_explorer")
    path = page.evaluate(f"() => {explorer_probe('interp_explorer')}.explorer.data.overlays")
    assert path[0]["kind"] == "path" and len(path[0]["points"]) == 10
    assert page.locator(".st-key-interp_strip img").count() == 10  # the default 10 steps
    assert page.locator(".js-plotly-plot").count() == 1  # the classifier's probabilities
    assert "Traceback" not in main_text(page)
    screenshot(page, "interpolate")

    # A drag on Interpolate's own map picks new ends.
    c, d = explorer_isolated(page, "interp_explorer", 4)[2:]
    _drag(page, "interp_explorer", c, d)
    page.get_by_text(f"From #{c} ").wait_for()
    assert f"to #{d} " in main_text(page)


def test_mix_shows_new_digits_and_their_codes(page, app_url):
    goto(page, app_url)
    _open(page, "Mix a class")
    page.get_by_text("16 new 8s").wait_for()
    wait_explorer(page, "mix_explorer")
    marks = page.evaluate(f"() => {explorer_probe('mix_explorer')}.explorer.data.overlays")
    assert [(m["kind"], len(m["points"])) for m in marks] == [("ring", 200), ("star", 16)]
    assert page.locator(".st-key-mix_grid img").count() == 16
    assert "Traceback" not in main_text(page)
    screenshot(page, "mix")
