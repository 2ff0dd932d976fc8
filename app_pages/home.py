"""Home: what an autoencoder is, and the picked model's reconstructions of test images."""

import math
import string

import streamlit as st

from aecore import import_tensorflow_quietly
from aecore.cards import code_values
from aecore.datasets import source_in_words
from studio import common, models

st.title("Autoencoder Studio")
st.markdown(
    "An **autoencoder** learns to copy its input to its output through a narrow middle layer, the **code**. "
    "To squeeze an image through the code, the **encoder** must keep what matters and drop the rest; the "
    "**decoder** rebuilds the image from the code alone. Train it on noisy inputs with clean targets and "
    "it becomes a **denoiser**; look at its codes and you see how it organises the data."
)
DIGIT_DIAGRAM = string.Template("""digraph {
    rankdir=LR; node [shape=box, style="rounded,filled", fillcolor="#eef3fb", fontname="sans-serif"];
    input [label="input $kind\\n$size"]; encoder [label="encoder"];
    code [label="code\\n$code", fillcolor="#fde8c8"]; decoder [label="decoder"];
    output [label="reconstruction\\n$size"];
    input -> encoder -> code -> decoder -> output;
}""")
# A photo model is fully convolutional: its code is a map of features, and skips carry detail past it.
PHOTO_DIAGRAM = """digraph {
    rankdir=LR; node [shape=box, style="rounded,filled", fillcolor="#eef3fb", fontname="sans-serif"];
    input [label="noisy photo\\nany size"]; encoder [label="encoder\\n(strided convolutions)"];
    code [label="code\\n(feature maps at 1/8 size)", fillcolor="#fde8c8"];
    decoder [label="decoder\\n(upsampling)"]; output [label="denoised photo\\nsame size"];
    input -> encoder -> code -> decoder -> output;
    encoder -> decoder [label="skips", style=dashed, fontname="sans-serif"];
}"""


def digit_diagram(card):
    """The digit diagram with the sizes of the model that `card` describes (a generic one without a card); a model
    of points (one axis of coordinates, the Linear AE vs PCA page's) takes a point."""
    shape = (card.get("options") or {}).get("input_shape") or [28, 28, 1]
    values = code_values(card)
    kind, size = ("image", f"{math.prod(shape):,} pixels") if len(shape) > 1 else ("point", f"{shape[0]} coordinates")
    return DIGIT_DIAGRAM.substitute(kind=kind, size=size, code=f"{values:,} numbers" if values else "(a few numbers)")


entry = models.current_model(load=False)  # its card: on a fresh server the model is still loading
if entry is not None and entry.is_photo_model:
    st.graphviz_chart(PHOTO_DIAGRAM, width="content")
else:
    st.graphviz_chart(digit_diagram(entry.card if entry is not None else {}), width="content")
if entry is None:
    st.info(
        "There are no pretrained models in `pretrained/` yet, and none trained in this session. "
        "Quick start trains a small dense autoencoder on the bundled MNIST digits in a few seconds."
    )
    if st.button("Quick start: train a small model", type="primary", key="quick_start"):
        import_tensorflow_quietly()  # may still be loading in the background
        from studio.quick_start import quick_start

        quick_start()
        st.rerun()
    st.stop()

if not entry.is_image_model:
    st.info(f"{entry.key} works on 3-D points, not images: open **Linear AE vs PCA** to see it.")
    st.stop()

if entry.is_photo_model:
    from studio.photo_view import show_sample

    show_sample(models.current_model())
    st.stop()

st.subheader(f"Test images and their reconstructions by {entry.key.removeprefix(models.SESSION_PREFIX)}")
count = st.slider("Images", 4, 24, 12, step=4, key="home_count")
pictures = st.empty()
if not models.WARM.is_set():  # the originals now; their reconstructions once TensorFlow and the model have loaded
    with pictures:
        common.show_mosaic([list(models.dataset(entry.dataset_name or "mnist").x_test[:count])],
                           caption="test originals · their reconstructions follow once the model has loaded")
entry = models.current_model()
images, labels, data = models.test_images(entry, count)
reconstructions = entry.model.reconstruct(images)
with pictures:
    common.show_mosaic([list(images), list(reconstructions)], caption="top: test originals · bottom: reconstructions")
st.caption(f"Test data: {len(data.x_test):,} {data.name} test images; {source_in_words(data.source)}")
