"""The noise widgets two pages share: kind, level (sigma for Gaussian) and seed, kept in the link."""

import streamlit as st

from aecore.noise import NOISE_KINDS, Noise
from studio import common


def noise_controls(container, default_kind="gaussian", default_level=0.4):
    """Kind, level and seed widgets; returns `(Noise or None, seed)` and writes them into the URL."""
    kinds = ["none", *NOISE_KINDS]
    common.query_default("noise", lambda value: value if value in kinds else default_kind, default_kind)
    kind = container.selectbox("Noise", kinds, key="noise")
    maximum = NOISE_KINDS[kind][0] if kind != "none" else 1.0
    common.query_default("sigma", float, default_level)
    if not 0 <= st.session_state["sigma"] <= maximum:
        container.warning(f"A {kind} level must be between 0 and {maximum}; using {min(default_level, maximum)}.")
        st.session_state["sigma"] = min(default_level, maximum)
    label = "Sigma" if kind == "gaussian" else "Level"
    level = container.slider(label, 0.0, maximum, key="sigma", step=0.05, disabled=kind == "none",
                             help="the noise added before the model sees the image")
    common.query_default("seed", int, 0)
    seed = container.number_input("Noise seed", 0, 10**6, key="seed", step=1)
    common.share(noise=kind, sigma=f"{level:g}", seed=int(seed))
    return (None if kind == "none" else Noise(kind, level)), int(seed)
