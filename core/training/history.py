"""A training's history, for playback: what the model made of fixed inputs after every epoch.

``HistoryRecorder`` is handed to ``fit``, which calls ``record(model, epoch, row)`` after each
epoch. It keeps, per recorded epoch:

- the codes of a fixed validation set (all of a small split, e.g. the embedded 500; a fixed
  stratified 2,000 of a larger one, e.g. Fashion-MNIST) - the map of that epoch;
- 16 fixed samples: the decoded images of a seeded z grid (VAE, CVAE, GAN) or the
  reconstructions of 16 fixed validation digits (AE);
- the losses (every epoch's row of ``fit``'s history).

A map is 2-D: a 2-D code is its own map; for k > 2 each epoch's map is the PCA of that epoch's
codes, turned onto the last epoch's by orthogonal Procrustes, so frames do not flip or spin.

At a few keyframe epochs of a 2-D AE or VAE the decoder's weights are kept too (float16), so the
browser can decode the map of that epoch as that epoch's model did (``core.latent.export``).

Files beside the checkpoint ``x.pt``: ``x.history.npz`` and ``x.keyframes.npz`` (plain arrays,
read with ``allow_pickle=False``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.data.datasets import Dataset
from core.files import atomic_path
from core.latent.operations import encode_images
from core.latent.pca import fit_pca
from core.models.registry import kind_class

HISTORY_SUFFIX = ".history.npz"
KEYFRAMES_SUFFIX = ".keyframes.npz"
FIXED_SET_SIZE = 2000  # validation images on the map when the split is larger than this
SAMPLES = 16  # fixed samples per frame: a 4 x 4 grid
SAMPLE_SEED = 1234  # the seeded z grid of the VAE, CVAE and GAN samples
MAX_FRAMES = 100  # longer trainings record every n-th epoch: the history stays <= 1.5 MB
KEYFRAMES = 4  # decoders kept before the last epoch (whose decoder is the checkpoint's own)


def history_path(checkpoint: str | Path) -> Path:
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + HISTORY_SUFFIX)


def keyframes_path(checkpoint: str | Path) -> Path:
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.stem + KEYFRAMES_SUFFIX)


def move_history(src: Path, dst: Path) -> None:
    """Give the history (and keyframes) of checkpoint ``src`` to checkpoint ``dst``."""
    for name in (history_path, keyframes_path):
        if name(src).exists():
            name(src).replace(name(dst))


def recorder_for(
    dataset: Dataset, kind: str, latent_dim: int, epochs: int
) -> HistoryRecorder | None:
    """A recorder for a training of this kind, or None for a kind without a latent space."""
    cls = kind_class(kind)
    has_latent_space = cls.has_decoder or cls.conditional
    return HistoryRecorder(dataset, kind, latent_dim, epochs) if has_latent_space else None


def fixed_indices(dataset: Dataset, size: int = FIXED_SET_SIZE, seed: int = 0) -> np.ndarray:
    """Dataset indices of the fixed validation set, sorted: the whole validation split when it
    has at most ``size`` images, else ``size // classes`` seeded picks of each class."""
    val = dataset.val_idx.numpy()
    if len(val) <= size:
        return np.sort(val)
    labels = dataset.labels.numpy()[val]
    rng = np.random.default_rng(seed)
    per_class = size // len(dataset.class_names)
    picks = [rng.permutation(val[labels == c])[:per_class] for c in range(len(dataset.class_names))]
    return np.sort(np.concatenate(picks))


def recorded_epochs(epochs: int) -> np.ndarray:
    """1-based epochs that get a frame: all of them, or ``MAX_FRAMES`` evenly spread (the first
    and the last always)."""
    if epochs <= MAX_FRAMES:
        return np.arange(1, epochs + 1)
    return np.unique(np.round(np.linspace(1, epochs, MAX_FRAMES)).astype(int))


def keyframe_epochs(epochs: int) -> list[int]:
    """Recorded epochs whose decoder is kept, spread geometrically (early epochs change most):
    epochs ** (i / KEYFRAMES) for i < KEYFRAMES, each moved to the nearest recorded epoch."""
    recorded = recorded_epochs(epochs)
    picks = []
    for i in range(KEYFRAMES):
        target = epochs ** (i / KEYFRAMES)
        pick = int(recorded[np.abs(recorded - target).argmin()])
        if pick not in picks and pick != epochs:
            picks.append(pick)
    return picks


