"""GAN studio: samples, a walk between two random latents, the discriminator's view, and
whether the generator covers every class (mode collapse) with a classifier-feature FID."""

from __future__ import annotations

import numpy as np
import streamlit as st

from core import studio
from core.latent import decode_points, interpolate
from ui import images, loaders, state
from ui.studio import class_bars, model_of_kind, mtime, score_histogram

N_SCORED = 500  # real and generated digits the discriminator scores
N_QUALITY = 1000  # samples classified for the histogram and the FID
N_EXTREMES = 8  # digits shown at each end of D's scale

st.session_state.setdefault("gan_seed", 0)
st.session_state.setdefault("gan_grid", 8)
st.session_state.setdefault("gan_walk_seed", 1)
st.session_state.setdefault("gan_steps", 10)
st.session_state.setdefault("gan_walk_method", "slerp")


@st.cache_data(show_spinner=False, max_entries=16)
def samples(path: str, stamp: float, seed: int) -> np.ndarray:
    """The seed's N_QUALITY generated digits float32 [N, 28, 28]: the grid shows the first ones,
    D scores the first N_SCORED, the classifier judges them all."""
    return studio.sample_prior(loaders.model(path), N_QUALITY, seed)[1]


@st.cache_data(show_spinner=False, max_entries=16)
def walk(path: str, stamp: float, seed: int, steps: int, method: str) -> np.ndarray:
    z0, z1 = studio.prior_codes(2, loaders.model(path).latent_dim, seed)
    return decode_points(loaders.model(path), interpolate(z0, z1, steps, method))


@st.cache_data(show_spinner="Scoring digits with the discriminator…", max_entries=16)
def scores(path: str, stamp: float, dataset_name: str, seed: int) -> tuple[np.ndarray, ...]:
    """(N random validation digits uint8 [N, 28, 28], D on them [N], D on N samples [N])."""
    val_images = loaders.dataset(dataset_name).split("val")[0].numpy()
    n = min(N_SCORED, len(val_images))
    real = val_images[
        np.sort(np.random.default_rng(seed).choice(len(val_images), n, replace=False))
    ]
    gan = loaders.model(path)
    fake = samples(path, stamp, seed)[:n]
    return (
        real,
        studio.discriminator_probabilities(gan, real),
        studio.discriminator_probabilities(gan, fake),
    )


@st.cache_data(show_spinner="Classifying 1,000 samples and computing the FID…", max_entries=16)
def quality(
    path: str, stamp: float, classifier_stamp: float, dataset_name: str, seed: int
) -> studio.SampleQuality:
    data = loaders.dataset(dataset_name)
    return studio.sample_quality(
        loaders.classifier(),
        samples(path, stamp, seed),
        validation=data.split("val")[0],
        training=data.split("train")[0],
        seed=seed,
    )


selection = state.current()
st.title("GAN studio")
st.caption(
    "A generator G turns noise z ~ N(0, I) into digits; a discriminator D learns to tell them "
    "from real ones, and G learns only from D's judgement. G never sees a real digit."
)
info = model_of_kind(selection, "gan", key="gan_model", default="gan_k32")
path, stamp = str(info.path), mtime(info)
digits = loaders.dataset(selection.dataset)

# --- samples ---------------------------------------------------------------------------------
st.header("Samples")
left, right = st.columns([1, 2], gap="large")
with left:
    seed = int(st.number_input("Seed", 0, 2**31 - 1, step=1, key="gan_seed"))
    side = st.slider("Grid size", 2, 12, key="gan_grid", help="side x side samples")
    st.caption(
        f"Each tile is G(z) for one z ~ N(0, I) in {info.latent_dim} dimensions. The seed "
        "also draws the samples scored and classified below."
    )
with right:
    grid = images.tile(samples(path, stamp, seed)[: side * side], columns=side)
    st.image(images.to_pil(grid, scale=2))

