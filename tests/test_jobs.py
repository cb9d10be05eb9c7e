"""Background training jobs: real tiny trainings in threads, real files, real concurrency."""

from __future__ import annotations

import threading
import time

from core.models.base import ModelConfig
from core.models.registry import build_model
from core.training.checkpoints import load_model, read_info, save_checkpoint
from core.training.jobs import TrainingJob, checkpoint_stem, publish_exclusive
from core.training.loop import TrainConfig

TINY = dict(channels=8, hidden=32)


def tiny_config(kind: str = "ae", epochs: int = 2, **kw) -> TrainConfig:
    model = ModelConfig(kind, 3, **TINY)
    return TrainConfig(model, epochs=epochs, max_batches=2, precision="fp32", **kw)


def wait_for(predicate, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_a_job_trains_in_the_background_and_saves_a_new_checkpoint(small_digits, tmp_path):
    job = TrainingJob(tiny_config("vae", epochs=3), small_digits, tmp_path, device="cpu")
    job.start()
    assert job.join(timeout=120)
    snap = job.snapshot()
    assert snap.status == "done" and snap.error is None
    assert snap.epoch == 3 and snap.fraction == 1 and len(snap.history) == 3
    assert [row["epoch"] for row in snap.history] == [1.0, 2.0, 3.0]
    assert snap.path.parent == tmp_path and snap.path.name.startswith("vae_k3_")
    history = snap.path.with_name(snap.path.stem + ".history.npz")  # playback's frames
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([snap.path.name, history.name])
    info = read_info(snap.path)
    assert info.kind == "vae" and info.trained["epochs"] == 3
    assert info.trained["history"] == snap.history
    assert load_model(snap.path).latent_dim == 3


def test_stop_keeps_the_last_finished_epoch(small_digits, tmp_path):
    job = TrainingJob(tiny_config("ae", epochs=500), small_digits, tmp_path, device="cpu").start()
    wait_for(lambda: job.snapshot().epoch >= 1)
    job.request_stop()
    assert job.snapshot().status in ("stopping", "stopped")
    assert job.join(timeout=60)
    snap = job.snapshot()
    assert snap.status == "stopped" and 1 <= snap.epoch < 500
    info = read_info(snap.path)
    assert info.trained["stopped_early"] and info.trained["epochs"] == snap.epoch
    assert set(info.metrics) == {"val_mse"}


def test_concurrent_jobs_never_share_a_file(small_digits, tmp_path):
    config = tiny_config("ae", epochs=1)
    started = time.time()
    jobs = [TrainingJob(config, small_digits, tmp_path, device="cpu") for _ in range(3)]
    for job in jobs:
        job.started = started  # same second, same config: only the random suffix differs
        threading.Thread(target=job._run).start()
    wait_for(lambda: all(j.snapshot().finished for j in jobs), timeout=120)
    paths = [j.snapshot().path for j in jobs]
    assert len(set(paths)) == 3 and sorted(tmp_path.iterdir()) == sorted(paths)
    for path in paths:
        assert load_model(path).kind == "ae"


def test_publish_never_replaces_an_existing_file(tmp_path):
    model = build_model(ModelConfig("ae", 2, **TINY))
    existing = save_checkpoint(tmp_path / "ae_k2_0101-000000_aaaaaa.pt", model)
    before = existing.read_bytes()
    staged = save_checkpoint(tmp_path / ".staged", build_model(ModelConfig("ae", 4, **TINY)))
    published = publish_exclusive(staged, tmp_path, "ae_k2_0101-000000_aaaaaa")
    assert published != existing and published.name.startswith("ae_k2_0101-000000_")
    assert existing.read_bytes() == before and not staged.exists()
    assert read_info(published).latent_dim == 4


def test_checkpoint_names_are_unique_and_readable():
    config = tiny_config("gan")
    names = {checkpoint_stem(config, when=0.0) for _ in range(200)}
    assert len(names) == 200
    assert all(n.startswith("gan_k3_") for n in names)


def test_a_failing_job_reports_why_and_leaves_no_file(small_digits, tmp_path):
    job = TrainingJob(tiny_config(), small_digits, tmp_path, device="no-such-device").start()
    assert job.join(timeout=30)
    snap = job.snapshot()
    assert snap.status == "failed" and snap.path is None
    assert "no-such-device" in snap.error
    assert list(tmp_path.iterdir()) == []


def test_a_diverging_loss_stops_the_job_without_saving(small_digits, tmp_path):
    job = TrainingJob(tiny_config(epochs=5, lr=1e30), small_digits, tmp_path, device="cpu")
    assert job.start().join(timeout=60)
    snap = job.snapshot()
    assert snap.status == "failed" and snap.epoch == 1 and snap.path is None
    assert "diverged" in snap.error and "learning rate" in snap.error
    assert list(tmp_path.iterdir()) == []
