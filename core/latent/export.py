"""Decoders and encoders as ONNX graphs, for the browser.

decoder: z [N, k] -> image [N, 1, 28, 28] in [0, 1] (AE/VAE ``decode``, the GAN's generator)
encoder: image [N, 1, 28, 28] in [0, 1] -> z [N, k] (AE ``encode``, the VAE's posterior mean)

``export_decoder`` / ``export_encoder`` write one model's half with ``torch.onnx.export`` (the
TorchScript exporter, opset 17, a dynamic batch axis); ``cached_export(checkpoint, part=...)``
does it once per content hash of the checkpoint file. The files live under
``static/onnx/`` by default: Streamlit serves ``static/`` at ``/app/static/``, so the browser
fetches a decoder by a URL that changes whenever the weights do (safe to cache forever), and the
shipped exports and those of models trained in the app sit in one folder with one rule.

CLI: ``python -m core.latent.export --precompute checkpoints`` exports the decoder of every
AE/VAE/GAN checkpoint in a folder, and the encoder of every AE/VAE, into ``static/onnx``
(``--prune`` removes exports no checkpoint has any more).
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
from core.models.registry import ENCODER_KINDS, GENERATIVE_KINDS, Model
from core.training.checkpoints import CheckpointError, list_checkpoints, load_model

EXPORT_FORMAT = 1  # bump when the graph's inputs, outputs or opset change: old exports then miss
OPSET = 17
DEFAULT_EXPORT_DIR = Path("static/onnx")
INPUT_NAME = "z"  # the decoder's input, float32 [N, k]
OUTPUT_NAME = "image"  # the decoder's output, float32 [N, 1, 28, 28] in [0, 1]
# the encoder's are the other way round: image in, z out
PARTS = ("decoder", "encoder")


class ExportError(RuntimeError):
    """A model could not be exported; the message says why, in words a page can show."""


class _Decode(nn.Module):
    """The decoder alone as a module: ``forward(z) = model.decode(z)``, so the graph holds no
    encoder or discriminator weights."""

    def __init__(self, model: Model) -> None:
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model.decode(z)


class _Encode(nn.Module):
    """The encoder alone: ``forward(x) = model.encode(x)`` (a VAE's posterior mean)."""

    def __init__(self, model: Model) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.encode(x)


def export_key(checkpoint: str | Path) -> str:
    """sha256 over the export format, the opset and the checkpoint's bytes."""
    h = hashlib.sha256()
    h.update(f"latent-lab onnx decoder {EXPORT_FORMAT} opset {OPSET}\n".encode())
    h.update(Path(checkpoint).read_bytes())
    return h.hexdigest()


def export_path(
    checkpoint: str | Path, export_dir: str | Path = DEFAULT_EXPORT_DIR, part: str = "decoder"
) -> Path:
    """Where a checkpoint's decoder is exported, ``<export_dir>/<stem>_<key[:16]>.onnx``, or
    its encoder, ``<stem>_encoder_<key[:16]>.onnx``."""
    tag = "" if part == "decoder" else f"_{part}"
    return Path(export_dir) / f"{Path(checkpoint).stem}{tag}_{export_key(checkpoint)[:16]}.onnx"


def export_decoder(model: Model, path: str | Path) -> Path:
    """Write ``model``'s decoder to ``path`` as ONNX (atomically: temp file + ``os.replace``).

    The model must be an eval-mode AE, VAE or GAN (batch norm then uses its running stats);
    a CPU float32 copy is exported, so a shared (cached) model is never moved or cast.
    Raises ``ExportError``.
    """
    if not model.has_decoder:
        raise ExportError(f"a {model.kind} has no decoder to export; only AE, VAE and GAN do")
    example = torch.zeros(2, model.latent_dim)  # [2, k]: any batch size works (dynamic axis)
    return _export(model, _Decode, example, (INPUT_NAME, OUTPUT_NAME), path, "decoder")


def export_encoder(model: Model, path: str | Path) -> Path:
    """Write ``model``'s encoder (image -> code; a VAE's posterior mean) to ``path`` as ONNX,
    as ``export_decoder`` does. Raises ``ExportError``."""
    if model.kind not in ENCODER_KINDS:
        raise ExportError(f"a {model.kind} has no encoder to export; only AE and VAE do")
    example = torch.zeros(2, 1, 28, 28)  # [2, 1, 28, 28]: any batch size (dynamic axis)
    return _export(model, _Encode, example, (OUTPUT_NAME, INPUT_NAME), path, "encoder")


def _export(
    model: Model,
    half: type[nn.Module],
    example: torch.Tensor,
    names: tuple[str, str],
    path: str | Path,
    part: str,
) -> Path:
    """One half of ``model`` (``half(model)``), traced on ``example``, to ``path``; names:
    (input, output), both with a dynamic batch axis."""
    if model.training:
        raise ExportError("the model is in training mode; call model.eval() before exporting")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    module = half(copy.deepcopy(model).float().cpu()).eval()
    # torch >= 2.5 takes ``dynamo``; its default is about to flip to the dynamo exporter, which
    # needs onnxscript. The TorchScript exporter (torch 2.4's only one) needs just ``onnx``.
    takes_dynamo = "dynamo" in inspect.signature(torch.onnx.export).parameters
    legacy = {"dynamo": False} if takes_dynamo else {}
    source, target = names
    try:
        with atomic_path(path) as tmp, torch.no_grad(), warnings.catch_warnings():
            # The TorchScript exporter is chosen on purpose (see above); torch >= 2.9 warns.
            warnings.simplefilter("ignore", DeprecationWarning)
            torch.onnx.export(
                module,
                (example,),
                str(tmp),
                input_names=[source],
                output_names=[target],
                dynamic_axes={source: {0: "batch"}, target: {0: "batch"}},
                opset_version=OPSET,
                do_constant_folding=True,
                **legacy,
            )
    except Exception as exc:  # a missing onnx package, an unsupported op, a full disk ...
        raise ExportError(
            f"exporting the {model.kind.upper()} {part} to ONNX failed: "
            f"{exc.__class__.__name__}: {exc}"
        ) from exc
    return path


_EXPORTERS = {"decoder": export_decoder, "encoder": export_encoder}


def cached_export(
    checkpoint: str | Path, export_dir: str | Path = DEFAULT_EXPORT_DIR, part: str = "decoder"
) -> Path:
    """The ONNX decoder (or encoder: ``part``) of a checkpoint file, exported on first use and
    reused while the checkpoint's bytes stay the same. Raises ``ExportError`` (with the reason)
    when the file cannot be loaded or its model cannot be exported."""
    path = export_path(checkpoint, export_dir, part)
    if path.exists():
        return path
    try:
        model = load_model(checkpoint)
    except CheckpointError as exc:
        raise ExportError(str(exc)) from exc
    return _EXPORTERS[part](model, path)


def precompute(folder: str | Path, export_dir: str | Path = DEFAULT_EXPORT_DIR) -> list[Path]:
    """Export the decoder of every AE/VAE/GAN checkpoint in ``folder`` and the encoder of every
    AE/VAE; returns the files."""
    written: list[Path] = []
    for info in list_checkpoints(folder):
        for part, kinds in (("decoder", GENERATIVE_KINDS), ("encoder", ENCODER_KINDS)):
            if info.kind not in kinds:
                continue
            start = time.perf_counter()
            written.append(cached_export(info.path, export_dir, part))
            size = written[-1].stat().st_size / 1e6
            print(f"{written[-1]}  {size:.1f} MB  {time.perf_counter() - start:.1f}s")
    return written


def main(argv: list[str] | None = None) -> None:
    doc, what = __doc__.split("\n")[0], "models to export"
    parser = precompute_parser(
        "python -m core.latent.export", doc, what, "export-dir", DEFAULT_EXPORT_DIR
    )
    args = parser.parse_args(argv)
    written = precompute(args.precompute, args.export_dir)
    if args.prune:  # the stale exports of retrained or removed checkpoints
        prune_stale(args.export_dir, "*.onnx", written)


if __name__ == "__main__":
    main()
