"""core.analysis.class_probe: the Style & content page's "does the code know the class?",
computed once per checkpoint file and read back from disk (as the shipped ones are)."""

from __future__ import annotations

import numpy as np

from core.analysis.class_probe import cached_class_probe, probe_path
from core.latent.projections import save_npz
from core.training.checkpoints import save_checkpoint

from .conftest import ROOT, train_tiny


def test_a_probe_is_computed_once_read_back_and_redone_when_damaged(small_digits, digits, tmp_path):
    model = train_tiny(small_digits, "ae", 2, epochs=1, batch_size=64, max_batches=4)
    checkpoint = save_checkpoint(tmp_path / "ae_tiny.pt", model)
    told: list[tuple[float, str]] = []  # what a progress bar hears

    def progress(share: float, what: str) -> None:
        told.append((share, what))

    first = cached_class_probe(checkpoint, model, digits, tmp_path, progress=progress)  # all 5,000
    shares = [share for share, _ in told]
    assert shares[0] == 0.0 and shares[-1] == 1.0 and shares == sorted(shares), told
    assert any("t-SNE" in what for _, what in told[2:-1]), told  # the t-SNE's own steps
    path = probe_path(checkpoint, digits, tmp_path)
    val_labels = digits.split("val")[1].numpy()
    assert path.exists() and first["coords"].shape == (len(val_labels), 2)
    np.testing.assert_array_equal(first["labels"], val_labels)
    assert 0 <= first["1-nn"] <= 1 and 0 <= first["logistic"] <= 1 and first["chance"] == 0.1

    marker = {**first, "coords": np.full_like(first["coords"], 7.0)}  # a hit returns the file
    save_npz(path, **{name: np.asarray(value) for name, value in marker.items()})
    hit = cached_class_probe(checkpoint, model, digits, tmp_path, progress=progress)
    assert np.all(hit["coords"] == 7.0) and hit["logistic"] == first["logistic"]
    assert shares == [share for share, _ in told]  # a file read reports nothing

    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])  # a cut-off file: recomputed, not BadZipFile
    again = cached_class_probe(checkpoint, model, digits, tmp_path)
    assert not np.all(again["coords"] == 7.0) and again["1-nn"] == first["1-nn"]


def test_the_style_page_s_default_probes_ship(digits):
    """cvae_k8 and vae_k16 open the page: their probes are files, not a t-SNE at first open."""
    for name in ("cvae_k8", "vae_k16"):
        path = probe_path(
            ROOT / "checkpoints" / f"{name}.pt", digits, ROOT / "checkpoints" / "few_labels"
        )
        assert path.exists(), (
            f"{path.name} missing: python -m core.analysis.few_labels --precompute checkpoints"
        )
