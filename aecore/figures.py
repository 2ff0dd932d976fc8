"""The pictures the app draws, built once here: image mosaics (NumPy) and plotly figures.

Pages only place these on screen, so each kind of picture looks the same everywhere and can be
checked in tests without a browser.
"""

import numpy as np
import plotly.graph_objects as go

from aecore.images import as_8_bit

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def mosaic(rows, scale=3, gap=2, background=1.0):
    """One image made of rows of equally sized images (each H x W or H x W x C in [0, 1]).

    Pixels are repeated `scale` times so small digits stay crisp when the browser shows them.
    """
    rows = [[np.asarray(image, np.float32) for image in row] for row in rows]
    images = [image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image for row in rows for image in row]
    if not images:
        raise ValueError("no images to draw")
    height, width = images[0].shape[:2]
    columns = max(len(row) for row in rows)
    channels = images[0].shape[2:] if images[0].ndim == 3 else ()
    canvas = np.full((len(rows) * (height + gap) - gap, columns * (width + gap) - gap, *channels), background, np.float32)
    index = 0
    for r, row in enumerate(rows):
        for c in range(len(row)):
            top, left = r * (height + gap), c * (width + gap)
            canvas[top : top + height, left : left + width] = images[index]
            index += 1
    canvas = np.clip(canvas, 0, 1)
    return np.kron(canvas, np.ones((scale, scale) + (1,) * len(channels), np.float32)) if scale > 1 else canvas


def loss_curves(history, title="Loss per epoch"):
    """Training and validation losses per epoch (every `loss` key of a Keras history)."""
    figure = go.Figure()
    for key in sorted(key for key in history if key.endswith("loss")):
        values = history[key]
        figure.add_trace(go.Scatter(x=list(range(1, len(values) + 1)), y=values, mode="lines+markers", name=key,
                                    line=dict(dash="dash" if key.startswith("val_") else "solid")))
    figure.update_layout(title=title, xaxis_title="epoch", yaxis_title="loss", height=320,
                         margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.25))
    return figure


def latent_scatter(points, labels, class_names, title="Latent space", highlight=None, selected=None,
                   neighbours=(), drawn=None):
    """A 2-D or 3-D scatter of projected codes, one colour per class; hover shows label and index.

    Marks, where given: `highlight` (a typed point, 2-D only) with a cross, the `selected` point's
    index with a ring and its `neighbours` (indices) with smaller rings, and `drawn` (the position
    of a drawing) with a gold diamond.
    """
    points = np.asarray(points)
    dims = points.shape[1]
    figure = go.Figure()
    indices = np.arange(len(points))
    for class_index, class_name in enumerate(class_names):
        mask = labels == class_index
        if not mask.any():
            continue
        hover = [f"label {class_name}<br>index {i}" for i in indices[mask]]
        marker = dict(size=4 if dims == 3 else 6, color=PALETTE[class_index % len(PALETTE)], opacity=0.8)
        figure.add_trace(_scatter(points[mask], mode="markers", name=str(class_name), marker=marker, text=hover,
                                  hoverinfo="text", customdata=indices[mask]))
    rings = [("selected image", [selected] if selected is not None else [], 18),
             (f"{len(neighbours)} nearest in code space", list(neighbours), 12)]
    for name, chosen, size in rings:
        if len(chosen):
            figure.add_trace(_scatter(points[chosen], mode="markers", name=name, hoverinfo="skip",
                                      marker=dict(size=size, symbol="circle-open", color="black")))
    if drawn is not None:
        marker = dict(size=16, symbol="diamond", color="gold", line=dict(width=1.5, color="black"))
        figure.add_trace(_scatter(np.reshape(drawn, (1, dims)), mode="markers", name="your drawing", marker=marker))
    if highlight is not None and dims == 2:
        figure.add_trace(go.Scatter(x=[highlight[0]], y=[highlight[1]], mode="markers", name="decoded point",
                                    marker=dict(size=16, symbol="x", color="black")))
    figure.update_layout(title=title, height=520, margin=dict(l=10, r=10, t=40, b=10), legend_title_text="class")
    return figure


