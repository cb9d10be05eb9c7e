"""The page registry: app.py builds the navigation from it, the home page its links."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    section: str
    blurb: str  # one line for the home page
    charts: bool = True  # draws Plotly charts (a first look at it warms plotly.js: ui/preload.py)


PAGES = (
    PageSpec("views/home.py", "Home", ":material/home:", "Explore", ""),
    PageSpec(
        "views/latent_map.py",
        "Latent map",
        ":material/scatter_plot:",
        "Explore",
        "Click a code, or empty space, and see the digit the decoder draws.",
        charts=False,
    ),
    PageSpec(
        "views/interpolate.py",
        "Interpolate",
        ":material/linear_scale:",
        "Explore",
        "Walk in a straight line (or on the sphere) between two digits.",
    ),
    PageSpec(
        "views/mix.py",
        "Mix a class",
        ":material/blender:",
        "Explore",
        "Blend many codes of one class into a digit nobody wrote.",
        charts=False,
    ),
    PageSpec(
        "views/reconstruct.py",
        "Your digit",
        ":material/draw:",
        "Explore",
        "Upload or draw a digit and see every model reconstruct it.",
    ),
    PageSpec(
        "views/pca_vs_ae.py",
        "PCA vs AE",
        ":material/compare:",
        "Compare",
        "The linear and the non-linear answer, measured side by side.",
    ),
    PageSpec(
        "views/vae.py",
        "VAE studio",
        ":material/blur_on:",
        "Models",
        "Sample the prior and watch the reparameterization trick.",
    ),
    PageSpec(
        "views/style.py",
        "Style & content",
        ":material/style:",
        "Models",
        "A conditional VAE draws one handwriting as every digit; where the class lives.",
    ),
    PageSpec(
        "views/gan.py",
        "GAN studio",
        ":material/casino:",
        "Models",
        "Samples, walks, the discriminator's view and mode collapse.",
    ),
    PageSpec(
        "views/denoise.py",
        "Denoise & anomalies",
        ":material/auto_fix_high:",
        "Models",
        "Clean noisy digits and find the strangest ones.",
        charts=False,
    ),
    PageSpec(
        "views/training.py",
        "Train",
        ":material/model_training:",
        "Models",
        "Train a new model here and find it in the model picker.",
    ),
    PageSpec(
        "views/concepts.py",
        "Concepts",
        ":material/school:",
        "Models",
        "Transposed convolutions: o = (i - 1) s + k - 2p, layer by layer.",
    ),
    # --- what a code is good for (issue 14) ---
    PageSpec(
        "views/attributes.py",
        "Attributes",
        ":material/tune:",
        "Uses",
        "Slant, thickness, width, height: move a digit's code along them, or along a vector "
        "drawn from two groups.",
    ),
    PageSpec(
        "views/few_labels.py",
        "Few labels",
        ":material/label:",
        "Uses",
        "What a code buys a classifier that has 1 to 100 labelled digits per class.",
    ),
    PageSpec(
        "views/multimodal.py",
        "One space, two kinds of input",
        ":material/translate:",
        "Uses",
        "Type a sentence and see where it lands among the digits; get a sentence for any digit.",
        charts=False,
    ),
)
