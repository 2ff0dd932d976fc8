"""The one denoise pipeline: tiles that blend invisibly, any size, the noise estimate, both model kinds."""

import tracemalloc

import numpy as np
import pytest

from aecore.architectures import build
from aecore.denoise import (
    add_gaussian_noise,
    denoise,
    denoise_photo,
    estimate_sigma,
    is_photo_model,
    match_channels,
)
from aecore.noise import Noise


@pytest.fixture(scope="module")
def photo_model():
    return build("photo", input_shape=(None, None, 3), widths=[8, 16, 16], bottleneck_blocks=1)


def smooth_photo(height, width, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / 50.0
    return np.stack([0.5 + 0.3 * np.sin(x * rng.random() * 3 + y * rng.random() * 2 + c) for c in range(3)],
                    -1).astype(np.float32)


@pytest.mark.parametrize("sigma", [5, 25, 50])
def test_estimate_sigma_recovers_the_added_noise(sigma):
    clean = smooth_photo(256, 320)
    noisy = add_gaussian_noise(clean, sigma, seed=1, clip=False)
    assert estimate_sigma(noisy) * 255 == pytest.approx(sigma, rel=0.08, abs=0.8)
    assert estimate_sigma(clean) * 255 < 1


def test_tile_weights_add_up_to_one_everywhere():
    # With the noise branch silenced the model is the identity, so any error is the blending's own.
    identity = build("photo", input_shape=(None, None, 3), widths=[8, 16], bottleneck_blocks=1)
    layer = identity.decoder.get_layer("noise")
    layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    image = add_gaussian_noise(smooth_photo(150, 230), 20, seed=2)
    fractions = []
    tiled = denoise_photo(identity, image, tile=64, overlap=24, on_progress=fractions.append)
    assert len(fractions) == 4 * 6 and fractions == sorted(fractions) and fractions[-1] == 1.0
    np.testing.assert_allclose(tiled, image, atol=1e-6)


class Unchanged:
    """A stand-in for a 3-channel photo model that gives back what it is given: the tiling's own memory shows."""

    example_shape = (None, None, 3)

    def __call__(self, batch, training=False):
        return batch


def test_tiling_holds_one_float_copy_of_the_photo_at_most():
    # The sum of the blended tiles is the only full-size array made; it is divided and clipped in place.
    # Before, a weight map, the quotient and the clipped copy made it 3.3 copies (a 12 MP photo: 475 MB).
    image = np.random.default_rng(4).random((600, 800, 3), dtype=np.float32)
    tracemalloc.start()
    try:
        output = denoise_photo(Unchanged(), image, tile=128, overlap=16)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_allclose(output, image, atol=1e-6)
    assert peak < 1.25 * image.nbytes


@pytest.mark.parametrize("size", [(1, 1), (5, 7), (37, 53), (64, 8)])
def test_any_size_comes_back_the_same_size_in_range(photo_model, size):
    image = np.random.default_rng(3).random((*size, 3), dtype=np.float32)
    output = denoise_photo(photo_model, image, tile=32, overlap=8)
    assert output.shape == image.shape and 0 <= output.min() and output.max() <= 1


def test_the_wrong_channel_count_is_a_clear_error(photo_model):
    with pytest.raises(ValueError, match="3-channel"):
        denoise_photo(photo_model, np.zeros((16, 16, 1), np.float32))


def test_match_channels_and_clipped_noise():
    colour = smooth_photo(8, 8)
    gray = match_channels(colour, 1)
    assert gray.shape == (8, 8, 1)
    np.testing.assert_allclose(gray[..., 0], colour @ np.float32([0.299, 0.587, 0.114]), rtol=1e-6)
    assert match_channels(gray, 3).shape == (8, 8, 3)
    noisy = add_gaussian_noise(colour, 40, seed=0)
    assert 0 <= noisy.min() and noisy.max() <= 1 and np.allclose(noisy * 255, np.round(noisy * 255), atol=1e-4)
    np.testing.assert_array_equal(noisy, add_gaussian_noise(colour, 40, seed=0))


def test_photo_models_keep_colour_and_size_and_score_added_noise(photo_model):
    image = smooth_photo(40, 60)
    result = denoise(photo_model, image, noise=Noise.from_sigma(25), seed=0)
    assert is_photo_model(photo_model)
    assert result.output.shape == result.reference.shape == (40, 60, 3)
    np.testing.assert_array_equal(result.reference, image)
    assert 15 < result.estimated_sigma < 35
    assert set(result.scores()) == {"psnr", "ssim", "noisy_psnr", "noisy_ssim"}
    with pytest.raises(ValueError, match="between 0 and 255"):
        Noise.from_sigma(300)
    with pytest.raises(ValueError, match="Gaussian noise"):
        denoise(photo_model, image, noise="masking:0.2")


def test_a_gray_photo_model_says_it_turned_a_colour_photo_gray():
    gray_model = build("photo", input_shape=(None, None, 1), widths=[8, 16], bottleneck_blocks=1)
    result = denoise(gray_model, smooth_photo(16, 16))
    assert result.output.shape == (16, 16, 1) and "gray" in result.notes[0]


@pytest.mark.slow
def test_digit_models_keep_the_mnist_path(mnist_small):
    from aecore.training import TrainConfig, train

    model = train("conv", mnist_small, TrainConfig(epochs=1, validation_split=0.0)).model
    picture = np.pad(1 - mnist_small.x_test[0, ..., 0], 20, constant_values=1)  # dark ink on a big white page
    result = denoise(model, picture, noise="gaussian:0.3")
    assert not is_photo_model(model)
    assert result.reference.shape == result.output.shape == (28, 28, 1)
    assert not np.array_equal(result.noisy, result.reference)
    # one description of noise for both: a photographer's sigma of 25 is gaussian:0.098 on a digit too
    np.testing.assert_array_equal(denoise(model, picture, noise=Noise.from_sigma(25), seed=3).noisy,
                                  denoise(model, picture, noise=f"gaussian:{25 / 255}", seed=3).noisy)


@pytest.mark.slow
def test_the_ensemble_turns_with_the_image_as_one_network_does_not(photo_model):
    image = add_gaussian_noise(smooth_photo(40, 56), 25, seed=4, clip=False)
    turned = lambda picture: np.rot90(picture[:, ::-1])  # noqa: E731
    plain = denoise_photo(photo_model, image), denoise_photo(photo_model, turned(image))
    assert np.abs(turned(plain[0]) - plain[1]).max() > 1e-3
    fractions = []
    both = denoise_photo(photo_model, image, ensemble=True, on_progress=fractions.append), \
        denoise_photo(photo_model, turned(image), ensemble=True)
    np.testing.assert_allclose(turned(both[0]), both[1], atol=1e-5)
    assert fractions == [step / 8 for step in range(1, 9)]
    tiled = []
    denoise_photo(photo_model, image, tile=32, overlap=8, ensemble=True, on_progress=tiled.append)
    assert len(tiled) == 4 * 8 and tiled == sorted(tiled) and tiled[-1] == 1.0


def test_blend_takes_away_the_share_of_luminance_and_colour_noise_asked_for():
    from aecore.denoise import blend

    rng = np.random.default_rng(0)
    output = smooth_photo(32, 32)
    luminance_noise = np.repeat(rng.normal(0, 0.05, (32, 32, 1)), 3, axis=-1).astype(np.float32)
    colour_noise = rng.normal(0, 0.05, (32, 32, 3)).astype(np.float32)
    colour_noise -= (colour_noise @ np.float32([0.299, 0.587, 0.114]))[..., np.newaxis]  # no luminance
    noisy = output + luminance_noise + colour_noise
    np.testing.assert_array_equal(blend(noisy, output), output)
    np.testing.assert_allclose(blend(noisy, output, 0.0), np.clip(noisy, 0, 1), atol=1e-6)
    only_colour = blend(noisy, output, strength=0.0, colour_strength=1.0)
    np.testing.assert_allclose(only_colour, np.clip(output + luminance_noise, 0, 1), atol=1e-5)
    half = blend(noisy, output, 0.5)
    np.testing.assert_allclose(half, np.clip(output + 0.5 * (luminance_noise + colour_noise), 0, 1), atol=1e-5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        blend(noisy, output, 1.5)


def test_the_removed_noise_is_measured_apart_for_luminance_and_colour(photo_model):
    from aecore.denoise import Denoised, noise_in_words

    clean = smooth_photo(32, 32)
    gray_noise = np.repeat(np.random.default_rng(1).normal(0, 10 / 255, (32, 32, 1)), 3, -1).astype(np.float32)
    result = Denoised(clean, clean + gray_noise, clean, 0.0, 0.0)
    luminance, colour = result.removed
    assert 9 < luminance < 11 and colour < 1e-3
    assert [noise_in_words(s) for s in (0.5, 3, 6, 12, 30)] == ["almost none", "light", "moderate", "strong",
                                                                 "very strong"]


def test_the_removed_noise_of_a_tall_photo_is_measured_block_by_block_as_over_the_whole():
    from aecore.denoise import Denoised
    from aecore.images import BLOCK_ROWS, LUMA

    rng = np.random.default_rng(5)
    clean = smooth_photo(2 * BLOCK_ROWS + 37, 40)
    noisy = (clean + rng.normal(0.01, 12 / 255, clean.shape)).astype(np.float32)
    difference = noisy - clean
    luminance = difference @ LUMA
    expected = (luminance.std() * 255, (difference - luminance[..., np.newaxis]).std() * 255)
    assert Denoised(clean, noisy, clean, 0.0, 0.0).removed == pytest.approx(expected, rel=1e-4)
    gray = Denoised(clean[..., :1], noisy[..., :1], clean[..., :1], 0.0, 0.0).removed
    assert gray == pytest.approx((difference[..., 0].std() * 255, 0.0), rel=1e-4)


def test_a_gray_picture_given_a_colour_model_goes_to_the_shipped_gray_model(tmp_path, monkeypatch, photo_model):
    from aecore import zoo
    from aecore.denoise import GRAY_MODEL, photo_model_for

    gray_model = build("photo", input_shape=(None, None, 1), widths=[8, 16, 16], bottleneck_blocks=1)
    zoo.save_model(gray_model, tmp_path, GRAY_MODEL, {"name": GRAY_MODEL, "architecture": "photo"})
    monkeypatch.setenv("AESTUDIO_PRETRAINED_DIR", str(tmp_path))
    gray = np.repeat(smooth_photo(24, 24)[..., :1], 3, axis=-1)
    routed, note = photo_model_for(photo_model, gray)
    assert routed.example_shape[-1] == 1 and GRAY_MODEL in note
    assert photo_model_for(photo_model, smooth_photo(24, 24)) == (photo_model, None)  # colour stays
    result = denoise(photo_model, gray, noise=Noise.from_sigma(20))
    assert result.output.shape == (24, 24, 1) and any(GRAY_MODEL in note for note in result.notes)
    from aecore.denoise import inference_model

    expected = np.asarray(inference_model(routed)(result.noisy[np.newaxis]))[0]
    np.testing.assert_allclose(result.output, np.clip(expected, 0, 1), atol=1e-5)
    monkeypatch.setenv("AESTUDIO_PRETRAINED_DIR", str(tmp_path / "none"))
    assert photo_model_for(photo_model, gray) == (photo_model, None)  # no gray model installed: as asked
