"""The PCA vs AE page under real Streamlit (AppTest) on the shipped checkpoints, and in Chromium."""

from __future__ import annotations

import math

import pytest
from streamlit.testing.v1 import AppTest

from core.models.registry import ENCODER_KINDS
from core.training.checkpoints import list_checkpoints

from . import apptest
from .conftest import ROOT

PAGE = "views/pca_vs_ae.py"
SHIPPED = {
    i.name: i
    for i in list_checkpoints(ROOT / "checkpoints")
    if i.kind in ENCODER_KINDS and i.dataset == "embedded"  # the page shows one dataset
}


def open_page(**state) -> AppTest:
    return apptest.open_page(PAGE, **state)


@pytest.fixture(scope="module")
def opened() -> AppTest:
    """One run of the page for the read-only checks (the scoring is the slow part)."""
    return open_page()


def test_the_table_has_pca_at_every_k_and_every_autoencoder(opened):
    table = opened.dataframe[0].value
    rows = set(zip(table["method"], table["k"], strict=True))
    assert {("PCA", k) for k in (2, 4, 8, 16, 32)} <= rows
    assert set(table["model"]) == {f"pca_k{k}" for k in (2, 4, 8, 16, 32)} | set(SHIPPED)
    for column in ("val MSE", "PSNR (dB)", "SSIM", "10-NN acc.", "parameters", "training (s)"):
        assert all(math.isfinite(v) for v in table[column]), column
    pca16 = table[table["model"] == "pca_k16"].iloc[0]
    assert pca16["parameters"] == 16 * 784 + 784


def test_every_section_is_drawn(opened):
    assert [s.value for s in opened.subheader] == [
        "Reconstruction error against latent size",
        "The same validation images, reconstructed",
        "Two dimensions, side by side and linked",
        "What the directions mean",
    ]
    assert len(opened.get("plotly_chart")) == 1  # the MSE chart; the maps are the twin maps
    # PCA's plane beside the 2-D AE by default, each map with its scores
    assert opened.selectbox(key="pva_left").value == "pca"
    assert opened.selectbox(key="pva_right").value == "ae_k2:raw"
    data = apptest.component_data(opened, "pva_twin")
    assert data["mode"] == "twin"
    pca, ae = data["sides"]
    assert pca["codec"]["kind"] == "linear" and pca["inverse"] == {"kind": "raw"}
    assert ae["codec"]["encoder_url"].endswith(".onnx") and ae["short"] == "ae_k2"
    assert all(
        "10-NN accuracy" in s["subtitle"] and "trustworthiness" in s["subtitle"]
        for s in data["sides"]
    )
    assert pca["labels_url"] == ae["labels_url"]  # the same digits, in the same order


def test_any_two_maps_can_be_linked():
    at = open_page(pva_left="vae_k2:raw", pva_right="ae_k16:tsne")
    pair = [s["title"] for s in apptest.component_data(at, "pva_twin")["sides"]]
    assert pair[0].startswith("vae_k2") and pair[1].startswith("ae_k16") and "t-SNE" in pair[1]
    right = apptest.component_data(at, "pva_twin")["sides"][1]
    assert right["inverse"]["kind"] == "tsne" and right["codes_url"] is not None


def test_reconstructions_follow_the_chosen_k(opened):
    opened.select_slider(key="pva_k").set_value(16).run()
    assert not opened.exception
    labels = [m.value.split("**")[1] for m in opened.markdown if m.value.startswith("**")]
    assert "PCA k=16" in labels
    assert {"ae_k16 (AE)", "vae_k16 (VAE)", "dae_k16 (denoising AE)"} <= set(labels)
    assert "ae_k2 (AE)" not in labels


def test_walk_every_axis_of_a_32_d_autoencoder():
    at = open_page(pva_axes_model="ae_k32")
    axes = [m.value for m in at.markdown if m.value.startswith("z") and "σ" in m.value]
    assert len(axes) == 32 and axes[0].startswith("z1") and axes[-1].startswith("z32")


def test_a_gan_in_the_sidebar_still_compares_the_autoencoders():
    at = open_page(app_model="gan_k32")
    assert len(at.dataframe[0].value) == 5 + len(SHIPPED)
    assert at.selectbox(key="pva_axes_model").value in SHIPPED


@pytest.mark.browser
def test_page_in_chromium(page, app_url):
    from harness.browser import goto, screenshot, wait_explorer, wait_idle

    goto(page, app_url)
    goto(page, app_url, "pca_vs_ae", timeout=180)
    # The first run scores every model: wait for the last section, then for the run to end.
    page.get_by_text("one latent axis per row").wait_for(timeout=180_000)
    wait_idle(page)
    main = page.inner_text('[data-testid="stMain"]')
    assert "PCA vs AE" in main and "Traceback" not in main
    assert "Dataset" in page.inner_text('[data-testid="stSidebar"]')  # the app's own sidebar
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)  # plotly.js loads lazily
    assert page.locator(".js-plotly-plot").count() == 1  # the error curve; the maps are twins
    wait_explorer(page, "pva_twin", timeout=120)  # the twin maps are live
    assert page.locator('[data-testid="stImage"] img').count() >= 16 + 2
    screenshot(page, "pca_vs_ae")
