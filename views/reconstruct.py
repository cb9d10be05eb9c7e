"""Your digit: upload or draw one, see it prepared like MNIST, reconstructed by every AE/VAE and
by PCA, placed on a latent map, scored as an anomaly, and searched for in a GAN's latent space.

The prepared digit lives in ``st.session_state["reconstruct_input"]`` (a PreprocessResult), so
reruns, other widgets and a later bad upload never lose it.
"""

from __future__ import annotations

import hashlib
import logging
import re

import numpy as np
import pandas as pd
import streamlit as st
import torch
from PIL import Image

from core import compare
from core.checkpoints import CheckpointInfo
from core.inversion import InversionConfig, InversionResult, invert
from core.latent import nearest_neighbours, reconstruct
from core.metrics import per_image_mse
from core.preprocess import PreprocessError, PreprocessResult, preprocess_array, preprocess_bytes
from core.projection import encode_images
from ui import images, loaders, plots, state, studio

try:  # the canvas is a custom component tied to Streamlit's component API version
    from streamlit_drawable_canvas import st_canvas
except Exception as exc:  # any failure just means: no canvas here
    st_canvas, CANVAS_PROBLEM = None, f"{type(exc).__name__}: {exc}"

log = logging.getLogger(__name__)

CANVAS_SIDE = 280  # px: 10x MNIST's 28, so a stroke of 20 px ends up about 2 px wide
STROKE = 20
STEP_SIDE = 112  # px: how large each preprocessing step is shown
DIGIT_SIDE = 96  # px: each reconstruction
DEFAULT_JUDGE = "ae_k16"  # the anomaly verdict's model until the user picks another
KEPT_INVERSIONS = 8  # GAN inversion results remembered per session
VERDICTS = (  # (upper percentile, message kind, words); the error's percentile among real digits
    (75.0, "success", "Looks like a {noun}: {model} reconstructs it as well as a typical one."),
    (95.0, "info", "Probably a {noun}, if an unusual one."),
    (99.0, "warning", "Unusual: the model finds it harder than almost all real {noun}s."),
    (100.0, "error", "Probably not a {noun}, or written very unlike this dataset's {noun}s."),
)

st.session_state.setdefault("reconstruct_input", None)  # PreprocessResult | None
st.session_state.setdefault("reconstruct_source", "")  # where the input came from, for captions
st.session_state.setdefault("reconstruct_error", None)  # the last bad input's message
st.session_state.setdefault("reconstruct_seen", {"upload": None, "canvas": None})
st.session_state.setdefault("reconstruct_inversions", {})  # key -> InversionResult


# --- cached computations ----------------------------------------------------------------------


@st.cache_data(show_spinner="Fitting PCA on the training digits…", max_entries=4)
def _pixel_pca(dataset_name: str, n_components: int) -> compare.PixelPCA:
    return compare.fit_pixel_pca(loaders.dataset(dataset_name).split("train")[0], n_components)


@st.cache_data(show_spinner="Scoring the validation digits…", max_entries=64)
def _validation_errors(path: str, mtime: float, dataset_name: str) -> np.ndarray:
    """Per-image MSE [N_val] of one checkpoint on the validation split."""
    val = loaders.dataset(dataset_name).split("val")[0]
    return per_image_mse(val, compare.model_reconstruct(loaders.model(path), val)[1])


@st.cache_data(show_spinner=False, max_entries=8)
def _pca_validation_errors(dataset_name: str, n_components: int, k: int) -> np.ndarray:
    val = loaders.dataset(dataset_name).split("val")[0]
    pca = _pixel_pca(dataset_name, n_components).first(k)
    return per_image_mse(val, compare.pca_reconstruct(pca, val)[1])


@st.cache_data(show_spinner="Placing your digit on the map…", max_entries=32)
def _placed(
    path: str, mtime: float, dataset_name: str, method: str, z: np.ndarray, _info: CheckpointInfo
) -> np.ndarray:
    """The map position [2] of a code [k]; t-SNE places it with openTSNE (about a second)."""
    _, projection = loaders.latents_and_projection(_info, dataset_name, method)
    return projection.transform(z[None])[0]


# --- input ------------------------------------------------------------------------------------


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


# --- the page ---------------------------------------------------------------------------------

selection = state.current()
noun = "garment" if selection.dataset == "fashion-mnist" else "digit"
st.title("Your digit")
st.caption(
    "Upload a photo or scan of a handwritten digit, or draw one. It is prepared the way MNIST "
    "was made, then every autoencoder and VAE of this dataset, and PCA with as many "
    "components, reconstruct it."
)

seen = st.session_state["reconstruct_seen"]
source_column, steps_column = st.columns([1, 2], gap="large")
with source_column:
    upload_tab, draw_tab = st.tabs(["Upload", "Draw"])
    with upload_tab:
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
    with draw_tab:
        if st_canvas is None:
            st.info(
                "Drawing is not available with this version of Streamlit "
                f"(streamlit-drawable-canvas could not load: {CANVAS_PROBLEM}). Upload a "
                "picture instead."
            )
        else:
            st.caption("Draw one digit, large, in the middle of the square.")
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

