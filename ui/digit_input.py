"""The "Your digit" input: upload a picture or draw on a canvas, prepared like MNIST, with every
preprocessing step shown.

The prepared digit lives in ``st.session_state["reconstruct_input"]`` (a PreprocessResult), so
reruns, other widgets and a later bad upload never lose it; a bad input keeps the previous digit
and says why.
"""

from __future__ import annotations

import hashlib
import logging
import re

import numpy as np
import streamlit as st
from PIL import Image

from core.data.preprocess import (
    PreprocessError,
    PreprocessResult,
    preprocess_array,
    preprocess_bytes,
)
from ui import state

try:  # the canvas is a custom component tied to Streamlit's component API version
    from streamlit_drawable_canvas import st_canvas
except Exception as exc:  # any failure just means: no canvas here
    st_canvas, CANVAS_PROBLEM = None, f"{type(exc).__name__}: {exc}"

log = logging.getLogger(__name__)

CANVAS_SIDE = 280  # px: 10x MNIST's 28, so a stroke of 20 px ends up about 2 px wide
STROKE = 20
STEP_SIDE = 112  # px: how large each preprocessing step is shown


def use_input(source: str, make) -> None:
    """Run one preprocessing; success replaces the input, failure keeps it and says why."""
    try:
        result = make()
    except PreprocessError as exc:
        st.session_state["reconstruct_error"] = f"**{source}**: {exc}"
        return
    except Exception:  # a decoder bug must reach the log, not the user as a traceback
        log.exception("preprocessing %s failed", source)
        st.session_state["reconstruct_error"] = (
            f"**{source}**: this picture could not be read. Try saving it as PNG or JPEG."
        )
        return
    st.session_state["reconstruct_input"] = result
    st.session_state["reconstruct_source"] = source
    st.session_state["reconstruct_error"] = None


def safe_name(name: str) -> str:
    """A file name fit to print in Markdown (no markup, at most 60 characters)."""
    return re.sub(r"[^\w.\- ]", "_", name)[:60] or "file"


def show_step(column, image: np.ndarray, caption: str) -> None:
    """One preprocessing step, scaled so its longer side is STEP_SIDE px (crisp when enlarged)."""
    pil = Image.fromarray(image)
    scale = STEP_SIDE / max(pil.size)
    size = (max(1, round(pil.width * scale)), max(1, round(pil.height * scale)))
    resample = Image.Resampling.NEAREST if scale >= 1 else Image.Resampling.BOX
    column.image(pil.resize(size, resample), caption=caption, width=size[0])


def render(noun: str) -> PreprocessResult | None:
    """The upload and draw tabs beside the steps of the current input; returns that input."""
    state.init(
        reconstruct_input=None,  # PreprocessResult | None
        reconstruct_source="",  # where the input came from, for captions
        reconstruct_error=None,  # the last bad input's message
        reconstruct_seen={"upload": None, "canvas": None},
    )
    seen = st.session_state["reconstruct_seen"]
    source_column, steps_column = st.columns([1, 2], gap="large")
    with source_column:
        upload_tab, draw_tab = st.tabs(["Upload", "Draw"])
        with upload_tab:
            _upload(seen)
        with draw_tab:
            _draw(seen, noun)
    result: PreprocessResult | None = st.session_state["reconstruct_input"]
    with steps_column:
        _steps(result, noun)
    return result


def _upload(seen: dict) -> None:
    """The file uploader; a new file (``seen["upload"]``: the last one's id) is prepared."""
    uploaded = st.file_uploader(
        "A picture of one digit",
        key="reconstruct_upload",
        help="PNG, JPEG, BMP, GIF, WebP or TIFF (an animation's first frame). Dark ink on "
        "light paper and light ink on dark both work.",
    )
    upload_id = uploaded.file_id if uploaded is not None else None
    if upload_id is not None and upload_id != seen["upload"]:
        data = uploaded.getvalue()
        use_input(safe_name(uploaded.name), lambda: preprocess_bytes(data))
    seen["upload"] = upload_id


def _draw(seen: dict, noun: str) -> None:
    """The canvas; a changed drawing (``seen["canvas"]``: its pixels' hash) is prepared."""
    if st_canvas is None:
        st.info(
            "Drawing is not available with this version of Streamlit "
            f"(streamlit-drawable-canvas could not load: {CANVAS_PROBLEM}). Upload a "
            "picture instead."
        )
        return
    st.caption(f"Draw one {noun}, large, in the middle of the square.")
    drawing = st_canvas(
        stroke_width=STROKE,
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=CANVAS_SIDE,
        width=CANVAS_SIDE,
        drawing_mode="freedraw",
        return_image_data=True,
        key="reconstruct_canvas",
    )
    pixels = drawing.image_data  # uint8 [H, W, 4], or None before the first stroke
    strokes = (drawing.json_data or {}).get("objects") or []
    if pixels is not None and strokes:
        signature = hashlib.sha1(pixels.tobytes()).hexdigest()
        if signature != seen["canvas"]:
            seen["canvas"] = signature
            use_input("Your drawing", lambda: preprocess_array(pixels))


def _steps(result: PreprocessResult | None, noun: str) -> None:
    """The last bad input's message, and the current input's preprocessing steps."""
    error = st.session_state["reconstruct_error"]
    if error:
        kept = " Still showing your previous digit below." if result is not None else ""
        st.error(error + kept, icon=":material/error:")
    if result is None:
        st.info(f"Upload a picture of {state.with_article(noun)}, or draw one, to begin.")
        return
    st.markdown(f"**{st.session_state['reconstruct_source']}**, step by step")
    columns = st.columns(len(result.steps))
    for column, (name, step) in zip(columns, result.steps, strict=True):
        show_step(column, step, name)
    st.caption(
        ("Dark ink on light paper: inverted. " if result.inverted else "")
        + "Cropped to the ink, the longer side scaled to 20 px keeping the aspect ratio, "
        "then pasted into 28 x 28 with the centre of mass in the middle, as in MNIST."
    )
