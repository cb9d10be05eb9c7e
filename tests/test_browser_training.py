"""The Train page in a real Chromium: a 1-epoch training, then the new model in the picker.

The app runs on its own server over a copy of ``checkpoints/`` (``LATENT_LAB_CHECKPOINTS``), so
the checkpoint, history and map caches of the training land in a temporary folder and the real
one is checked to be untouched; the ONNX exports of the new model (served from ``static/onnx``)
are removed at the end.
"""

from __future__ import annotations

import re
import shutil

import pytest

from harness.browser import ROOT, goto, open_tiny_training, screenshot, streamlit_server, wait_idle

from .conftest import files_under

pytestmark = pytest.mark.browser

SHIPPED = ROOT / "checkpoints"
TRAINED_NAME = re.compile(
    r"ae_k2_\d{4}-\d{6}_[0-9a-f]{6}\.pt"
)  # core.training.jobs.checkpoint_stem


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """(URL, checkpoint folder) of a server whose checkpoint folder is a copy of the shipped."""
    folder = tmp_path_factory.mktemp("checkpoints") / "checkpoints"
    shutil.copytree(SHIPPED, folder, ignore=shutil.ignore_patterns("__pycache__"))
    with streamlit_server(env={"LATENT_LAB_CHECKPOINTS": str(folder)}) as (url, _):
        yield url, folder


def test_train_one_epoch_and_pick_the_new_model(page, app, exports_removed):
    app_url, checkpoints = app
    shipped = files_under(SHIPPED)
    before = set(checkpoints.glob("*.pt"))
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

    new = sorted(set(checkpoints.glob("*.pt")) - before)
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
    assert (checkpoints / f"{name}.history.npz").exists()  # beside its checkpoint
    assert files_under(SHIPPED) == shipped  # nothing new in the real checkpoints/
