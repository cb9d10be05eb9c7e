"""The Train page in a real Chromium: a 1-epoch training, then the new model in the picker.

The checkpoint it writes goes to the app's ``checkpoints/`` and is deleted at the end.
"""

from __future__ import annotations

import re

import pytest

from harness.browser import ROOT, goto, open_tiny_training, screenshot, wait_idle

pytestmark = pytest.mark.browser

CHECKPOINTS = ROOT / "checkpoints"
TRAINED_NAME = re.compile(
    r"ae_k2_\d{4}-\d{6}_[0-9a-f]{6}\.pt"
)  # core.training.jobs.checkpoint_stem


def test_train_one_epoch_and_pick_the_new_model(page, app_url):
    before = set(CHECKPOINTS.glob("*.pt"))
    try:
        goto(page, app_url)
        goto(page, app_url, "denoise")
        page.get_by_text("What the model finds unusual").wait_for()
        screenshot(page, "denoise")

        main, slider = open_tiny_training(page, app_url, epochs=1)
        assert "2" in slider.inner_text()
        screenshot(page, "training")

        main.get_by_role("button", name="Start training").click()
        page.get_by_text(re.compile(r"Epoch 0 of 1|first epoch running")).wait_for()
        screenshot(page, "training_running")
        success = page.get_by_text("It is now in the sidebar's model picker")
        success.wait_for(timeout=480_000)  # one epoch: ~10 s idle, minutes on a busy CPU
        wait_idle(page)

        new = sorted(set(CHECKPOINTS.glob("*.pt")) - before)
        assert len(new) == 1 and TRAINED_NAME.fullmatch(new[0].name), new
        name = new[0].stem
        assert name in main.inner_text()
        assert main.locator(".js-plotly-plot").count() == 1  # the loss curve
        screenshot(page, "training_done")

        # The sidebar re-read the folder: the new model is one of the picker's options.
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.locator('[data-testid="stSelectbox"]').filter(has_text="Model").click()
        option = page.get_by_role("option", name=re.compile(re.escape(name)))
        option.wait_for()
        option.click()
        wait_idle(page)
        assert f"model={name}" in page.url  # the sidebar mirrors its selection in the URL
        screenshot(page, "training_picked")
    finally:
        for path in set(CHECKPOINTS.glob("*.pt")) - before:
            if TRAINED_NAME.fullmatch(path.name):
                path.unlink()
