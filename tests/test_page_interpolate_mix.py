"""Interpolate and Mix pages under real Streamlit (AppTest), on the shipped checkpoints."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ui.compute.resources import map_dataset
from ui.navigation import PAGES

from . import apptest
from .apptest import component_data

PATHS = {spec.title: spec.path for spec in PAGES}


def open_page(title: str, query: dict | None = None, **state) -> AppTest:
    """The app, then one page. The model is set in the session, not only through the sidebar's
    widget, so that it stays chosen over the test's reruns."""
    return apptest.open_page(PATHS[title], query=query, **{"app_model": "ae_k2", **state})


def interpolate(query: dict | None = None, **state) -> AppTest:
    return open_page("Interpolate", query, **state)


def mix(query: dict | None = None, **state) -> AppTest:
    return open_page("Mix a class", query, **state)


def strip_captions(at: AppTest) -> list[str]:
    """Captions of the decoded steps: every image but the two real end digits."""
    return [
        im.captions[0] for im in at.get("image") if not im.captions[0].startswith(("A ·", "B ·"))
    ]


def image_urls(at: AppTest) -> list[str]:
    """Streamlit names each image by a hash of its bytes: other pixels, other URL."""
    return [im.proto.imgs[0].url for im in at.get("image")]


# --- Interpolate ------------------------------------------------------------------------------


def test_the_pair_clicked_on_the_map_is_interpolated():
    labels = map_dataset("embedded").labels.numpy()
    b = int((labels == 8).nonzero()[0][0])
    at = interpolate(map_pair=[3, b])
    assert at.radio(key="interp_source").value == "map"
    assert at.subheader[0].value == f"From #3 ({labels[3]}) to #{b} (8)"
    captions = strip_captions(at)
    assert len(captions) == 10  # the default steps, end points included
    assert all(" · " in c and c.endswith("%") for c in captions)  # classifier label · confidence
    assert len(at.get("plotly_chart")) == 1  # the classifier's probabilities
    path = component_data(at, "interp_explorer")["overlays"]  # the path drawn on the live map
    assert [o["kind"] for o in path] == ["path"] and len(path[0]["points"]) == 10
    assert len(at.get("download_button")) == 2  # PNG strip, GIF animation

    at.slider(key="interp_steps").set_value(32).run()
    at.radio(key="interp_method").set_value("slerp").run()
    assert not at.exception and len(strip_captions(at)) == 32


def test_a_random_pair_by_class_is_reproducible_and_rerolls():
    at = interpolate(app_model="vae_k16")
    assert at.radio(key="interp_source").value == "class"  # no pair clicked yet
    assert at.radio(key="interp_map").value == "pca"  # a 16-D latent: PCA by default
    first = at.subheader[0].value
    assert "(3) to #" in first and first.endswith("(8)")
    at.run()
    assert at.subheader[0].value == first  # the same seed, the same pair
    at.button(key="interp_reroll").click().run()
    assert at.number_input(key="interp_seed").value == 1
    assert at.subheader[0].value != first


def test_dataset_indices_are_checked():
    at = interpolate(interp_source="index", interp_index_a=5, interp_index_b=5000)
    assert "out of range" in at.error[0].value and "0 to 4,999" in at.error[0].value
    assert not strip_captions(at)
    at.number_input(key="interp_index_b").set_value(4999).run()
    assert not at.error and at.subheader[0].value.startswith("From #5 ")


def test_the_map_source_explains_what_to_do_without_a_valid_pair():
    at = interpolate(interp_source="map")
    assert "Click two digits on the Latent map" in at.info[0].value
    at = interpolate(interp_source="map", map_pair=[3, 123456])
    assert "another dataset" in at.warning[0].value


