"""Decoders and encoders as ONNX graphs, for the browser.

decoder: z [N, k] -> image [N, 1, 28, 28] in [0, 1] (AE/VAE ``decode``, the GAN's generator)
encoder: image [N, 1, 28, 28] in [0, 1] -> z [N, k] (AE ``encode``, the VAE's posterior mean)

``export_decoder`` / ``export_encoder`` write one model's half with ``torch.onnx.export`` (the
TorchScript exporter, opset 17, a dynamic batch axis); ``cached_export(checkpoint, part=...)``
does it once per content hash of the checkpoint file. The files live under
``static/onnx/`` by default: Streamlit serves ``static/`` at ``/app/static/``, so the browser
fetches a decoder by a URL that changes whenever the weights do (safe to cache forever), and the
shipped exports and those of models trained in the app sit in one folder with one rule.

Keyframes: a checkpoint whose training kept decoders at a few epochs (``x.keyframes.npz``,
``core.training.history``) gets each exported too (``keyframe_exports``), with float16 weights
cast to float32 inside the graph: half the bytes, the same pictures within 1e-3.

CLI: ``python -m core.latent.export --precompute checkpoints`` exports the decoder (and keyframe
decoders) of every AE/VAE/GAN checkpoint in a folder, and the encoder of every AE/VAE, into
``static/onnx`` (``--prune`` removes exports no checkpoint has any more).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.files import atomic_path
from core.latent.folder_caches import precompute_parser, prune_stale
from core.models.registry import ENCODER_KINDS, GENERATIVE_KINDS, Model
from core.training.checkpoints import CheckpointError, list_checkpoints, load_model
from core.training.history import keyframes_path, load_keyframe

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


def export_problem(path: str | Path) -> str | None:
    """Why the file at ``path`` is not a whole decoder (or encoder), in words a page can show,
    or None.

    Checked once per file version (path, size, modification time): an empty file, a graph
    onnxruntime will not load (a cut-off or overwritten export), or a decoder whose ``z`` ->
    ``image`` does not give one finite 28 x 28 image for a zero code (an encoder: one finite
    code for a blank image)."""
    stat = Path(path).stat()
    return _export_problem(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _export_problem(path: str, size: int, mtime_ns: int) -> str | None:
    if size == 0:
        return "the exported decoder file is empty"
    import onnxruntime as ort  # imported here: only a check or a re-export needs it

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # a 1-image check; never compete with the page for cores
    try:
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        (given,) = session.get_inputs()
        if given.name == INPUT_NAME:  # a decoder: z [1, k] -> image [1, 1, 28, 28]
            inputs, expected = np.zeros((1, given.shape[1]), np.float32), (1, 1, 28, 28)
        else:  # an encoder: image [1, 1, 28, 28] -> z [1, k]
            inputs, expected = np.zeros((1, 1, 28, 28), np.float32), None
        (out,) = session.run(None, {given.name: inputs})
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph/... per cause
        return f"the exported file does not load ({exc.__class__.__name__})"
    shape_ok = out.shape == expected if expected else out.ndim == 2 and len(out) == 1
    if not shape_ok or not np.isfinite(out).all():
        return f"the exported graph gives {out.shape}, not what it should"
    return None


_EXPORTERS = {"decoder": export_decoder, "encoder": export_encoder}


def cached_export(
    checkpoint: str | Path,
    export_dir: str | Path = DEFAULT_EXPORT_DIR,
    part: str = "decoder",
    model: Model | None = None,
) -> Path:
    """The ONNX decoder (or encoder: ``part``) of a checkpoint file, exported on first use and
    reused while the checkpoint's bytes stay the same and the file passes ``export_problem`` (a
    damaged one is exported again). ``model``: the checkpoint's model already loaded (the app's
    one loader; a CPU copy is exported, it is never moved or cast), else it is read from the
    file. Raises ``ExportError`` (with the reason) when the file cannot be loaded or its model
    cannot be exported."""
    path = export_path(checkpoint, export_dir, part)
    if path.exists() and export_problem(path) is None:
        return path
    if model is None:
        try:
            model = load_model(checkpoint)
        except CheckpointError as exc:
            raise ExportError(str(exc)) from exc
    _EXPORTERS[part](model, path)
    if (problem := export_problem(path)) is not None:
        raise ExportError(f"{problem}, even after exporting it again")
    return path


def half_weights(path: str | Path) -> Path:
    """Rewrite an ONNX graph's float32 weights as float16 initializers, each followed by a Cast
    back to float32: the arithmetic stays float32 (every runtime has those kernels), the file
    halves. In place, atomically."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    path = Path(path)
    graph_model = onnx.load(str(path))
    graph = graph_model.graph
    casts = []
    for init in graph.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        array = numpy_helper.to_array(init)
        half = numpy_helper.from_array(array.astype("float16"), init.name + "_fp16")
        init.CopyFrom(half)
        casts.append(helper.make_node("Cast", [half.name], [half.name[:-5]], to=TensorProto.FLOAT))
    nodes = [*casts, *graph.node]  # the casts first: before every node that reads their output
    del graph.node[:]
    graph.node.extend(nodes)
    with atomic_path(path) as tmp:
        onnx.save(graph_model, str(tmp))
    return path


def keyframe_exports(
    checkpoint: str | Path, export_dir: str | Path = DEFAULT_EXPORT_DIR
) -> dict[int, Path]:
    """The ONNX decoders of a checkpoint's keyframe epochs (``{epoch: path}``, empty when its
    training kept none), exported on first use, keyed by the keyframes file's bytes."""
    kept = keyframes_path(checkpoint)
    if not kept.exists():
        return {}
    import numpy as np

    with np.load(kept, allow_pickle=False) as f:
        epochs = sorted({int(name.split("/")[0][1:]) for name in f.files})
    h = hashlib.sha256()
    h.update(f"latent-lab onnx keyframes {EXPORT_FORMAT} opset {OPSET}\n".encode())
    h.update(kept.read_bytes())
    stem, key = Path(checkpoint).stem, h.hexdigest()[:16]
    paths = {e: Path(export_dir) / f"{stem}_e{e}_{key}.onnx" for e in epochs}
    missing = [e for e, p in paths.items() if not p.exists()]
    if missing:
        try:
            model = load_model(checkpoint)
        except CheckpointError as exc:
            raise ExportError(str(exc)) from exc
        for epoch in missing:
            model.load_state_dict(load_keyframe(checkpoint, epoch), strict=False)
            staged = paths[epoch].with_suffix(".float32")  # never a float32 file under the name
            try:
                half_weights(export_decoder(model, staged)).replace(paths[epoch])
            finally:
                staged.unlink(missing_ok=True)
    return paths


def precompute(folder: str | Path, export_dir: str | Path = DEFAULT_EXPORT_DIR) -> list[Path]:
    """Export the decoder (and keyframe decoders) of every AE/VAE/GAN checkpoint in ``folder``
    and the encoder of every AE/VAE; returns the files."""
    written: list[Path] = []
    for info in list_checkpoints(folder):
        start = time.perf_counter()
        paths = []
        if info.kind in GENERATIVE_KINDS:
            paths += [
                cached_export(info.path, export_dir),
                *keyframe_exports(info.path, export_dir).values(),
            ]
        if info.kind in ENCODER_KINDS:
            paths.append(cached_export(info.path, export_dir, "encoder"))
        for path in paths:
            written.append(path)
            size = path.stat().st_size / 1e6
            print(f"{path}  {size:.1f} MB  {time.perf_counter() - start:.1f}s")
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
