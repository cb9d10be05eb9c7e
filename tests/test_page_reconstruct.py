"""The "Your digit" page under real Streamlit (AppTest): uploads, bad files, the anomaly verdict,
the latent map and the GAN search, on the shipped checkpoints."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from core.data.datasets import Dataset
from core.data.preprocess import preprocess_array
from core.models.registry import ENCODER_KINDS
from ui.state import models_for

from . import apptest
from .apptest import component_data

PAGE = "views/reconstruct.py"


def validation_digit(digits: Dataset, label: int) -> np.ndarray:
    """The first validation digit with this label, uint8 [28, 28] (white ink on black)."""
    val = digits.val_idx[digits.labels[digits.val_idx] == label]
    return digits.images[val[0]].numpy()


def digit_png(digits: Dataset, label: int, side: int = 200) -> bytes:
    """A real digit as a user would photograph it: black ink on white paper, enlarged."""
    ink = 255 - validation_digit(digits, label)
    image = Image.fromarray(ink).resize((side, side), Image.Resampling.BICUBIC)
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def open_page(**state) -> AppTest:
    return apptest.open_page(PAGE, **state)


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="reconstruct_upload").set_value((name, data, "image/png"))
    at.run()
    assert not at.exception, at.exception
    return at


def messages(at: AppTest) -> str:
    parts = [*at.error, *at.warning, *at.info, *at.success, *at.markdown, *at.caption]
    return "\n".join(str(p.value) for p in parts)


def test_the_page_invites_an_upload_before_anything_else():
    at = open_page()
    assert any("Upload a picture of a digit" in i.value for i in at.info)
    assert at.session_state["reconstruct_input"] is None
    assert not at.header  # nothing below the input yet


def test_an_upload_is_prepared_and_reconstructed_by_every_model_and_pca(digits):
    at = upload(open_page(), "seven.png", digit_png(digits, 7))
    result = at.session_state["reconstruct_input"]
    original = validation_digit(digits, 7)
    assert result.inverted and result.digit.shape == (28, 28)
    shifts = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]  # centring rounds to a pixel
    remade = [np.roll(result.digit.astype(float), s, axis=(0, 1)) for s in shifts]
    assert min(np.abs(r - original).mean() for r in remade) < 8  # the same digit, re-made
    assert "**seven.png**, step by step" in messages(at)

    infos = models_for("embedded", ENCODER_KINDS)
    ks = sorted({i.latent_dim for i in infos})
    table = at.dataframe[0].value
    assert list(table["method"]) == [f"PCA k={k}" for k in ks] + [
        i.name for i in sorted(infos, key=lambda i: (i.latent_dim, i.kind, i.name))
    ]
    # PCA's components are nested: more of them never reconstruct worse. This seven, measured:
    # PCA 0.0300 (k=2) down to 0.0093 (k=32); every AE of k >= 8 beats PCA of its k (ae_k8 0.0174
    # against 0.0277, ae_k32 0.0027 against 0.0093); all rows 0.0027-0.0305.
    mse = dict(zip(table["method"], table["MSE"], strict=True))
    pca = [mse[f"PCA k={k}"] for k in ks]
    assert all(a > b for a, b in zip(pca, pca[1:], strict=False))
    assert all(mse[f"ae_k{k}"] < mse[f"PCA k={k}"] for k in ks if k >= 8 and f"ae_k{k}" in mse)
    assert table["MSE"].between(0.001, 0.05).all()
    assert table["worse than % of validation"].between(0, 100).all()
    assert [h.value for h in at.header] == [
        "Reconstructions",
        "Is this a digit?",
        "Where it lands",
        "The closest image a GAN can make",
    ]
    verdicts = [*at.success, *at.info, *at.warning, *at.error]
    assert any("of the validation digits" in v.value for v in verdicts)
    assert at.radio(key="reconstruct_method").value == "raw"  # ae_k2 from the sidebar


def test_bad_uploads_get_a_message_and_the_previous_digit_stays(digits):
    at = upload(open_page(), "four.png", digit_png(digits, 4))
    kept = at.session_state["reconstruct_input"]
    rng = np.random.default_rng(0)
    bad = {
        "noise.png": (rng.integers(0, 256, 4000, dtype=np.uint8).tobytes(), "not an image"),
        "cut.png": (digit_png(digits, 4)[:400], "damaged or incomplete"),
        "dot.png": (png(Image.new("L", (1, 1))), "too small"),
        "blank.png": (png(Image.new("L", (300, 200), 255)), "blank"),
        "clear.png": (png(Image.new("RGBA", (64, 64), (0, 0, 0, 0))), "fully transparent"),
        "notes.txt": (b"buy milk", "not an image"),
    }
    for name, (data, words) in bad.items():
        upload(at, name, data)
        error = " ".join(e.value for e in at.error)
        assert f"**{name}**" in error and words in error, (name, error)
        assert "previous digit" in error
        assert at.session_state["reconstruct_input"] is kept
        assert not at.exception and len(at.error) == 1  # one message, no exception
    upload(at, "five.png", digit_png(digits, 5))  # and the page keeps working
    assert not at.error and at.session_state["reconstruct_input"] is not kept


def test_unusual_but_valid_formats_become_digits_and_a_bomb_is_refused(digits):
    ink = Image.open(io.BytesIO(digit_png(digits, 3)))  # L, black on white

    def saved(image: Image.Image, fmt: str, **options) -> bytes:
        buf = io.BytesIO()
        image.save(buf, format=fmt, **options)
        return buf.getvalue()

    sixteen = Image.fromarray(np.asarray(ink).astype(np.uint16) * 257)  # mode I;16
    frames = [ink.convert("P"), Image.new("P", ink.size, 0)]
    formats = {
        "sixteen.png": saved(sixteen, "PNG"),
        "palette.gif": saved(ink.convert("P"), "GIF"),
        "cmyk.jpg": saved(ink.convert("CMYK"), "JPEG"),
        "animated.gif": saved(frames[0], "GIF", save_all=True, append_images=frames[1:]),
        "photo.webp": saved(ink.convert("RGB"), "WEBP"),
        "scan.tiff": saved(ink, "TIFF"),
    }
    at = open_page()
    for name, data in formats.items():
        upload(at, name, data)
        assert not at.error, (name, [e.value for e in at.error])
        assert at.session_state["reconstruct_source"] == name
        assert at.session_state["reconstruct_input"].inverted
    upload(at, "bomb.png", saved(Image.new("1", (9000, 9000)), "PNG"))  # 81 MP, a few kB
    assert any("too large" in e.value for e in at.error)


def test_a_bad_first_upload_shows_only_the_message():
    at = upload(open_page(), "junk.png", b"\x89PNG\r\n\x1a\nnot really")
    assert any("damaged or incomplete" in e.value or "not an image" in e.value for e in at.error)
    assert at.session_state["reconstruct_input"] is None and not at.header


def test_a_digit_in_session_state_is_judged_and_a_filled_square_is_not_a_digit(digits):
    real = preprocess_array(validation_digit(digits, 2))
    at = open_page(reconstruct_input=real, reconstruct_source="A test digit")
    assert "**A test digit**, step by step" in messages(at)
    assert at.selectbox(key="reconstruct_judge").value == "ae_k16"  # the default judge
    real_pct = at.dataframe[0].value.set_index("method").loc["ae_k16", "worse than % of validation"]

    square = np.zeros((100, 100), dtype=np.uint8)
    square[20:80, 20:80] = 255
    at.session_state["reconstruct_input"] = preprocess_array(square)
    at.run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value.set_index("method")
    assert table.loc["ae_k16", "worse than % of validation"] > max(real_pct, 99.0)
    assert any("Probably not a digit" in e.value for e in at.error)


@pytest.mark.parametrize(("model", "method"), [("ae_k16", "pca"), ("vae_k16", "tsne")])
def test_the_digit_is_placed_on_every_kind_of_map(digits, model, method):
    real = preprocess_array(validation_digit(digits, 3))
    at = open_page(app_model=model, reconstruct_input=real, reconstruct_method=method)
    assert at.radio(key="reconstruct_method").value == method
    assert "5 nearest digits" in messages(at)
    placed = component_data(at, "reconstruct_map")  # the live map, with the digit marked
    assert placed["inverse"]["kind"] == method and placed["decoder_url"].endswith(".onnx")
    marks = {m["label"]: np.array(m["points"]) for m in placed["overlays"]}
    assert marks["5 nearest"].shape == (5, 2) and marks["your digit"].shape == (1, 2)
    assert np.isfinite(marks["your digit"]).all()
    assert (len([c for c in at.caption if "openTSNE places" in c.value]) > 0) == (method == "tsne")


def test_gan_search_runs_on_the_button_and_survives_reruns(digits):
    real = preprocess_array(validation_digit(digits, 8))
    at = open_page(app_model="gan_k32", reconstruct_input=real)
    assert "On the map of **ae_k16" in messages(at)  # a GAN has no map: the judge's instead
    assert any("Press the button" in i.value for i in at.info)
    at.slider(key="reconstruct_steps").set_value(50)
    at.button(key="reconstruct_invert").click()
    at.run()
    assert not at.exception, at.exception
    assert "50 steps reached MSE" in messages(at)
    found = next(iter(at.session_state["reconstruct_inversions"].values()))
    assert found.mse < found.initial_mse and len(found.history) == 51

    at.radio(key="reconstruct_method").set_value("tsne")  # any other rerun keeps the result
    at.run()
    assert not at.exception, at.exception
    assert "50 steps reached MSE" in messages(at)
    assert len(at.session_state["reconstruct_inversions"]) == 1
