"""Concepts: the transposed convolution that every decoder here uses to grow 7x7 into 28x28,
as a calculator with a picture, and a real decoder listed layer by layer with its shapes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import plots, state
from ui.compute import studios

# The first layer of every decoder here: 7 -> 14 with k=4, s=2, p=1.
state.init(concepts_i=7, concepts_k=4, concepts_s=2, concepts_p=1)


def _shape(shape: tuple[int, ...]) -> str:
    return " × ".join(str(d) for d in shape[1:])  # without the batch dimension


st.title("Concepts")
st.header("The transposed convolution")
st.markdown(
    "An encoder shrinks an image with strided convolutions; a decoder grows it back with "
    "**transposed convolutions** (`nn.ConvTranspose2d`). Each input pixel stamps a k x k copy "
    "of the kernel, weighted by its value, s pixels apart; the p outermost rows and columns are "
    "cut off. The output side is"
)
st.latex(r"o = (i - 1)\,s + k - 2p")

cols = st.columns(4)
i = int(cols[0].number_input("input size i", 1, 32, step=1, key="concepts_i"))
k = int(cols[1].number_input("kernel k", 1, 9, step=1, key="concepts_k"))
s = int(cols[2].number_input("stride s", 1, 4, step=1, key="concepts_s"))
p = int(cols[3].number_input("padding p", 0, 12, step=1, key="concepts_p"))
o, real, cells = studios.transposed_conv(i, k, s, p)

if o <= 0:
    st.error(
        f"o = ({i} - 1) · {s} + {k} - 2 · {p} = {o}: the padding cuts away more than the "
        f"transposed convolution makes, so there is no output. Lower p to at most "
        f"{((i - 1) * s + k - 1) // 2}, or raise i, k or s."
    )
else:
    left, right = st.columns([2, 3], gap="large")
    with left:
        st.latex(rf"o = ({i} - 1)\cdot {s} + {k} - 2\cdot {p} = {o}")
        st.metric("Output size", f"{o} × {o}", help="For an i x i input, per channel.")
        if real == o:
            st.success(
                f"PyTorch agrees: `nn.ConvTranspose2d(1, 1, {k}, {s}, {p})` makes "
                f"{real} × {real} of {i} × {i}."
            )
        else:
            st.error(f"PyTorch makes {real} × {real}, the formula says {o}.")
        st.markdown(
            "**The same thing as a plain convolution.** Insert s - 1 zeros between the input "
            "pixels, pad k - 1 - p zeros around them, and slide the k x k kernel (flipped) "
            "with stride 1: it fits exactly o times along each side."
        )
        if p > k - 1:
            st.info(
                f"p = {p} > k - 1 = {k - 1}: instead of padding, {p - k + 1} rows and "
                "columns are cut from each side of the zero-inserted grid."
            )
    with right:
        st.plotly_chart(plots.conv_picture(cells, k), key="concepts_picture")
        n = len(cells)
        st.caption(f"{i} × {i} input → {n} × {n} grid; {n} - {k} + 1 = {o} kernel positions.")

st.header("A decoder, layer by layer")
selection = state.current()
infos = {m.name: m for m in state.models_for(selection.dataset)}
if not infos:
    st.info("No model is trained on this dataset yet: train one on the Train page.")
    st.stop()
state.pick("concepts_model", list(infos), [selection.model.name if selection.model else "ae_k2"])
name = st.selectbox(
    "Model",
    list(infos),
    key="concepts_model",
    format_func=lambda n: infos[n].label,
    help="An AE's or VAE's decoder, or a GAN's generator.",
)
info = infos[name]
rows = studios.decoder_shapes(info)
table = pd.DataFrame(
    {
        "layer": [r.name for r in rows],
        "module": [r.layer for r in rows],
        "input": [_shape(r.input_shape) for r in rows],
        "output": [_shape(r.output_shape) for r in rows],
        "parameters": [r.parameters for r in rows],
        "o by the formula": ["" if r.formula is None else str(r.formula) for r in rows],
    }
)
st.dataframe(table, hide_index=True, width="stretch", key="concepts_layers")
transposed = [r for r in rows if r.formula is not None]
wrong = [r.name for r in transposed if r.formula != r.output_shape[-1]]
if wrong:
    st.error(f"The formula disagrees with PyTorch at {', '.join(wrong)}.")
else:
    st.success(
        f"A code of {rows[0].input_shape[-1]} numbers becomes a "
        f"{_shape(rows[-1].output_shape)} image. At each of the "
        f"{len(transposed)} transposed convolutions the formula gives exactly the size PyTorch "
        "produced (shapes recorded by forward hooks while decoding one code)."
    )
