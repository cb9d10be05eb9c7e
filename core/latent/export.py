"""Decoders as ONNX graphs, for the browser: z [N, k] -> image [N, 1, 28, 28] in [0, 1].

``export_decoder`` writes one model's decoder (AE/VAE ``decode``, the GAN's generator) with
``torch.onnx.export`` (the TorchScript exporter, opset 17, a dynamic batch axis);
``cached_export`` does it once per content hash of the checkpoint file. The files live under
``static/onnx/`` by default: Streamlit serves ``static/`` at ``/app/static/``, so the browser
fetches a decoder by a URL that changes whenever the weights do (safe to cache forever), and the
shipped exports and those of models trained in the app sit in one folder with one rule.

CLI: ``python -m core.latent.export --precompute checkpoints`` exports every AE/VAE/GAN checkpoint
in a
folder into ``static/onnx`` (``--prune`` removes exports no checkpoint has any more).
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import time
import warnings
from pathlib import Path

import torch
from torch import nn

from core.files import atomic_path
from core.latent.folder_caches import precompute_parser, prune_stale
from core.models.registry import GENERATIVE_KINDS, Model
from core.training.checkpoints import CheckpointError, list_checkpoints, load_model

EXPORT_FORMAT = 1  # bump when the graph's inputs, outputs or opset change: old exports then miss
OPSET = 17
DEFAULT_EXPORT_DIR = Path("static/onnx")
INPUT_NAME = "z"  # float32 [N, k]
OUTPUT_NAME = "image"  # float32 [N, 1, 28, 28] in [0, 1]


class ExportError(RuntimeError):
    """A decoder could not be exported; the message says why, in words a page can show."""


class _Decode(nn.Module):
    """The decoder alone as a module: ``forward(z) = model.decode(z)``, so the graph holds no
    encoder or discriminator weights."""

    def __init__(self, model: Model) -> None:
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model.decode(z)


def export_key(checkpoint: str | Path) -> str:
    """sha256 over the export format, the opset and the checkpoint's bytes."""
    h = hashlib.sha256()
    h.update(f"latent-lab onnx decoder {EXPORT_FORMAT} opset {OPSET}\n".encode())
    h.update(Path(checkpoint).read_bytes())
    return h.hexdigest()


def export_path(checkpoint: str | Path, export_dir: str | Path = DEFAULT_EXPORT_DIR) -> Path:
    """Where a checkpoint's decoder is exported: ``<export_dir>/<stem>_<key[:16]>.onnx``."""
    return Path(export_dir) / f"{Path(checkpoint).stem}_{export_key(checkpoint)[:16]}.onnx"


def export_decoder(model: Model, path: str | Path) -> Path:
    """Write ``model``'s decoder to ``path`` as ONNX (atomically: temp file + ``os.replace``).

    The model must be an eval-mode AE, VAE or GAN (batch norm then uses its running stats);
    a CPU float32 copy is exported, so a shared (cached) model is never moved or cast.
    Raises ``ExportError``.
    """
    if not model.has_decoder:
        raise ExportError(f"a {model.kind} has no decoder to export; only AE, VAE and GAN do")
    if model.training:
        raise ExportError("the model is in training mode; call model.eval() before exporting")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    decode = _Decode(copy.deepcopy(model).float().cpu()).eval()
    example = torch.zeros(2, model.latent_dim)  # [2, k]: any batch size works (dynamic axis)
    # torch >= 2.5 takes ``dynamo``; its default is about to flip to the dynamo exporter, which
    # needs onnxscript. The TorchScript exporter (torch 2.4's only one) needs just ``onnx``.
    takes_dynamo = "dynamo" in inspect.signature(torch.onnx.export).parameters
    legacy = {"dynamo": False} if takes_dynamo else {}
    try:
        with atomic_path(path) as tmp, torch.no_grad(), warnings.catch_warnings():
            # The TorchScript exporter is chosen on purpose (see above); torch >= 2.9 warns.
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(
                decode,
                (example,),
                str(tmp),
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                dynamic_axes={INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}},
                opset_version=OPSET,
                do_constant_folding=True,
                **legacy,
            )
    except ExportError:
        raise
    except Exception as exc:  # a missing onnx package, an unsupported op, a full disk ...
        raise ExportError(
            f"exporting the {model.kind.upper()} decoder to ONNX failed: "
            f"{exc.__class__.__name__}: {exc}"
        ) from exc
    return path


def cached_export(checkpoint: str | Path, export_dir: str | Path = DEFAULT_EXPORT_DIR) -> Path:
    """The ONNX decoder of a checkpoint file, exported on first use and reused while the
    checkpoint's bytes stay the same. Raises ``ExportError`` (with the reason) when the file
    cannot be loaded or its model cannot be exported."""
    path = export_path(checkpoint, export_dir)
    if path.exists():
        return path
    try:
        model = load_model(checkpoint)
    except CheckpointError as exc:
        raise ExportError(str(exc)) from exc
    return export_decoder(model, path)


def precompute(folder: str | Path, export_dir: str | Path = DEFAULT_EXPORT_DIR) -> list[Path]:
    """Export the decoder of every AE/VAE/GAN checkpoint in ``folder``; returns the files."""
    written: list[Path] = []
    for info in list_checkpoints(folder):
        if info.kind not in GENERATIVE_KINDS:
            continue
        start = time.perf_counter()
        written.append(cached_export(info.path, export_dir))
        size = written[-1].stat().st_size / 1e6
        print(f"{written[-1]}  {size:.1f} MB  {time.perf_counter() - start:.1f}s")
    return written


def main(argv: list[str] | None = None) -> None:
    doc, what = __doc__.split("\n")[0], "decoders to export"
    parser = precompute_parser(
        "python -m core.latent.export", doc, what, "export-dir", DEFAULT_EXPORT_DIR
    )
    args = parser.parse_args(argv)
    written = precompute(args.precompute, args.export_dir)
    if args.prune:  # the stale exports of retrained or removed checkpoints
        prune_stale(args.export_dir, "*.onnx", written)


if __name__ == "__main__":
    main()
