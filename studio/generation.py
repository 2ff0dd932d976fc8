"""Generating images with a VAE on the Latent page: samples of the prior, a traversal of each code
dimension, and arithmetic between the codes of test images."""

import streamlit as st

from aecore.latent import code_arithmetic, sample_prior, traversal_grid
from studio import common

TRAVERSED_DIMENSIONS = 10  # rows of the traversal grid at most


def show(model, images, code, index):
    """The three generators for `model`, a VAE; the traversal starts from `code`, the code of test image `index`."""
    st.subheader("Generate")
    prior, traversal, arithmetic = st.columns(3)
    with prior:
        seed = st.number_input("seed", 0, 1_000_000, 0, key="generate_seed")
        samples = sample_prior(model, 16, seed)
        common.show_mosaic([list(samples[row * 4 : row * 4 + 4]) for row in range(4)],
                           caption="16 codes drawn from the prior N(0, I), decoded")
    with traversal:
        spread = st.slider("traversal spread (standard deviations)", 0.5, 4.0, 2.5, step=0.5, key="generate_spread")
        grid = traversal_grid(model, code, steps=9, spread=spread, dimensions=TRAVERSED_DIMENSIONS)
        common.show_mosaic([list(row) for row in grid],
                           caption=f"the code of image {index}, one dimension per row swept from "
                                   f"-{spread:g} to {spread:g}")
    with arithmetic:
        last = len(images) - 1
        first = st.number_input("image A", 0, last, 0, key="arithmetic_first")
        minus = st.number_input("minus image B", 0, last, 1, key="arithmetic_minus")
        plus = st.number_input("plus image C", 0, last, 2, key="arithmetic_plus")
        result = code_arithmetic(model, images[first], images[minus], images[plus])
        common.show_mosaic([[images[first], images[minus], images[plus], result]],
                           caption="A, B, C and the image decoded from code(A) - code(B) + code(C)")
