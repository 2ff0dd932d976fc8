"""What pages draw alike: the guard that turns errors into messages, image mosaics, and the picked model.

`require_model` stops a page, with a message saying what to do, when the picked model does not
suit it.
"""

import base64

import numpy as np
import streamlit as st

from aecore.figures import mosaic
from aecore.images import to_jpeg, to_png
from studio.models import current_model
from studio.text import plain


def show_mosaic(rows, caption=None):
    """Rows of images as one crisp picture."""
    st.image(inline_png(mosaic(rows)), caption=caption)


def inline_png(image):
    """An image in [0, 1] (H x W, or H x W x 1 or 3) as a PNG data URI for `st.image`.

    Inline rather than an array: Streamlit serves an array as a file under /media/ and deletes the
    file when a rerun (or the Train page's fragment) replaces the image, so a browser still fetching
    it got a 404. PNG also keeps the pixels exact (Streamlit sends an array as JPEG).
    """
    return "data:image/png;base64," + base64.b64encode(to_png(image)).decode("ascii")


def inline_jpeg(image):
    """A photo (8-bit, or floating point in [0, 1]) as a JPEG data URI for `st.image`, inline for the
    reason `inline_png` gives (a slider moved quickly replaced photos still being fetched); JPEG
    quality 92 with colour at full resolution, a tenth of a photo's PNG."""
    pixels = np.asarray(image)
    pixels = pixels / 255.0 if pixels.dtype == np.uint8 else pixels
    return "data:image/jpeg;base64," + base64.b64encode(to_jpeg(pixels, quality=92)).decode("ascii")


def metric_row(where=st):
    """A row for `st.metric`s that wraps onto a second row where the view is narrow (a laptop with the
    sidebar open), so that no label or number is cut off; give each metric `width=METRIC_WIDTH`."""
    return where.container(horizontal=True, gap="medium")


METRIC_WIDTH = 150  # px: "+11.41 dB" and a two-word label


def guarded(render):
    """Run a page; any error becomes a plain message, never a traceback."""
    try:
        render()
    except Exception as error:  # the last line of defence: the visitor sees a message, not a stack
        st.error(f"Something went wrong on this page: {plain(error)}. Try other settings or another model.")


def require_model(images=True, photos=False):
    """The picked model; otherwise say what to do and stop the page.

    Stops also for point models when `images`, and for photo models unless `photos`.
    """
    entry = current_model()
    if entry is None:
        st.info("No model yet: train one on the Train page, or use Quick start on Home.")
        st.stop()
    if not photos and entry.is_photo_model:
        st.info(f"{entry.key} is a photo denoiser for images of any size: it has no fixed-size test set or "
                "2-D code to show here. Denoise a photo with it, or pick a digit model in the sidebar.")
        st.page_link("app_pages/denoise.py", label="Denoise your images", icon=":material/auto_fix_high:")
        st.stop()
    if images and not entry.is_image_model:
        st.info(f"{entry.key} works on 3-D points, not images: open **Linear AE vs PCA**, "
                "or pick an image model in the sidebar.")
        st.stop()
    return entry
