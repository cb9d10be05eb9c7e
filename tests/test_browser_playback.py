"""Training playback in a real Chromium (ui/playback.py, ui/components/playback/): the scrubber
moves the map with no server frame, a keyframe decodes as that epoch's model does (torch on the
checkpoint's kept weights), and the Train page's map changes between the epochs of a tiny run."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
import torch

from core.training.checkpoints import load_model
from core.training.history import load_history, load_keyframe
from harness.browser import ROOT, goto, open_tiny_training, screenshot

pytestmark = pytest.mark.browser

CHECKPOINTS = ROOT / "checkpoints"
MODEL = "vae_k2"  # a shipped 2-D model with a history and keyframes
KEY = "map_history"
PROBE = f"window.latentPlayback && window.latentPlayback['{KEY}']"
LIVE_EPOCHS = 5  # the Train page's run: the live map is watched after two of its first four


def open_playback(page, app_url: str, model: str = MODEL) -> None:
    goto(page, app_url, f"latent_map?model={model}")
    page.get_by_text("How it learned").click()
    page.wait_for_function(f"() => {PROBE} && {PROBE}.status === 'ready'", timeout=90_000)
    page.locator(".pb-map").scroll_into_view_if_needed()


def map_pixels(page) -> str:
    return page.evaluate(f"() => {PROBE}.playback.root.querySelector('.pb-points').toDataURL()")


def test_a_closed_playback_fetches_nothing_until_it_is_opened(page, app_url):
    """The Latent map mounts it in a closed expander: its history and keyframe decoders are
    fetched when it is opened, not by everyone who opens the page (a class at once)."""
    goto(page, app_url, f"latent_map?model={MODEL}")
    page.wait_for_function(f"() => {PROBE}", timeout=90_000)
    page.wait_for_timeout(1500)
    assert page.evaluate(f"() => [({PROBE}).status, !!({PROBE}).playback.history]") == [
        "loading",
        False,
    ]
    page.get_by_text("How it learned").click()
    page.wait_for_function(f"() => {PROBE}.status === 'ready'", timeout=90_000)
    assert page.evaluate(f"() => ({PROBE}).playback.history.labels.length") > 0


def test_the_scrubber_moves_the_map_with_no_server_frame(page, app_url, frames_sent):
    open_playback(page, app_url)
    page.wait_for_timeout(500)
    last = map_pixels(page)
    sent_before = len(frames_sent)
    scrub = page.locator(".pb-scrub")
    box = scrub.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.1, box["y"] + box["height"] / 2)
    page.wait_for_timeout(600)  # the glide is 180 ms
    early = map_pixels(page)
    assert early != last
    assert page.evaluate(f"() => {PROBE}.playback.pos") < 0.2 * len(
        load_history(CHECKPOINTS / f"{MODEL}.pt").epochs
    )
    page.locator(".pb-play").click()
    page.wait_for_timeout(1500)
    assert map_pixels(page) != early
    assert len(frames_sent) == sent_before  # scrubbing and playing stay in the browser
    screenshot(page, "playback_latent_map")


def test_a_keyframe_decodes_with_that_epochs_decoder(page, app_url, frames_sent):
    checkpoint = CHECKPOINTS / f"{MODEL}.pt"
    epoch = load_history(checkpoint).keyframes[1]
    open_playback(page, app_url)
    page.locator(".pb-keys button", has_text=re.compile(rf"^{epoch}$")).click()
    page.wait_for_function(f"() => {PROBE}.playback.keyframe === {epoch}")
    sent_before = len(frames_sent)
    box = page.locator(".pb-map").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.45)
    page.wait_for_function(
        f"() => {PROBE}.lastDecode && {PROBE}.lastDecode.epoch === {epoch}", timeout=60_000
    )
    decoded = page.evaluate(f"() => {PROBE}.lastDecode")
    model = load_model(checkpoint)
    model.load_state_dict(load_keyframe(checkpoint, epoch), strict=False)
    with torch.no_grad():
        expected = model.decode(torch.tensor([decoded["code"]])).numpy().reshape(-1)
        final = load_model(checkpoint).decode(torch.tensor([decoded["code"]])).numpy().reshape(-1)
    got = np.array(decoded["pixels"])
    assert np.abs(got - expected).max() < 1e-3
    assert np.abs(got - final).max() > 0.05  # not the finished model's picture
    assert len(frames_sent) == sent_before


def test_a_model_without_history_says_so(page, app_url):
    # every embedded model with a latent space ships a history; the Fashion ones predate them
    goto(page, app_url, "latent_map?dataset=fashion-mnist&model=fashion_ae_k2", timeout=180)
    page.get_by_text("How it learned").click()
    page.get_by_text("No training history for this model").wait_for()


def test_the_train_page_map_changes_between_epochs(page, app_url, exports_removed):
    before = set(CHECKPOINTS.glob("*"))
    try:
        main, _ = open_tiny_training(page, app_url, epochs=LIVE_EPOCHS)
        main.get_by_role("button", name="Start training").click()
        probe = "window.latentPlayback && window.latentPlayback['train_playback']"
        state = (
            f"() => {probe} ? [{probe}.status, {probe}.playback.F, !!{probe}.playback.glide,"
            f" {probe}.playback.root.querySelector('.pb-points').toDataURL()] : null"
        )
        seen: dict[int, str] = {}
        # An epoch of this AE takes ~3 s on an idle machine, and the live map redraws every
        # second: any two of the unfinished epochs, polled 4 times a second.
        deadline = time.monotonic() + 900
        done = page.get_by_text("It is now in the sidebar's model picker")
        while len(seen) < 2 and time.monotonic() < deadline and not done.count():
            now = page.evaluate(state)
            if now and now[0] == "ready" and not now[2] and 1 <= now[1] < LIVE_EPOCHS:
                seen.setdefault(now[1], now[3])
            page.wait_for_timeout(250)
        screenshot(page, "playback_training_live")
        assert len(seen) == 2, f"the live map was seen after epochs {sorted(seen)}"
        first, second = seen.values()
        assert first != second
        done.wait_for(timeout=480_000)
        page.wait_for_function(
            "() => window.latentPlayback && window.latentPlayback['train_history']"
            f" && window.latentPlayback['train_history'].playback.F === {LIVE_EPOCHS}"
        )
        screenshot(page, "playback_training_done")
    finally:
        for path in set(CHECKPOINTS.glob("*")) - before:
            if path.name.startswith("ae_k2_"):
                path.unlink()
