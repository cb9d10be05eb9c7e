"""Digit images for the page: arrays in, PIL images, PNG/GIF bytes and Streamlit rows out."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Literal

import numpy as np
import streamlit as st
from PIL import Image

from core.data.datasets import tile, to_uint8  # noqa: F401  (pages use images.tile)


def to_pil(image: np.ndarray, scale: int = 4) -> Image.Image:
    """One digit [28, 28] (or a strip [H, W]) upscaled with crisp pixels."""
    img = Image.fromarray(to_uint8(np.squeeze(image)), mode="L")
    return img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)


def png_bytes(image: np.ndarray, scale: int = 4) -> bytes:
    buf = io.BytesIO()
    to_pil(image, scale).save(buf, format="PNG")
    return buf.getvalue()


def gif_bytes(frames: np.ndarray, scale: int = 4, ms_per_frame: int = 120) -> bytes:
    """Animated GIF that plays the frames forward then back, looping."""
    pil = [to_pil(f, scale) for f in frames]
    sequence = pil + pil[-2:0:-1]
    buf = io.BytesIO()
    sequence[0].save(
        buf, format="GIF", save_all=True, append_images=sequence[1:], duration=ms_per_frame, loop=0
    )
    return buf.getvalue()


def digit_row(
    images: np.ndarray | Sequence[np.ndarray],
    captions: Sequence[str] | None = None,
    columns: int | None = None,
    scale: int = 3,
    width: int | Literal["content"] = "content",
) -> None:
    """Show digits side by side, each with an optional caption, wrapping after ``columns``.

    ``width``: "content" shows each picture at its size, shrunk to its column, but Streamlit
    widens a picture to a caption longer than it; pixels fix the size, for rows whose columns
    are wide and whose captions are long (the multimodal page's walk)."""
    images = list(images)
    columns = columns or len(images)
    for start in range(0, len(images), columns):
        cols = st.columns(columns)
        for j, img in enumerate(images[start : start + columns]):
            caption = captions[start + j] if captions else None
            cols[j].image(to_pil(img, scale), caption=caption, width=width, output_format="PNG")
