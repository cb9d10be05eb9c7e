"""ONNX decoders and encoders against torch: every kind, every shipped checkpoint, and the
failures.

onnxruntime (Python) runs the graphs here: it is the same runtime, compiled natively, that the
browser runs as WebAssembly; tests/test_browser_explorer.py checks the browser's pixels too.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from core.data.datasets import load_dataset, to_float
from core.latent.export import (
    INPUT_NAME,
    OUTPUT_NAME,
    ExportError,
    cached_export,
    export_decoder,
    export_encoder,
    export_path,
    export_problem,
)
from core.models.base import ModelConfig
from core.models.registry import ENCODER_KINDS, GENERATIVE_KINDS, build_model
from core.training.checkpoints import list_checkpoints, save_checkpoint

from .conftest import ROOT

TOLERANCE = 1e-3  # max abs pixel difference the explorer promises (issue 13)


def run_onnx(path, codes: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {INPUT_NAME: codes.astype(np.float32)})[0]


def run_onnx_encoder(path, images: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {OUTPUT_NAME: images.astype(np.float32)})[0]


def fixed_images(n: int = 100) -> np.ndarray:
    """The first n validation digits as float [n, 1, 28, 28] in [0, 1]."""
    images, _ = load_dataset("embedded").split("val")
    return to_float(images[:n]).reshape(n, 1, 28, 28).numpy()


def torch_encode(model, images: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model.encode(torch.from_numpy(images)).numpy()


def torch_decode(model, codes: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model.decode(torch.from_numpy(codes.astype(np.float32))).numpy()


def fixed_codes(k: int, n: int = 100) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(n, k)).astype(np.float32) * 1.5


def tiny_model(kind: str, seed: int = 0):
    torch.manual_seed(seed)
    model = build_model(ModelConfig(kind=kind, latent_dim=3, channels=4, hidden=16))
    # Non-trivial batch-norm statistics, so eval mode (running stats) differs from batch stats.
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    return model.eval()


@pytest.mark.parametrize("kind", GENERATIVE_KINDS)
def test_export_matches_torch_per_kind_at_any_batch_size(kind, tmp_path):
    model = tiny_model(kind)
    path = export_decoder(model, tmp_path / f"{kind}.onnx")
    for n in (1, 7):  # the graph was traced at batch 2: the batch axis must be dynamic
        codes = fixed_codes(3, n)
        out = run_onnx(path, codes)
        assert out.shape == (n, 1, 28, 28)
        assert np.abs(out - torch_decode(model, codes)).max() <= 1e-5
        assert out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("kind", ENCODER_KINDS)
def test_encoder_export_matches_torch_per_kind_at_any_batch_size(kind, tmp_path):
    model = tiny_model(kind)
    path = export_encoder(model, tmp_path / f"{kind}_encoder.onnx")
    for n in (1, 7):
        images = fixed_images(n)
        codes = run_onnx_encoder(path, images)
        assert codes.shape == (n, 3)
        assert np.abs(codes - torch_encode(model, images)).max() <= 1e-5


@pytest.mark.parametrize(
    "info",
    [i for i in list_checkpoints(ROOT / "checkpoints") if i.kind in ENCODER_KINDS],
    ids=lambda i: i.name,
)
def test_every_shipped_encoder_is_shipped_exported_and_equal_to_torch(info):
    from core.training.checkpoints import load_model

    path = export_path(info.path, ROOT / "static" / "onnx", "encoder")
    assert path.exists(), (
        f"run: python -m core.latent.export --precompute checkpoints ({path.name})"
    )
    images = fixed_images(100)  # the target: 100 fixed images, codes within 1e-3
    diff = run_onnx_encoder(path, images) - torch_encode(load_model(info.path), images)
    assert np.abs(diff).max() <= TOLERANCE


def test_export_leaves_the_model_as_it_was(tmp_path):
    model = tiny_model("vae")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    export_decoder(model, tmp_path / "vae.onnx")
    assert not model.training
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, before[name]), name


@pytest.mark.parametrize(
    "info",
    [i for i in list_checkpoints(ROOT / "checkpoints") if i.kind in GENERATIVE_KINDS],
    ids=lambda i: i.name,
)
def test_every_shipped_decoder_is_shipped_exported_and_equal_to_torch(info):
    from core.training.checkpoints import load_model

    path = export_path(info.path, ROOT / "static" / "onnx")
    assert path.exists(), (
        f"run: python -m core.latent.export --precompute checkpoints ({path.name})"
    )
    model = load_model(info.path)
    codes = fixed_codes(info.latent_dim)
    assert np.abs(run_onnx(path, codes) - torch_decode(model, codes)).max() <= TOLERANCE


def test_cached_export_is_keyed_by_the_checkpoint_bytes(tmp_path):
    checkpoint = save_checkpoint(tmp_path / "ae_tiny.pt", tiny_model("ae"))
    first = cached_export(checkpoint, tmp_path / "onnx")
    assert first.exists() and first.parent == tmp_path / "onnx"
    assert cached_export(checkpoint, tmp_path / "onnx") == first  # a hit: same file
    save_checkpoint(checkpoint, tiny_model("ae", seed=1))  # "retrained": other bytes
    second = cached_export(checkpoint, tmp_path / "onnx")
    assert second != first and second.exists()


def test_cached_export_exports_the_model_it_is_given_without_reading_the_file(tmp_path):
    """The app's one loader: the page passes its loaded model, the file is only hashed."""
    on_disk = build_model(
        ModelConfig("ae", 2, channels=8, hidden=32), torch.Generator().manual_seed(0)
    )
    ckpt = save_checkpoint(tmp_path / "ae.pt", on_disk.eval())
    given = build_model(
        ModelConfig("ae", 2, channels=8, hidden=32), torch.Generator().manual_seed(1)
    )
    path = cached_export(ckpt, tmp_path / "onnx", model=given.eval())
    codes = np.random.default_rng(0).normal(size=(4, 2))
    np.testing.assert_allclose(run_onnx(path, codes), torch_decode(given, codes), atol=1e-5)
    assert np.abs(run_onnx(path, codes) - torch_decode(on_disk, codes)).max() > 1e-2


