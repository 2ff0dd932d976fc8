"""Noise kinds, their ranges, clipping and seeding."""

import numpy as np
import pytest

from aecore.noise import Noise, add_noise


@pytest.fixture
def images():
    return np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)


def test_gaussian_noise_has_the_asked_sigma_and_stays_in_range(images):
    flat = np.full((4, 64, 64, 1), 0.5, np.float32)
    noisy = add_noise(flat, "gaussian:0.1", seed=3)
    assert 0.09 < (noisy - flat).std() < 0.11
    assert add_noise(images, "gaussian:0.8").min() == 0.0 and add_noise(images, "gaussian:0.8").max() == 1.0


def test_masking_zeroes_about_the_asked_fraction():
    ones = np.ones((4, 64, 64, 1), np.float32)
    masked = add_noise(ones, Noise("masking", 0.3), seed=1)
    assert set(np.unique(masked)) <= {0.0, 1.0}
    assert 0.27 < (masked == 0).mean() < 0.33


def test_salt_and_pepper_splits_between_black_and_white():
    grey = np.full((4, 64, 64, 1), 0.5, np.float32)
    noisy = add_noise(grey, "salt_and_pepper:0.2", seed=2)
    assert 0.08 < (noisy == 0).mean() < 0.12 and 0.08 < (noisy == 1).mean() < 0.12


def test_same_seed_same_noise_other_seed_other_noise(images):
    np.testing.assert_array_equal(add_noise(images, "gaussian:0.4", seed=7), add_noise(images, "gaussian:0.4", seed=7))
    assert not np.array_equal(add_noise(images, "gaussian:0.4", seed=7), add_noise(images, "gaussian:0.4", seed=8))


def test_no_noise_returns_the_input(images):
    np.testing.assert_array_equal(add_noise(images, None), images)
    np.testing.assert_array_equal(add_noise(images, "gaussian:0"), images)


@pytest.mark.parametrize(
    "text, message",
    [
        ("gaussian:1.5", "between 0 and 1.0"),
        ("gaussian:-0.1", "between 0 and 1.0"),
        ("masking:0.6", "between 0 and 0.5"),
        ("salt_and_pepper:0.9", "between 0 and 0.5"),
        ("speckle:0.1", "unknown noise kind"),
        ("gaussian", "needs a level"),
        ("gaussian:lots", "not a number"),
    ],
)
def test_bad_noise_raises_a_clear_value_error(text, message):
    with pytest.raises(ValueError, match=message):
        Noise.parse(text)


def test_noise_prints_as_it_parses():
    assert str(Noise.parse("gaussian:0.4")) == "gaussian:0.4"
    assert Noise.parse("none") is None


def test_a_photographers_sigma_is_gaussian_noise_on_the_image_scale():
    from aecore.noise import Noise

    noise = Noise.from_sigma(25.5)
    assert noise == Noise("gaussian", 0.1) and noise.sigma == pytest.approx(25.5)
    assert Noise.from_sigma(0) is None and Noise.from_sigma(None) is None
    with pytest.raises(ValueError, match="between 0 and 255"):
        Noise.from_sigma(-1)
