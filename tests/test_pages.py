"""Every page under real Streamlit (AppTest) on the shipped checkpoints: runs, main widgets."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ui.navigation import existing_pages

from .apptest import APP, open_page


@pytest.mark.parametrize("spec", existing_pages(), ids=lambda s: s.title)
def test_every_page_runs(spec):
    at = open_page(spec.path)
    assert at.sidebar.selectbox(key="app_model").value is not None


def test_home_lists_the_model_families_and_links():
    at = open_page("views/home.py")
    assert [s.value for s in at.subheader][:3] == ["Autoencoder", "Variational AE", "GAN"]
    assert any("reconstructions" in s.value for s in at.subheader)


def test_sidebar_offers_the_shipped_models():
    at = open_page("views/home.py")
    options = at.sidebar.selectbox(key="app_model").options
    assert {"ae_k2", "ae_k16", "vae_k2", "vae_k16", "gan_k32"} <= {
        o.split(" ·")[0] for o in options
    }
    assert at.sidebar.selectbox(key="app_model").value == "ae_k2"


def test_map_shows_a_selected_digit_and_its_neighbours():
    at = open_page("views/latent_map.py", map_selected={"index": 7})
    assert at.radio(key="map_method").value == "raw"
    assert any(s.value.startswith("Digit #7") for s in at.subheader)
    assert any("nearest neighbours" in m.value for m in at.markdown)


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_map_decodes_empty_space_in_every_projection(method):
    at = open_page(
        "views/latent_map.py",
        app_model="ae_k16",
        map_method=method,
        map_selected={"point": [0.5, -0.5]},
    )
    assert any(s.value.startswith("Empty space") for s in at.subheader)
    assert (len(at.warning) > 0) == (method == "tsne")  # t-SNE says it is approximate


def test_map_explains_why_a_gan_has_no_map():
    at = open_page("views/latent_map.py", app_model="gan_k32")
    assert any("no encoder" in i.value for i in at.info)


def test_map_background_manifold_for_a_2d_model():
    at = open_page("views/latent_map.py", map_background=True)
    assert at.toggle(key="map_background").value


def test_the_plotly_preload_chart_is_gone_when_the_first_run_ends():
    # The first run sends a tiny chart so the browser fetches plotly.js early (ui/preload.py);
    # it must be removed also when the page stops early (a GAN has no map: st.stop).
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["app_model"] = "gan_k32"
    at.switch_page("views/latent_map.py")
    at.run()
    assert not at.exception
    assert any("GAN" in i.value for i in at.info)
    assert at.session_state["app_plotly_preloaded"]
    assert not at.sidebar.get("plotly_chart")
