"""Training in the background: a thread runs ``core.training.loop`` while a page polls its progress.

One ``TrainingJob`` per start. Its thread trains with a callback that records every epoch and
honours the stop flag (checked after each epoch, so a stop keeps the model of the last finished
epoch). The result is written atomically under a new, unique name: two jobs, from two browser
sessions or two processes, never write the same file.

    job = TrainingJob(config, dataset, out_dir=Path("checkpoints"))
    job.start()
    job.snapshot()  # -> JobSnapshot(status, epoch, epochs, history, path, error, ...)
    job.request_stop()
"""

from __future__ import annotations

import math
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from core.data.datasets import Dataset
from core.training.checkpoints import SUFFIX
from core.training.loop import Progress, TrainConfig, train_and_save

Status = Literal["pending", "running", "stopping", "done", "stopped", "failed"]
FINISHED: tuple[Status, ...] = ("done", "stopped", "failed")


def checkpoint_stem(config: TrainConfig, when: float | None = None) -> str:
    """'vae_k16_0412-153012_a1b2c3': kind and size first (so the picker sorts and reads well),
    then the start time and a random suffix that keeps concurrent jobs apart."""
    stamp = time.strftime("%m%d-%H%M%S", time.localtime(when))
    return f"{config.model.kind}_k{config.model.latent_dim}_{stamp}_{uuid.uuid4().hex[:6]}"


def publish_exclusive(staged: Path, folder: Path, stem: str) -> Path:
    """Give a finished file its final name without ever replacing another file.

    ``os.link`` fails if the name exists, so the file appears whole, under a name nobody else
    holds; on a clash (or a filesystem without hard links) a fresh suffix / an O_EXCL
    reservation is used instead.
    """
    for _ in range(10):
        target = folder / f"{stem}{SUFFIX}"
        try:
            os.link(staged, target)
        except FileExistsError:
            stem = f"{stem.rsplit('_', 1)[0]}_{uuid.uuid4().hex[:6]}"
            continue
        except OSError:  # no hard links here: reserve the name, then replace our own placeholder
            try:
                os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                stem = f"{stem.rsplit('_', 1)[0]}_{uuid.uuid4().hex[:6]}"
                continue
            os.replace(staged, target)
            return target
        staged.unlink()
        return target
    raise FileExistsError(f"could not find a free checkpoint name for {stem} in {folder}")


@dataclass(frozen=True)
class JobSnapshot:
    """A consistent copy of a job's state, safe to render while the thread keeps training."""

    id: str
    status: Status
    epoch: int  # epochs finished
    epochs: int
    seconds: float
    history: list[dict[str, float]]
    path: Path | None  # the checkpoint written, once done or stopped
    error: str | None

    @property
    def fraction(self) -> float:
        return self.epoch / self.epochs

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@dataclass
class TrainingJob:
    config: TrainConfig
    dataset: Dataset  # read only: shared with the app's cache
    out_dir: Path
    device: str = "auto"
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: Status = "pending"
    epoch: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    path: Path | None = None
    error: str | None = None
    started: float = 0.0
    finished_at: float | None = None
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> TrainingJob:
        self.started = time.time()
        self.status = "running"
        # Daemon: a job must not keep the server alive at shutdown (its file is never half-written).
        self._thread = threading.Thread(target=self._run, name=f"train-{self.id[:8]}", daemon=True)
        self._thread.start()
        return self

    def request_stop(self) -> None:
        """Stop after the current epoch; the model of the last finished epoch is saved."""
        self._stop.set()
        with self._lock:
            if self.status == "running":
                self.status = "stopping"

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True when it has finished."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.snapshot().finished

    def snapshot(self) -> JobSnapshot:
        with self._lock:
            end = self.finished_at or time.time()
            return JobSnapshot(
                id=self.id,
                status=self.status,
                epoch=self.epoch,
                epochs=self.config.epochs,
                seconds=end - self.started if self.started else 0.0,
                history=[dict(row) for row in self.history],
                path=self.path,
                error=self.error,
            )

    def _on_epoch(self, progress: Progress) -> bool:
        with self._lock:
            self.epoch = progress.epoch
            self.history.append(dict(progress.metrics))
        loss = progress.metrics.get("loss", 0.0)
        if not math.isfinite(loss):
            with self._lock:
                self.error = (
                    f"the loss became {loss} at epoch {progress.epoch}: training diverged. "
                    "Try a smaller learning rate."
                )
            return True
        return self._stop.is_set()

    def _run(self) -> None:
        stem = checkpoint_stem(self.config, self.started)
        # Staged under a hidden, non-checkpoint name, so the picker never sees a partial file.
        staged = self.out_dir / f".{stem}.{self.id[:8]}.staged"
        try:
            result = train_and_save(
                self.config, self.dataset, staged, device=self.device, callback=self._on_epoch
            )
            if self.error is not None:  # diverged: nothing worth keeping
                staged.unlink(missing_ok=True)
                status: Status = "failed"
                path = None
            else:
                path = publish_exclusive(staged, self.out_dir, stem)
                status = "stopped" if result.stopped_early else "done"
        except Exception as exc:  # reported on the page, never raised into the server
            staged.unlink(missing_ok=True)
            status, path = "failed", None
            self.error = self.error or f"{exc.__class__.__name__}: {exc}"
        with self._lock:
            self.status, self.path, self.finished_at = status, path, time.time()
