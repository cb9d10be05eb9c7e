"""Checkpoints as dicts of plain types: safe to load with ``weights_only=True``, written atomically.

Layout: ``{'format': 1, 'kind': 'vae', 'config': asdict(cfg), 'state_dict': ..., 'metrics': {...},
'dataset': 'embedded', 'trained': {'seconds': ..., 'device': ..., 'epochs': ..., ...}}``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from core.files import atomic_path
from core.models.base import ModelConfig
from core.models.registry import Model, build_model, listing_rank

FORMAT_VERSION = 1
SUFFIX = ".pt"


class CheckpointError(ValueError):
    """A file is not a Latent Lab checkpoint we can load; the message says which and why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path.name} {reason}")
        self.path = path
        self.reason = reason  # without the file name: "is truncated or corrupt (...)"


@dataclass
class CheckpointInfo:
    """What a checkpoint holds, without its weights: for model pickers and tables."""

    path: Path
    kind: str
    latent_dim: int
    dataset: str
    config: dict[str, Any]
    metrics: dict[str, float] = field(default_factory=dict)
    trained: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def label(self) -> str:
        """Human label such as 'vae_k16 · VAE, k=16'."""
        size = f", k={self.latent_dim}" if self.kind != "classifier" else ""
        return f"{self.name} · {self.kind.upper()}{size}"


def round_to_half(model: Model) -> Model:
    """Round float weights through float16 in place, so a model's metrics can be measured on
    exactly the weights a ``half=True`` checkpoint will hold."""
    with torch.no_grad():
        for tensor in model.state_dict().values():
            if tensor.is_floating_point():
                tensor.copy_(tensor.half().float())
    return model


def save_checkpoint(
    path: str | Path,
    model: Model,
    metrics: dict[str, float] | None = None,
    trained: dict[str, Any] | None = None,
    half: bool = False,
) -> Path:
    """Write atomically: a temp file in the same folder, then ``os.replace``.

    ``half`` stores float weights as float16 (half the file size); loading casts them back to
    float32. Call ``round_to_half`` first if the metrics should describe the stored weights.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    config: ModelConfig = model.config
    payload = {
        "format": FORMAT_VERSION,
        "kind": config.kind,
        "config": asdict(config),
        "state_dict": {
            k: v.detach().cpu().half() if half and v.is_floating_point() else v.detach().cpu()
            for k, v in model.state_dict().items()
        },
        "metrics": {k: float(v) for k, v in (metrics or {}).items()},
        "dataset": config.dataset,
        "trained": dict(trained or {}),
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


_ZIP_MAGIC = b"PK\x03\x04"  # torch.save writes a zip archive


def _why_unloadable(path: Path, exc: Exception) -> str:
    """Name the kind of bad file from its first bytes and torch.load's error."""
    with path.open("rb") as f:
        head = f.read(4)
    if "Weights only load failed" in str(exc):  # what weights_only=True says on any non-plain type
        return (
            "carries code or objects other than plain weights: refused, never run "
            "(only plain weights are loaded)"
        )
    if not head:
        return "is empty"
    if head == _ZIP_MAGIC:
        return f"is truncated or corrupt (a damaged archive: {exc.__class__.__name__})"
    return f"is not a PyTorch file (a text or other file named {SUFFIX})"


def _read(path: Path) -> dict[str, Any]:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(path, "does not exist") from None
    except Exception as exc:  # pickle, zip and runtime errors all mean: not loadable
        reason = "is not a readable checkpoint: " + _why_unloadable(path, exc)
        raise CheckpointError(path, reason) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION:
        raise CheckpointError(path, f"is not a Latent Lab checkpoint (format {FORMAT_VERSION})")
    for key in ("kind", "config", "state_dict"):
        if key not in payload:
            raise CheckpointError(path, f"lacks '{key}'")
    return payload


def _config(path: Path, payload: dict[str, Any]) -> ModelConfig:
    try:
        return ModelConfig(**payload["config"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(path, f"has an invalid config: {exc}") from exc


def _info(path: Path, payload: dict[str, Any]) -> CheckpointInfo:
    config = _config(path, payload)
    return CheckpointInfo(
        path=path,
        kind=config.kind,
        latent_dim=config.latent_dim,
        dataset=payload.get("dataset", config.dataset),
        config=dict(payload["config"]),
        metrics=dict(payload.get("metrics", {})),
        trained=dict(payload.get("trained", {})),
    )


def load_model(path: str | Path, device: str | torch.device = "cpu") -> Model:
    """Rebuild the model a checkpoint describes, with its weights, in eval mode."""
    path = Path(path)
    payload = _read(path)
    model = build_model(_config(path, payload))
    try:
        model.load_state_dict(payload["state_dict"])
    except (RuntimeError, KeyError, TypeError) as exc:
        raise CheckpointError(path, f"holds weights that do not match its config ({exc})") from exc
    return model.to(device).eval()


def read_info(path: str | Path) -> CheckpointInfo:
    path = Path(path)
    return _info(path, _read(path))


def _scan(folder: str | Path) -> tuple[list[CheckpointInfo], list[CheckpointError]]:
    infos, errors = [], []
    for path in sorted(Path(folder).glob(f"*{SUFFIX}")):
        try:
            infos.append(read_info(path))
        except CheckpointError as exc:
            errors.append(exc)
    return sorted(infos, key=lambda i: (listing_rank(i.kind), i.latent_dim, i.name)), errors


def scan_checkpoints(
    folder: str | Path,
) -> tuple[list[CheckpointInfo], list[tuple[Path, str]]]:
    """One read of a folder: ``(list_checkpoints(folder), unreadable_checkpoints(folder))``."""
    infos, errors = _scan(folder)
    return infos, [(exc.path, exc.reason) for exc in errors]


def list_checkpoints(folder: str | Path) -> list[CheckpointInfo]:
    """Describe every loadable checkpoint in a folder, sorted by kind then latent size.

    Unreadable files are skipped (one bad file must not hide the others) and never executed;
    ``unreadable_checkpoints`` says which and why.
    """
    return _scan(folder)[0]


def unreadable_checkpoints(folder: str | Path) -> list[tuple[Path, str]]:
    """The ``*.pt`` files that ``list_checkpoints`` skips, each with the reason, sorted by
    name: e.g. ``(Path("checkpoints/cut.pt"), "is not a readable checkpoint: is truncated or
    corrupt (...)")``. For a notice in the UI; nothing in them is run."""
    return scan_checkpoints(folder)[1]
