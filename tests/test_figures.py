"""The shared pictures: mosaics and plotly figures."""

import numpy as np
import pytest

from aecore.figures import code_heatmap, latent_scatter, loss_curves, mosaic, points_and_planes, score_histograms


def test_mosaic_lays_out_rows_and_scales_pixels():
    image = np.zeros((4, 4, 1), np.float32)
    image[0, 0] = 1
    picture = mosaic([[image, image, image], [image]], scale=2, gap=1)
    assert picture.shape == (2 * (2 * 4 + 1), 2 * (3 * 4 + 2))
    assert picture[0, 0] == 1 and picture[1, 1] == 1  # one pixel became 2x2
    assert picture[-1, -1] == 1.0  # the empty cell is background
    with pytest.raises(ValueError, match="no images"):
        mosaic([[]])


def test_loss_curves_draw_train_and_validation():
    figure = loss_curves({"loss": [0.3, 0.2], "val_loss": [0.31, 0.25], "kl_loss": [5, 4]})
    assert [trace.name for trace in figure.data] == ["kl_loss", "loss", "val_loss"]
    assert figure.data[2].line.dash == "dash"


def test_latent_scatter_has_one_trace_per_class_with_hover():
    points = np.random.default_rng(0).normal(size=(30, 2))
    labels = np.repeat([0, 1, 2], 10)
    figure = latent_scatter(points, labels, ("a", "b", "c"), highlight=(0, 0))
    assert [trace.name for trace in figure.data] == ["a", "b", "c", "decoded point"]
    assert figure.data[1].text[0] == "label b<br>index 10" and list(figure.data[1].customdata[:2]) == [10, 11]
    figure_3d = latent_scatter(np.zeros((30, 3)), labels, ("a", "b", "c"))
    assert figure_3d.data[0].type == "scatter3d"


def test_code_heatmap_is_near_square():
    assert np.asarray(code_heatmap(np.arange(32)).data[0].z).shape == (8, 4)
    assert np.asarray(code_heatmap(np.arange(2)).data[0].z).shape == (2, 1)


def test_points_and_planes_shows_three_clouds():
    cloud = np.zeros((5, 3))
    assert len(points_and_planes(cloud, cloud, cloud).data) == 3


def test_before_after_splits_at_the_divider_with_a_line():
    from aecore.figures import before_after

    before, after = np.zeros((4, 10, 3), np.float32), np.full((4, 10, 3), 0.5, np.float32)
    combined = before_after(before, after, 0.3)
    assert combined.shape == (4, 10, 3)
    assert (combined[:, :2] == 0).all() and (combined[:, 2:4] == 1).all() and (combined[:, 4:] == 0.5).all()
    np.testing.assert_array_equal(before_after(before, after, 0), after)
    np.testing.assert_array_equal(before_after(before, after, 1), before)


def test_zoom_crop_stays_inside_and_repeats_pixels():
    from aecore.figures import zoom_crop

    image = np.arange(20 * 30, dtype=np.float32).reshape(20, 30) / 600
    crop = zoom_crop(image, 1.0, 0.0, size=8, scale=2)
    assert crop.shape == (16, 16)
    np.testing.assert_array_equal(crop[::2, ::2], (image[:8, -8:] * 255).round().astype(np.uint8))


def test_fit_for_display_shrinks_long_photos_to_8_bit():
    from aecore.figures import fit_for_display

    shown = fit_for_display(np.ones((300, 2400, 1), np.float32), max_side=600)
    assert shown.shape == (75, 600) and shown.dtype == np.uint8 and (shown == 255).all()
    assert fit_for_display(np.zeros((10, 10, 3), np.float32)).shape == (10, 10, 3)


def test_display_helpers_take_8_bit_photos_as_they_are():
    """The page keeps its results as uint8; showing them must not read 0-255 as 0-1 (which shows white)."""
    from aecore.figures import fit_for_display, zoom_crop

    photo = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    np.testing.assert_array_equal(fit_for_display(photo), photo)
    assert fit_for_display(photo, max_side=30).mean() == pytest.approx(photo.mean(), abs=1)
    crop = zoom_crop(photo, 0.0, 0.0, size=8, scale=2)
    assert crop.dtype == np.uint8 and crop.shape == (16, 16, 3)
    np.testing.assert_array_equal(crop[::2, ::2], photo[:8, :8])
    np.testing.assert_array_equal(zoom_crop(photo / 255, 0.0, 0.0, size=8, scale=1), photo[:8, :8])


def test_crop_locator_marks_where_the_zoomed_crop_is():
    from aecore.figures import crop_locator

    photo = np.zeros((400, 800, 1), np.uint8)  # gray, twice as wide as the locator: shrunk by 2
    shown = crop_locator(photo, 1.0, 1.0, size=100, width=400)
    assert shown.shape == (200, 400, 3) and shown.dtype == np.uint8
    marked = np.argwhere(shown.any(axis=-1))
    # the 100 x 100 crop at the bottom-right corner is a 50 x 50 box there, drawn as its outline
    assert marked.min(axis=0).tolist() == [150, 350] and marked.max(axis=0).tolist() == [199, 399]
    assert not shown[160:190, 360:390].any()
    small = np.full((50, 60, 3), 90, np.uint8)  # smaller than the locator: kept at its size
    assert crop_locator(small, 0.5, 0.5, size=20).shape == (50, 60, 3)


def test_the_anomaly_threshold_is_a_line_named_in_the_legend_not_a_label_over_the_bars():
    rng = np.random.default_rng(0)
    normal, anomalies = rng.normal(1, 0.2, 500), rng.normal(2, 0.3, 100)
    figure = score_histograms(normal, anomalies, threshold=1.5)
    line = figure.data[-1]
    assert line.name == "threshold 1.5" and list(line.x) == [1.5, 1.5]
    tallest = max(np.histogram(s, np.histogram_bin_edges(np.r_[normal, anomalies], bins=60))[0].max()
                  for s in (normal, anomalies))
    assert list(line.y) == [0, tallest]
    assert not figure.layout.annotations
    assert len(score_histograms(normal, anomalies).data) == 2
