"""Home: what the three model families are, and the selected model at work on real digits."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui import images, state
from ui.compute import codes
from ui.navigation import PAGES

selection = state.current()
noun = selection.noun  # "digit" or "item"
st.title("Latent Lab")
what = "a handwritten digit" if noun == "digit" else "a picture of a piece of clothing"
st.markdown(
    f"Explore what neural networks learn when they squeeze {what} into a few numbers and draw "
    "it back. Pick a dataset and a model in the sidebar, then open a page."
)

FAMILIES = [
    (
        "Autoencoder",
        f"An encoder $f$ maps {state.with_article(noun)} to a short code; a decoder $g$ maps it "
        "back. "
        "With linear $f$ and $g$ the best autoencoder spans the same space as PCA.",
        [
            r"f:\mathbb{R}^d\to\mathbb{R}^k,\quad g:\mathbb{R}^k\to\mathbb{R}^d,\quad k<d",
            r"\min_{f,g}\; \mathbb{E}\,\lVert x - g(f(x))\rVert^2",
        ],
    ),
    (
        "Variational AE",
        "The encoder outputs a distribution $q(z\\mid x)$; a code is sampled with the "
        "reparameterization trick, so gradients flow through $\\mu$ and $\\sigma$.",
        [
            r"z = \mu(x) + \sigma(x)\odot\varepsilon,\quad \varepsilon\sim\mathcal{N}(0,I)",
            r"-\mathrm{ELBO} = \mathbb{E}_q[-\log p(x\mid z)]"
            r" + \mathrm{KL}\big(q(z\mid x)\,\|\,\mathcal{N}(0,I)\big)",
        ],
    ),
    (
        "GAN",
        f"A generator $G$ turns noise into {noun}s; a discriminator $D$ tells real from fake. "
        f"$G$ never sees a real {noun}: it learns only from $D$'s judgement.",
        [r"\min_G\max_D\; \mathbb{E}_x[\log D(x)] + \mathbb{E}_z[\log(1-D(G(z)))]"],
    ),
]
for title, text, equations in FAMILIES:
    words, maths = st.columns([2, 3], gap="large", vertical_alignment="center")
    with words:
        st.subheader(title)
        st.markdown(text)
    with maths:
        for equation in equations:
            st.latex(equation)

st.divider()
info = selection.model
if info is None:
    st.info("No model is trained on this dataset yet: open the Train page.")
else:
    real, bottom = codes.home_row(info, selection.dataset)
    if selection.has_encoder:
        st.subheader(f"Real validation {noun}s and their reconstructions by {info.name}")
        caption = "top: x · bottom: g(f(x))"
    else:
        st.subheader(f"Real validation {noun}s and samples from {info.name}")
        caption = f"top: real {noun}s · bottom: G(z), z ~ N(0, I)"
    mosaic = images.tile(np.concatenate([real, images.to_uint8(bottom)]), columns=len(real))
    st.image(images.to_pil(mosaic, scale=3), caption=caption)
    metrics = ", ".join(f"{k.removeprefix('val_')} {v:.4g}" for k, v in info.metrics.items())
    st.caption(f"Validation metrics recorded at training: {metrics}")

st.divider()
st.subheader("Where to go")
pages = [p for p in PAGES if p.blurb]
columns = st.columns(3)
for i, spec in enumerate(pages):
    with columns[i % 3]:
        st.page_link(spec.path, label=spec.title, icon=spec.icon)
        st.caption(spec.blurb.replace("digit", noun))  # "... two digits." -> "... two items."
