"""Similar images: the nearest test images to a query by the model's code, beside PCA and raw pixels."""

import numpy as np
import streamlit as st

from aecore.denoise import denoise
from aecore.search import METRICS, SPACES, NearestNeighbours, leave_one_out, precision_at_k, vector_spaces
from studio import common, models, uploads
from studio.limits import count_control, counts_up_to
from studio.progress import result_cache
from studio.text import plain


def searched(entry, images, labels, k, metric):
    """The vector spaces of `images` and the mean precision@k of each, kept for every visitor."""
    key = ("search", str(entry.path), len(images), k, metric)
    cached = result_cache().get(key)
    if cached is None:
        with st.spinner(f"Finding the {k} nearest of {len(images):,} images for each of them…"):
            spaces = vector_spaces(entry.model, images)
            precisions = {space: leave_one_out(vectors, labels, k, metric if space == "code" else "euclidean")[0]
                          for space, vectors in spaces.vectors.items()}
        cached = spaces, precisions
        result_cache().put(key, cached)
    return cached


st.title("Similar images")
st.markdown("Images whose **codes** lie close together look alike to the model. Each row shows a query image and "
            "its nearest images by code, by PCA of the pixels with as many components, and by the raw pixels; "
            "**precision@k** is the share of neighbours with the query's label.")
entry = common.require_model()
test_set, test_labels, data = models.test_images(entry, None)

controls, view = st.columns([1, 3])
count = count_control(controls, "Images searched", counts_up_to(len(test_set), (1000, 2000, 5000, 10000)),
                      "search_count", 2000)
k = controls.slider("Neighbours (k)", 1, 20, 10, key="search_k")
metric = controls.radio("Code distance", METRICS, horizontal=True, key="search_metric")
index = controls.number_input("Query: test image index", 0, count - 1, 0, key="search_index")
files = uploads.uploader(controls, "…or upload an image as the query", key="search_upload", multiple=False,
                         note="A zip's first image is used")
digit_style = controls.toggle("MNIST-style", value=data.name == "mnist", key="search_digit_style",
                              help="prepare the upload like an MNIST digit: invert dark-on-light, crop to the ink, "
                                   "fit into 20 x 20, centre by mass")

images, labels = test_set[:count], test_labels[:count]
spaces, precisions = searched(entry, images, labels, k, metric)
query, query_label, exclude, name = images[index], labels[index], index, f"test image {index}"
reading = uploads.Reading(files, max_pixels=uploads.DIGIT_PIXELS)
item = reading.first()
if item is not None:
    try:
        query = denoise(entry.model, item.image, digit_style=digit_style).reference
        query_label, exclude, name = None, None, plain(item.name)
    except ValueError as error:  # a blank picture, say
        reading.refuse(item.name, error)
        item = None
reading.show_problems(controls)
if files and item is None:
    controls.warning(f"Searching with test image {index} instead.")

with view:
    row = common.metric_row()
    for space in SPACES:
        row.metric(f"precision@{k}, {space}", f"{precisions[space]:.3f}", width=common.METRIC_WIDTH,
                   help=f"{SPACES[space]}: mean over all {count:,} images, each querying the others")
    embedded = spaces.embed(query[np.newaxis])
    label_words = "" if query_label is None else f", label {data.class_names[query_label]}"
    for space, vectors in spaces.vectors.items():
        distance = metric if space == "code" else "euclidean"
        neighbours, _ = NearestNeighbours(vectors, distance).query(
            embedded[space], k, exclude=None if exclude is None else [exclude])
        found = neighbours[0]
        words = ", ".join(data.class_names[label] for label in labels[found])
        if query_label is not None:
            share = precision_at_k(labels, found[np.newaxis], np.array([query_label]))[0]
            words = f"{share:.0%} share its label ({words})"
        dimensions = vectors.shape[1]
        common.show_mosaic([[query, *images[found]]],
                           caption=f"{SPACES[space]} ({dimensions:,} values, {distance}): {name}{label_words} "
                                   f"first, then its {k} nearest: {words}")