# --- a walk between two random latents --------------------------------------------------------
st.header("A walk between two random latents")
controls = st.columns(3)
walk_seed = int(controls[0].number_input("Walk seed", 0, 2**31 - 1, step=1, key="gan_walk_seed"))
steps = controls[1].slider("Steps", 3, 16, key="gan_steps")
method = controls[2].radio(
    "Path", ["slerp", "linear"], key="gan_walk_method", horizontal=True,
    help="slerp follows the great circle, keeping |z| near the typical sqrt(k) of N(0, I); "
    "the straight line passes closer to the origin, where samples are rare.",
)  # fmt: skip
frames = walk(path, stamp, walk_seed, int(steps), method)
row, animation = st.columns([5, 1])
row.image(images.to_pil(images.tile(frames), scale=2))
row.caption(f"z0 and z1 are two draws from N(0, I) (walk seed {walk_seed}); {steps} steps.")
animation.image(images.gif_bytes(frames, scale=3), caption="there and back")

# --- the discriminator's view ------------------------------------------------------------------
st.header("The discriminator's view")
real, real_scores, fake_scores = scores(path, stamp, selection.dataset, seed)
fake = samples(path, stamp, seed)[: len(real)]
left, right = st.columns([3, 2], gap="large")
with left:
    st.plotly_chart(score_histogram(real_scores, fake_scores), key="gan_scores", width="stretch")
with right:
    metrics = st.columns(2)
    metrics[0].metric("Mean D(real)", f"{real_scores.mean():.2f}")
    metrics[1].metric("Mean D(G(z))", f"{fake_scores.mean():.2f}")
    correct = (np.sum(real_scores > 0.5) + np.sum(fake_scores <= 0.5)) / (2 * len(real))
    st.caption(
        f"D scores {len(real)} validation digits and {len(fake)} samples; thresholded at 0.5 "
        f"it is right on {correct:.0%} of them. At the game's equilibrium D cannot tell, and "
        "gives 0.5 to everything."
    )
order = np.argsort(fake_scores)[::-1][:N_EXTREMES]
st.markdown("**Samples D finds most real**")
images.digit_row(fake[order], [f"D = {fake_scores[j]:.2f}" for j in order], scale=2)
order = np.argsort(real_scores)[:N_EXTREMES]
st.markdown("**Real digits D doubts most**")
images.digit_row(real[order], [f"D = {real_scores[j]:.2f}" for j in order], scale=2)

# --- mode collapse and FID ----------------------------------------------------------------------
st.header("Which digits does G draw?")
classifier_path = loaders.CHECKPOINT_DIR / "classifier.pt"
if not classifier_path.exists():
    st.warning("checkpoints/classifier.pt is missing: without it the samples cannot be judged.")
    st.stop()
report = quality(path, stamp, classifier_path.stat().st_mtime, selection.dataset, seed)
left, right = st.columns([3, 2], gap="large")
with left:
    st.plotly_chart(class_bars(report.counts, digits.class_names), key="gan_classes",
                    width="stretch")  # fmt: skip
    st.caption(
        f"The classes the shipped digit classifier gives {N_QUALITY:,} samples (seed {seed}). "
        "A GAN that has collapsed onto a few modes draws a few classes only; a flat histogram "
        "means every class is drawn."
    )
with right:
    metrics = st.columns(2)
    metrics[0].metric(
        "FID vs validation", f"{report.fid:.1f}",
        help=f"Frechet distance between Gaussians fitted to the classifier's features of "
        f"{N_QUALITY:,} samples and of the validation digits. Lower is better.",
    )  # fmt: skip
    metrics[1].metric(
        "Real-data floor", f"{report.floor:.1f}",
        help=f"The same FID for {N_QUALITY:,} real training digits: what 'as good as real' "
        "reads with this many images.",
    )  # fmt: skip
    st.metric(
        "Classifier confidence",
        f"{report.mean_top_probability:.0%}",
        help="Mean top probability on the samples: low when they look like no digit.",
    )
    st.caption(
        "The FID uses the shipped classifier's features (not Inception's), so it is comparable "
        "only with numbers from the same classifier checkpoint. FID shrinks as the number of "
        "images grows, which is why the floor uses as many real digits as there are samples."
    )
