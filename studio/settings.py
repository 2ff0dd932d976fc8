"""Page settings that outlive a page switch within a session.

Streamlit deletes a widget's value from session state after a script run that does not draw the
widget, so the Train page came back with its defaults after a visit to another page, beside a run
that used other settings. Assigning each kept key to itself on every run, before the page draws,
marks the value as the app's own, which Streamlit keeps ("Working with widgets in multipage apps",
option 3 of Streamlit's docs). Widgets with kept keys take their defaults from `seed`, never from a
`value=` argument, which Streamlit would otherwise report as set twice.
"""

import streamlit as st

TRAIN_DEFAULTS = {
    "train_architecture": "dense",
    "train_code_size": 0,
    "train_epochs": 5,
    "train_batch": 128,
    "train_count": 4000,
    "train_optimizer": "(recipe)",
    "train_learning_rate": 0.0,
    "train_loss": "(recipe)",
    "train_noise": "none",
    "train_noise_level": 0.4,
}
KEPT = ("dataset", *TRAIN_DEFAULTS)


def keep():
    """Carry the kept settings over this run, whichever page draws."""
    for key in KEPT:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def seed(defaults):
    """Give each widget key its default the first time a session sees it."""
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)