def align_maps(codes: list[np.ndarray]) -> np.ndarray:
    """codes: per frame float [N, k] -> maps float32 [F, N, 2]. For k = 2 the codes themselves;
    else each frame's PCA(2), rotated (or reflected) onto the last frame's by orthogonal
    Procrustes: R = U V^T from the SVD of Y_f^T Y_last minimises |Y_f R - Y_last|. The last frame
    is then its own PCA map, exactly."""
    if codes[0].shape[1] == 2:
        return np.stack(codes).astype(np.float32)
    maps = [fit_pca(c, 2).transform(c) for c in codes]  # each [N, 2], centred
    last = maps[-1]
    aligned = []
    for y in maps[:-1]:
        u, _, vt = np.linalg.svd(y.T.astype(np.float64) @ last)
        aligned.append((y @ (u @ vt)).astype(np.float32))
    return np.stack([*aligned, last])


@dataclass
class History:
    """A recorded training, as arrays (``load_history``, ``HistoryRecorder.history``)."""

    kind: str
    latent_dim: int
    epochs: np.ndarray  # int [F], 1-based epochs of the frames
    maps: np.ndarray | None  # float32 [F, N, 2] (None for a GAN: no encoder)
    labels: np.ndarray  # uint8 [N]
    indices: np.ndarray  # int [N], dataset indices of the fixed validation set
    samples: np.ndarray  # uint8 [F, 16, 28, 28]
    sample_caption: str
    loss_names: list[str]
    losses: np.ndarray  # float32 [E, M]: every epoch's row of fit's history
    keyframes: list[int]  # epochs with a kept decoder (not counting the last)
    projection: str  # "raw" (k = 2) or "pca" (aligned)


