"""The noise widgets two pages share: kind, level (sigma for Gaussian) and seed, kept in the link."""

import streamlit as st

from aecore.noise import NOISE_KINDS, Noise
from studio.links import query_default, share


def largest_level(kind):
    """The highest level a noise kind accepts (1.0 for "none", whose level is unused)."""
    return NOISE_KINDS[kind][0] if kind in NOISE_KINDS else 1.0


def fit_level_to_kind(kind_key, level_key):
    """A callback for the kind widget: keep the level, brought within the new kind's range without a word.

    The person only switched the kind. The level is written back even when it fits: a slider with
    another range is a new widget to Streamlit, which would otherwise start it at its minimum.
    """
    maximum = largest_level(st.session_state[kind_key])
    st.session_state[level_key] = min(st.session_state.get(level_key, 0.0), maximum)


def noise_controls(container, default_kind="gaussian", default_level=0.4):
    """Kind, level and seed widgets; returns `(Noise or None, seed)` and writes them into the URL.

    Level 0 is no noise: the inputs are the originals, so there is no noisy row to show or score.
    """
    kinds = ["none", *NOISE_KINDS]
    query_default("noise", lambda value: value if value in kinds else default_kind, default_kind)
    kind = container.selectbox("Noise", kinds, key="noise", on_change=fit_level_to_kind, args=("noise", "sigma"))
    maximum = largest_level(kind)
    query_default("sigma", float, default_level)
    if not 0 <= st.session_state["sigma"] <= maximum:  # only a link can ask for this
        container.warning(f"A {kind} level must be between 0 and {maximum}; using {min(default_level, maximum)}.")
        st.session_state["sigma"] = min(default_level, maximum)
    label = "Sigma" if kind == "gaussian" else "Level"
    level = container.slider(label, 0.0, maximum, key="sigma", step=0.05, disabled=kind == "none",
                             help="the noise added before the model sees the image")
    query_default("seed", int, 0)
    seed = container.number_input("Noise seed", 0, 10**6, key="seed", step=1)
    share(noise=kind, sigma=f"{level:g}", seed=int(seed))
    return (None if kind == "none" or level == 0 else Noise(kind, level)), int(seed)
