"""Few labels: what a code buys a classifier that has only 1 to 100 labelled digits per class."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.analysis.few_labels import CLASSIFIERS, DRAWS
from ui import plots, state, widgets
from ui.compute import uses

CLASSIFIER_NAMES = {"logistic": "Logistic regression (standardised)", "1-nn": "1-nearest neighbour"}
READ_AT = 10  # labels per class the reading quotes

state.init(few_classifier="logistic")

selection = state.current()
noun = selection.noun  # "digit" or "item"
st.title("Few labels")
st.caption(
    f"An autoencoder learns its code from {noun}s without labels. How good a start is that code "
    f"for a classifier that has only a few labelled {noun}s? Each curve trains on 1, 5, 10, 50 "
    f"and 100 labelled training {noun}s per class ({DRAWS} random draws each) and is scored on "
    "the whole validation split; the bars are the spread (std) over the draws."
)

bar, progress = widgets.progress_bar("Reading the learning curves…")
rows = uses.few_labels_table(selection.dataset, progress)
bar.empty()

classifier = st.radio(
    "Classifier",
    CLASSIFIERS,
    key="few_classifier",
    format_func=CLASSIFIER_NAMES.get,
    horizontal=True,
)
mine = [r for r in rows if r["classifier"] == classifier]
best, pixels, decoupled = uses.few_labels_reading(rows, classifier, READ_AT)

if best is not None:
    if decoupled:
        scores = ", ".join(f"{r['features']}'s z {r['mean']:.1%}" for r in decoupled)
        decoupling = (
            f" **A decoupled code knows little of the class**: {scores} (its encoder is given "
            "the label, so the code keeps only the style; chance is 10 %)."
        )
    else:
        decoupling = (
            " A decoupled code (a conditional VAE's z, whose encoder is given the label) would "
            "know little of the class; none is in the checkpoint list yet."
        )
    verdict = (
        "A good code is a better starting point than pixels when labels are few"
        if best["mean"] > pixels
        else "Here the raw pixels beat every autoencoder's code when labels are few"
    )
    st.markdown(
        f"**{verdict}**: with "
        f"{READ_AT} labels per class, {best['features']}'s {best['k']}-D code reaches "
        f"{best['mean']:.1%} against {pixels:.1%} for the 784 raw pixels "
        f"({100 * (best['mean'] - pixels):+.1f} points).{decoupling}"
    )
highlight = [best["features"]] if best else []
st.plotly_chart(
    plots.learning_curves(rows, classifier, highlight, noun), key="few_plot", width="stretch"
)

table = pd.DataFrame(
    {
        "features": r["features"],
        "family": r["family"],
        "k": r["k"],
        "labels/class": r["per_class"],
        "accuracy": f"{r['mean']:.3f} ± {r['std']:.3f}",
    }
    for r in mine
)
wide = table.pivot(index=["features", "family", "k"], columns="labels/class", values="accuracy")
order = list(dict.fromkeys(r["features"] for r in mine))
wide = wide.reindex(order, level="features").reset_index()
wide.columns = [f"{c} per class" if isinstance(c, int) else c for c in wide.columns]
st.dataframe(
    wide, hide_index=True, key="few_table", width="stretch", height=35 * (len(wide) + 1) + 3
)
st.caption(
    "Validation accuracy, mean ± std over the draws. PCA is fitted on the training pixels "
    "without their labels, as the autoencoders are; every feature set sees the same labelled "
    f"{noun}s in each draw. Cached in checkpoints/few_labels by the checkpoints' content."
)
