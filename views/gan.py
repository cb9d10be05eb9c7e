"""GAN studio: samples, a walk between two random latents, the discriminator's view, and
whether the generator covers every class (mode collapse) with a classifier-feature FID."""

from __future__ import annotations

import streamlit as st

from ui import images, map_explorer, pickers, plots, state, widgets
from ui.compute import codes, resources, studios
from ui.explorer import MAX_SLIDERS, code_sliders

N_EXTREMES = 8  # images shown at each end of D's scale

state.init(gan_seed=0, gan_grid=8, gan_walk_seed=1, gan_steps=10, gan_walk_method="slerp")
state.init(gan_edit=0, gan_filtered=False)

selection = state.current()
st.title("GAN studio")
st.caption(
    "A generator G turns noise z ~ N(0, I) into images; a discriminator D learns to tell them "
    "from real ones, and G learns only from D's judgement. G never sees a real image."
)
info = pickers.model_of_kind(selection, "gan", key="gan_model", default="gan_k32")
digits = resources.dataset(selection.dataset)
noun = digits.noun  # "digit" or "item"

# --- samples ---------------------------------------------------------------------------------
st.header("Samples")
left, right = st.columns([1, 2], gap="large")
with left:
    seed = widgets.seed_input(st, "gan_seed")
    side = st.slider("Grid size", 2, 12, key="gan_grid", help="side x side samples")
    filtered = st.toggle(
        "Let D pick the best half",
        key="gan_filtered",
        help="Draw twice as many z and keep the half whose G(z) the discriminator finds most "
        "real: a simple form of discriminator rejection sampling (Azadi et al., ICLR 2019). "
        "Everything below then describes the kept samples. It can cost variety: D may prefer "
        "some classes (on Fashion-MNIST it drops trousers); the class histogram shows it.",
    )
    kept = (
        f" Of {studios.GAN_SAMPLES / studios.D_KEEPS:,.0f} draws, D kept the "
        f"{studios.GAN_SAMPLES:,} it finds most real."
        if filtered
        else ""
    )
    st.caption(
        f"Each tile is G(z) for one z ~ N(0, I) in {info.latent_dim} dimensions.{kept} The seed "
        "also draws the samples scored and classified below."
    )
with right:
    grid = images.tile(studios.gan_samples(info, seed, filtered)[: side * side], columns=side)
    st.image(images.to_pil(grid, scale=2))

# --- one sample's z, on sliders ----------------------------------------------------------------
st.header("Move one sample's z")
shown = side * side
if st.session_state["gan_edit"] >= shown:  # the grid shrank below the chosen tile
    st.session_state["gan_edit"] = 0
left, right = st.columns([1, 3], gap="large")
with left:
    tile = int(st.number_input(f"Sample (of {shown})", 0, shown - 1, step=1, key="gan_edit"))
    st.caption(
        "Tiles count from 0 at the top left, row by row. Each slider moves one number of its "
        f"z; your browser runs G on every move (first {min(MAX_SLIDERS, info.latent_dim)} of "
        f"{info.latent_dim} dimensions)."
    )
with right:
    code_sliders(
        map_explorer.decoder(info),
        studios.gan_code(info, seed, tile, filtered),
        key="gan_sliders",
        caption=f"z of sample {tile} (seed {seed})",
    )

# --- a walk between two random latents --------------------------------------------------------
st.header("A walk between two random latents")
controls = st.columns(3)
walk_seed = widgets.seed_input(controls[0], "gan_walk_seed", "Walk seed")
steps = controls[1].slider("Steps", 3, 16, key="gan_steps")
method = controls[2].radio(
    "Path",
    ["slerp", "linear"],
    key="gan_walk_method",
    horizontal=True,
    help="slerp follows the great circle, keeping |z| near the typical sqrt(k) of N(0, I); "
    "the straight line passes closer to the origin, where samples are rare.",
)
_, frames = codes.walk(info, *codes.random_codes(info, walk_seed), int(steps), method)
row, animation = st.columns([5, 1])
row.image(images.to_pil(images.tile(frames), scale=2))
row.caption(f"z0 and z1 are two draws from N(0, I) (walk seed {walk_seed}); {steps} steps.")
animation.image(images.gif_bytes(frames, scale=3), caption="there and back")

