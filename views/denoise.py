"""Denoise & anomalies: corrupt validation digits and let each model clean them; then show the
validation digits a model reconstructs worst, i.e. what it finds unusual."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core.models.registry import ENCODER_KINDS
from core.training.checkpoints import CheckpointInfo
from ui import compute, images, state, widgets

NOISES = {"gaussian": "Gaussian", "salt_pepper": "Salt & pepper"}
SHOWN = 10  # digits per row in the denoising strip
DEFAULT_MODELS = ("dae_k16", "ae_k16", "vae_k16")


def describe(info: CheckpointInfo) -> str:
    noise = info.trained.get("noise_std", 0.0)
    return f"{info.name} (trained on noisy input, σ={noise:g})" if noise else info.name


def new_digits() -> None:
    st.session_state["denoise_seed"] += 1


def image_row(label: str, row: np.ndarray) -> None:
    left, right = st.columns([1, 6], vertical_alignment="center")
    left.markdown(label)
    right.image(images.to_pil(images.tile(row), scale=3), output_format="PNG")  # crisp pixels


selection = state.current()
noun = selection.noun  # "digit" or "item"
candidates = {i.name: i for i in state.models_for(selection.dataset, ENCODER_KINDS)}
if not candidates:
    st.info(
        f"No autoencoder or VAE is trained on **{selection.dataset}** yet: train one on the "
        "Train page, or pick another dataset in the sidebar."
    )
    st.stop()

preferred = [selection.model.name] if selection.has_encoder else []
preferred += [n for n in DEFAULT_MODELS if n in candidates]
preferred = list(dict.fromkeys(preferred)) or list(candidates)[:2]
state.init(denoise_noise="gaussian", denoise_std=0.4, denoise_sp=0.2, denoise_seed=0)
state.init(denoise_top=24)
kept = [n for n in st.session_state.get("denoise_models", []) if n in candidates]
st.session_state["denoise_models"] = kept or preferred[:3]  # a multiselect: keep what is valid
state.pick("denoise_anomaly_model", list(candidates), preferred)

st.title("Denoise & anomalies")
st.caption(
    "An autoencoder can only draw what its code can describe, so noise it never learned to "
    "encode tends to vanish in the reconstruction. A denoising AE is trained for exactly this: "
    f"noisy {noun}s in, clean {noun}s as the target. Everything below uses the validation split, "
    f"{noun}s no model saw during training."
)

st.header("Denoise")
controls = st.columns([2, 3, 6, 2], vertical_alignment="bottom")
noise = controls[0].radio("Noise", list(NOISES), key="denoise_noise", format_func=NOISES.get)
if noise == "gaussian":
    amount = controls[1].slider("Noise std σ", 0.0, 1.0, step=0.05, key="denoise_std")
    amount_label = f"σ = {amount:g}"
else:
    amount = controls[1].slider("Fraction of pixels hit", 0.0, 0.6, step=0.02, key="denoise_sp")
    amount_label = f"{amount:.0%} of pixels"
chosen = controls[2].multiselect("Models", list(candidates), key="denoise_models")
controls[3].button(f"New {noun}s", key="denoise_new", on_click=new_digits, icon=":material/casino:")

seed = st.session_state["denoise_seed"]
clean, noisy = compute.noisy_validation(selection.dataset, noise, float(amount), seed)
pick = np.random.default_rng(seed).choice(len(clean), size=min(SHOWN, len(clean)), replace=False)
recons = {
    name: compute.denoised(candidates[name], selection.dataset, noise, float(amount), seed)
    for name in chosen
}

image_row("**Clean**", clean[pick])
image_row(f"**Noisy** ({amount_label})", noisy[pick])
for name, recon in recons.items():
    image_row(f"**{name}**", recon[pick])
if not chosen:
    st.info(f"Pick one or more models to see them clean the noisy {noun}s.")

outputs = {"noisy input": noisy} | {describe(candidates[n]): r for n, r in recons.items()}
widgets.score_table(compute.cleanup_scores(clean, outputs))
st.caption(
    f"Means over all {len(clean):,} validation {noun}s with this noise (seed {seed}), each "
    "compared with its clean original. Lower MSE, higher PSNR and SSIM are better."
)

st.header("What the model finds unusual")
st.caption(
    f"Every validation {noun}, clean, through the model: the ones it reconstructs worst are those "
    f"least like what it learned. Each pair: the {noun} above its reconstruction, captioned "
    "with its dataset index, label and error (MSE per pixel)."
)
left, right = st.columns([3, 2])
anomaly_name = left.selectbox(
    "Model",
    list(candidates),
    key="denoise_anomaly_model",
    format_func=lambda n: candidates[n].label,
)
top = right.slider("How many", 8, 48, step=8, key="denoise_top")
info = candidates[anomaly_name]
worst, errors, median, recon = compute.unusual_digits(info, selection.dataset, top)
data = compute.dataset(selection.dataset)
val_images, val_labels = data.split("val")
st.markdown(
    f"Median error of the {len(errors):,} validation {noun}s: **{median:.4f}**; these {len(worst)} "
    f"have **{errors[worst[-1]]:.4f}–{errors[worst[0]]:.4f}** "
    f"({errors[worst[-1]] / median:.1f}–{errors[worst[0]] / median:.1f}× the median)."
)
pairs = [
    np.concatenate([val_images[i].numpy(), images.to_uint8(recon[i])]) for i in worst
]  # [56, 28]
captions = [
    f"#{int(data.val_idx[i])} · {data.class_names[int(val_labels[i])]} · {errors[i]:.3f}"
    for i in worst
]
images.digit_row(pairs, captions, columns=8, scale=4)  # wider than a caption: equal sizes