result: PreprocessResult | None = st.session_state["reconstruct_input"]
with steps_column:
    error = st.session_state["reconstruct_error"]
    if error:
        kept = " Still showing your previous digit below." if result is not None else ""
        st.error(error + kept, icon=":material/error:")
    if result is None:
        st.info(f"Upload a picture of a {noun}, or draw one, to begin.")
    else:
        st.markdown(f"**{st.session_state['reconstruct_source']}**, step by step")
        for column, (name, step) in zip(st.columns(len(result.steps)), result.steps, strict=True):
            show_step(column, step, name)
        st.caption(
            ("Dark ink on light paper: inverted. " if result.inverted else "")
            + "Cropped to the ink, the longer side scaled to 20 px keeping the aspect ratio, "
            "then pasted into 28 x 28 with the centre of mass in the middle, as in MNIST."
        )
if result is None:
    st.stop()

digit = result.digit  # uint8 [28, 28]
digit_key = hashlib.sha1(digit.tobytes()).hexdigest()[:16]

# --- every model's reconstruction, and PCA's with as many components --------------------------

infos = state.models_for(selection.dataset, ("ae", "vae"))
st.header("Reconstructions")
if not infos:
    st.info(
        f"No autoencoder or VAE is trained on **{selection.dataset}** yet: train one on the "
        "Train page, or pick another dataset in the sidebar."
    )
    st.stop()

ks = sorted({i.latent_dim for i in infos})
pca = _pixel_pca(selection.dataset, ks[-1])
rows = []  # one per method: name, family, k, recon [28, 28], error, validation errors [N_val]
for k in ks:
    recon = compare.pca_reconstruct(pca.first(k), digit[None])[1][0]
    val_errors = _pca_validation_errors(selection.dataset, ks[-1], k)
    rows.append((f"PCA k={k}", "PCA", k, recon, val_errors))
for info in sorted(infos, key=lambda i: (i.latent_dim, i.kind, i.name)):
    recon = reconstruct(loaders.model(info.path), digit[None])[0]
    val_errors = _validation_errors(str(info.path), studio.mtime(info), selection.dataset)
    rows.append((info.name, compare.family(info), info.latent_dim, recon, val_errors))

table = []
for name, family, k, recon, val_errors in rows:
    error = float(per_image_mse(digit[None], recon[None])[0])
    percentile = 100.0 * float((val_errors < error).mean())
    table.append({"method": name, "family": family, "k": k, "MSE": error, "pct": percentile})

columns = st.columns(1 + len(ks))
columns[0].markdown("**Input**")
columns[0].image(images.to_pil(digit, 4), caption="28 x 28", width=DIGIT_SIDE)
for column, k in zip(columns[1:], ks, strict=True):
    column.markdown(f"**k = {k}**")
    for (name, _, row_k, recon, _), row in zip(rows, table, strict=True):
        if row_k == k:
            caption = f"{name} · MSE {row['MSE']:.4f}"
            column.image(images.to_pil(recon, 4), caption=caption, width=DIGIT_SIDE)
st.caption(
    "k is the size of the code: the number of latent dimensions of each model, and of "
    "principal components for PCA (fitted on the training digits). MSE is per pixel, in [0, 1]."
)

# --- is this a digit? -------------------------------------------------------------------------

st.header(f"Is this a {noun}?")
names = {i.name: i for i in infos}
if st.session_state.get("reconstruct_judge") not in names:
    st.session_state["reconstruct_judge"] = (
        DEFAULT_JUDGE if DEFAULT_JUDGE in names else next(iter(names))
    )
judge = names[
    st.columns([1, 2])[0].selectbox(
        "Model that judges",
        list(names),
        key="reconstruct_judge",
        format_func=lambda n: names[n].label,
        help="A 2-D code reconstructs every digit roughly, so it judges poorly; "
        "a code of 16 numbers tells typical from unusual much better.",
    )
]
verdict_row = next(r for r in table if r["method"] == judge.name)
percentile = verdict_row["pct"]
kind, words = next((kind, words) for upper, kind, words in VERDICTS if percentile <= upper)
getattr(st, kind)(
    f"**{words.format(noun=noun, model=judge.name)}** Its reconstruction error "
    f"({verdict_row['MSE']:.4f}) is higher than that of **{percentile:.1f}%** of the validation "
    f"{noun}s."
)
st.caption(
    "An autoencoder learns to reconstruct what it was trained on; things unlike its training "
    f"{noun}s come back worse. The percentile places your error among the errors of the "
    f"validation {noun}s (never seen in training). Each model's and PCA's percentile:"
)
st.dataframe(
    pd.DataFrame(table).rename(columns={"pct": "worse than % of validation"}),
    hide_index=True,
    width="stretch",
    height=35 * (len(table) + 1) + 3,  # every row, no inner scrolling
    column_config={
        "MSE": st.column_config.NumberColumn(format="%.4f"),
        "worse than % of validation": st.column_config.ProgressColumn(
            min_value=0, max_value=100, format="%.1f%%"
        ),
    },
)

