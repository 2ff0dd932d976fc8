"""Latent space: codes of test images as a 2-D / 3-D scatter; pick or type a point to decode it."""

import numpy as np
import streamlit as st

from aecore.architectures import code_in_words
from aecore.figures import code_heatmap, latent_scatter
from aecore.latent import interpolate, manifold_grid, project
from studio import common, models
from studio.limits import count_control, counts_up_to
from studio.progress import result_cache, run_with_progress


TSNE_SECONDS_PER_POINT = 0.03  # the first estimate on a small shared CPU; later ones use the last run's rate


def projected(model_key, count, method, dims, model, images):
    """Codes and their projection, kept for every visitor; t-SNE (seconds to a minute) shows a progress bar."""
    key = (model_key, count, method, dims)
    cached = result_cache().get(key)
    if cached is None:
        def work():
            codes = model.encode(images)
            return codes, project(codes, method, dims, seed=0)

        if method == "tsne":
            cached = run_with_progress(work, f"t-SNE of {count:,} codes to {dims}-D", f"tsne{dims}", count,
                                       TSNE_SECONDS_PER_POINT)
        else:
            cached = work()  # encoding and PCA: well under a second
        result_cache().put(key, cached)
    return cached


st.title("Latent space")
entry = common.require_model(images=False)

model = entry.model
controls, view = st.columns([1, 3])
test_set, test_labels, data = models.test_images(entry, None)
count = count_control(controls, "Test images", counts_up_to(len(test_set), (200, 500, 1000, 2000, 5000)),
                      "latent_count", 1000)
methods = (["code"] if model.code_values in (2, 3) else []) + ["pca", "tsne"]  # only a code that is 2-D or 3-D
names = {"code": "the code itself", "pca": "PCA", "tsne": "t-SNE (slower, no inverse)"}
controls.caption(f"Each code: {code_in_words(entry.card)}.")
method = controls.radio("Projection", methods, format_func=names.get, key="latent_method")
dims = controls.radio("Dimensions", [2, 3], horizontal=True, key="latent_dims",
                      disabled=method == "code" and model.code_values == 2)
if method == "code":
    dims = model.code_values
images, labels = test_set[:count], test_labels[:count]
codes, projection = projected(str(entry.path), len(images), method, dims, model, images)  # a path is unique

centre = projection.points.mean(axis=0)
for axis in range(dims):  # before the scatter, so its highlight is the same on the first run as on the next
    st.session_state.setdefault(f"latent_coordinate_{axis}", float(round(centre[axis], 2)))
with view:
    # The chart's identity is its content: a figure that changed between a click and the rerun it
    # triggers loses the click (the first click did nothing while the highlight first appeared).
    typed = [st.session_state[f"latent_coordinate_{axis}"] for axis in range(dims)]
    decoded_point = typed if dims == 2 and projection.invertible else None
    event = st.plotly_chart(
        latent_scatter(projection.points, labels, data.class_names,
                       title=f"{len(images):,} test images, codes of {model.code_values:,} values, {names[method]}",
                       highlight=decoded_point),
        key="latent_scatter", on_select="rerun" if dims == 2 else "ignore", selection_mode="points",
    )
selected = [point["customdata"] for point in (event.selection.points if event and dims == 2 else [])
            if "customdata" in point]
if selected:
    st.session_state["latent_index"] = int(selected[0])

left, middle, right = st.columns(3)
with left:
    st.subheader("One test image")
    index = st.number_input("Test image index (or click a point)", 0, len(images) - 1, key="latent_index")
    pair = [images[index], model.reconstruct(images[index : index + 1])[0]] if entry.is_image_model else None
    if pair is not None:
        common.show_mosaic([pair], caption=f"label {data.class_names[labels[index]]}: original · reconstruction")
    st.plotly_chart(code_heatmap(codes[index], title=f"Code of image {index}"), key="latent_code")

with middle:
    st.subheader("Decode a point")
    if not projection.invertible:
        st.caption("t-SNE has no inverse; choose PCA or the code itself to decode typed points.")
    else:
        coordinates = [st.number_input(f"coordinate {axis + 1}", step=0.25, key=f"latent_coordinate_{axis}")
                       for axis in range(dims)]
        decoded = model.decode(projection.to_code(coordinates))
        if entry.is_image_model:
            common.show_mosaic([[decoded[0]]], caption=f"decoded from {np.round(coordinates, 2).tolist()}")
        else:
            st.write(f"decodes to {np.round(decoded[0], 3).tolist()}")

with right:
    if entry.is_image_model:
        st.subheader("Interpolate")
        first = st.number_input("from image", 0, len(images) - 1, 0, key="interpolate_from")
        second = st.number_input("to image", 0, len(images) - 1, 1, key="interpolate_to")
        steps = st.slider("steps", 3, 12, 8, key="interpolate_steps")
        path = interpolate(model, images[first], images[second], steps)
        common.show_mosaic([list(path)], caption="decoded along the straight line between the two codes")

if model.code_values == 2 and entry.is_image_model:
    st.subheader("The decoded manifold")
    steps = st.slider("grid size", 5, 25, 15, key="manifold_steps")
    grid = manifold_grid(model, steps, codes=codes)
    common.show_mosaic([list(row) for row in grid], caption="each cell decodes one point of the 2-D code plane")
