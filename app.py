"""Autoencoder Studio: the Streamlit entry point. Pages live in app_pages/ (run by st.navigation), logic in aecore."""

from pathlib import Path

import streamlit as st

from aecore import import_tensorflow_quietly
from studio import common, limits, models, runs, sidebar

# The tab icon ships with the app: a `:material/...` page icon makes the browser fetch it from a font server.
st.set_page_config(page_title="Autoencoder Studio", page_icon=str(Path(__file__).parent / "studio" / "icon.png"),
                   layout="wide")
models.warm_up()  # TensorFlow and the default model load in the background while the first page draws

PAGES = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:", url_path="train"),
    st.Page("app_pages/latent.py", title="Latent space", icon=":material/scatter_plot:", url_path="latent"),
    st.Page("app_pages/reconstructions.py", title="Reconstructions", icon=":material/compare:", url_path="reconstructions"),
    st.Page("app_pages/denoise.py", title="Denoise your images", icon=":material/auto_fix_high:", url_path="denoise"),
    st.Page("app_pages/anomaly.py", title="Anomaly detection", icon=":material/troubleshoot:", url_path="anomaly"),
    st.Page("app_pages/search.py", title="Similar images", icon=":material/image_search:", url_path="search"),
    st.Page("app_pages/completion.py", title="Complete a hidden part", icon=":material/format_paint:",
            url_path="completion"),
    st.Page("app_pages/linear_pca.py", title="Linear AE vs PCA", icon=":material/linear_scale:", url_path="linear-pca"),
]

page = st.navigation(PAGES)
with limits.page_activity().running():  # training runs pause between batches while a page is drawn
    models.keep_the_apps_pick()
    common.guarded(runs.collect_finished_training)
    common.guarded(sidebar.sidebar)
    if page.url_path:  # the other pages import TensorFlow with their modules; Home draws first (see home.py)
        import_tensorflow_quietly()
    common.guarded(page.run)
