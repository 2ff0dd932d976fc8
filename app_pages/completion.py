"""Complete a hidden part: hide a rectangle of a digit and let a denoiser trained on hidden blocks fill it in."""

import streamlit as st

from aecore.completion import Rectangle, complete, complete_many
from aecore.denoise import denoise
from studio import common, models, uploads
from studio.text import plain

COMPLETER = "mnist_conv_block0.5"  # the shipped model trained to fill in hidden rectangles
SCORED = 500  # test images the same rectangle is scored on


def use_model(key):
    st.session_state["model"] = key  # a callback: it runs before the sidebar's picker is drawn


st.title("Complete a hidden part")
st.markdown("A denoiser trained on images with a **hidden rectangle** (block noise) learns to fill in what is "
            "missing. Hide part of a test digit or of your own, and compare the model's completion with the "
            "original, and with the simplest guess: the mean training image.")
entry = common.require_model()
if not str(entry.card.noise or "").startswith("block"):
    st.warning(f"{plain(entry.label)} was not trained on hidden rectangles, so it may leave them dark.")
    if COMPLETER in models.available_models():
        st.button(f"Use {COMPLETER}", key="completion_use", on_click=use_model, args=(COMPLETER,))
test_set, test_labels, data = models.test_images(entry, None)
height, width = test_set.shape[1:3]

controls, view = st.columns([1, 3])
index = controls.number_input("Test image index", 0, len(test_set) - 1, 0, key="completion_index")
files = uploads.uploader(controls, "…or upload a digit", key="completion_upload", multiple=False,
                         note="A zip's first image is used")
rows = controls.slider("Hidden rows", 0, height - 1, (height // 3, height // 3 + 7), key="completion_rows")
columns = controls.slider("Hidden columns", 0, width - 1, (width // 4, width // 4 + 13), key="completion_columns")
rectangle = Rectangle(rows[0], columns[0], rows[1] - rows[0] + 1, columns[1] - columns[0] + 1)

image, name = test_set[index], f"test image {index} (label {data.class_names[test_labels[index]]})"
reading = uploads.Reading(files, max_pixels=uploads.DIGIT_PIXELS)
item = reading.first()
if item is not None:
    try:
        image, name = denoise(entry.model, item.image).reference, plain(item.name)
    except ValueError as error:  # a blank picture, say
        reading.refuse(item.name, error)
        item = None
reading.show_problems(controls)
if files and item is None:
    controls.warning(f"Showing test image {index} instead.")

mean_image = data.x_train.mean(axis=0)
result = complete(entry.model, image, rectangle, mean_image)
with view:
    common.show_mosaic([[result.original, result.hidden, result.output, result.completed]],
                       caption=f"{name}: original · hidden · the model's output · completed (the model's pixels "
                               "inside the rectangle only)")
    columns = [*st.columns(2), *st.columns(2)]  # two a row: at a fourth of a laptop's view the labels were cut off
    columns[0].metric("PSNR inside, the model", f"{result.psnr_inside:.2f} dB", help="PSNR over the hidden pixels")
    columns[1].metric("PSNR inside, the mean", f"{result.baseline_psnr_inside:.2f} dB",
                      help="PSNR over the hidden pixels, filled from the mean training image")
    _, _, ours, baseline = complete_many(entry.model, test_set[:SCORED], rectangle, mean_image)
    columns[2].metric(f"{SCORED} images, the model", f"{ours:.2f} dB",
                      help=f"PSNR over the hidden pixels of {SCORED} test images")
    columns[3].metric(f"{SCORED} images, the mean", f"{baseline:.2f} dB",
                      help=f"PSNR over the hidden pixels of {SCORED} test images, filled from the mean training image")
    st.caption(f"PSNR inside the hidden rectangle, {rectangle.height} x {rectangle.width} pixels at row "
               f"{rectangle.top}, column {rectangle.left}: the model's fill against the mean training image's.")