@pytest.mark.parametrize(
    "damage", [lambda b: b[: len(b) // 2], lambda b: b"", lambda b: b[:200] + bytes(len(b) - 200)]
)
def test_a_damaged_export_is_found_and_exported_again(tmp_path, damage):
    """A cut-off, emptied or overwritten .onnx is not trusted: it is found by loading it in
    onnxruntime (once per file version) and replaced by a fresh export equal to torch."""
    model = tiny_model("vae")
    checkpoint = save_checkpoint(tmp_path / "vae_tiny.pt", model)
    path = cached_export(checkpoint, tmp_path / "onnx")
    assert export_problem(path) is None
    whole = path.read_bytes()
    path.write_bytes(damage(whole))
    assert export_problem(path) is not None
    assert cached_export(checkpoint, tmp_path / "onnx") == path
    assert export_problem(path) is None and len(path.read_bytes()) == len(whole)
    codes = fixed_codes(3)
    assert np.abs(run_onnx(path, codes) - torch_decode(model, codes)).max() <= TOLERANCE


def test_a_model_without_decoder_or_in_training_mode_is_refused(tmp_path):
    classifier = build_model(ModelConfig(kind="classifier")).eval()
    with pytest.raises(ExportError, match="no decoder"):
        export_decoder(classifier, tmp_path / "c.onnx")
    with pytest.raises(ExportError, match="training mode"):
        export_decoder(tiny_model("ae").train(), tmp_path / "t.onnx")
    with pytest.raises(ExportError, match="no encoder"):
        export_encoder(tiny_model("gan"), tmp_path / "g.onnx")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_an_unreadable_checkpoint_is_a_clear_export_error(tmp_path):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ExportError, match="not a readable checkpoint"):
        cached_export(bad, tmp_path / "onnx")