def _scatter(points, **options):
    """A plotly scatter trace of N x 2 or N x 3 points."""
    if points.shape[1] == 3:
        return go.Scatter3d(x=points[:, 0], y=points[:, 1], z=points[:, 2], **options)
    return go.Scatter(x=points[:, 0], y=points[:, 1], **options)


def code_heatmap(code, title="Code"):
    """One code vector drawn as a small heat-map image, laid out as close to square as it divides."""
    code = np.asarray(code, np.float32).ravel()
    columns = next(c for c in range(int(np.sqrt(len(code))), 0, -1) if len(code) % c == 0)
    if columns == 1 and len(code) > 8:
        columns = int(np.ceil(np.sqrt(len(code))))
    rows = int(np.ceil(len(code) / columns))
    grid = np.full(rows * columns, np.nan, np.float32)
    grid[: len(code)] = code
    figure = go.Figure(go.Heatmap(z=grid.reshape(rows, columns), colorscale="Viridis", showscale=True,
                                  hovertemplate="unit %{customdata}<br>value %{z:.3f}<extra></extra>",
                                  customdata=np.arange(rows * columns).reshape(rows, columns)))
    figure.update_layout(title=title, height=260, margin=dict(l=10, r=10, t=40, b=10),
                         xaxis=dict(visible=False), yaxis=dict(visible=False, autorange="reversed"))
    return figure


def points_and_planes(points, reconstructions, pca_projection, title="3-D points and their reconstructions"):
    """The 3-D cloud with its linear-autoencoder reconstructions, which lie on a plane."""
    figure = go.Figure()
    figure.add_trace(go.Scatter3d(x=points[:, 0], y=points[:, 1], z=points[:, 2], mode="markers", name="points",
                                  marker=dict(size=3, color="#1f77b4", opacity=0.6)))
    figure.add_trace(go.Scatter3d(x=reconstructions[:, 0], y=reconstructions[:, 1], z=reconstructions[:, 2],
                                  mode="markers", name="autoencoder reconstructions",
                                  marker=dict(size=3, color="#d62728", opacity=0.8)))
    figure.add_trace(go.Scatter3d(x=pca_projection[:, 0], y=pca_projection[:, 1], z=pca_projection[:, 2],
                                  mode="markers", name="PCA reconstructions",
                                  marker=dict(size=2, color="#2ca02c", opacity=0.8)))
    figure.update_layout(title=title, height=480, margin=dict(l=0, r=0, t=40, b=0))
    return figure


def fit_for_display(image, max_side=1200):
    """`image` as 8-bit, shrunk (area-averaged) so its long side is at most `max_side`.

    `image` is 8-bit already (taken as it is) or floating point in [0, 1]. Used to show a big photo on
    a page; downloads keep the full resolution.
    """
    from PIL import Image

    pixels = as_8_bit(image)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    height, width = pixels.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return pixels
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(pixels).resize(size, Image.Resampling.BOX))


def before_after(before, after, position):
    """One image: `before` left of the column at `position` (0-1 of the width), `after` right of it, a white line between."""
    before, after = np.asarray(before, np.float32), np.asarray(after, np.float32)
    if before.shape != after.shape:
        raise ValueError(f"shapes differ: {before.shape} and {after.shape}")
    width = before.shape[1]
    split = int(round(np.clip(position, 0, 1) * width))
    combined = np.concatenate([before[:, :split], after[:, split:]], axis=1)
    if 0 < split < width:
        combined[:, max(0, split - 1) : split + 1] = 1.0
    return np.clip(combined, 0, 1)


def crop_box(shape, centre_x, centre_y, size):
    """`(top, left, height, width)` of the `size` x `size` crop around (centre_x, centre_y), kept inside `shape`."""
    height, width = shape[:2]
    side_h, side_w = min(size, height), min(size, width)
    top = int(np.clip(round(centre_y * height - side_h / 2), 0, height - side_h))
    left = int(np.clip(round(centre_x * width - side_w / 2), 0, width - side_w))
    return top, left, side_h, side_w


