"""Maps of a whole full-size dataset: 60,000 Fashion-MNIST codes, every projection, timed.

For one checkpoint trained on fashion-mnist (default: the shipped ``fashion_vae_k16``):

- encoding all 60,000 training images, and PCA / raw maps of the codes (target: ready in 5 s);
- openTSNE with the settings ``core.latent.projections`` uses for large sets, beside variants of
its affinity
  method (exact kNN, Annoy, pynndescent) and iteration count, each with its 10-NN accuracy on the
  map (``core.analysis.metrics.knn_accuracy``) and seconds (target: 120 s on 2 cores);
- UMAP (umap-learn) on the same codes, when it is installed, with its ``transform`` of 100 new
  codes, to decide whether it earns its dependency.

Prints a table and writes bench/results/fullmap.json. ``python -m bench.fullmap [--quick]``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from bench import report
from core.analysis.metrics import knn_accuracy
from core.data.datasets import load_dataset
from core.latent.operations import encode_images
from core.latent.projections import project
from core.latent.tsne import TSNE_DEFAULTS
from core.training.checkpoints import load_model

ROOT = Path(__file__).resolve().parents[1]

PCA_SECONDS = 5.0
TSNE_SECONDS = 120.0


CPU_SECONDS: dict[str, float] = {}  # label -> CPU seconds of this process (all its threads)


def timed(fn, label: str = ""):
    """(result, wall seconds); the CPU seconds go to CPU_SECONDS[label]. On a busy machine the
    wall time grows with the load; CPU seconds / threads is what an idle machine would take."""
    start, cpu = time.perf_counter(), time.process_time()
    out = fn()
    seconds = time.perf_counter() - start
    if label:
        CPU_SECONDS[label] = time.process_time() - cpu
        print(
            f"  {label}: {seconds:.1f}s wall, {CPU_SECONDS[label]:.1f}s CPU "
            f"(load {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    return out, seconds


def main() -> None:
    parser = report.parser(__doc__, "fullmap")
    parser.add_argument(
        "--checkpoint", type=Path, default=ROOT / "checkpoints" / "fashion_vae_k16.pt"
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="only the shipped t-SNE settings")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    dataset = load_dataset("fashion-mnist")
    model = load_model(args.checkpoint)
    labels = dataset.labels.numpy()
    codes, encode_s = timed(lambda: encode_images(model, dataset.images), "encode")
    rows = [("encode 60,000 images", encode_s, None)]
    pca, pca_s = timed(lambda: project(codes, "pca"), "pca")
    rows.append(("PCA map", pca_s, knn_accuracy(pca.coords, labels, k=10)))
    results = {"load": load, "n": len(codes), "k": codes.shape[1]}
    results["tsne"] = tsne_variants(codes, labels, args.threads, args.quick, rows)
    fitted = umap_map(codes, labels, args.threads, rows)
    if fitted is not None:
        results["umap"] = fitted
    results["latent_knn10"] = knn_accuracy(codes, labels, k=10)

    print(f"{len(codes):,} codes of {args.checkpoint.name} (k={codes.shape[1]}), load {load:.1f}")
    print_rows(rows, results["latent_knn10"])
    results |= {"encode_s": encode_s, "pca_s": pca_s, "rows": rows, "cpu_seconds": CPU_SECONDS}
    results["targets"] = {
        "encode+pca <= 5 s": encode_s + pca_s <= PCA_SECONDS,
        "tsne <= 120 s": results["tsne"]["shipped"]["seconds"] <= TSNE_SECONDS,
    }
    print(results["targets"])
    results["quick"] = args.quick  # --quick: the shipped t-SNE only, no UMAP
    report.write(args.out, results)


def tsne_variants(
    codes: np.ndarray, labels: np.ndarray, threads: int, quick: bool, rows: list
) -> dict[str, dict]:
    """The shipped t-SNE settings (and, unless ``quick``, three variants): seconds and 10-NN
    accuracy of each, appended to ``rows`` too, with placing 100 new codes on the shipped map."""
    shipped = dict(TSNE_DEFAULTS)
    variants = {"shipped": shipped}
    if not quick:
        variants |= {
            "exact kNN": {**shipped, "neighbors": "exact"},
            "pynndescent": {**shipped, "neighbors": "pynndescent"},
            "750 iterations": {**shipped, "n_iter": 750},
        }
    found = {}
    for name, params in variants.items():
        tsne, seconds = timed(
            lambda p=params: project(codes, "tsne", n_jobs=threads, **p), f"t-SNE {name}"
        )
        accuracy = knn_accuracy(tsne.coords, labels, k=10)
        rows.append((f"t-SNE {name}", seconds, accuracy))
        found[name] = {"params": params, "seconds": seconds, "knn10": accuracy}
        if name == "shipped":
            new = codes[:100] + 0.01
            _, place_s = timed(lambda t=tsne, m=new: t.transform(m))
            rows.append(("t-SNE place 100 new codes (first)", place_s, None))
    return found


def umap_map(codes: np.ndarray, labels: np.ndarray, threads: int, rows: list) -> dict | None:
    """UMAP of the same codes when umap-learn is installed (else None), appended to ``rows``."""
    try:
        import umap
    except ImportError:
        return None
    reducer = umap.UMAP(n_neighbors=15, random_state=0, n_jobs=1 if threads == 1 else -1)
    fitted, umap_s = timed(lambda: reducer.fit_transform(codes), "UMAP")
    rows.append(("UMAP (umap-learn, incl. numba compile)", umap_s, knn_accuracy(fitted, labels)))
    _, place_s = timed(lambda: reducer.transform(codes[:100] + 0.01))
    rows.append(("UMAP transform 100 new codes", place_s, None))
    return {"seconds": umap_s, "knn10": rows[-2][2], "transform_s": place_s}


def print_rows(rows: list, latent_knn10: float) -> None:
    print(f"{'step':44s} {'seconds':>8s} {'10-NN acc':>10s}")
    for name, seconds, accuracy in rows:
        shown = "" if accuracy is None else f"{accuracy:.3f}"
        print(f"{name:44s} {seconds:8.1f} {shown:>10s}")
    print(f"{'codes themselves (k-D)':44s} {'':8s} {latent_knn10:10.3f}")


if __name__ == "__main__":
    main()
