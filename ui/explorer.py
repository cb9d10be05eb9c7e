"""The live latent explorer: a map that decodes the code under the pointer in the browser.

``latent_explorer(...)`` mounts the components-v2 element of ``ui/components/explorer/``. The
page passes the map (coords, labels, class names), the way back from the map to a code
(``inverse_rule(projection)``), the dataset's codes and images, and the model's ONNX decoder
(``decoder_for(checkpoint)``). It returns the last click or drag as trigger values.
``code_sliders(...)`` mounts the same element in its sliders-only mode: no map, one code and a
slider per latent dimension, decoded in the browser as a slider moves. ``twin_maps(...)``
mounts it in its twin mode: two models' maps of the same digits, linked, each model decoding and
encoding in the browser (``onnx_codec``: its ONNX decoder and encoder; ``linear_codec``: PCA's
own maps). The browser code is plain ES modules, one per concern, joined into the one script
components v2 takes by ``ui.components.modules.join_modules`` (docs/ARCHITECTURE.md).

Big arrays do not travel in the element's data (which Streamlit sends on every rerun): they are
written once, content-addressed, to ``static/cache/`` and the browser fetches them by URL from
Streamlit's static file serving, like the decoders (``static/onnx/``) and the runtime
(``static/vendor/``). A rerun then sends a few hundred bytes of URLs and numbers.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
from PIL import Image

from core.files import atomic_path
from core.latent.export import ExportError, cached_export
from core.latent.projections import INVERSE_NEIGHBOURS, OFF_MAP_MARGIN, Projection
from core.models.registry import Model
from ui.components.modules import join_modules
from ui.plots import CLASS_COLORS

ROOT = Path(__file__).resolve().parents[1]
STATIC_DIR = ROOT / "static"  # served at /app/static/ (server.enableStaticServing)
EXPORT_DIR = STATIC_DIR / "onnx"
PUBLISHED_DIR = STATIC_DIR / "cache"  # not committed: arrays and atlases written by the app
RUNTIME_URL = "/app/static/vendor/onnxruntime-web/ort.wasm.bundle.min.mjs"
MAX_SLIDERS = 16  # larger codes get sliders for their first 16 dimensions
_ASSETS = Path(__file__).parent / "components" / "explorer"

_component = st.components.v2.component(
    "latent_explorer",
    html=(_ASSETS / "explorer.html").read_text(),
    css=(_ASSETS / "explorer.css").read_text(),
    js=join_modules(_ASSETS / "main.js"),
)


def shared_constants() -> dict[str, Any]:
    """What the browser must agree on with Python, sent in every mode's data (not rewritten in
    JS): the class colours of ``ui.plots``, ``core.maps``' off-map margin (a place farther out is
    not decoded) and the slider cap."""
    return {
        "class_colors": list(CLASS_COLORS),
        "off_map_margin": OFF_MAP_MARGIN,
        "max_sliders": MAX_SLIDERS,
    }


@dataclass(frozen=True)
class Decoder:
    """Where the browser finds a model's ONNX decoder, or why there is none (shown as a notice;
    the map then works by click only)."""

    url: str | None
    notice: str | None = None


def static_url(path: Path) -> str:
    """A file under ``static/`` -> the URL Streamlit serves it at."""
    return "/app/static/" + Path(path).resolve().relative_to(STATIC_DIR).as_posix()


def decoder_for(checkpoint: str | Path, model: Model | None = None) -> Decoder:
    """The checkpoint's decoder exported to ONNX (once per checkpoint content), as a URL.
    ``model``: the checkpoint's loaded model, exported without reading the file again."""
    try:
        return Decoder(static_url(cached_export(checkpoint, EXPORT_DIR, model=model)))
    except ExportError as exc:
        return Decoder(None, f"Live preview off: {exc}.")


def onnx_codec(checkpoint: str | Path, model: Model) -> dict[str, Any]:
    """How the twin maps run a checkpoint in the browser: its ONNX decoder and encoder (both
    exported once per checkpoint content, from its loaded ``model``). Raises ``ExportError``."""
    return {
        "kind": "onnx",
        "latent_dim": int(model.latent_dim),
        "decoder_url": static_url(cached_export(checkpoint, EXPORT_DIR, model=model)),
        "encoder_url": static_url(cached_export(checkpoint, EXPORT_DIR, "encoder", model)),
    }