def zoom_crop(image, centre_x, centre_y, size=160, scale=2):
    """A `size` x `size` crop of `image` around (centre_x, centre_y) (fractions of width and height), pixels repeated `scale` times, as 8-bit.

    `image` is 8-bit or floating point in [0, 1], as for `fit_for_display`; only the crop is converted.
    """
    image = np.asarray(image)
    top, left, side_h, side_w = crop_box(image.shape, centre_x, centre_y, size)
    crop = as_8_bit(image[top : top + side_h, left : left + side_w])
    return crop.repeat(scale, axis=0).repeat(scale, axis=1)


def crop_locator(image, centre_x, centre_y, size, width=240, colour=(255, 200, 0)):
    """The whole of `image` shrunk to `width` pixels across, in RGB, with the `zoom_crop` box drawn on it."""
    from PIL import Image, ImageDraw

    image = np.asarray(image)
    top, left, side_h, side_w = crop_box(image.shape, centre_x, centre_y, size)
    shrink = max(1.0, image.shape[1] / width)
    pixels = as_8_bit(image)
    thumbnail = Image.fromarray(pixels[..., 0] if pixels.ndim == 3 and pixels.shape[-1] == 1 else pixels).convert("RGB")
    thumbnail = thumbnail.resize((max(1, round(image.shape[1] / shrink)), max(1, round(image.shape[0] / shrink))),
                                 Image.Resampling.BOX, reducing_gap=2.0)
    box = [left / shrink, top / shrink, (left + side_w) / shrink - 1, (top + side_h) / shrink - 1]
    ImageDraw.Draw(thumbnail).rectangle(box, outline=colour, width=2)
    return np.asarray(thumbnail)


def score_histograms(normal_scores, anomalous_scores, threshold=None, title="Anomaly scores of the test images"):
    """Overlaid histograms of the scores of normal and anomalous images, with the threshold as a line.

    The threshold is a trace named in the legend, not a label on the plot, where it covered the bars.
    """
    figure = go.Figure()
    edges = np.histogram_bin_edges(np.r_[normal_scores, anomalous_scores], bins=60)
    for name, scores, colour in (("normal", normal_scores, PALETTE[0]), ("anomalies", anomalous_scores, PALETTE[3])):
        figure.add_trace(go.Histogram(x=scores, name=f"{name} ({len(scores):,})", marker_color=colour, opacity=0.6,
                                      xbins=dict(start=edges[0], end=edges[-1], size=edges[1] - edges[0])))
    if threshold is not None:
        tallest = max(np.histogram(scores, edges)[0].max(initial=0) for scores in (normal_scores, anomalous_scores))
        figure.add_trace(go.Scatter(x=[threshold, threshold], y=[0, tallest], mode="lines", name=f"threshold {threshold:.4g}",
                                    line=dict(dash="dash", color="black"), hoverinfo="name"))
    figure.update_layout(title=title, barmode="overlay", xaxis_title="score (higher: more anomalous)",
                         yaxis_title="images", height=340, margin=dict(l=10, r=10, t=40, b=10),
                         legend=dict(orientation="h", y=-0.3))
    return figure


def roc_figure(roc, point=None, title=None):
    """The ROC curve of an `aecore.anomaly.Roc`, its AUROC in the title, and the current threshold's point."""
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=roc.false_alarm_rates, y=roc.detection_rates, mode="lines", name="detector",
                                line=dict(color=PALETTE[0])))
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line=dict(dash="dot", color="gray")))
    if point is not None:
        figure.add_trace(go.Scatter(x=[point[0]], y=[point[1]], mode="markers", name="threshold",
                                    marker=dict(size=12, color="black", symbol="x")))
    figure.update_layout(title=title or f"ROC curve · AUROC {roc.auroc:.3f}", xaxis_title="false-alarm rate",
                         yaxis_title="detection rate", height=340, margin=dict(l=10, r=10, t=40, b=10),
                         xaxis=dict(range=[0, 1]), yaxis=dict(range=[0, 1.02]), legend=dict(orientation="h", y=-0.3))
    return figure