# --- where it lands on the latent map ---------------------------------------------------------

st.header("Where it lands")
mapped = selection.model if selection.has_encoder else judge
whose = "the sidebar's model" if selection.has_encoder else "the judge above"
st.caption(f"On the map of **{mapped.label}** ({whose}), with the 5 nearest map digits.")
methods = (["raw"] if mapped.latent_dim == 2 else []) + ["pca", "tsne"]
if st.session_state.get("reconstruct_method") not in methods:
    st.session_state["reconstruct_method"] = methods[0]
method = st.radio(
    "Projection",
    methods,
    key="reconstruct_method",
    format_func=plots.PROJECTIONS.get,
    horizontal=True,
)
model = loaders.model(mapped.path)
latents, projection = loaders.latents_and_projection(mapped, selection.dataset, method)
map_digits = loaders.map_dataset(selection.dataset)
labels = map_digits.labels.numpy()
z = encode_images(model, torch.from_numpy(digit)[None])[0]  # [k]
mtime = studio.mtime(mapped)
point = _placed(str(mapped.path), mtime, selection.dataset, method, z, mapped)  # [2]
neighbours, distances = nearest_neighbours(latents, z, n=5)

map_column, neighbour_column = st.columns([3, 2], gap="medium")
with map_column:
    fig = plots.latent_map(
        projection.coords,
        labels,
        map_digits.class_names,
        axis_titles=plots.AXIS_TITLES[method],
        highlight={f"your {noun}": point[None]},
        height=520,
    )
    plots.add_points(fig, projection.coords[neighbours], "5 nearest", color="#d62728", size=12)
    st.plotly_chart(fig, key="reconstruct_map", width="stretch")
    if method == "tsne":
        st.caption(
            "t-SNE has no formula for new points: openTSNE places yours by optimising its "
            "position against the fixed map, so it lands near digits with similar codes."
        )
with neighbour_column:
    st.markdown(f"**{mapped.name}**'s code for your {noun}, and its 5 nearest {noun}s")
    st.code(np.array2string(z, precision=3, max_line_width=60, suppress_small=True))
    captions = [
        f"{map_digits.class_names[labels[j]]} · d={d:.2f}"
        for j, d in zip(neighbours, distances, strict=True)
    ]
    images.digit_row(map_digits.images[neighbours].numpy(), captions, scale=2)
    st.caption("Nearest in the latent space (Euclidean distance d between codes).")

# --- the closest image a GAN can make ---------------------------------------------------------

st.header("The closest image a GAN can make")
st.caption(
    "A GAN has no encoder. To find where your digit would be in its latent space we search: "
    "start from random codes z and follow the gradient of the pixel error between G(z) and "
    "your digit (Adam), keeping the best code found."
)
gan_info: CheckpointInfo = studio.model_of_kind(
    selection, "gan", key="reconstruct_gan", default="gan_k32"
)
settings = st.columns([2, 1, 2], vertical_alignment="bottom")
steps = settings[0].slider("Steps", 50, 1000, 300, step=50, key="reconstruct_steps")
seed = settings[1].number_input("Seed", 0, 10_000, 0, key="reconstruct_seed")
config = InversionConfig(steps=int(steps), seed=int(seed))
inversions: dict = st.session_state["reconstruct_inversions"]
run_key = (digit_key, str(gan_info.path), studio.mtime(gan_info), config)
if settings[2].button("Search the GAN's latent space", key="reconstruct_invert", type="primary"):
    bar = st.progress(0.0, text="Searching…")

    def _progress(p) -> None:
        if p.step % 10 == 0 or p.step == p.steps:
            bar.progress(p.fraction, text=f"Step {p.step} of {p.steps} · MSE {p.best_mse:.4f}")

    gan = loaders.model(gan_info.path)
    inversions[run_key] = invert(gan, digit, config, callback=_progress)
    while len(inversions) > KEPT_INVERSIONS:
        inversions.pop(next(iter(inversions)))  # the oldest
    bar.empty()

found: InversionResult | None = inversions.get(run_key)
if found is None:
    st.info(f"Press the button to search ({config.steps} steps, with a progress bar).")
else:
    left, right = st.columns([2, 3], gap="medium")
    with left:
        images.digit_row(
            [digit, found.image], [f"your {noun}", f"G(z*) · MSE {found.mse:.4f}"], scale=4
        )
        best_ae = min(table, key=lambda r: r["MSE"] if r["family"] != "PCA" else np.inf)
        st.caption(
            f"From {config.restarts} random starts (best start: MSE {found.initial_mse:.4f}), "
            f"{found.steps_run} steps reached MSE {found.mse:.4f}. For comparison the best "
            f"autoencoder here, {best_ae['method']}, reconstructs it with MSE {best_ae['MSE']:.4f}."
        )
    with right:
        fig = plots.line_chart(
            range(len(found.history)), {"best MSE": found.history}, "step", "per-pixel MSE"
        )
        fig.update_traces(mode="lines")
        st.plotly_chart(fig, key="reconstruct_inversion_curve", width="stretch")
