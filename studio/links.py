"""Shareable views: a page seeds its widgets from the link's query parameters and writes them back."""

import streamlit as st


def query_default(key, parse, fallback):
    """Seed widget `key` from the link's query parameter once; bad values fall back quietly."""
    if key in st.session_state:
        return
    raw = st.query_params.get(key)
    try:
        st.session_state[key] = parse(raw) if raw is not None else fallback
    except (TypeError, ValueError):
        st.session_state[key] = fallback


def share(**values):
    """Put the current view's settings in the URL so that the link reopens this view."""
    for key, value in values.items():
        if value is None:
            st.query_params.pop(key, None)
        else:
            st.query_params[key] = str(value)