def test_a_link_opens_a_walk_between_two_indices_and_its_seed():
    at = interpolate(query={"a": "5", "b": "17"})
    assert at.radio(key="interp_source").value == "index"
    assert at.subheader[0].value.startswith("From #5 ") and "to #17 " in at.subheader[0].value
    at = interpolate(query={"seed": "7"})
    assert at.number_input(key="interp_seed").value == 7 and at.query_params["seed"] == "7"


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"a": "5", "b": "99999"}, "endpoint b '99999' is not a whole number from 0 to 4,999"),
        ({"a": "-1", "b": "2"}, "endpoint a '-1'"),
        ({"a": "1e309", "b": "2"}, "endpoint a '1e309'"),
        ({"a": "nan", "b": "inf"}, "endpoint b 'inf'"),
        ({"a": "3"}, "only one endpoint"),
        ({"seed": "-5"}, "seed '-5' is not a whole number from 0 to 4,294,967,295"),
        ({"seed": "1" * 40}, "seed '111"),
    ],
)
def test_a_links_absurd_endpoints_or_seed_get_a_line_and_no_decode(query, says):
    at = interpolate(query=query)
    assert any(says in w.value for w in at.warning), [w.value for w in at.warning]
    assert not at.get("image") and not at.get("bidi_component")  # nothing decoded or drawn
    at.run()  # the link is read once: the page then works with its widgets
    assert not at.exception and strip_captions(at)


def test_a_gans_link_with_an_absurd_seed_gets_a_line_and_no_decode():
    at = interpolate(query={"seed": "2e40"}, app_model="gan_k32")
    assert any("seed '2e40'" in w.value for w in at.warning)
    assert not at.get("image")


def test_tsne_map_places_the_path():
    at = interpolate(map_pair=[3, 9], app_model="ae_k16", interp_map="tsne", interp_steps=4)
    assert len(strip_captions(at)) == 4
    assert any("placed" in c.value for c in at.caption)


def test_a_gan_walks_between_two_seeded_random_codes():
    at = interpolate(app_model="gan_k32")
    assert at.subheader[0].value == "Between two random codes (seed 0)"
    first = image_urls(at)
    assert len(first) == 10 and len(at.get("plotly_chart")) == 1  # no map for a GAN
    at.button(key="interp_reroll").click().run()
    assert at.subheader[0].value == "Between two random codes (seed 1)"
    assert image_urls(at) != first


# --- Mix --------------------------------------------------------------------------------------


def test_mix_makes_new_eights_with_their_nearest_real_digits():
    at = mix()
    assert at.selectbox(key="mix_class").value == 8
    assert at.subheader[0].value == "16 new 8s"
    cells = at.get("image")
    assert len(cells) == 16 and all("d 0." in im.captions[0] for im in cells)
    assert [m.label for m in at.metric] == [
        "New → nearest training digit",
        "Real unseen 8s → nearest training digit",
        "Classified as 8",
    ]
    assert "Why a VAE's mixtures look smoother" in at.info[0].value
    marks = component_data(at, "mix_explorer")["overlays"]  # the codes on the live map
    assert [(o["kind"], len(o["points"])) for o in marks] == [("ring", 200), ("star", 16)]


@pytest.mark.parametrize("seed", ["-1", "1e309", "x", "99999999999"])
def test_mix_refuses_an_absurd_seed_from_a_link(seed):
    at = mix(query={"seed": seed})
    assert any(f"seed {seed!r}" in w.value for w in at.warning)
    assert not at.get("image")
    at.run()
    assert not at.exception and len(at.get("image")) == 16


def test_mix_opens_a_links_seed():
    at = mix(query={"seed": "3"}, mix_n_new=4)
    assert at.number_input(key="mix_seed").value == 3


def test_a_seed_gives_the_same_digits_and_regenerate_new_ones():
    at = mix(mix_n_new=4)
    first = image_urls(at)
    at.run()
    assert image_urls(at) == first
    at.button(key="mix_regenerate").click().run()
    assert at.number_input(key="mix_seed").value == 1
    assert image_urls(at) != first


@pytest.mark.parametrize("mixing", ["mean", "noise"])
def test_every_mixing_works_with_a_vae(mixing):
    at = mix(app_model="vae_k16", mix_mixing=mixing, mix_class=3, mix_n_new=8, mix_n_combine=50)
    assert at.subheader[0].value == "8 new 3s"
    assert at.select_slider(key="mix_concentration").disabled
    assert at.slider(key="mix_noise").disabled == (mixing != "noise")
    assert at.radio(key="mix_map").value == "pca"


def test_mix_explains_why_a_gan_cannot_mix():
    at = mix(app_model="gan_k32")
    assert "no encoder" in at.info[0].value
    assert not at.get("image")
