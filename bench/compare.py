"""PCA vs the autoencoders on the validation split: the table of the "PCA vs AE" page, from the CLI.

Same implementation as the page (``core.analysis.compare``): PCA fitted once on the training pixels,
every AE/VAE checkpoint of the dataset found in the checkpoint folder, all scored on the
validation split (MSE, PSNR, SSIM, 10-NN accuracy of the codes, parameters, training time).

Prints the table and writes bench/results/compare.json. ``python bench/compare.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from core.analysis import compare  # noqa: E402
from core.data.datasets import DATASETS, load_dataset  # noqa: E402
from core.training.checkpoints import list_checkpoints, load_model  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = report.parser(__doc__, "compare")
    parser.add_argument("--dataset", choices=DATASETS, default="embedded")
    parser.add_argument("--data-root", type=Path, default=None, help="folder of IDX files")
    parser.add_argument("--checkpoints", type=Path, default=ROOT / "checkpoints")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)

    dataset = load_dataset(args.dataset, root=args.data_root)
    infos = [
        i
        for i in list_checkpoints(args.checkpoints)
        if i.kind in ("ae", "vae") and i.dataset == dataset.name
    ]
    start = time.perf_counter()
    rows = compare.compare(dataset, [(info, load_model(info.path)) for info in infos])
    seconds = time.perf_counter() - start

    print(
        f"{dataset.name}: PCA fitted on {len(dataset.train_idx):,} training images, "
        f"all scored on {len(dataset.val_idx):,} validation images"
    )
    print(compare.format_table(rows))
    print(f"computed in {seconds:.1f} s")
    result = {
        "dataset": dataset.name,
        "train_images": len(dataset.train_idx),
        "val_images": len(dataset.val_idx),
        "knn_neighbours": compare.KNN_NEIGHBOURS,
        "pca_train_seconds": "one fit of the largest k; PCA(k) keeps its first k components",
        "rows": compare.records(rows),
        "seconds": seconds,
    }
    report.write(args.out, result)


if __name__ == "__main__":
    main()