def linear_codec(mean: np.ndarray, components: np.ndarray) -> dict[str, Any]:
    """PCA as the twin maps run it: z = W (x - mean), x' = W^T z + mean, computed in the
    browser from mean float [784] and W = components float [k, 784] (published once)."""
    components = np.asarray(components, dtype=np.float32)
    return {
        "kind": "linear",
        "latent_dim": int(components.shape[0]),
        "mean_url": publish_array(mean, "float32"),
        "components_url": publish_array(components, "float32"),
    }


def publish(payload: bytes | Callable[[], bytes], digest: str, suffix: str) -> str:
    """Write bytes once to ``static/cache/<digest><suffix>`` (atomically) and return its URL.

    ``payload`` may be a function, called only when the file is not there yet (a PNG encode).
    A file of bytes whose size is not the payload's (a copy cut off) is written again.
    """
    path = PUBLISHED_DIR / f"{digest}{suffix}"
    cut_off = isinstance(payload, bytes) and path.exists() and path.stat().st_size != len(payload)
    if not path.exists() or cut_off:
        data = payload() if callable(payload) else payload
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
    return static_url(path)


def _digest(*parts: bytes) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part)
    return h.hexdigest()


def publish_array(array: np.ndarray, dtype: str) -> str:
    """A numpy array as raw little-endian bytes the browser reads as a typed array."""
    data = np.ascontiguousarray(array, dtype=np.dtype(dtype).newbyteorder("<")).tobytes()
    return publish(data, _digest(dtype.encode(), data), ".bin")


def sprite_columns(n: int) -> int:
    return max(1, int(np.ceil(np.sqrt(n))))