# --- the discriminator's view ------------------------------------------------------------------
st.header("The discriminator's view")
real, real_scores, fake, fake_scores = studios.discriminator_scores(
    info, selection.dataset, seed, filtered
)
left, right = st.columns([3, 2], gap="large")
with left:
    histogram = plots.score_histogram(real_scores, fake_scores, noun)
    st.plotly_chart(histogram, key="gan_scores", width="stretch")
with right:
    metrics = st.columns(2)
    metrics[0].metric("Mean D(real)", f"{real_scores.mean():.2f}")
    metrics[1].metric("Mean D(G(z))", f"{fake_scores.mean():.2f}")
    correct = studios.discriminator_accuracy(real_scores, fake_scores)
    st.caption(
        f"D scores {len(real)} validation {noun}s and {len(fake)} samples; thresholded at 0.5 "
        f"it is right on {correct:.0%} of them. At the game's equilibrium D cannot tell, and "
        "gives 0.5 to everything."
    )
most_real, most_doubted = studios.discriminator_extremes(real_scores, fake_scores, N_EXTREMES)
st.markdown("**Samples D finds most real**")
images.digit_row(fake[most_real], [f"D = {fake_scores[j]:.2f}" for j in most_real], scale=2)
st.markdown(f"**Real {noun}s D doubts most**")
images.digit_row(real[most_doubted], [f"D = {real_scores[j]:.2f}" for j in most_doubted], scale=2)

# --- mode collapse and FID ----------------------------------------------------------------------
st.header(f"Which {noun}s does G draw?")
report = studios.gan_quality(info, selection.dataset, seed, filtered)
if report is None:
    st.warning(
        f"No classifier of this dataset's {noun}s is in checkpoints/ (classifier.pt for digits, "
        "fashion_classifier.pt for Fashion-MNIST): without one the samples cannot be judged."
    )
    st.stop()
left, right = st.columns([3, 2], gap="large")
with left:
    bars = plots.class_bars(report.counts, digits.class_names, noun)
    st.plotly_chart(bars, key="gan_classes", width="stretch")
    st.caption(
        f"The classes the shipped {noun} classifier gives {studios.GAN_SAMPLES:,} samples "
        f"(seed {seed}{', kept by D' if filtered else ''}). "
        "A GAN that has collapsed onto a few modes draws a few classes only; a flat histogram "
        "means every class is drawn."
    )
with right:
    metrics = st.columns(2)
    metrics[0].metric(
        "FID vs validation",
        f"{report.fid:.1f}",
        help=f"Frechet distance between Gaussians fitted to the classifier's features of "
        f"{studios.GAN_SAMPLES:,} samples and of the validation {noun}s. Lower is better.",
    )
    metrics[1].metric(
        "Real-data floor",
        f"{report.floor:.1f}",
        help=f"The same FID for {studios.GAN_SAMPLES:,} real training {noun}s: what 'as good as "
        "real' reads with this many images.",
    )
    st.markdown(
        f"FID = **{report.fid / report.floor:.1f}x** the real-data floor (the shipped GANs aim "
        "at 3x or less)."
    )
    st.metric(
        "Classifier confidence",
        f"{report.mean_top_probability:.0%}",
        help=f"Mean top probability on the samples: low when they look like no {noun}.",
    )
    st.caption(
        "The FID uses the shipped classifier's features (not Inception's), so it is comparable "
        "only with numbers from the same classifier checkpoint. FID shrinks as the number of "
        f"images grows, which is why the floor uses as many real {noun}s as there are samples."
    )
