"""ONNX decoders against torch: every kind, every shipped checkpoint, and the failures.

onnxruntime (Python) runs the graphs here: it is the same runtime, compiled natively, that the
browser runs as WebAssembly; tests/test_browser_explorer.py checks the browser's pixels too.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from core.latent.export import (
    INPUT_NAME,
    ExportError,
    cached_export,
    export_decoder,
    export_path,
)
from core.models.base import ModelConfig
from core.models.registry import GENERATIVE_KINDS, build_model
from core.training.checkpoints import list_checkpoints, save_checkpoint

from .conftest import ROOT

TOLERANCE = 1e-3  # max abs pixel difference the explorer promises (issue 13)


def run_onnx(path, codes: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {INPUT_NAME: codes.astype(np.float32)})[0]


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


def test_a_model_without_decoder_or_in_training_mode_is_refused(tmp_path):
    classifier = build_model(ModelConfig(kind="classifier")).eval()
    with pytest.raises(ExportError, match="no decoder"):
        export_decoder(classifier, tmp_path / "c.onnx")
    with pytest.raises(ExportError, match="training mode"):
        export_decoder(tiny_model("ae").train(), tmp_path / "t.onnx")
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_an_unreadable_checkpoint_is_a_clear_export_error(tmp_path):
    bad = tmp_path / "broken.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ExportError, match="not a readable checkpoint"):
        cached_export(bad, tmp_path / "onnx")