def sprite_atlas(images: np.ndarray) -> bytes:
    """uint8 [N, 28, 28] -> one grayscale PNG, digit i at column i % C, row i // C, C =
    ``sprite_columns(N)``: the originals reach the browser in one request."""
    images = np.asarray(images, dtype=np.uint8).reshape(-1, 28, 28)
    n, cols = len(images), sprite_columns(len(images))
    rows = -(-n // cols)
    grid = np.zeros((rows * cols, 28, 28), dtype=np.uint8)
    grid[:n] = images
    atlas = grid.reshape(rows, cols, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, cols * 28)
    out = io.BytesIO()
    # level 1: 60,000 items encode in ~3 s instead of ~6 s, for an 8 % larger file
    Image.fromarray(atlas, mode="L").save(out, format="PNG", optimize=False, compress_level=1)
    return out.getvalue()


def _png(image: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(out, format="PNG")
    return out.getvalue()


def inverse_rule(projection: Projection) -> dict[str, Any]:
    """The projection's way from a map point back to a code, in plain numbers for the JS:
    raw (the point is the code), PCA (mean + p . components), t-SNE (the weighted mean of the
    ``INVERSE_NEIGHBOURS`` nearest points' codes, as ``Projection.inverse``)."""
    if projection.method == "raw":
        return {"kind": "raw"}
    if projection.method == "pca":
        return {
            "kind": "pca",
            "mean": projection.mean.astype(float).tolist(),  # [k]
            "components": projection.components.astype(float).tolist(),  # [2, k]
        }
    return {"kind": "tsne", "neighbours": INVERSE_NEIGHBOURS}


def publish_map(
    coords: np.ndarray,
    labels: np.ndarray,
    codes: np.ndarray | None = None,
    images: np.ndarray | None = None,
) -> dict[str, Any]:
    """Write a map's arrays to ``static/cache/`` (once per content) and return the part of the
    component's data that names them. Hashing them costs ~5 ms per 5,000 digits (~60 ms at
    60,000): pages get it from ``ui.compute.explorer_map``, cached per checkpoint version.

    coords float [N, 2]; labels int [N] (< 256); codes float [N, k] (needed for t-SNE and for
    the reconstruction over a point; for raw maps the coords are the codes); images uint8
    [N, 28, 28] (the originals, sent as one sprite atlas).
    """
    coords = np.asarray(coords, dtype=np.float32)
    labels = np.asarray(labels)
    if coords.ndim != 2 or coords.shape[1] != 2 or len(labels) != len(coords):
        raise ValueError(f"coords must be [N, 2] with N labels; got {coords.shape}, {labels.shape}")
    published: dict[str, Any] = {
        "latent_dim": 2 if codes is None else int(np.asarray(codes).shape[1]),
        "coords_url": publish_array(coords, "float32"),
        "labels_url": publish_array(labels, "uint8"),
        "codes_url": None if codes is None else publish_array(codes, "float32"),
        "sprites_url": None,
        "sprite_columns": sprite_columns(len(coords)),
    }
    if images is not None:
        raw = np.ascontiguousarray(images, dtype=np.uint8)
        published["sprites_url"] = publish(
            lambda: sprite_atlas(raw), _digest(raw.tobytes()), ".png"
        )
    return published


def overlay(
    points: np.ndarray,
    kind: str,
    color: str = "black",
    label: str | None = None,
    radius: float | None = None,
) -> dict[str, Any]:
    """Marks drawn over the map: ``kind`` "path" (a line through the points, dots at each),
    "ring" (open circles) or "star"; points float [M, 2] in map coordinates. A ring with a
    ``radius`` (css px) is a page's own point (the user's digit): white-haloed, and its
    ``label`` gets a key in the legend."""
    mark = {
        "kind": kind,
        "color": color,
        "points": np.asarray(points, float).reshape(-1, 2).tolist(),
    }
    if label is not None:
        mark["label"] = label
    if radius is not None:
        mark["radius"] = float(radius)
    return mark


def _background(
    background: tuple[np.ndarray, Sequence[float]] | None, opacity: float
) -> dict[str, Any] | None:
    """The picture under the points, published as a PNG: {url, extent, opacity}, or None."""
    if background is None:
        return None
    image, extent = background
    image = np.ascontiguousarray(image, dtype=np.uint8)
    digest = _digest(str(image.shape).encode(), image.tobytes())
    url = publish(lambda: _png(image), digest, ".png")
    return {"url": url, "extent": [float(v) for v in extent], "opacity": float(opacity)}


def latent_explorer(
    coords: np.ndarray | None,
    labels: np.ndarray | None,
    class_names: Sequence[str],
    decoder: Decoder,
    inverse: dict[str, Any],
    *,
    key: str,
    codes: np.ndarray | None = None,
    images: np.ndarray | None = None,
    published: dict[str, Any] | None = None,
    background: tuple[np.ndarray, Sequence[float]] | None = None,
    overlays: Sequence[dict[str, Any]] = (),
    background_opacity: float = 0.45,
    selected: int | None = None,
    height: int = 520,
    on_click: Callable[[], None] | None = None,
    on_pair: Callable[[], None] | None = None,
) -> Any:
    """Mount the explorer. Returns the component's result: ``.click`` is
    ``{"index": i | None, "point": [x, y], "code": [...] | None}`` on the run after a click,
    ``.pair`` is ``{"from": i, "to": j}`` after a drag from point i to point j (else None).

    The map is ``published`` (``publish_map``'s result; then coords, labels, codes and images
    may be None) or the arrays themselves, as ``publish_map`` takes them. background (uint8
    image [H, W], extent [x0, x1, y0, y1]) is drawn under the points, row 0 at y1, at
    ``background_opacity``; overlays (``overlay(...)``) over them; selected: a dataset index to
    select at mount.
    """
    if published is None:
        published = publish_map(coords, labels, codes, images)
    if inverse["kind"] == "tsne" and published["codes_url"] is None:
        raise ValueError("a t-SNE map needs the codes: its inverse averages the nearest codes")
    data: dict[str, Any] = {
        "key": key,
        "height": int(height),
        "class_names": [str(c) for c in class_names],
        "inverse": inverse,
        **published,
        "background": _background(background, background_opacity),
        "overlays": list(overlays),
        "selected": selected,
        "decoder_url": decoder.url,
        "runtime_url": RUNTIME_URL,
        "notice": decoder.notice,
        **shared_constants(),
    }
    return _component(
        key=key,
        data=data,
        on_click_change=on_click or (lambda: None),
        on_pair_change=on_pair or (lambda: None),
    )


def twin_side(
    title: str,
    short: str,
    published: dict[str, Any],
    inverse: dict[str, Any],
    codec: dict[str, Any],
    subtitle: str = "",
) -> dict[str, Any]:
    """One map of ``twin_maps``: its title, short name (for captions) and subtitle (the map's
    scores), its arrays
    (``publish_map``'s result), its way back from a place to a code (``inverse_rule``) and its
    model in the browser (``onnx_codec`` or ``linear_codec``)."""
    if inverse["kind"] == "tsne" and published["codes_url"] is None:
        raise ValueError("a t-SNE map needs the codes: its inverse averages the nearest codes")
    return {
        "title": title,
        "short": short,
        "subtitle": subtitle,
        **published,
        "inverse": inverse,
        "codec": codec,
    }


def twin_maps(
    sides: Sequence[dict[str, Any]],
    class_names: Sequence[str],
    *,
    key: str,
    selected: int | None = None,
    on_click: Callable[[], None] | None = None,
) -> Any:
    """Two maps of the same digits side by side (``twin_side`` each; their points must be the
    same images in the same order), linked and live in the browser: over a digit, it is ringed
    in both maps and both models' reconstructions are shown; over empty space in one map, that
    model's picture is encoded by the other model and marked where it lands on the other map.
    Returns the component's result: ``.click`` is ``{"side": 0 | 1, "index": i | None,
    "point": [x, y], "code": [...] | None}`` on the run after a click."""
    if len(sides) != 2:
        raise ValueError(f"twin maps take two sides, not {len(sides)}")
    if sides[0]["labels_url"] != sides[1]["labels_url"]:
        raise ValueError("the two maps must show the same digits (their labels differ)")
    data = {
        "mode": "twin",
        "key": key,
        "class_names": [str(c) for c in class_names],
        "sides": list(sides),
        "selected": selected,
        "runtime_url": RUNTIME_URL,
        **shared_constants(),
    }
    return _component(key=key, data=data, on_click_change=on_click or (lambda: None))


def prior_ranges(code: np.ndarray, sigmas: float = 3.0) -> list[list[float]]:
    """Slider ranges for a code of a N(0, I) prior: [-sigmas, sigmas] per shown dimension,
    widened to keep the code's own value (plus a half) inside."""
    shown = np.asarray(code, dtype=float).reshape(-1)[:MAX_SLIDERS]
    reach = np.maximum(sigmas, np.abs(shown) + 0.5)
    return [[-float(r), float(r)] for r in reach]


def code_sliders(
    decoder: Decoder,
    code: np.ndarray,
    *,
    key: str,
    ranges: Sequence[Sequence[float]] | None = None,
    caption: str | None = None,
) -> None:
    """Mount the sliders-only mode: the digit g(code), the code's numbers and one slider per
    latent dimension (the first ``MAX_SLIDERS``), decoded in the browser while a slider moves,
    with a reset to ``code``. Nothing is sent back to Python. A new ``code`` starts over.

    code float [k]; ranges [[lo, hi], ...] per shown dimension (default ``prior_ranges``);
    caption: what the starting code is, shown above its numbers.
    """
    code = np.asarray(code, dtype=np.float32).reshape(-1)
    if not np.isfinite(code).all():
        raise ValueError("the code has non-finite values")
    ranges = prior_ranges(code) if ranges is None else [[float(a), float(b)] for a, b in ranges]
    if len(ranges) != min(len(code), MAX_SLIDERS):
        raise ValueError(f"{len(ranges)} ranges for {min(len(code), MAX_SLIDERS)} sliders")
    data = {
        "mode": "sliders",
        "key": key,
        "latent_dim": len(code),
        "code": code.astype(float).tolist(),
        "ranges": ranges,
        "caption": caption,
        "decoder_url": decoder.url,
        "runtime_url": RUNTIME_URL,
        "notice": decoder.notice,
        **shared_constants(),
    }
    _component(key=key, data=data)
