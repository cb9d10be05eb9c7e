"""The VAE studio, GAN studio and Concepts pages under real Streamlit (AppTest) on the shipped
checkpoints: no exception, the widgets by key, and the numbers the pages draw."""

from __future__ import annotations

import base64
import json

import numpy as np
from streamlit.testing.v1 import AppTest

from core.analysis.sample_quality import most_real
from core.latent.operations import prior_codes
from core.training.checkpoints import load_model

from .apptest import component_data, open_page
from .conftest import ROOT


def figure(at: AppTest, key: str) -> dict:
    """The plotly figure (as JSON) of the chart with this key."""
    for chart in at.get("plotly_chart"):
        if chart.proto.id.endswith(key) or f"-{key}-" in chart.proto.id:
            return json.loads(chart.proto.spec)
    raise AssertionError(f"no plotly chart with key {key!r}")


def values(array) -> np.ndarray:
    """A plotly array: a list, or plotly 6's typed {'dtype', 'bdata'} (base64)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    return np.asarray(array)


def texts(elements) -> str:
    return "\n".join(e.value for e in elements)


# --- VAE studio -------------------------------------------------------------------------------


def test_vae_page_with_a_2d_vae_from_the_sidebar():
    at = open_page("views/vae.py", app_model="vae_k2")
    assert "vae_model" not in {w.key for w in at.selectbox}  # no picker of its own
    assert "from the sidebar" in texts(at.caption)
    assert at.slider(key="vae_extent").value == 2.0  # the manifold is shown for k = 2
    labels = [m.label for m in at.metric]
    assert labels == ["Recon (nats)", "KL (nats)", "-ELBO (nats)"]
    recon, kl, elbo = (float(m.value) for m in at.metric)
    assert kl >= 0 and abs(recon + kl - elbo) < 0.11  # -ELBO is the sum (each rounded)
    # the map: 1- and 2-sigma ellipses, the mean, and one red dot per sampled z
    names = [trace.get("name") for trace in figure(at, "vae_map")["data"]]
    assert {"1 sigma", "2 sigma", "mu", "z = mu + sigma * eps"} <= set(names)
    samples = next(t for t in figure(at, "vae_map")["data"] if t.get("name", "").startswith("z ="))
    assert len(values(samples["x"])) == at.slider(key="vae_samples").value
    bars = figure(at, "vae_kl")["data"][0]
    assert len(values(bars["y"])) == 2 and (values(bars["y"]) >= 0).all()
    assert "dimensions are active" in texts(at.markdown)
    # the manifold: the mosaic alone under a live raw map, each tile centred on its code
    manifold = component_data(at, "vae_manifold")
    assert manifold["inverse"] == {"kind": "raw"} and manifold["decoder_url"].endswith(".onnx")
    assert manifold["background"]["extent"] == [-2 - 2 / 14, 2 + 2 / 14] * 2  # 15 tiles
    assert manifold["background"]["opacity"] == 1.0 and manifold["class_names"] == []
    at.toggle(key="vae_manifold_points").set_value(True).run()
    assert not at.exception, at.exception
    manifold = component_data(at, "vae_manifold")
    assert manifold["class_names"] and manifold["sprites_url"] and manifold["codes_url"]
    # the sliders start from the digit's posterior mean
    sliders = component_data(at, "vae_sliders")
    assert (
        sliders["mode"] == "sliders" and sliders["latent_dim"] == 2 and len(sliders["ranges"]) == 2
    )
    assert "Move the code of digit" in texts(at.subheader)


def test_vae_page_offers_its_own_picker_when_the_sidebar_model_is_not_a_vae():
    at = open_page("views/vae.py", app_model="ae_k2")
    picker = at.selectbox(key="vae_model")
    assert picker.value == "vae_k2"
    assert set(picker.options) >= {"vae_k2 · VAE, k=2", "vae_k16 · VAE, k=16"}
    picker.set_value("vae_k16").run()
    assert not at.exception, at.exception
    assert any("16-D latent space" in i.value for i in at.info)  # no manifold for k > 2
    assert "PCA map" in texts(at.caption)
    assert len(values(figure(at, "vae_kl")["data"][0]["y"])) == 16
    sliders = component_data(at, "vae_sliders")  # 16 sliders for the 16-D mu
    assert sliders["latent_dim"] == 16 and len(sliders["ranges"]) == 16


def test_vae_controls_change_the_digit_and_the_samples_without_errors():
    at = open_page("views/vae.py", app_model="vae_k2", vae_which=10_000)  # out of range
    which = at.number_input(key="vae_which")
    assert which.value == which.proto.max > 0  # clamped to the class's last, not a traceback
    first = [s.value for s in at.subheader]
    at.selectbox(key="vae_class").set_value(7).run()
    at.slider(key="vae_samples").set_value(3).run()
    at.number_input(key="vae_seed").set_value(5).run()
    at.slider(key="vae_extent").set_value(3.5).run()
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader] != first
    assert "label 7" in texts(at.subheader)
    samples = next(t for t in figure(at, "vae_map")["data"] if t.get("name", "").startswith("z ="))
    assert len(values(samples["x"])) == 3
    assert "from -3.5 (left)" in texts(at.caption)


# --- GAN studio -------------------------------------------------------------------------------


def test_gan_page_scores_classifies_and_measures_1000_samples():
    at = open_page("views/gan.py", app_model="gan_k32")
    assert "from the sidebar" in texts(at.caption)
    metrics = {m.label: m.value for m in at.metric}
    assert 0 <= float(metrics["Mean D(real)"]) <= 1 and 0 <= float(metrics["Mean D(G(z))"]) <= 1
    fid, floor = float(metrics["FID vs validation"]), float(metrics["Real-data floor"])
    assert fid >= 0 and floor >= 0
    counts = values(figure(at, "gan_classes")["data"][0]["y"])
    assert len(counts) == 10 and counts.sum() == 1000
    real, fake = figure(at, "gan_scores")["data"][:2]
    assert len(values(real["x"])) == len(values(fake["x"])) == 500
    assert len(at.get("image")) >= 1 + 2 + 8 + 8  # grid, walk + gif, the two rows of extremes
    sliders = component_data(at, "gan_sliders")  # sample 0's z: the first of the seed's draws
    assert sliders["mode"] == "sliders" and sliders["decoder_url"].startswith(
        "/app/static/onnx/gan"
    )
    assert sliders["latent_dim"] == 32 and len(sliders["ranges"]) == 16  # the first 16 dims
    np.testing.assert_allclose(sliders["code"], prior_codes(1000, 32, 0)[0], atol=1e-6)


def test_gan_page_lets_d_filter_the_samples_and_says_so():
    at = open_page("views/gan.py", app_model="gan_k32")
    plain = float({m.label: m.value for m in at.metric}["Classifier confidence"].rstrip("%"))
    at.toggle(key="gan_filtered").set_value(True).run()
    assert not at.exception, at.exception
    assert "D kept the 1,000 it finds most real" in texts(at.caption)
    assert "kept by D" in texts(at.caption)
    counts = values(figure(at, "gan_classes")["data"][0]["y"])
    assert counts.sum() == 1000
    kept = float({m.label: m.value for m in at.metric}["Classifier confidence"].rstrip("%"))
    assert kept > plain  # shipped gan_k32, seed 0: 92 % -> 95 %
    kept_codes, _ = most_real(load_model(ROOT / "checkpoints" / "gan_k32.pt"), 1000, 0, 0.5)
    code = component_data(at, "gan_sliders")["code"]  # sample 0 is now the first kept draw
    np.testing.assert_allclose(code, kept_codes[0], atol=1e-6)


def test_gan_page_picks_a_gan_itself_and_its_controls_rerun():
    at = open_page("views/gan.py", app_model="ae_k2")
    assert at.selectbox(key="gan_model").value == "gan_k32"
    at.radio(key="gan_walk_method").set_value("linear").run()
    at.slider(key="gan_steps").set_value(4).run()
    before = values(figure(at, "gan_classes")["data"][0]["y"])
    at.number_input(key="gan_seed").set_value(7).run()
    assert not at.exception, at.exception
    after = values(figure(at, "gan_classes")["data"][0]["y"])
    assert after.sum() == 1000 and not np.array_equal(before, after)  # new seed, new samples
    assert "(seed 7)" in texts(at.caption)
    at.number_input(key="gan_edit").set_value(63).run()  # the last tile of the 8 x 8 grid
    np.testing.assert_allclose(
        component_data(at, "gan_sliders")["code"], prior_codes(1000, 32, 7)[63], atol=1e-6
    )
    at.slider(key="gan_grid").set_value(2).run()  # the grid shrinks below the chosen tile
    assert not at.exception, at.exception
    assert at.number_input(key="gan_edit").value == 0


# --- Concepts ---------------------------------------------------------------------------------


def test_concepts_calculator_agrees_with_pytorch_and_lists_the_decoder():
    at = open_page("views/concepts.py")
    assert at.metric[0].value == "14 × 14"  # 7x7 with k=4, s=2, p=1: the decoders' first step
    assert "PyTorch agrees" in texts(at.success)
    table = at.dataframe[0].value
    assert list(table["layer"]) == [
        "fc.0",
        "fc.1",
        "fc.2",
        "fc.3",
        "deconv.0",
        "deconv.1",
        "deconv.2",
        "deconv.3",
        "deconv.4",
    ]
    assert list(table["output"])[-1] == "1 × 28 × 28"
    assert [o for o in table["o by the formula"] if o] == ["14", "28"]
    assert "formula gives exactly the size PyTorch produced" in texts(at.success)


def test_concepts_calculator_explains_impossible_and_cropping_inputs():
    at = open_page("views/concepts.py")
    at.number_input(key="concepts_i").set_value(2).run()
    at.number_input(key="concepts_p").set_value(4).run()  # o = 1*2 + 4 - 8 = -2
    assert not at.exception, at.exception
    assert "= -2" in texts(at.error) and "Lower p to at most 2" in texts(at.error)
    assert not at.metric  # no output size, no picture
    at.number_input(key="concepts_p").set_value(2).run()  # o = 2 with p > k - 1? no: k=4
    at.number_input(key="concepts_k").set_value(2).run()  # o = 2 + 2 - 4 = 0
    assert "= 0" in texts(at.error)
    at.number_input(key="concepts_i").set_value(5).run()  # o = 8 + 2 - 4 = 6, p=2 > k-1=1
    assert at.metric[0].value == "6 × 6"
    assert "cut from each side" in texts(at.info)
    assert "PyTorch agrees" in texts(at.success)


def test_concepts_lists_a_gan_generator_too():
    at = open_page("views/concepts.py")
    at.selectbox(key="concepts_model").set_value("gan_k32").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["output"])[-1] == "1 × 28 × 28"
    assert table["module"].str.startswith("ConvTranspose2d").sum() == 2
