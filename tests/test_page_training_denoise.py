"""The Train and the Denoise & anomalies pages under real Streamlit (AppTest), real models.

Training tests write into a temporary checkpoint folder (``ui.compute.resources.CHECKPOINT_DIR`` is
pointed there), so they never leave files in ``checkpoints/``; the ONNX exports of the model they
train (written under ``static/onnx``, where the app serves them) are removed afterwards.
"""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.analysis.metrics import per_image_mse
from core.data.datasets import load_dataset
from core.latent.operations import reconstruct
from core.training.checkpoints import load_model, read_info
from ui.compute import resources

from .apptest import APP, open_page
from .conftest import ROOT, files_under


def run_until(at: AppTest, done, timeout: float = 120.0) -> None:
    """Rerun the page (as the fragment's timer would) until ``done(at)``."""
    end = time.monotonic() + timeout
    while not done(at):
        assert time.monotonic() < end, "timed out waiting for the page"
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception


@pytest.fixture
def checkpoint_dir(tmp_path, monkeypatch):
    """A checkpoint folder holding only ae_k2, used by the sidebar and by new trainings."""
    shutil.copy(ROOT / "checkpoints" / "ae_k2.pt", tmp_path / "ae_k2.pt")
    monkeypatch.setattr(resources, "CHECKPOINT_DIR", tmp_path)
    return tmp_path


def picker_options() -> list[str]:
    """The sidebar's model picker as a new session sees it on the home page."""
    at = AppTest.from_file(APP, default_timeout=90).run()
    return [o.split(" ·")[0] for o in at.sidebar.selectbox(key="app_model").options]


# --- Train ------------------------------------------------------------------------------------


def test_train_form_defaults_and_kind_specific_settings():
    at = open_page("views/training.py")
    assert at.radio(key="train_kind").value == "ae"
    assert at.select_slider(key="train_lr").value == 2e-3
    assert at.slider(key="train_beta").disabled  # beta only means something for a VAE
    assert at.selectbox(key="train_dataset").options == resources.available_datasets()
    assert at.selectbox(key="train_device").options[:2] == ["auto", "cpu"]
    assert not at.button(key="train_start").disabled

    at.radio(key="train_kind").set_value("gan").run()
    assert at.select_slider(key="train_lr").value == 4e-4  # the shipped gan_k32 recipe
    at.radio(key="train_kind").set_value("vae").run()
    assert not at.slider(key="train_beta").disabled
    assert at.select_slider(key="train_lr").value == 2e-3
    at.radio(key="train_kind").set_value("cvae").run()  # the conditional VAE: its recipe's beta
    assert not at.slider(key="train_beta").disabled and at.slider(key="train_beta").value == 4.0
    at.radio(key="train_kind").set_value("vae").run()
    assert at.slider(key="train_beta").value == 1.0


def test_start_stop_and_find_the_new_model_in_the_picker(checkpoint_dir, exports_removed):
    shipped = files_under(ROOT / "checkpoints")
    assert picker_options() == ["ae_k2"]
    at = open_page("views/training.py", train_epochs=20, train_latent=2, train_device="cpu")
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    assert at.button(key="train_start").disabled  # one job at a time per session
    assert at.get("progress")  # drawn by the polling fragment
    at.button(key="train_stop").click().run()
    run_until(at, lambda at: len(at.warning) > 0 or len(at.error) > 0)
    assert not at.error, at.error[0].value

    new = [p for p in checkpoint_dir.glob("*.pt") if p.name != "ae_k2.pt"]
    assert len(new) == 1 and new[0].stem.startswith("ae_k2_")
    info = read_info(new[0])
    assert info.trained["stopped_early"] and 1 <= info.trained["epochs"] < 20
    warning = at.warning[0].value
    assert (
        f"Stopped after epoch {info.trained['epochs']} of 20" in warning and new[0].stem in warning
    )
    assert load_model(new[0]).latent_dim == 2
    assert len(at.get("plotly_chart")) == 1  # the loss curves stay after the run
    assert set(picker_options()) == {"ae_k2", new[0].stem}

    at.button(key="train_open").click().run()
    assert at.session_state["app_model"] == new[0].stem
    assert not at.button(key="train_start").disabled
    assert files_under(ROOT / "checkpoints") == shipped  # the new model and its history: in tmp


# --- Denoise & anomalies ----------------------------------------------------------------------


def metrics_table(at: AppTest):
    return at.dataframe[0].value.set_index("digits")


def test_denoise_compares_the_models_with_the_noisy_input():
    at = open_page("views/denoise.py")
    assert at.multiselect(key="denoise_models").value == ["ae_k2", "dae_k16", "ae_k16"]
    table = metrics_table(at)
    assert list(table.index) == [
        "noisy input",
        "ae_k2",
        "dae_k16 (trained on noisy input, σ=0.4)",
        "ae_k16",
    ]
    labels = [m.value for m in at.markdown[:5]]
    assert labels[:2] == ["**Clean**", "**Noisy** (σ = 0.4)"] and labels[3] == "**dae_k16**"
    # At the noise it was trained on, the denoiser's output is closer to the clean digits than
    # its noisy input is.
    assert (
        table.loc["dae_k16 (trained on noisy input, σ=0.4)", "MSE vs clean"]
        < table.loc["noisy input", "MSE vs clean"]
    )


def test_denoise_noise_kinds_and_amounts():
    at = open_page("views/denoise.py")
    at.slider(key="denoise_std").set_value(0.0).run()
    assert metrics_table(at).loc["noisy input", "MSE vs clean"] == 0.0
    at.radio(key="denoise_noise").set_value("salt_pepper").run()
    assert not at.exception
    assert at.slider(key="denoise_sp").value == 0.2
    assert any(m.value == "**Noisy** (20% of pixels)" for m in at.markdown)
    light = metrics_table(at).loc["noisy input", "MSE vs clean"]
    at.slider(key="denoise_sp").set_value(0.5).run()
    assert metrics_table(at).loc["noisy input", "MSE vs clean"] > 2 * light
    seed = at.session_state["denoise_seed"]
    at.button(key="denoise_new").click().run()
    assert at.session_state["denoise_seed"] == seed + 1


def test_anomaly_gallery_shows_the_highest_errors_first():
    at = open_page("views/denoise.py", app_model="ae_k16", denoise_top=16)
    assert at.selectbox(key="denoise_anomaly_model").value == "ae_k16"
    captions = [img.caption for e in at.get("image") for img in e.proto.imgs if img.caption]
    assert len(captions) == 16
    shown = [int(c.split(" · ")[0].removeprefix("#")) for c in captions]
    errors = [float(c.split(" · ")[2]) for c in captions]
    assert errors == sorted(errors, reverse=True)

    # The same ranking, recomputed here from the checkpoint and the validation split.
    data = load_dataset("embedded")
    val = data.split("val")[0]
    model = load_model(ROOT / "checkpoints" / "ae_k16.pt")
    expected = per_image_mse(reconstruct(model, val), val)
    worst = np.argsort(-expected)[:16]
    assert shown == [int(data.val_idx[i]) for i in worst]


def test_denoise_with_a_gan_in_the_sidebar_uses_the_autoencoders():
    at = open_page("views/denoise.py", app_model="gan_k32")
    assert "gan_k32" not in at.selectbox(key="denoise_anomaly_model").options
    assert at.multiselect(key="denoise_models").value == ["dae_k16", "ae_k16", "vae_k16"]
