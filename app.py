"""Autoencoder Studio: the Streamlit entry point. Pages live in app_pages/ (listed in its `PAGES`, run by st.navigation),
logic in aecore."""

from pathlib import Path

import streamlit as st

import app_pages
from aecore import import_tensorflow_quietly
from studio import common, limits, models, runs, sidebar

# The tab icon ships with the app: a `:material/...` page icon makes the browser fetch it from a font server.
st.set_page_config(page_title="Autoencoder Studio", page_icon=str(Path(__file__).parent / "studio" / "icon.png"),
                   layout="wide")
models.warm_up()  # TensorFlow and the default model load in the background while the first page draws

page = st.navigation([st.Page(entry.script, title=entry.title, icon=entry.icon, url_path=entry.url_path,
                              default=entry.default) for entry in app_pages.PAGES])
with limits.page_activity().running():  # training runs pause between batches while a page is drawn
    models.keep_the_apps_pick()
    common.guarded(runs.collect_finished_training)
    common.guarded(sidebar.sidebar)
    if page.url_path:  # the other pages import TensorFlow with their modules; Home draws first (see home.py)
        import_tensorflow_quietly()
    common.guarded(page.run)
