"""Any user image -> an MNIST-style 28x28 digit, keeping each step so the UI can show it.

MNIST's recipe (LeCun et al.): the digit is size-normalised to fit a 20x20 box keeping its
aspect ratio (anti-aliased, hence grey levels), then placed in a 28x28 field so that its centre
of mass lands at the centre. Before that we turn a photo or a drawing into white ink on black:

    bytes --load_image--> PIL image (first frame, validated, decoded)
          --grayscale--> [H, W] (alpha composited on a matte)  --polarity--> white ink on black
          --crop to the ink--> --longer side to 20 px--> --centre of mass to (14, 14)--> [28, 28]

Every failure a user can cause raises ``PreprocessError`` with a message saying what to do.
Pillow's global settings (``MAX_IMAGE_PIXELS``, ``LOAD_TRUNCATED_IMAGES``) are never touched:
the pixel limit is checked against the header before anything is decoded.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

from core.data.datasets import to_float

MAX_BYTES = 20 * 2**20  # an upload larger than this is refused before decoding
MAX_PIXELS = 40_000_000  # width * height from the header; more is treated as a decompression bomb
MIN_SIDE = 8  # pixels; smaller images cannot hold a legible digit
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF")  # JPEG also opens cameras' MPO files
WORKING_SIDE = 1024  # larger images are box-averaged down first: 20 px is the goal anyway
DIGIT_BOX = 20  # MNIST fits the digit in a 20x20 box ...
DIGIT_SIZE = 28  # ... inside a 28x28 field ...
DIGIT_CENTRE = 14.0  # ... with its centre of mass at pixel (14, 14), as measured on MNIST
MIN_INK_CONTRAST = 32  # grey levels between paper and the darkest ink; less is a blank page
INK_THRESHOLD = 64  # after stretching to 0..255: a pixel above this counts for the bounding box

_READABLE = "PNG, JPEG, BMP, GIF, WebP or TIFF"


class PreprocessError(ValueError):
    """The input cannot become a digit; the message tells the user what to do about it."""


@dataclass(frozen=True)
class PreprocessResult:
    digit: np.ndarray  # uint8 [28, 28], white ink on black like MNIST
    steps: list[tuple[str, np.ndarray]]  # (name, uint8 [h, w]) in order, for display
    inverted: bool  # True when the input was dark ink on light paper

    def as_float(self) -> torch.Tensor:
        """The digit as the models' input: a torch float32 tensor [1, 1, 28, 28] in [0, 1]."""
        return to_float(self.digit[None])


# --- loading ----------------------------------------------------------------------------------


