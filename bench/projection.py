"""Speed and quality of the latent maps: openTSNE (as core.latent.caches runs it) vs scikit-learn.

- t-SNE of the 5,000 codes of the shipped 16-D AE on the embedded digits: openTSNE with
  ``core.latent.tsne.TSNE_DEFAULTS`` vs ``sklearn.manifold.TSNE`` (perplexity 30, its defaults)
  on the same input in the same run, with the 10-NN label accuracy of each 2-D map
  (``core.analysis.metrics.knn_accuracy``: stratified 5-fold cross-validation).
- Opening a map: encoding all 5,000 digits plus loading the cached projection, median of runs,
  and the whole ``cached_projection`` call (model load + content hash + encode + load).

Prints a table and writes bench/results/projection.json. ``python -m bench.projection``.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from bench import report
from core.analysis.metrics import knn_accuracy
from core.data.datasets import load_dataset
from core.latent.caches import DEFAULT_CACHE_DIR, cache_path, cached_projection
from core.latent.operations import encode_images
from core.latent.projections import Projection, project
from core.latent.tsne import TSNE_DEFAULTS, TSNE_THREADS
from core.training.checkpoints import load_model

ROOT = Path(__file__).resolve().parents[1]

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

    load_before = os.getloadavg()[0]  # other work on the cores slows both t-SNEs down
    dataset = load_dataset("embedded")
    model = load_model(args.checkpoint)
    latents = encode_images(model, dataset.images)  # [5000, 16]
    m = tsne_runs(latents, dataset.labels.numpy(), args.n_jobs)
    m.update(open_times(model, args.checkpoint, dataset, args.cache_dir))
    m["load"] = (load_before, os.getloadavg()[0])
    print_tables(m, args.checkpoint.name, len(latents), args.n_jobs)
    report.write(args.out, results(m, args.checkpoint.name, len(latents), args.n_jobs))


def tsne_runs(latents: np.ndarray, labels: np.ndarray, n_jobs: int) -> dict:
    """openTSNE (ours) and scikit-learn's TSNE on the same codes: seconds, CPU seconds and the
    10-NN accuracy of each map, and of the codes themselves."""
    from sklearn.manifold import TSNE

    ours, ours_s, ours_cpu = timed(lambda: project(latents, "tsne", n_jobs=n_jobs))
    theirs, theirs_s, theirs_cpu = timed(
        lambda: (
            TSNE(perplexity=30.0, init="pca", random_state=0, n_jobs=n_jobs)
            .fit_transform(latents)
            .astype(np.float32)
        )
    )
    ours_acc = knn_accuracy(ours.coords, labels, k=10)
    theirs_acc = knn_accuracy(theirs, labels, k=10)
    return {
        "ours_s": ours_s,
        "ours_cpu": ours_cpu,
        "theirs_s": theirs_s,
        "theirs_cpu": theirs_cpu,
        "ours_acc": ours_acc,
        "theirs_acc": theirs_acc,
        "latent_acc": knn_accuracy(latents, labels, k=10),
        "gap": ours_acc - theirs_acc,
    }


def open_times(model, checkpoint: Path, dataset, cache_dir: Path) -> dict:
    """Opening a map: make sure the cache exists (a miss computes and writes it), then time
    hits: encoding the digits and loading the map, and one ``cached_projection`` call."""
    cached_projection(model, checkpoint, dataset, "tsne", cache_dir)
    path = cache_path(checkpoint, dataset, "tsne", cache_dir)
    open_s, open_cpu = median_seconds(
        lambda: Projection.load(path, reference=encode_images(model, dataset.images))
    )
    call_s, call_cpu = median_seconds(
        lambda: cached_projection(model, checkpoint, dataset, "tsne", cache_dir)
    )
    return {"open_s": open_s, "open_cpu": open_cpu, "call_s": call_s, "call_cpu": call_cpu}


def print_tables(m: dict, checkpoint: str, n_points: int, n_jobs: int) -> None:
    timings = [  # (row, key of its seconds in m, target seconds or None)
        ("openTSNE", "ours", TSNE_SECONDS),
        ("sklearn TSNE", "theirs", None),
        ("encode 5,000 + load map", "open", OPEN_SECONDS),
        ("cached_projection call", "call", None),
    ]
    load = m["load"]
    print(
        f"t-SNE of {n_points} codes of {checkpoint}, n_jobs={n_jobs}, "
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f} -> {load[1]:.1f}"
    )
    print(f"openTSNE settings (core.latent.tsne.TSNE_DEFAULTS): {TSNE_DEFAULTS}")
    print(f"\n{'time':24}  {'wall s':>7}  {'CPU s':>7}  {'target':7}  pass")
    for name, key, limit in timings:
        wall, cpu = m[f"{key}_s"], m[f"{key}_cpu"]
        target = "" if limit is None else f"<= {limit:.0f}"
        verdict = "" if limit is None else ("yes" if wall <= limit else "NO")
        print(f"{name:24}  {wall:7.2f}  {cpu:7.2f}  {target:7}  {verdict}")
    print(f"openTSNE is {m['theirs_s'] / m['ours_s']:.1f}x faster (wall) than sklearn in this run")
    print("\n10-NN label accuracy: KNeighborsClassifier(10), stratified 5-fold cross-validation")
    print(f"{'openTSNE 2-D map':24}  {m['ours_acc']:.4f}")
    print(f"{'sklearn 2-D map':24}  {m['theirs_acc']:.4f}")
    print(
        f"{'difference (open - sk)':24}  {m['gap']:+.4f}  target >= -{ACCURACY_GAP}  "
        f"{'yes' if m['gap'] >= -ACCURACY_GAP else 'NO'}"
    )
    print(f"{'16-D codes (reference)':24}  {m['latent_acc']:.4f}")


def results(m: dict, checkpoint: str, n_points: int, n_jobs: int) -> dict:
    """What bench/results/projection.json holds."""
    return {
        "checkpoint": checkpoint,
        "n_points": n_points,
        "n_jobs": n_jobs,
        "cpus": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "load_average_before_after": m["load"],
        "opentsne_params": TSNE_DEFAULTS,
        "knn": "KNeighborsClassifier(10), stratified 5-fold cross-validation",
        "opentsne_seconds": m["ours_s"],
        "opentsne_cpu_seconds": m["ours_cpu"],
        "sklearn_seconds": m["theirs_s"],
        "sklearn_cpu_seconds": m["theirs_cpu"],
        "opentsne_knn_accuracy": m["ours_acc"],
        "sklearn_knn_accuracy": m["theirs_acc"],
        "accuracy_difference": m["gap"],
        "latent_knn_accuracy": m["latent_acc"],
        "encode_and_load_seconds_median": m["open_s"],
        "encode_and_load_cpu_seconds_median": m["open_cpu"],
        "cached_projection_seconds_median": m["call_s"],
        "cached_projection_cpu_seconds_median": m["call_cpu"],
        "targets": {
            "opentsne_seconds": TSNE_SECONDS,
            "accuracy_gap": ACCURACY_GAP,
            "encode_and_load_seconds": OPEN_SECONDS,
        },
        "pass": {
            "opentsne_seconds": m["ours_s"] <= TSNE_SECONDS,
            "accuracy": m["gap"] >= -ACCURACY_GAP,
            "encode_and_load": m["open_s"] <= OPEN_SECONDS,
        },
    }


if __name__ == "__main__":
    main()