class HistoryRecorder:
    """Records a training for playback; pass it to ``fit(..., recorder=)``.

    Thread-safe reads: the Train page calls ``history()`` while the training thread records."""

    def __init__(self, dataset: Dataset, kind: str, latent_dim: int, epochs: int) -> None:
        cls = kind_class(kind)
        if not (cls.has_decoder or cls.conditional):
            raise ValueError(f"a {kind} has no latent space to record")
        self.kind, self.latent_dim, self.epochs = kind, latent_dim, epochs
        self.encodes = cls.has_encoder or cls.conditional  # the GAN's map has no codes
        self.reconstructs = not cls.has_prior  # samples: fixed digits' reconstructions
        self.indices = fixed_indices(dataset)
        self.images = dataset.images[self.indices]  # uint8 [N, 28, 28]
        self.labels = dataset.labels[self.indices]  # int64 [N]
        self.frame_epochs = set(recorded_epochs(epochs).tolist())
        two_d = cls.has_encoder and latent_dim == 2  # a map whose places decode
        self.keyframe_epochs = keyframe_epochs(epochs) if two_d else []
        classes = len(dataset.class_names)
        if self.reconstructs:  # 16 fixed digits, classes in turn: 0..9, then 0..5
            by_class = [np.flatnonzero(self.labels.numpy() == c) for c in range(classes)]
            rows = [by_class[i % classes][i // classes] for i in range(SAMPLES)]
            self.sample_rows = np.array(rows)
            self.sample_codes = None
        else:  # a seeded z grid; the CVAE draws digit i % classes for sample i
            gen = torch.Generator().manual_seed(SAMPLE_SEED)
            self.sample_codes = torch.randn(SAMPLES, latent_dim, generator=gen)  # [16, k]
            self.sample_rows = None
        self.sample_labels = torch.arange(SAMPLES) % classes
        self._lock = threading.Lock()
        self._epochs: list[int] = []
        self._codes: list[np.ndarray] = []  # float32 [N, k] per frame
        self._samples: list[np.ndarray] = []  # uint8 [16, 28, 28] per frame
        self._rows: list[dict[str, float]] = []
        self._keyframes: dict[int, dict[str, np.ndarray]] = {}

    @torch.no_grad()
    def record(self, model: torch.nn.Module, epoch: int, row: dict[str, float]) -> None:
        """After epoch ``epoch`` (1-based): the losses always, a frame on recorded epochs."""
        with self._lock:
            self._rows.append(dict(row))
        if epoch not in self.frame_epochs:
            return
        was_training = model.training
        model.eval()
        device = next(model.parameters()).device
        codes = None
        if self.encodes:
            labels = self.labels.numpy() if model.conditional else None
            codes = torch.from_numpy(encode_images(model, self.images, labels=labels)).to(device)
        if self.sample_rows is not None:
            z = codes[torch.as_tensor(self.sample_rows, device=device)]  # [16, k]
        else:
            z = self.sample_codes.to(device)
        given = (self.sample_labels.to(device),) if model.conditional else ()
        samples = model.decode(z, *given).float().clamp(0, 1)  # [16, 1, 28, 28]
        samples = (samples[:, 0] * 255).round().to(torch.uint8).cpu().numpy()
        weights = None
        if epoch in self.keyframe_epochs:  # the decoder alone, in float16 (<= 1e-2 of float32)
            weights = {
                name: (t.half() if t.is_floating_point() else t).cpu().numpy()
                for name, t in model.state_dict().items()
                if name.startswith("decoder.")
            }
        model.train(was_training)
        with self._lock:
            self._epochs.append(epoch)
            self._codes.append(None if codes is None else codes.cpu().numpy())
            self._samples.append(samples)
            if weights is not None:
                self._keyframes[epoch] = weights

    def history(self) -> History | None:
        """The frames so far (None before the first); maps aligned to the latest frame."""
        with self._lock:
            epochs, codes, samples = list(self._epochs), list(self._codes), list(self._samples)
            rows = [dict(r) for r in self._rows]
            keyframes = sorted(self._keyframes)
        if not epochs:
            return None
        names = sorted({k for r in rows for k in r if k != "epoch"})
        losses = np.array([[r.get(n, np.nan) for n in names] for r in rows], dtype=np.float32)
        caption = "reconstructions of 16 fixed digits" if self.reconstructs else "a fixed z grid"
        return History(
            kind=self.kind,
            latent_dim=self.latent_dim,
            epochs=np.array(epochs),
            maps=None if codes[0] is None else align_maps(codes),
            labels=self.labels.numpy().astype(np.uint8),
            indices=self.indices,
            samples=np.stack(samples),
            sample_caption=caption,
            loss_names=names,
            losses=losses.reshape(len(rows), len(names)),
            keyframes=keyframes,
            projection="raw" if self.latent_dim == 2 else "pca",
        )

    def save(self, checkpoint: str | Path) -> Path:
        """Write the history (and keyframes, if any) beside ``checkpoint``; returns the path."""
        h = self.history()
        if h is None:
            raise ValueError("nothing recorded yet")
        arrays = {
            "kind": np.array(h.kind),
            "latent_dim": np.array(h.latent_dim),
            "epochs": h.epochs.astype(np.int16),
            "labels": h.labels,
            "indices": h.indices.astype(np.int32),
            "samples": h.samples,
            "sample_caption": np.array(h.sample_caption),
            "loss_names": np.array(h.loss_names),
            "losses": h.losses,
            "keyframes": np.array(h.keyframes, dtype=np.int16),
            "projection": np.array(h.projection),
        }
        if h.maps is not None:
            arrays["maps"] = h.maps.astype(np.float16)  # float16: ~1e-3 of a unit, invisible
        path = history_path(checkpoint)
        _write_npz(path, arrays)
        with self._lock:
            weights = {f"e{e}/{n}": a for e, kf in self._keyframes.items() for n, a in kf.items()}
        if weights:
            _write_npz(keyframes_path(checkpoint), weights)
        return path


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with atomic_path(path) as tmp, tmp.open("wb") as f:  # a file: savez would add ".npz"
        np.savez_compressed(f, **arrays)


def load_history(checkpoint: str | Path) -> History | None:
    """The history saved beside ``checkpoint``, or None when it has none."""
    path = history_path(checkpoint)
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as f:
        return History(
            kind=str(f["kind"]),
            latent_dim=int(f["latent_dim"]),
            epochs=f["epochs"].astype(int),
            maps=f["maps"].astype(np.float32) if "maps" in f else None,
            labels=f["labels"],
            indices=f["indices"].astype(int),
            samples=f["samples"],
            sample_caption=str(f["sample_caption"]),
            loss_names=[str(n) for n in f["loss_names"]],
            losses=f["losses"],
            keyframes=[int(e) for e in f["keyframes"]],
            projection=str(f["projection"]),
        )


def load_keyframe(checkpoint: str | Path, epoch: int) -> dict[str, torch.Tensor]:
    """The decoder weights kept at ``epoch`` (float32 tensors, ``decoder.*`` names): load them
    into the checkpoint's model with ``load_state_dict(..., strict=False)``."""
    prefix = f"e{epoch}/"
    with np.load(keyframes_path(checkpoint), allow_pickle=False) as f:
        names = [n for n in f.files if n.startswith(prefix)]
        if not names:
            raise KeyError(f"no keyframe at epoch {epoch}")
        return {n.removeprefix(prefix): _tensor(f[n]) for n in names}


def _tensor(array: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(np.array(array))
    return t.float() if t.is_floating_point() else t
