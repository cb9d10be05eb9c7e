"""The shipped Fashion-MNIST models: they load, know their dataset, decode and classify; and the
Fashion recipes are what ``--all --dataset fashion-mnist`` trains."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.data.datasets import DEBIAN_FASHION_DIR, FASHION_NAMES, load_dataset, to_float
from core.training.checkpoints import list_checkpoints, load_model
from core.training.cli import main as train_main
from core.training.recipes import fashion_configs, recipes_for
from ui.navigation import PAGES

from .apptest import open_page
from .conftest import ROOT

SHIPPED = {"fashion_ae_k2", "fashion_vae_k16", "fashion_gan_k32", "fashion_classifier"}
needs_fashion = pytest.mark.skipif(
    not (DEBIAN_FASHION_DIR / "train-images-idx3-ubyte.gz").exists(),
    reason="needs Debian's dataset-fashion-mnist (scripts/test.sh installs it)",
)


@pytest.fixture(scope="module")
def fashion_infos():
    return {
        i.name: i for i in list_checkpoints(ROOT / "checkpoints") if i.dataset == "fashion-mnist"
    }


def test_the_fashion_set_ships_and_says_its_dataset(fashion_infos):
    assert set(fashion_infos) >= SHIPPED
    assert set(fashion_infos) == set(fashion_configs())
    assert {i.kind for i in fashion_infos.values()} >= {"ae", "vae", "gan", "classifier"}
    assert fashion_infos["fashion_ae_k2"].latent_dim == 2


def test_fashion_decoders_give_images_and_codes_are_finite(fashion_infos):
    gen = torch.Generator().manual_seed(0)
    for name in ("fashion_ae_k2", "fashion_vae_k16", "fashion_gan_k32"):
        model = load_model(fashion_infos[name].path)
        z = torch.randn(8, model.latent_dim, generator=gen)
        with torch.no_grad():
            out = model.decode(z)
        assert out.shape == (8, 1, 28, 28) and out.min() >= 0 and out.max() <= 1, name


@needs_fashion
def test_the_fashion_classifier_reads_real_items_and_the_ae_reconstructs_them(fashion_infos):
    data = load_dataset("fashion-mnist")
    x_u8, y = data.split("val")
    x_u8, y = x_u8[:1000], y[:1000]
    x = to_float(x_u8)
    with torch.no_grad():
        accuracy = load_model(fashion_infos["fashion_classifier"].path)(x).argmax(1) == y
        ae = load_model(fashion_infos["fashion_ae_k2"].path)
        mse = float(((ae(x) - x) ** 2).mean())
    assert data.class_names == FASHION_NAMES
    # measured (fp32 and bf16 weights alike): accuracy ~0.9, AE k=2 MSE ~0.029; PCA(2)'s is 0.046
    assert float(accuracy.float().mean()) > 0.85
    assert mse < 0.037


def test_all_for_fashion_trains_the_fashion_recipes(tmp_path):
    """One batch of each Fashion recipe (fp32), on a small IDX folder written here."""
    rng = np.random.default_rng(0)
    from .test_data import _write_idx

    _write_idx(tmp_path / "train-images-idx3-ubyte", rng.integers(0, 256, (200, 28, 28)), False)
    _write_idx(tmp_path / "train-labels-idx1-ubyte", np.arange(200) % 10, False)
    out = tmp_path / "out"
    names = "fashion_ae_k2,fashion_classifier"
    train_main(
        ["--all", "--dataset", "fashion-mnist", "--data-root", str(tmp_path), "--only", names]
        + ["--out-dir", str(out), "--max-batches", "1", "--precision", "fp32", "--jobs", "1"]
    )
    infos = {i.name: i for i in list_checkpoints(out)}
    assert set(infos) == set(names.split(","))
    assert {i.dataset for i in infos.values()} == {"fashion-mnist"}
    assert (
        infos["fashion_ae_k2"].config["channels"]
        == recipes_for("fashion-mnist")["fashion_ae_k2"].model.channels
    )


def _texts(at) -> str:
    kinds = ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error")
    parts = [element.value for kind in kinds for element in getattr(at, kind)]
    parts += [
        w.label for kind in ("slider", "toggle", "button", "radio") for w in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


@needs_fashion
@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.title)
def test_every_page_runs_on_fashion_and_says_items(spec):
    at = open_page(spec.path, timeout=300, query={"dataset": "fashion-mnist"})
    assert at.sidebar.selectbox(key="app_dataset").value == "fashion-mnist"
    text = _texts(at)
    assert "digit" not in text.lower(), [line for line in text.split("\n") if "igit" in line]


@needs_fashion
def test_few_labels_says_so_when_pixels_beat_the_codes():
    # shipped Fashion curves, logistic regression at 10 labels per class: fashion_vae_k16 63.6 %
    # against 70.3 % for the pixels, so the page must not claim the code is the better start
    at = open_page("views/few_labels.py", timeout=300, query={"dataset": "fashion-mnist"})
    reading = " ".join(m.value for m in at.markdown)
    assert "Here the raw pixels beat every autoencoder's code" in reading
    assert "better starting point" not in reading
