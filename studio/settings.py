"""Page settings that outlive a page switch within a session.

Streamlit deletes a widget's value from session state once a run goes by without drawing the widget
(and, in a browser, also after the Train page's progress fragment has polled), so the Train page
came back with its defaults beside a run that used other settings. A page therefore saves its
settings into a plain dict in session state, which Streamlit never cleans up, and restores any
missing widget value from it before drawing. Widgets restored this way take their defaults from
here, never from a `value=` argument, which Streamlit would report as set twice.
"""

import streamlit as st

SAVED = "saved_settings"
TRAIN_DEFAULTS = {
    "train_architecture": "dense",
    "train_code_size": 0,
    "train_code_units": 0,
    "train_epochs": 5,
    "train_batch": 128,
    "train_count": 4000,
    "train_optimizer": "(recipe)",
    "train_learning_rate": 0.0,
    "train_loss": "(recipe)",
    "train_noise": "none",
    "train_noise_level": 0.4,
}
PHOTO_DEFAULTS = {  # the Denoise page's photo controls
    "photo_add_noise": False,
    "photo_sigma": 25,
    "photo_seed": 0,
    "photo_best": False,
    "photo_sample": False,
}


def restore(defaults):
    """Before the widgets draw: give each missing key its saved value, else its default (`None`: leave it)."""
    saved = st.session_state.setdefault(SAVED, {})
    for key, default in defaults.items():
        if key in st.session_state:
            continue
        if key in saved:
            st.session_state[key] = saved[key]
        elif default is not None:
            st.session_state[key] = default


def save(keys):
    """After the widgets drew: remember their values for the next visit to the page (those not drawn keep theirs)."""
    st.session_state.setdefault(SAVED, {}).update({key: st.session_state[key] for key in keys if key in st.session_state})
