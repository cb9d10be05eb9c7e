"""The Style & content page under AppTest, on the shipped cvae_k8, vae_k16 and classifier."""

from __future__ import annotations

import io
import shutil

import streamlit as st
from PIL import Image

from core.models.registry import ENCODER_KINDS, GENERATIVE_KINDS
from core.training.checkpoints import list_checkpoints
from ui.compute import resources, studios

from .apptest import open_page
from .conftest import ROOT, files_under

PAGE = "views/style.py"
SHIPPED = {i.name: i for i in list_checkpoints(ROOT / "checkpoints")}


def test_the_page_s_models_are_shipped_and_load():
    """cvae_k8, vae_k16 and the classifier ship: a missing or unreadable file fails here
    rather than turning this page's tests into skips."""
    assert {"cvae_k8", "vae_k16", "classifier"} <= set(SHIPPED)


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def image_captions(at) -> list[str]:
    return [c for image in at.get("image") for c in image.captions]


def test_the_cvae_is_listed_but_kept_out_of_the_sidebar():
    at = open_page()
    assert "cvae_k8" not in at.selectbox(key="app_model").options
    assert SHIPPED["cvae_k8"].kind not in (*ENCODER_KINDS, *GENERATIVE_KINDS)


def test_page_renders_the_style_row_swap_grid_and_the_measured_probe():
    at = open_page(PAGE)
    assert not at.exception
    assert "The label carries the content" in at.markdown[0].value
    # the CVAE comes from the page's own picker: the sidebar never offers one
    assert at.selectbox(key="style_model").value == "cvae_k8"
    metrics = {m.label: m.value for m in at.metric}
    plain = next(v for k, v in metrics.items() if "on the code" in k)
    cvae = next(v for k, v in metrics.items() if "on the z" in k)
    plain, cvae = float(plain.rstrip("%")), float(cvae.rstrip("%"))
    assert plain > 80 and cvae < 30, metrics  # measured: vae_k16 ~89 %, cvae_k8 z ~15 %
    row = [c for c in image_captions(at) if c.startswith("as ")]
    assert [c.split(":")[0] for c in row] == [f"as {d}" for d in range(10)]
    read = [int(c.split(": ")[1].split(" ")[0]) for c in row]  # "as 4: 4 · 99%"
    assert sum(r == d for d, r in enumerate(read)) >= 8, row  # the style drawn as each label
    at.selectbox(key="style_class").set_value(8).run()
    assert not at.exception
    assert any("label 8" in c for c in captions(at))
    at.radio(key="style_grid_source").set_value("prior").run()
    assert not at.exception
    assert any("z ~ N(0, I)" in c for c in image_captions(at))


class RecordedProgress:
    """Stands in for ``streamlit`` in ui.compute.studios: draws the real progress bars and keeps
    every (share, text) they are given."""

    def __init__(self) -> None:
        self.told: list[tuple[float, str]] = []

    def progress(self, value: float, text: str) -> RecordedProgress._Bar:
        self.told.append((value, text))
        return self._Bar(st.progress(value, text=text), self.told)

    class _Bar:
        def __init__(self, bar, told: list[tuple[float, str]]) -> None:
            self.bar, self.told = bar, told

        def progress(self, value: float, text: str) -> None:
            self.told.append((value, text))
            self.bar.progress(value, text=text)

        def empty(self) -> None:
            self.bar.empty()


def test_a_probe_not_on_disk_is_computed_under_a_progress_bar(tmp_path, monkeypatch):
    """vae_k16's probe is left out of a copy of the checkpoint folder: the page computes it
    (encoding, the probes, the t-SNE) under a bar that moves from 0 to 1, then shows it."""
    for name in ("cvae_k8.pt", "vae_k16.pt", "classifier.pt"):
        shutil.copy(ROOT / "checkpoints" / name, tmp_path / name)
    shutil.copytree(ROOT / "checkpoints" / "few_labels", tmp_path / "few_labels")
    for probe in (tmp_path / "few_labels").glob("vae_k16_*_probe_*.npz"):
        probe.unlink()
    shipped = files_under(ROOT / "checkpoints")
    monkeypatch.setattr(resources, "CHECKPOINT_DIR", tmp_path)
    recorded = RecordedProgress()
    monkeypatch.setattr(studios, "st", recorded)

    at = open_page(PAGE)
    assert not at.exception, at.exception
    shares = [share for share, _ in recorded.told]
    assert shares[0] == 0.0 and shares[-1] == 1.0 and shares == sorted(shares), recorded.told
    assert all(text.startswith("Does vae_k16's code know the class?") for _, text in recorded.told)
    assert sum("t-SNE" in text for _, text in recorded.told) >= 3, recorded.told  # it moves the bar
    assert not at.get("progress")  # emptied once done
    metrics = [m.label for m in at.metric]
    assert any("on the code" in label for label in metrics), metrics
    assert list((tmp_path / "few_labels").glob("vae_k16_*_probe_*.npz"))  # kept for next time
    assert files_under(ROOT / "checkpoints") == shipped


def test_index_source_and_a_gan_in_the_sidebar_is_refused_with_a_sentence():
    at = open_page(PAGE, app_model="gan_k32")
    assert not at.exception
    assert any("has no encoder" in i.value for i in at.info), [i.value for i in at.info]
    at.radio(key="style_source").set_value("index").run()
    at.number_input(key="style_index").set_value(17).run()
    assert not at.exception
    assert any("validation digit 17" in c for c in captions(at))


def test_an_upload_that_is_not_a_digit_gets_the_your_digit_messages(digits):
    bad = {
        "blank.png": png(Image.new("L", (300, 200), 255)),
        "notes.txt": b"buy milk",
        "clear.png": png(Image.new("RGBA", (64, 64), (0, 0, 0, 0))),
    }
    pages = {}
    for page in (PAGE, "views/reconstruct.py"):
        at = open_page(page, style_source="yours")
        assert any("Upload a picture of a digit" in i.value for i in at.info)
        seen = []
        for name, data in bad.items():
            upload(at, name, data)
            seen.append([e.value for e in at.error])
            assert not at.exception and len(at.error) == 1  # one message, no exception
        pages[page] = seen
        assert at.session_state["reconstruct_input"] is None  # nothing was taken as a digit
    assert pages[PAGE] == pages["views/reconstruct.py"] and all(pages[PAGE])
    # and a real one is read by the classifier, then drawn as every digit
    four = 255 - digits.images[digits.val_idx[digits.labels[digits.val_idx] == 4][0]].numpy()
    at = upload(open_page(PAGE, style_source="yours"), "four.png", png(Image.fromarray(four)))
    assert not at.error and any("read as a 4" in c for c in captions(at)), captions(at)


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def upload(at, name: str, data: bytes):
    at.file_uploader(key="reconstruct_upload").set_value((name, data, "image/png"))
    at.run()
    assert not at.exception, at.exception
    return at
