"""Speed and quality of the latent maps: openTSNE (as core.latent.caches runs it) vs scikit-learn.

- t-SNE of the 5,000 codes of the shipped 16-D AE on the embedded digits: openTSNE with
  ``core.latent.caches.TSNE_DEFAULTS`` vs ``sklearn.manifold.TSNE`` (perplexity 30, its defaults)
  on the same input in the same run, with the 10-NN label accuracy of each 2-D map
  (``core.analysis.metrics.knn_accuracy``: stratified 5-fold cross-validation).
- Opening a map: encoding all 5,000 digits plus loading the cached projection, median of runs,
  and the whole ``cached_projection`` call (model load + content hash + encode + load).

Prints a table and writes bench/results/projection.json. ``python bench/projection.py``.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from core.analysis.metrics import knn_accuracy  # noqa: E402
from core.data.datasets import load_dataset  # noqa: E402
from core.latent.caches import DEFAULT_CACHE_DIR, cache_path, cached_projection  # noqa: E402
from core.latent.operations import encode_images  # noqa: E402
from core.latent.projections import TSNE_DEFAULTS, TSNE_THREADS, Projection, project  # noqa: E402
from core.training.checkpoints import load_model  # noqa: E402

TSNE_SECONDS = 10.0  # openTSNE on 5,000 codes, 2 CPU cores
ACCURACY_GAP = 0.02  # openTSNE's 10-NN accuracy may be at most this much below sklearn's
OPEN_SECONDS = 1.0  # encode the embedded set + load its cached map
REPEATS = 5


def timed(fn):
    """(result, wall seconds, CPU seconds of this process: all its threads together)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def median_seconds(fn, repeats: int = REPEATS) -> tuple[float, float]:
    runs = [timed(fn)[1:] for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> None:
    parser = report.parser(__doc__, "projection")
    parser.add_argument("--checkpoint", type=Path, default=ROOT / "checkpoints" / "ae_k16.pt")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / DEFAULT_CACHE_DIR)
    parser.add_argument("--n-jobs", type=int, default=TSNE_THREADS, help="threads, both t-SNEs")
    args = parser.parse_args()

    from sklearn.manifold import TSNE

    load_before = os.getloadavg()[0]  # other work on the cores slows both t-SNEs down
    dataset = load_dataset("embedded")
    model = load_model(args.checkpoint)
    latents = encode_images(model, dataset.images)  # [5000, 16]
    labels = dataset.labels.numpy()

    ours, ours_s, ours_cpu = timed(lambda: project(latents, "tsne", n_jobs=args.n_jobs))
    theirs, theirs_s, theirs_cpu = timed(
        lambda: (
            TSNE(perplexity=30.0, init="pca", random_state=0, n_jobs=args.n_jobs)
            .fit_transform(latents)
            .astype(np.float32)
        )
    )
    ours_acc = knn_accuracy(ours.coords, labels, k=10)
    theirs_acc = knn_accuracy(theirs, labels, k=10)
    latent_acc = knn_accuracy(latents, labels, k=10)

    # Opening a map: make sure the cache exists (a miss computes and writes it), then time hits.
    cached_projection(args.checkpoint, dataset, "tsne", args.cache_dir)
    path = cache_path(args.checkpoint, dataset, "tsne", args.cache_dir)
    open_s, open_cpu = median_seconds(
        lambda: Projection.load(path, reference=encode_images(model, dataset.images))
    )
    call_s, call_cpu = median_seconds(
        lambda: cached_projection(args.checkpoint, dataset, "tsne", args.cache_dir)
    )

    gap = ours_acc - theirs_acc
    load = (load_before, os.getloadavg()[0])
    rows = [
        ("openTSNE", ours_s, ours_cpu, f"<= {TSNE_SECONDS:.0f}", ours_s <= TSNE_SECONDS),
        ("sklearn TSNE", theirs_s, theirs_cpu, "", None),
        (
            "encode 5,000 + load map",
            open_s,
            open_cpu,
            f"<= {OPEN_SECONDS:.0f}",
            open_s <= OPEN_SECONDS,
        ),
        ("cached_projection call", call_s, call_cpu, "", None),
    ]
    print(
        f"t-SNE of {len(latents)} codes of {args.checkpoint.name}, n_jobs={args.n_jobs}, "
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f} -> {load[1]:.1f}"
    )
    print(f"openTSNE settings (core.latent.caches.TSNE_DEFAULTS): {TSNE_DEFAULTS}")
    print(f"\n{'time':24}  {'wall s':>7}  {'CPU s':>7}  {'target':7}  pass")
    for name, wall, cpu, target, ok in rows:
        verdict = "" if ok is None else ("yes" if ok else "NO")
        print(f"{name:24}  {wall:7.2f}  {cpu:7.2f}  {target:7}  {verdict}")
    print(f"openTSNE is {theirs_s / ours_s:.1f}x faster (wall) than sklearn in this run")
    print("\n10-NN label accuracy: KNeighborsClassifier(10), stratified 5-fold cross-validation")
    print(f"{'openTSNE 2-D map':24}  {ours_acc:.4f}")
    print(f"{'sklearn 2-D map':24}  {theirs_acc:.4f}")
    print(
        f"{'difference (open - sk)':24}  {gap:+.4f}  target >= -{ACCURACY_GAP}  "
        f"{'yes' if gap >= -ACCURACY_GAP else 'NO'}"
    )
    print(f"{'16-D codes (reference)':24}  {latent_acc:.4f}")

    results = {
        "checkpoint": args.checkpoint.name,
        "n_points": len(latents),
        "n_jobs": args.n_jobs,
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "load_average_before_after": load,
        "opentsne_params": TSNE_DEFAULTS,
        "knn": "KNeighborsClassifier(10), stratified 5-fold cross-validation",
        "opentsne_seconds": ours_s,
        "opentsne_cpu_seconds": ours_cpu,
        "sklearn_seconds": theirs_s,
        "sklearn_cpu_seconds": theirs_cpu,
        "opentsne_knn_accuracy": ours_acc,
        "sklearn_knn_accuracy": theirs_acc,
        "accuracy_difference": gap,
        "latent_knn_accuracy": latent_acc,
        "encode_and_load_seconds_median": open_s,
        "encode_and_load_cpu_seconds_median": open_cpu,
        "cached_projection_seconds_median": call_s,
        "cached_projection_cpu_seconds_median": call_cpu,
        "targets": {
            "opentsne_seconds": TSNE_SECONDS,
            "accuracy_gap": ACCURACY_GAP,
            "encode_and_load_seconds": OPEN_SECONDS,
        },
        "pass": {
            "opentsne_seconds": ours_s <= TSNE_SECONDS,
            "accuracy": gap >= -ACCURACY_GAP,
            "encode_and_load": open_s <= OPEN_SECONDS,
        },
    }
    report.write(args.out, results)


if __name__ == "__main__":
    main()
