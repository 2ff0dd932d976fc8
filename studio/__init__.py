"""Streamlit glue shared by the app's pages (the library itself is `aecore`, which never imports streamlit)."""
