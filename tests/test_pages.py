"""Every page under real Streamlit (AppTest) on the shipped checkpoints: runs, main widgets."""

from __future__ import annotations

import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from ui.navigation import PAGES

from .apptest import APP, component_data, open_page
from .conftest import ROOT


def test_every_registered_page_has_its_file():
    """The registry is the list of pages: a page whose file went missing fails here (and in the
    app), it is not quietly left out of the navigation and of the tests below."""
    assert [p.path for p in PAGES if not (ROOT / p.path).is_file()] == []


@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.title)
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


def test_map_hands_the_explorer_its_model_map_and_selection():
    at = open_page("views/latent_map.py", map_selected={"index": 7})
    data = component_data(at, "map_explorer")
    assert data["inverse"] == {"kind": "raw"} and data["latent_dim"] == 2
    assert data["decoder_url"].startswith("/app/static/onnx/ae_k2_") and data["notice"] is None
    assert data["selected"] == 7  # the selection the map is first drawn with
    assert data["coords_url"].startswith("/app/static/cache/") and data["sprites_url"]
    assert at.query_params["sel"] == "i7"
    at.radio(key="map_method").set_value("tsne").run()
    data = component_data(at, "map_explorer")
    assert data["inverse"]["kind"] == "tsne" and data["codes_url"]


def test_the_map_compares_with_another_model_on_linked_maps():
    at = open_page("views/latent_map.py")
    assert not any(e.proto.id.endswith("-map_twin") for e in at.get("bidi_component"))
    at.toggle(key="map_compare").set_value(True).run()
    assert not at.exception
    assert at.selectbox(key="map_compare_with").value == "pca"
    options = at.selectbox(key="map_compare_with").options  # their labels
    assert "ae_k2 (AE): raw 2-D latent" not in options and "vae_k2 (VAE): raw 2-D latent" in options
    sides = component_data(at, "map_twin")["sides"]
    assert [s["short"] for s in sides] == ["ae_k2", "PCA"]
    at.selectbox(key="map_compare_with").set_value("vae_k2:raw").run()
    assert [s["short"] for s in component_data(at, "map_twin")["sides"]] == ["ae_k2", "vae_k2"]


def test_the_map_keeps_its_mount_while_clicked_and_remounts_with_the_selection_on_return():
    at = open_page("views/latent_map.py")
    assert component_data(at, "map_explorer")["selected"] is None
    at.session_state["map_selected"] = {"index": 9}  # what a click on digit 9 leaves
    at.run()
    assert component_data(at, "map_explorer")["selected"] is None  # same data: zoom kept
    at.switch_page("views/interpolate.py").run()
    at.switch_page("views/latent_map.py").run()
    assert not at.exception and component_data(at, "map_explorer")["selected"] == 9


@pytest.mark.parametrize("method", ["raw", "tsne"])
def test_the_csv_download_is_the_map_the_explorer_draws(monkeypatch, method):
    """One row per image: its index, label and place, the same float32 coordinates and labels
    the explorer is sent; on the raw map, the place is ae_k2's code of that digit."""
    import io

    import numpy as np
    import pandas as pd

    from core.latent.operations import encode_images
    from core.training.checkpoints import load_model
    from ui.compute.resources import map_dataset

    from .apptest import downloaded, keep_media
    from .conftest import ROOT

    media = keep_media(monkeypatch)
    at = open_page("views/latent_map.py", map_method=method)
    table = pd.read_csv(io.BytesIO(downloaded(at, "map_csv", media)))
    data = component_data(at, "map_explorer")

    def sent(url: str, dtype: str) -> np.ndarray:
        return np.fromfile(ROOT / "static" / url.removeprefix("/app/static/"), dtype=dtype)

    coords, labels = sent(data["coords_url"], "<f4").reshape(-1, 2), sent(data["labels_url"], "u1")
    assert list(table.columns) == ["index", "label", "x", "y"] and len(table) == 5000
    assert table["index"].tolist() == list(range(5000))
    assert table["label"].tolist() == labels.tolist() == map_dataset("embedded").labels.tolist()
    np.testing.assert_array_equal(table[["x", "y"]].to_numpy(np.float32), coords)
    if method == "raw":
        codes = encode_images(
            load_model(ROOT / "checkpoints" / "ae_k2.pt"), map_dataset("embedded").images
        )
        np.testing.assert_allclose(coords, codes, atol=1e-4)


