"""Latent space: codes of test images as a 2-D / 3-D scatter with their images on hover; pick a point
to see its nearest codes, type one to decode it, draw a digit to place it, and generate from a VAE."""

import threading

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from aecore.figures import code_heatmap, latent_scatter
from aecore.images import ImageError, canvas_to_gray, prepare_for_model
from aecore.latent import coordinates_csv, interpolate, manifold_grid, nearest_codes, project, warm_up_umap
from studio import common, generation, models
from studio.hover_images import hover_images
from studio.limits import count_control, counts_up_to
from studio.progress import result_cache, run_with_progress

# First estimates, for 1,000 codes on 2 small cores (t-SNE by Barnes-Hut, UMAP once compiled); then the last run's rate
SECONDS_PER_POINT = {"tsne": 0.007, "umap": 0.004}
NAMES = {"code": "the code itself", "pca": "PCA", "tsne": "t-SNE (openTSNE, no inverse)", "umap": "UMAP (no inverse)"}
SHORT_NAMES = {method: name.split(" (")[0] for method, name in NAMES.items()}
CANVAS_SIDE = 196  # 7 screen pixels per pixel of a 28 x 28 digit


def tidy_coordinate(key):
    """A typed coordinate to the two decimals its field shows, never -0.0 (the field read "-0.00" after -0.001)."""
    st.session_state[key] = round(float(st.session_state[key]), 2) + 0.0


def projected(model_key, count, method, dims, model, images):
    """Codes and their projection, kept for every visitor; t-SNE and UMAP (seconds) show a progress bar."""
    key = (model_key, count, method, dims)
    cached = result_cache().get(key)
    if cached is None:
        def work():
            codes = model.encode(images)
            return codes, project(codes, method, dims, seed=0)

        if method in SECONDS_PER_POINT:
            cached = run_with_progress(work, f"{SHORT_NAMES[method]} of {count:,} codes to {dims}-D",
                                       f"{method}{dims}", count, SECONDS_PER_POINT[method])
        else:
            cached = work()  # encoding and PCA: well under a second
        result_cache().put(key, cached)
    return cached


@st.cache_resource(show_spinner=False)
def compile_umap_in_the_background():
    """Once per server process, when this page first opens: UMAP's numba code compiles on a thread of its own, so
    that the visitor's first UMAP takes seconds rather than half a minute more. Not at a lower priority: a UMAP
    asked for meanwhile waits for it, and numba's worker threads, made by the first UMAP, would keep it."""
    thread = threading.Thread(target=warm_up_umap, name="aestudio-umap-warm-up", daemon=True)
    thread.start()
    return thread


def pick_clicked_point():
    """A click on the scatter picks that test image (before the page redraws its rings)."""
    chosen = [point["customdata"] for point in st.session_state["latent_scatter"].selection.points
              if "customdata" in point]
    if chosen:
        st.session_state["latent_index"] = int(chosen[0])


def drawn_digit(container, model):
    """The visitor's drawing, prepared MNIST-style for `model`, or None while the canvas is blank."""
    with container.container(width=CANVAS_SIDE):
        st.space("small")  # room for the canvas's toolbar, which floats 1rem above the canvas over what is there
        canvas = st_canvas(stroke_width=16, stroke_color="#000000", background_color="#ffffff", height=CANVAS_SIDE,
                           width=CANVAS_SIDE, drawing_mode="freedraw", return_image_data=True, key="latent_canvas")
        st.caption("Draw a digit: it is encoded, placed on the scatter as a gold diamond and reconstructed.")
    if canvas.image_data is None:
        return None
    try:
        return prepare_for_model(canvas_to_gray(canvas.image_data), model.example_shape)
    except ImageError:  # nothing drawn yet
        return None


st.title("Latent space")
entry = common.require_model(images=False)

model = entry.model
controls, view = st.columns([1, 3])
test_set, test_labels, data = models.test_images(entry, None)
count = count_control(controls, "Test images", counts_up_to(len(test_set), (200, 500, 1000, 2000, 5000, 10000)),
                      "latent_count", 1000)
methods = (["code"] if model.code_values in (2, 3) else []) + ["pca", "tsne", "umap"]  # a 2-D or 3-D code only
compile_umap_in_the_background()
controls.caption(f"Each code: {entry.card.code_in_words}.")
method = controls.radio("Projection", methods, format_func=NAMES.get, key="latent_method")
if method == "code":  # the code drawn as it is: as many dimensions as it has
    st.session_state["latent_dims"] = model.code_values
