"""Hiding a rectangle, completing it with a model, and scoring the filled region against the mean image."""

import numpy as np
import pytest

from aecore.completion import Rectangle, complete, complete_many, hide, psnr_inside
from aecore.noise import add_noise


class MeanModel:
    """Stands in for a model that always answers with one fixed image."""

    def __init__(self, image):
        self.image = image

    def reconstruct(self, x):
        return np.broadcast_to(self.image, np.shape(x)).copy()


def test_hide_zeroes_the_rectangle_and_nothing_else(mnist):
    image = mnist.x_test[0]
    hidden = hide(image[None], Rectangle(5, 6, 4, 3))[0]
    assert np.all(hidden[5:9, 6:9] == 0)
    outside = np.ones(image.shape, bool)
    outside[5:9, 6:9] = False
    np.testing.assert_array_equal(hidden[outside], image[outside])


def test_completion_keeps_the_original_outside_and_scores_inside(mnist):
    image, mean_image = mnist.x_test[0], mnist.x_train.mean(axis=0)
    rectangle = Rectangle(8, 8, 12, 12)
    result = complete(MeanModel(mean_image), image, rectangle, mean_image)
    inside = rectangle.mask(image.shape)
    np.testing.assert_array_equal(result.completed[~inside], image[~inside])
    np.testing.assert_allclose(result.completed[inside], mean_image[inside])
    assert result.psnr_inside == pytest.approx(result.baseline_psnr_inside)  # a model of the mean image is the baseline
    expected = 10 * np.log10(1 / np.mean((image[inside] - mean_image[inside]) ** 2))
    assert result.psnr_inside == pytest.approx(expected, rel=1e-5)


def test_a_rectangle_that_does_not_fit_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        Rectangle(20, 20, 10, 5).mask((28, 28, 1))
    with pytest.raises(ValueError, match="at least one pixel"):
        Rectangle(0, 0, 0, 5).mask((28, 28, 1))


def test_block_noise_hides_one_rectangle_per_image_and_repeats_with_its_seed(mnist):
    images = np.ones((16, 28, 28, 1), np.float32)
    noisy = add_noise(images, "block:0.5", seed=3)
    for image in noisy[..., 0]:
        rows, columns = np.nonzero(image == 0)
        assert 1 <= np.ptp(rows) + 1 <= 14 and 1 <= np.ptp(columns) + 1 <= 14
        assert len(rows) == (np.ptp(rows) + 1) * (np.ptp(columns) + 1)  # one solid rectangle
    np.testing.assert_array_equal(noisy, add_noise(images, "block:0.5", seed=3))
    with pytest.raises(ValueError, match="rectangles of images"):
        add_noise(np.ones((4, 3), np.float32), "block:0.5")


@pytest.mark.slow
def test_a_model_trained_on_block_noise_beats_the_mean_image(mnist_small, mnist):
    from aecore.training import TrainConfig, train

    model = train("conv", mnist_small, TrainConfig(epochs=3, batch_size=32, noise="block:0.5")).model
    rectangle = Rectangle(10, 4, 8, 20)  # a band across the middle of the digits
    _, _, ours, baseline = complete_many(model, mnist.x_test[:200], rectangle, mnist_small.x_train.mean(axis=0))
    assert ours > baseline


def test_pooled_psnr_is_not_swayed_by_a_region_blank_in_one_image():
    rectangle = Rectangle(0, 0, 2, 2)
    targets = np.zeros((2, 4, 4, 1), np.float32)
    targets[1, :2, :2] = 1.0
    guesses = np.full_like(targets, 0.0)
    guesses[1, :2, :2] = 0.9  # an error of 0.1 in the second image, none in the first
    np.testing.assert_allclose(psnr_inside(targets, guesses, rectangle), [100.0, 20.0], atol=1e-6)
    assert psnr_inside(targets, guesses, rectangle, pooled=True) == pytest.approx(10 * np.log10(1 / 0.005))