def _check_dimensions(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise PreprocessError(
            f"The image is too large ({width} x {height} pixels); the limit is "
            f"{MAX_PIXELS // 1_000_000} megapixels. Scale it down and try again."
        )
    if min(width, height) < MIN_SIDE:
        raise PreprocessError(
            f"The image is too small ({width} x {height} pixels); a digit needs at least "
            f"{MIN_SIDE} x {MIN_SIDE} pixels."
        )


def load_image(data: bytes) -> Image.Image:
    """Decode the first frame of an uploaded file, upright (EXIF orientation applied).

    The size is checked from the header before decoding; corrupt, truncated and unknown files
    all raise ``PreprocessError``.
    """
    if not data:
        raise PreprocessError("The file is empty. Upload a picture of a digit.")
    if len(data) > MAX_BYTES:
        raise PreprocessError(
            f"The file is {len(data) / 2**20:.1f} MB; the limit is {MAX_BYTES // 2**20} MB. "
            f"Upload a smaller picture."
        )
    try:
        # Pillow warns about (and, past twice its limit, refuses) huge images inside
        # Image.open; turn the warning into an error so it cannot escape to the page.
        # (catch_warnings is process-wide before Python 3.14; this filter is harmless to share.)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)  # lazy: reads the header
            _check_dimensions(*image.size)
            image.load()  # the first frame: Image.open leaves a multi-frame file on frame 0
            return ImageOps.exif_transpose(image) or image  # a detached, upright copy
    except PreprocessError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise PreprocessError(
            f"The image is too large; the limit is {MAX_PIXELS // 1_000_000} megapixels. "
            f"Scale it down and try again."
        ) from exc
    except UnidentifiedImageError as exc:
        raise PreprocessError(
            f"This file is not an image we can read. Upload a {_READABLE} picture."
        ) from exc
    except Exception as exc:
        # Pillow's decoders answer hostile bytes with OSError, SyntaxError, ValueError,
        # EOFError, struct.error, KeyError, IndexError, ...: for the user all mean "damaged".
        raise PreprocessError(
            "The image file is damaged or incomplete and cannot be decoded. "
            f"Save it again as {_READABLE}, or upload another picture."
        ) from exc


# --- the steps --------------------------------------------------------------------------------


def _numeric_to_l(image: Image.Image) -> Image.Image:
    """16-bit, 32-bit integer and float images -> 8-bit L (Pillow's convert would clip).

    Values are read against the smallest usual full scale they fit (1 for floats, then 255,
    then 65535); values outside 0..65535 are stretched from their min to their max. The
    stretch to the ink's contrast comes later, so reading dark 16-bit data as 8-bit is harmless.
    """
    raw = np.nan_to_num(np.asarray(image), nan=0.0, posinf=0.0, neginf=0.0)  # before any cast
    values = raw.astype(np.float64)
    low, high = float(values.min()), float(values.max())
    scales = (1.0, 255.0, 65535.0) if image.mode == "F" else (255.0, 65535.0)
    full_scale = next((s for s in scales if low >= 0 and high <= s), None)
    if full_scale is None:  # outside every usual range: stretch min..max
        values, full_scale = values - low, max(high - low, 1.0)
    gray = np.round(values / full_scale * 255).astype(np.uint8)  # uint8 [H, W]
    return Image.fromarray(gray)  # mode L


def _to_standard_mode(image: Image.Image) -> Image.Image:
    """Any Pillow mode -> L, LA, RGB or RGBA, keeping transparency."""
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if mode == "1":
        return image.convert("L")
    if mode == "La":
        return image.convert("LA")
    if mode in ("P", "PA", "RGBa"):  # a palette may carry transparency: keep it as alpha
        return image.convert("RGBA")
    if mode == "LAB":
        return image.getchannel("L")  # lightness is the grey level we want
    if mode in ("I", "F") or mode.startswith("I;16"):
        return _numeric_to_l(image)
    try:  # CMYK, YCbCr, RGBX, HSV, ...
        return image.convert("RGB")
    except ValueError as exc:
        raise PreprocessError(
            f"Images in colour mode {mode} are not supported. Save it as an ordinary RGB or "
            f"grayscale {_READABLE} picture."
        ) from exc


def _shrink(image: Image.Image) -> Image.Image:
    """Box-average images larger than WORKING_SIDE (Pillow premultiplies alpha for this)."""
    factor = math.ceil(max(image.size) / WORKING_SIDE)
    return image.reduce(factor) if factor > 1 else image


def to_grayscale(image: Image.Image) -> np.ndarray:
    """L/LA/RGB/RGBA image -> uint8 [H, W], alpha composited on a matte.

    The matte contrasts with what is visible: white behind dark ink, black behind light ink
    (a drawing canvas gives white strokes on a transparent background, which on white would
    vanish).
    """
    gray = np.asarray(image.convert("L"), dtype=np.float64)  # ITU-R 601-2 luma
    if image.mode not in ("LA", "RGBA"):
        return gray.astype(np.uint8)
    alpha = np.asarray(image.getchannel("A"), dtype=np.float64) / 255.0
    if alpha.max() == 0:
        raise PreprocessError(
            "The image is fully transparent: no ink found. Draw a digit, or upload a picture "
            "whose digit is not transparent."
        )
    visible_mean = (gray * alpha).sum() / alpha.sum()
    matte = 0.0 if visible_mean > 127.5 else 255.0
    return np.round(gray * alpha + matte * (1.0 - alpha)).astype(np.uint8)


def _border(gray: np.ndarray) -> np.ndarray:
    """The pixels of a frame 5% of the shorter side wide (at least 1 px)."""
    w = max(1, round(0.05 * min(gray.shape)))
    sides = (gray[:w], gray[-w:], gray[:, :w], gray[:, -w:])  # corners twice: harmless
    return np.concatenate([side.ravel() for side in sides])


def to_ink(gray: np.ndarray) -> tuple[np.ndarray, bool]:
    """uint8 [H, W] -> (white ink on black [H, W] stretched to 0..255, inverted?).

    The paper is the border's median: light paper means dark ink, which is inverted. The paper
    level is then subtracted so a grey sheet or a pencil stroke still spans 0..255.
    """
    inverted = bool(np.median(_border(gray)) > 127.5)
    ink = (255 - gray if inverted else gray).astype(np.float64)
    paper = float(np.median(_border(ink)))
    contrast = float(ink.max()) - paper
    if contrast < MIN_INK_CONTRAST:
        raise PreprocessError(
            "The image is blank: no ink found. Draw a digit, or upload a picture of a digit "
            "that stands out clearly from its background."
        )
    stretched = np.clip((ink - paper) / contrast, 0.0, 1.0) * 255.0
    return np.round(stretched).astype(np.uint8), inverted


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    """The bounding box of the pixels above INK_THRESHOLD."""
    rows = np.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    cols = np.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def scale_to_box(ink: np.ndarray, box: int = DIGIT_BOX) -> np.ndarray:
    """Longer side to ``box`` px keeping the aspect ratio (Lanczos), darkest ink back to 255."""
    h, w = ink.shape
    scale = box / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # PIL wants (width, height)
    scaled = np.asarray(Image.fromarray(ink).resize(size, Image.Resampling.LANCZOS))
    peak = int(scaled.max())
    if peak == 0:  # a sliver thinner than a pixel can average out to nothing
        raise PreprocessError(
            "The image is blank: no ink found. The strokes are too thin to see at 28 x 28; "
            "draw the digit bigger or with a thicker pen."
        )
    return np.round(scaled.astype(np.float64) * (255.0 / peak)).astype(np.uint8)


def centre_by_mass(ink: np.ndarray, size: int = DIGIT_SIZE) -> np.ndarray:
    """Paste into ``size`` x ``size`` so the centre of mass lands on (14, 14).

    The shift is whole pixels (no resampling blur); it is clamped so no ink leaves the field,
    which for very lopsided shapes leaves the centre of mass up to a few pixels off.
    """
    h, w = ink.shape
    com_row, com_col = ndimage.center_of_mass(ink.astype(np.float64))
    top = min(max(round(DIGIT_CENTRE - com_row), 0), size - h)
    left = min(max(round(DIGIT_CENTRE - com_col), 0), size - w)
    field = np.zeros((size, size), dtype=np.uint8)  # state size. 28 x 28
    field[top : top + h, left : left + w] = ink
    return field


# --- entry points -----------------------------------------------------------------------------


def preprocess_image(image: Image.Image) -> PreprocessResult:
    """A decoded PIL image of any mode -> the MNIST-style digit and the steps to it."""
    _check_dimensions(*image.size)
    gray = to_grayscale(_shrink(_to_standard_mode(image)))
    ink, inverted = to_ink(gray)
    cropped = crop_to_ink(ink)
    scaled = scale_to_box(cropped)
    digit = centre_by_mass(scaled)
    steps = [
        ("grayscale", gray),
        ("inverted" if inverted else "kept polarity", ink),
        ("cropped", cropped),
        (f"scaled to {DIGIT_BOX} px", scaled),
        (f"centred {DIGIT_SIZE}x{DIGIT_SIZE}", digit),
    ]
    return PreprocessResult(digit, steps, inverted)


def preprocess_bytes(data: bytes) -> PreprocessResult:
    """An uploaded file's bytes -> the digit (see ``load_image`` for what is accepted)."""
    return preprocess_image(load_image(data))


def preprocess_array(rgba: np.ndarray) -> PreprocessResult:
    """A drawing canvas's array -> the digit.

    Accepts [H, W, 4] RGBA (streamlit-drawable-canvas), [H, W, 3] RGB or [H, W] grey, as uint8
    or bool, or as floats in [0, 1] (scaled) or [0, 255].
    """
    if not isinstance(rgba, np.ndarray) or not (
        rgba.ndim == 2 or (rgba.ndim == 3 and rgba.shape[2] in (1, 3, 4))
    ):
        shape = getattr(rgba, "shape", None)
        raise PreprocessError(
            "The drawing must be an image array of shape [height, width, 4] (RGBA), "
            f"[height, width, 3] or [height, width]; got {type(rgba).__name__} of shape {shape}."
        )
    if rgba.dtype.kind not in "biuf":
        raise PreprocessError(f"The drawing must hold numbers, not {rgba.dtype}.")
    _check_dimensions(rgba.shape[1], rgba.shape[0])
    values = rgba.astype(np.float64)
    if not np.isfinite(values).all():
        raise PreprocessError("The drawing contains NaN or infinite values.")
    if values.min() < 0 or values.max() > 255:  # before scaling: -1e306 * 255 overflows
        raise PreprocessError("The drawing's values must lie in 0..255 (or 0..1 for floats).")
    if rgba.dtype.kind == "b" or (rgba.dtype.kind == "f" and values.max() <= 1.0):
        values = values * 255.0
    pixels = np.round(values).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    return preprocess_image(Image.fromarray(pixels))  # uint8 [H, W(, 3 or 4)] -> L, RGB, RGBA
