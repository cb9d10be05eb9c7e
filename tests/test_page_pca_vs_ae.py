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
        "Two dimensions: PCA's plane and the 2-D autoencoder's",
        "What the directions mean",
    ]
    # MSE chart + the two maps; the maps carry their scores in their titles.
    charts = opened.get("plotly_chart")
    assert len(charts) == 3
    titles = [c.proto.spec for c in charts[1:]]
    assert all("10-NN accuracy" in t and "trustworthiness" in t for t in titles)
    assert opened.selectbox(key="pva_map_model").value == "ae_k2"


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
    from harness.browser import goto, screenshot, wait_idle

    goto(page, app_url)
    goto(page, app_url, "pca_vs_ae", timeout=180)
    # The first run scores every model: wait for the last section, then for the run to end.
    page.get_by_text("one latent axis per row").wait_for(timeout=180_000)
    wait_idle(page)
    main = page.inner_text('[data-testid="stMain"]')
    assert "PCA vs AE" in main and "Traceback" not in main
    assert "Dataset" in page.inner_text('[data-testid="stSidebar"]')  # the app's own sidebar
    assert page.locator(".js-plotly-plot").count() == 3
    assert page.locator('[data-testid="stImage"] img').count() >= 16 + 2
    screenshot(page, "pca_vs_ae")
