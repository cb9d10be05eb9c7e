"""The training history that ``fit`` records for playback (core/training/history.py), its keyframe
decoders exported to ONNX (core/latent/export.py), and the shipped histories' sizes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.data.datasets import Dataset
from core.latent.export import keyframe_exports
from core.latent.pca import fit_pca
from core.models.base import ModelConfig
from core.training.checkpoints import load_model
from core.training.history import (
    SAMPLES,
    align_maps,
    fixed_indices,
    history_path,
    keyframe_epochs,
    keyframes_path,
    load_history,
    load_keyframe,
    recorded_epochs,
    recorder_for,
)
from core.training.loop import TrainConfig, fit, train_and_save
from tests.conftest import ROOT, TINY

SHIPPED_WITH_HISTORY = ("ae_k2", "vae_k2")


def _config(kind: str, k: int, epochs: int) -> TrainConfig:
    return TrainConfig(ModelConfig(kind, k, **TINY), epochs=epochs, max_batches=2, precision="fp32")


@pytest.mark.parametrize(("kind", "k"), [("ae", 2), ("vae", 4), ("gan", 8)])
def test_fit_records_every_epoch_with_the_final_map_last(small_digits, tmp_path, kind, k):
    epochs = 5
    recorder = recorder_for(small_digits, kind, k, epochs)
    result = train_and_save(
        _config(kind, k, epochs), small_digits, tmp_path / "m.pt", "cpu", recorder=recorder
    )
    history = load_history(tmp_path / "m.pt")
    n = len(small_digits.val_idx)
    assert history.epochs.tolist() == [1, 2, 3, 4, 5]
    assert history.samples.shape == (epochs, SAMPLES, 28, 28) and history.samples.dtype == np.uint8
    assert history.losses.shape == (epochs, len(history.loss_names))
    assert np.allclose(
        history.losses[:, history.loss_names.index("loss")], [r["loss"] for r in result.history]
    )
    assert history.indices.tolist() == sorted(small_digits.val_idx.tolist())
    if kind == "gan":
        assert history.maps is None
        return
    assert history.maps.shape == (epochs, n, 2)
    # The last frame is the final model's own map: its codes (k = 2) or their PCA (k > 2).
    x = small_digits.images[history.indices].float().div(255).unsqueeze(1)
    with torch.no_grad():
        codes = result.model.encode(x).numpy()
    final = codes if k == 2 else fit_pca(codes, 2).transform(codes)
    assert np.abs(history.maps[-1] - final).max() < 2e-2 * np.abs(final).max()  # float16
    assert not np.allclose(history.maps[0], history.maps[-1], atol=1e-2)  # the map moved


def test_alignment_undoes_a_rotation_and_a_flip():
    rng = np.random.default_rng(0)
    last = rng.normal(size=(300, 5)) * [5, 2, 1, 0.5, 0.1]
    angle = 1.1
    turned = last.copy()
    c, s = np.cos(angle), np.sin(angle)
    turned[:, :2] = last[:, :2] @ np.array([[c, -s], [s, c]])
    turned[:, 1] *= -1  # a reflection too
    maps = align_maps([turned.astype(np.float32), last.astype(np.float32)])
    assert np.abs(maps[0] - maps[1]).max() < 1e-3
    assert np.array_equal(maps[1], fit_pca(last, 2).transform(last))


def test_long_trainings_keep_at_most_100_frames_and_4_keyframes():
    assert recorded_epochs(30).tolist() == list(range(1, 31))
    frames = recorded_epochs(250)
    assert len(frames) == 100 and frames[0] == 1 and frames[-1] == 250
    picks = keyframe_epochs(250)
    assert len(picks) == 4 and set(picks) <= set(frames.tolist()) and 250 not in picks


def test_fashion_sized_splits_get_a_stratified_2000(digits):
    labels = torch.arange(30_000) % 10
    val = torch.arange(10_000, 30_000)
    big = Dataset(
        "fashion-mnist",
        torch.zeros(30_000, 28, 28, dtype=torch.uint8),
        labels,
        digits.class_names,
        torch.arange(10_000),
        val,
    )
    picked = fixed_indices(big)
    assert len(picked) == 2000 and np.array_equal(picked, fixed_indices(big))
    assert np.bincount(labels[picked].numpy()).tolist() == [200] * 10
    assert len(fixed_indices(digits)) == 500  # the embedded validation split, whole


def test_recording_does_not_change_the_training(small_digits):
    config = _config("ae", 2, 2)
    plain = fit(config, small_digits, "cpu").model
    recorded = fit(
        config, small_digits, "cpu", recorder=recorder_for(small_digits, "ae", 2, 2)
    ).model
    for a, b in zip(plain.state_dict().values(), recorded.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_keyframe_decoders_export_and_equal_torch(small_digits, tmp_path):
    import onnxruntime as ort

    epochs = 9  # keyframes at epochs 1, 2, 3 and 5 (9 ** (i / 4)), the last is the checkpoint's
    out = tmp_path / "ae_k2.pt"
    train_and_save(
        _config("ae", 2, epochs),
        small_digits,
        out,
        "cpu",
        recorder=recorder_for(small_digits, "ae", 2, epochs),
    )
    assert load_history(out).keyframes == [1, 2, 3, 5]
    exports = keyframe_exports(out, tmp_path / "onnx")
    assert sorted(exports) == [1, 2, 3, 5]
    z = torch.randn(20, 2, generator=torch.Generator().manual_seed(0)) * 2
    pictures = []
    for epoch, path in exports.items():
        model = load_model(out)
        model.load_state_dict(load_keyframe(out, epoch), strict=False)
        with torch.no_grad():
            expected = model.decode(z).numpy()
        got = ort.InferenceSession(str(path)).run(None, {"z": z.numpy()})[0]
        assert np.abs(got - expected).max() < 1e-4
        pictures.append(got)
    assert np.abs(pictures[0] - pictures[-1]).max() > 0.05  # epochs decode differently
    assert keyframe_exports(out, tmp_path / "onnx") == exports  # cached: same files


@pytest.mark.parametrize("name", SHIPPED_WITH_HISTORY)
def test_shipped_histories_are_compact_and_have_keyframes(name):
    checkpoint = ROOT / "checkpoints" / f"{name}.pt"
    history = load_history(checkpoint)
    assert history is not None, f"retrain: python -m core.training --all --only {name}"
    assert history_path(checkpoint).stat().st_size <= 1.5e6
    assert len(history.keyframes) >= 3  # + the last epoch, whose decoder is the checkpoint's
    assert keyframes_path(checkpoint).exists()
    assert len(history.maps[0]) == 500
