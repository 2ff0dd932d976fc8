"""Home: what an autoencoder is, and the picked model's reconstructions of test images."""

import html
import math

import streamlit as st

from aecore import import_tensorflow_quietly
from aecore.cards import ModelCard
from aecore.datasets import source_in_words
from studio import common, models

st.title("Autoencoder Studio")
st.markdown(
    "An **autoencoder** learns to copy its input to its output through a narrow middle layer, the **code**. "
    "To squeeze an image through the code, the **encoder** must keep what matters and drop the rest; the "
    "**decoder** rebuilds the image from the code alone. Train it on noisy inputs with clean targets and "
    "it becomes a **denoiser**; look at its codes and you see how it organises the data."
)
CHARACTER_WIDTH, LINE_HEIGHT, BOX_HEIGHT, GAP = 7.4, 17, 52, 34  # pixels, for 13 px sans-serif text


def flow_diagram(boxes, skip=None):
    """An SVG of boxes in a row joined by arrows, left to right: `boxes` are (lines, highlighted), and `skip` labels a
    dashed arc from the second box to the fourth. Drawn here rather than by Graphviz, whose layout engine the
    browser would load and run on every visit to Home (about 1 s of its main thread on a small CPU)."""
    widths = [max(len(line) for line in lines) * CHARACTER_WIDTH + 24 for lines, _ in boxes]
    lefts = [sum(widths[:index]) + GAP * index for index in range(len(boxes))]
    top = 38 if skip else 2
    width, height = lefts[-1] + widths[-1] + 2, top + BOX_HEIGHT + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height}" width="{width:.0f}" '
             f'height="{height}" font-family="sans-serif" font-size="13" '
             'fill="#31333f"><defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    for index, ((lines, highlighted), left, box_width) in enumerate(zip(boxes, lefts, widths)):
        parts.append(f'<rect x="{left + 1:.0f}" y="{top}" width="{box_width:.0f}" height="{BOX_HEIGHT}" rx="10" '
                     f'fill="{"#fde8c8" if highlighted else "#eef3fb"}" stroke="#555"/>')
        first = top + BOX_HEIGHT / 2 - (len(lines) - 1) * LINE_HEIGHT / 2 + 4
        for number, line in enumerate(lines):
            parts.append(f'<text x="{left + 1 + box_width / 2:.0f}" y="{first + number * LINE_HEIGHT:.0f}" '
                         f'text-anchor="middle">{html.escape(line)}</text>')
        if index:
            parts.append(f'<line x1="{left - GAP + 1:.0f}" y1="{top + BOX_HEIGHT / 2:.0f}" x2="{left:.0f}" '
                         f'y2="{top + BOX_HEIGHT / 2:.0f}" stroke="#555" marker-end="url(#head)"/>')
    if skip:
        start, end = lefts[1] + widths[1] / 2, lefts[3] + widths[3] / 2
        parts.append(f'<path d="M{start:.0f},{top} C{start:.0f},{top - 26} {end:.0f},{top - 26} {end:.0f},{top}" '
                     'fill="none" stroke="#555" stroke-dasharray="5,4" marker-end="url(#head)"/>')
        parts.append(f'<text x="{(start + end) / 2:.0f}" y="{top - 27}" text-anchor="middle" '
                     f'font-size="12">{html.escape(skip)}</text>')
    return "".join(parts) + "</svg>"


# A photo model is fully convolutional: its code is a map of features, and skips carry detail past it.
PHOTO_DIAGRAM = flow_diagram([(["noisy photo", "any size"], False), (["encoder", "(strided convolutions)"], False),
                              (["code", "(feature maps at 1/8 size)"], True), (["decoder", "(upsampling)"], False),
                              (["denoised photo", "same size"], False)], skip="skips")


def digit_diagram(card):
    """The diagram with the sizes of the model that `card` describes (a generic one without a card); a model of
    points (one axis of coordinates, the Linear AE vs PCA page's) takes a point."""
    shape = card.input_shape or (28, 28, 1)
    values = card.code_values
    kind, size = ("image", f"{math.prod(shape):,} pixels") if len(shape) > 1 else ("point", f"{shape[0]} coordinates")
    return flow_diagram([([f"input {kind}", size], False), (["encoder"], False),
                         (["code", f"{values:,} numbers" if values else "(a few numbers)"], True),
                         (["decoder"], False), (["reconstruction", size], False)])


entry = models.current_model(load=False)  # its card: on a fresh server the model is still loading
# an <img> of the SVG: the browser draws it as a picture (st.html drops SVG; no Markdown with HTML on these pages)
card = entry.card if entry is not None else ModelCard()
st.image(PHOTO_DIAGRAM if entry is not None and entry.is_photo_model else digit_diagram(card))
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