def test_a_link_reopens_a_selected_digit_or_place():
    at = open_page("views/latent_map.py", query={"model": "vae_k2", "proj": "raw", "sel": "i12"})
    assert any(s.value.startswith("Digit #12") for s in at.subheader)
    assert component_data(at, "map_explorer")["selected"] == 12
    at = open_page("views/latent_map.py", query={"model": "vae_k2", "sel": "0.5,-0.25"})
    assert any(s.value == "Empty space at (0.50, -0.25)" for s in at.subheader)


@pytest.mark.parametrize(
    ("sel", "says"),
    [
        ("1e309,-1e309", "(inf, -inf) is not a place on the map"),
        ("nan,0", "(nan, 0) is not a place on the map"),
        ("1e6,0", "far off the map"),
        ("3,4,5", "not two numbers"),
        ("abc", "not two numbers"),
        ("i99999", "not a whole number from 0 to 4,999"),
        ("i-3", "not a whole number"),
    ],
)
def test_a_link_to_a_non_finite_or_absurd_place_gets_one_line_and_no_decode(sel, says):
    """Issue 15 §5: /latent_map?model=vae_k2&sel=1e309,-1e309 once showed 'Empty space at
    (inf, -inf)' and a black image."""
    at = open_page("views/latent_map.py", query={"model": "vae_k2", "sel": sel})
    assert [says in w.value for w in at.warning] == [True]
    assert not at.main.get("image")  # nothing decoded, nothing shown
    assert not any(s.value.startswith(("Empty space", "Digit #")) for s in at.subheader)


def test_a_click_far_off_the_map_is_not_decoded():
    # What a click beyond the data's box sends (the explorer itself decodes nothing there).
    at = open_page("views/latent_map.py", map_selected={"point": [400.0, -3.0]})
    assert [("far off the map" in w.value) for w in at.warning] == [True]
    assert not at.main.get("image")


def test_map_explains_why_a_gan_has_no_map():
    at = open_page("views/latent_map.py", app_model="gan_k32")
    assert any("no encoder" in i.value for i in at.info)


def test_map_background_manifold_for_a_2d_model():
    at = open_page("views/latent_map.py", map_background=True)
    assert at.toggle(key="map_background").value
    background = component_data(at, "map_explorer")["background"]
    x0, x1, y0, y1 = background["extent"]
    assert background["url"].endswith(".png") and x0 < x1 and y0 < y1
    at.radio(key="map_method").set_value("pca").run()
    assert at.toggle(key="map_background").disabled
    assert component_data(at, "map_explorer")["background"] is None


def test_the_plotly_preload_chart_is_gone_when_the_first_run_ends():
    # The first run sends a tiny chart so the browser fetches plotly.js early (ui/preload.py);
    # it must be removed also when the page stops early (a GAN has no encoder: st.stop).
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["app_model"] = "gan_k32"
    at.switch_page("views/attributes.py")
    at.run()
    assert not at.exception
    assert any("is a GAN" in i.value for i in at.info)
    assert at.session_state["app_plotly_preloaded"]
    assert not at.sidebar.get("plotly_chart")


def test_app_py_runs_without_a_streamlit_server():
    """A spawned process (a training job of the Train page or of a test) re-runs the parent's
    __main__, which is app.py after an AppTest: it must not fail in Streamlit's bare mode
    (a PageSpec lookup through st.Page.url_path did, and broke a CI run)."""
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import runpy; runpy.run_path({str(APP)!r}, run_name='__mp_main__')",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr, run.stderr[-2000:]


def test_a_link_naming_a_model_or_map_that_does_not_exist_says_so_in_one_line():
    at = open_page(query={"model": "no_such_model"})
    assert at.sidebar.selectbox(key="app_model").value == "ae_k2"  # the default instead
    (notice,) = [w.value for w in at.warning if "no_such_model" in w.value]
    assert "showing ae_k2" in notice
    at = open_page("views/latent_map.py", query={"model": "vae_k16", "proj": "umap"})
    assert at.radio(key="map_method").value == "pca"  # vae_k16's first map
    (notice,) = [w.value for w in at.warning if "'umap'" in w.value]
    assert "not one of vae_k16's maps" in notice
    at = open_page("views/latent_map.py", query={"model": "vae_k16", "proj": "tsne"})
    assert at.radio(key="map_method").value == "tsne" and not at.warning  # a good link: silent