elif model.code_values < 3:  # a 3-D choice kept from a model with a wider code
    st.session_state["latent_dims"] = 2
dims = controls.radio("Dimensions", [2, 3], horizontal=True, key="latent_dims",
                      disabled=method == "code" or model.code_values < 3)
neighbour_count = controls.slider("Nearest codes to show", 1, 24, 8, key="latent_neighbours")
images, labels = test_set[:count], test_labels[:count]
codes, projection = projected(str(entry.path), len(images), method, dims, model, images)  # a path is unique
# The drawing goes under the scatter, in the wide column: in the controls column, a laptop's window cut
# the canvas off. It is read first, since the scatter shows where the drawing lands.
scatter_area = view.container()
drawing_row = view.container(horizontal=True, gap="medium")  # the canvas, and beside it what the model made of it
below = view.container()
drawable = entry.is_image_model and model.example_shape[-1] == 1
drawing = drawn_digit(drawing_row, model) if drawable else None
drawn_code = model.encode(drawing[np.newaxis]) if drawing is not None else None

centre = projection.points.mean(axis=0)
for axis in range(dims):  # before the scatter, so its highlight is the same on the first run as on the next
    st.session_state.setdefault(f"latent_coordinate_{axis}", round(float(centre[axis]), 2) + 0.0)  # no -0.0
if st.session_state.get("latent_index", 0) >= len(images):
    st.session_state["latent_index"] = 0
index = st.session_state.setdefault("latent_index", 0)
neighbours = nearest_codes(codes, index, neighbour_count)
if drawing is not None:
    drawing_row.image(common.inline_png(np.concatenate([drawing, model.reconstruct(drawing[np.newaxis])[0]], axis=1)),
                      width=CANVAS_SIDE, caption="your digit as the model sees it · its reconstruction"
                      + ("" if projection.invertible else " · placed on its nearest test code"))
with scatter_area:
    # The chart's identity is its content: a figure that changed between a click and the rerun it
    # triggers would lose the click, so the click is read by a callback before the page redraws.
    typed = [st.session_state[f"latent_coordinate_{axis}"] for axis in range(dims)]
    decoded_point = typed if dims == 2 and projection.invertible else None
    st.plotly_chart(
        latent_scatter(projection.points, labels, data.class_names,
                       title=f"{len(images):,} test images, codes of {model.code_values:,} values, {NAMES[method]}",
                       highlight=decoded_point, selected=index, neighbours=neighbours,
                       drawn=None if drawn_code is None else projection.place(drawn_code, codes)[0]),
        key="latent_scatter", on_select=pick_clicked_point if dims == 2 else "ignore", selection_mode="points",
    )
with below:
    # Under the scatter it exports: in the controls column the drawing canvas's toolbar covered it.
    st.download_button("Download coordinates (.csv)", coordinates_csv(projection.points, labels, data.class_names),
                       f"{entry.key.removeprefix(models.SESSION_PREFIX)}_{method}_{dims}d.csv", mime="text/csv",
                       key="latent_csv")
    if entry.is_image_model:
        hover_images("latent_scatter", images, (str(entry.path), count))
        st.caption("Hover over a point to see its image; click one to ring it and its nearest codes.")
        common.show_mosaic([[images[index], *images[neighbours]]],
                           caption=f"image {index} and its {len(neighbours)} nearest codes (in the full code space): "
                                   f"labels {', '.join(str(data.class_names[labels[i]]) for i in neighbours)}")

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
        st.caption(f"{SHORT_NAMES[method]} has no inverse; choose PCA or the code itself to decode typed points.")
    else:
        coordinates = [st.number_input(f"coordinate {axis + 1}", step=0.25, key=f"latent_coordinate_{axis}",
                                       on_change=tidy_coordinate, args=(f"latent_coordinate_{axis}",))
                       for axis in range(dims)]
        decoded = model.decode(projection.to_code(coordinates))
        if entry.is_image_model:
            shown = (np.round(coordinates, 2) + 0.0).tolist()  # + 0.0 turns -0.0 into 0.0
            common.show_mosaic([[decoded[0]]], caption=f"decoded from {shown}")
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

if entry.capabilities.generative and entry.is_image_model:
    generation.show(model, images, codes[index], index)
