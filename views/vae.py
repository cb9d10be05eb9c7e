"""VAE studio: samples from the prior, the decoded 2-D manifold, the reparameterization trick
on one digit, and which latent dimensions carry information (KL per dimension)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.analysis.posterior import ACTIVE_UNIT_THRESHOLD
from ui import images, map_explorer, pickers, plots, state, widgets
from ui.compute import maps, resources, studios
from ui.explorer import MAX_SLIDERS, code_sliders
from ui.playback import how_it_learned

state.init(vae_seed=0, vae_grid=8, vae_extent=2.0, vae_tiles=15, vae_class=3, vae_which=0)
state.init(vae_samples=6, vae_eps_seed=0, vae_zoom=True, vae_manifold_points=False)

selection = state.current()
st.title("VAE studio")
digits = resources.map_dataset(selection.dataset)
noun = digits.noun  # "digit" or "item"
st.caption(
    f"A VAE's encoder gives each {noun} a distribution q(z|x) = N(mu, sigma^2) instead of one "
    "code, and its training pulls those distributions towards the prior N(0, I). So any z "
    f"drawn from N(0, I) should decode to {state.with_article(noun)}."
)
info = pickers.model_of_kind(selection, "vae", key="vae_model", default="vae_k2")
k = info.latent_dim
labels = digits.labels.numpy()
names = digits.class_names

# --- samples from the prior ------------------------------------------------------------------
st.header("Samples from the prior")
left, right = st.columns([1, 2], gap="large")
with left:
    seed = widgets.seed_input(st, "vae_seed")
    side = st.slider("Grid size", 2, 12, key="vae_grid", help="side x side samples")
    st.caption(
        f"Each tile is g(z) for one z ~ N(0, I) in {k} dimensions. The same seed always "
        "draws the same codes."
    )
with right:
    st.image(images.to_pil(studios.prior_grid(info, side, int(seed)), scale=2))

# --- the decoded manifold (2-D latents only) ------------------------------------------------
st.header("The decoded manifold")
if k != 2:
    st.info(
        f"{info.name} has a {k}-D latent space: the manifold can only be tiled for a 2-D "
        "latent. Pick vae_k2 in the sidebar (or above) to see it."
    )
else:
    left, right = st.columns([1, 3], gap="large")  # room for a near-square map beside its preview
    with left:
        extent = st.slider(
            "Range (± sigma of the prior)",
            0.5,
            4.0,
            step=0.25,
            key="vae_extent",
            help="The lattice covers [-r, r] x [-r, r]; 95% of N(0, I) lies within ±2.",
        )
        tiles = st.slider(f"{noun.title()}s per side", 5, 25, key="vae_tiles")
        show_codes = st.toggle(
            f"Show the {noun}s' codes",
            key="vae_manifold_points",
            help=f"Each map {noun}'s mean mu, coloured by its label, over the mosaic.",
        )
        st.caption(
            f"g(z) over a {tiles} x {tiles} lattice: z1 from {-extent:g} (left) to {extent:g} "
            f"(right), z2 from {extent:g} (top) to {-extent:g} (bottom). Far outside ±2 the "
            "prior has almost no mass and the decoder was never asked to draw anything. "
            "Point anywhere on it: your browser decodes the z under the pointer."
        )
    with right:
        prior_box = ((-float(extent), float(extent)),) * 2
        map_explorer.checkpoint_map(
            info,
            selection.dataset,
            "raw",
            names,
            key="vae_manifold",
            points=show_codes,  # the map's codes, or none: the mosaic alone
            background=maps.manifold_background(info, prior_box, int(tiles)),
            background_opacity=0.45 if show_codes else 1.0,
            height=440,
        )

# --- the reparameterization trick ------------------------------------------------------------
st.header("The reparameterization trick")
st.latex(
    r"z = \mu(x) + \sigma(x)\odot\varepsilon,\quad \varepsilon\sim\mathcal{N}(0, I)"
    r"\qquad -\mathrm{ELBO}(x) = "
    r"\underbrace{\mathbb{E}_{q}[-\log p(x\mid z)]}_{\text{reconstruction}}"
    r" + \underbrace{\mathrm{KL}(q(z\mid x)\,\|\,\mathcal{N}(0,I))}_{\text{KL}}"
)
controls = st.columns(4)
index = pickers.digit_picker(controls, "vae_class", "vae_which", digits)  # unseen in training
n_samples = controls[2].slider("Samples of eps", 1, 12, key="vae_samples")
eps_seed = widgets.seed_input(controls[3], "vae_eps_seed", "eps seed")
trick = studios.reparameterization(info, selection.dataset, index, int(n_samples), int(eps_seed))

map_col, digits_col = st.columns([3, 2], gap="medium")
with map_col:
    method = maps.map_methods(info)[0]  # raw for a 2-D latent, else PCA: both linear
    _, projection = maps.latents_and_projection(info, selection.dataset, method)
    centre, ellipses, z_xy, zoomed = studios.posterior_on_map(
        info, selection.dataset, method, trick
    )
    zoom = st.toggle(f"Zoom in on the {noun}", key="vae_zoom")
    half = zoomed if zoom else None
    axes = ("z1", "z2") if k == 2 else ("PC 1", "PC 2")
    fig = plots.latent_map(projection.coords, labels, names, axis_titles=axes, height=520)
    fig = plots.add_posterior(fig, centre, ellipses, z_xy, zoom=half)
    fig.update_layout(uirevision=f"vae-{info.name}-{index}-{zoom}")
    st.plotly_chart(fig, key="vae_map", width="stretch")
    if k == 2:
        st.caption(
            f"The raw 2-D latent: each dot is the mean mu of {state.with_article(noun)}. The solid "
            "and dashed curves are the exact 1- and 2-sigma contours of q(z|x) = "
            "N(mu, diag(sigma^2)) (39% and 86% of its mass); the red dots are the sampled z."
        )
    else:
        st.caption(
            f"A PCA map of the {k}-D latent. The z are {k}-D samples projected with the map's "
            "PCA; PCA is linear, so the curves are the exact 1- and 2-sigma contours of the "
            "projected q(z|x), not of q itself."
        )
with digits_col:
    st.subheader(f"{noun.title()} #{index} · label {names[labels[index]]}")
    images.digit_row([digits.images[index].numpy(), trick.mean_decoded], ["x", "g(mu)"], scale=4)
    images.digit_row(
        trick.decoded,
        [f"z{j + 1}: {r:.0f}" for j, r in enumerate(trick.recon)],
        columns=6,
        scale=2,
    )
    st.caption("Each sampled z decoded, with its reconstruction term -log p(x|z) in nats.")
    metrics = st.columns(3)
    metrics[0].metric(
        "Recon (nats)",
        f"{trick.recon_mean:.1f}",
        help=f"Mean of -log p(x|z) over the {len(trick.recon)} sampled z "
        "(a Monte Carlo estimate of the expectation).",
    )
    metrics[1].metric("KL (nats)", f"{trick.kl:.2f}", help="Analytic, summed over dimensions.")
    metrics[2].metric("-ELBO (nats)", f"{trick.neg_elbo:.1f}", help="Reconstruction + KL.")
    beta = info.trained.get("beta", 1.0)
    if beta != 1.0:
        st.caption(f"{info.name} was trained with beta = {beta:g}; these numbers use beta = 1.")

table = pd.DataFrame(
    {
        "dimension": [f"z{u + 1}" for u in range(k)],
        "mu": trick.mu,
        "sigma": trick.sigma,
        "KL (nats)": trick.kl_per_dim,
    }
)
with st.expander(f"mu, sigma and KL of {noun} #{index}, per dimension"):
    st.dataframe(table.round(3), hide_index=True, width="stretch")

st.subheader(f"Move the code of {noun} #{index}")
st.caption(
    f"Start from its posterior mean mu and move one dimension at a time (the first "
    f"{min(MAX_SLIDERS, k)} of {k}): your browser runs the decoder on every move. A grey "
    "dimension in the KL chart below changes little or nothing."
)
code_sliders(
    map_explorer.decoder(info), trick.mu, key="vae_sliders", caption=f"mu of {noun} #{index}"
)

# --- KL per latent dimension -----------------------------------------------------------------
st.header("KL per latent dimension")
report = studios.kl_report(info, selection.dataset)
active = report.active
chart, text = st.columns([3, 2], gap="large")
chart.plotly_chart(plots.dimension_bars(report.kl, active), key="vae_kl", width="stretch")
text.markdown(
    f"Mean KL(q(z_u|x) || N(0, 1)) of each dimension over the {report.n_images:,} validation "
    f"{noun}s. Their sum, **{report.kl.sum():.2f} nats**, is the KL term of the ELBO.\n\n"
    f"**{int(active.sum())} of {k}** dimensions are active (blue): their mean mu varies "
    f"across {noun}s, Var_x(mu_u) > {ACTIVE_UNIT_THRESHOLD} (Burda et al. 2016). "
    "A grey dimension has collapsed to the prior: the decoder ignores it."
)

how_it_learned(info, names, key="vae_history")
