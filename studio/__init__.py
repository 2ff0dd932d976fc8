"""Streamlit glue shared by the app's pages (the library itself is `aecore`, which never imports streamlit)."""

from studio.runtime import keep_keras_session

keep_keras_session()
