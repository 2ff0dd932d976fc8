"""The camera degradation pipeline: unprocessing round trips, noise that depends on the signal, the mix."""

import numpy as np
import pytest

from aecore import degrade as d
from aecore.photos import PatchSampler


def smooth_photo(size=64, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    return np.stack([np.sin(5 * x * rng.random() + 3 * y + c) * 0.35 + 0.5 for c in range(3)], -1).astype(np.float32)


def test_processing_undoes_unprocessing_away_from_highlights():
    rng = np.random.default_rng(1)
    photo = smooth_photo() * 0.8  # no highlights, where the gains' inversion fades out
    for _ in range(5):
        camera = d.random_camera(rng)
        np.testing.assert_allclose(d.process(d.unprocess(photo, camera), camera), photo, atol=1e-4)


def test_a_random_camera_keeps_gray_gray_in_its_own_rgb():
    camera = d.random_camera(np.random.default_rng(2))
    np.testing.assert_allclose(camera.rgb_to_cam.sum(axis=1), 1, atol=1e-9)
    assert 1.9 <= camera.red_gain <= 2.4 and 1.5 <= camera.blue_gain <= 1.9


def test_read_noise_rises_with_shot_noise_along_the_fitted_line():
    assert d.read_noise_for(0.001) < d.read_noise_for(0.002) < d.read_noise_for(0.01)
    levels = [d.random_noise_levels(np.random.default_rng(seed)) for seed in range(200)]
    shots = np.array([shot for shot, _ in levels])
    assert d.SHOT_RANGE[0] <= shots.min() and shots.max() <= d.SHOT_RANGE[1]


def test_camera_noise_is_stronger_in_light_than_in_shadow_and_seeded():
    image = np.concatenate([np.full((64, 32, 3), 0.1, np.float32), np.full((64, 32, 3), 0.5, np.float32)], axis=1)
    camera = d.NEUTRAL_CAMERA
    noisy = d.camera_noise(image, 0.01, 0.0, np.random.default_rng(3), camera=camera, bayer=False)
    # Linear-light shot noise grows with the signal; the tone curve's slope shapes it after.
    linear_dark = d.unprocess(noisy[:, :32], camera) - d.unprocess(image[:, :32], camera)
    linear_light = d.unprocess(noisy[:, 32:], camera) - d.unprocess(image[:, 32:], camera)
    assert linear_light.std() > 1.5 * linear_dark.std()
    again = d.camera_noise(image, 0.01, 0.0, np.random.default_rng(3), camera=camera, bayer=False)
    np.testing.assert_array_equal(noisy, again)


def test_bayer_noise_is_correlated_between_neighbours_and_white_noise_is_not():
    image = np.full((128, 128, 3), 0.4, np.float32)
    rng = np.random.default_rng(4)

    def neighbour_correlation(noise):
        plane = noise[..., 1]
        return np.corrcoef(plane[:, :-1].ravel(), plane[:, 1:].ravel())[0, 1]

    bayer = d.camera_noise(image, 0.01, 1e-4, rng, camera=d.NEUTRAL_CAMERA, bayer=True) - image
    white = d.gaussian_noise(image, 0.05, rng) - image
    assert neighbour_correlation(bayer) > 0.2
    assert abs(neighbour_correlation(white)) < 0.05


def test_gaussian_kinds():
    image = np.zeros((64, 64, 3), np.float32)
    rng = np.random.default_rng(5)
    gray = d.gaussian_noise(image, 0.1, rng, "gray")
    assert np.array_equal(gray[..., 0], gray[..., 2]) and 0.08 < gray.std() < 0.12
    white = d.gaussian_noise(image, 0.1, rng, "white")
    assert abs(np.corrcoef(white[..., 0].ravel(), white[..., 1].ravel())[0, 1]) < 0.05
    correlated = d.gaussian_noise(image, 0.1, rng, "correlated")
    assert 0.07 < np.sqrt((correlated ** 2).sum(-1).mean() / 3) < 0.13  # total variance 3 sigma^2
    with pytest.raises(ValueError, match="unknown Gaussian kind"):
        d.gaussian_noise(image, 0.1, rng, "pink")


def test_jpeg_subsampling_puts_colour_noise_in_blocks():
    rng = np.random.default_rng(6)
    noisy = d.gaussian_noise(np.full((64, 64, 3), 0.5, np.float32), 0.08, rng)
    for subsampling in ("4:2:0", "4:4:4"):
        out = d.jpeg(noisy, 90, subsampling)
        assert out.shape == noisy.shape and out.dtype == np.float32
    chroma = lambda img: img[..., 0] - img[..., 1]  # noqa: E731
    coarse, fine = chroma(d.jpeg(noisy, 90, "4:2:0")), chroma(d.jpeg(noisy, 90, "4:4:4"))
    assert np.abs(np.diff(coarse, axis=1)).mean() < 0.7 * np.abs(np.diff(fine, axis=1)).mean()


def test_spatial_correlation_keeps_the_noise_level():
    rng = np.random.default_rng(7)
    clean = smooth_photo(96)
    noisy = d.gaussian_noise(clean, 0.1, rng)
    spread = d.correlate_spatially(clean, noisy, 0.5)
    assert abs((spread - clean).std() - (noisy - clean).std()) < 0.01


def test_degrade_draws_every_kind_and_step_of_the_mix_and_repeats_with_its_seed():
    clean = smooth_photo(48)
    rng = np.random.default_rng(8)
    seen = " ".join(d.degrade(clean, rng)[2] for _ in range(300))
    for word in ("white", "gray", "correlated", "camera", "bayer", "jpeg", "4:2:0", "4:4:4", "8-bit", "spatial",
                 "gray photo"):
        assert word in seen
    first, second = d.degrade(clean, np.random.default_rng(9)), d.degrade(clean, np.random.default_rng(9))
    np.testing.assert_array_equal(first[0], second[0])
    assert first[2] == second[2]


def test_a_gray_photo_patch_gets_gray_noise_and_a_gray_target():
    mix = d.Mix(gray_photo=1.0, jpeg=0.0)
    noisy, clean, description = d.degrade(smooth_photo(32), np.random.default_rng(10), mix)
    assert description.startswith("gray photo")
    assert np.array_equal(clean[..., 0], clean[..., 1]) and np.array_equal(noisy[..., 0], noisy[..., 2])


def test_the_mix_is_written_to_a_card_as_plain_json():
    card = d.DEFAULT_MIX.as_card()
    assert card["shot_range"] == list(d.SHOT_RANGE) and abs(card["white"] + card["gray"] + card["correlated"]
                                                             + card["camera"] - 1) < 1e-9


def test_a_mix_with_changes_keeps_the_rest_and_names_a_wrong_share():
    mix = d.Mix.with_changes({"jpeg": 0.6, "jpeg_quality": [60, 95]})
    assert mix.jpeg == 0.6 and mix.jpeg_quality == (60, 95) and mix.camera == d.DEFAULT_MIX.camera
    with pytest.raises(ValueError, match="no such share in the mix: jpg"):
        d.Mix.with_changes({"jpg": 0.6})


@pytest.mark.parametrize("channels", [1, 3])
def test_the_patch_sampler_degrades_by_the_mix_with_loss_weights(channels):
    photos = [(smooth_photo(80, seed) * 255).astype(np.uint8)[..., :channels] for seed in range(3)]
    sampler = PatchSampler(photos, patch_size=32, batch_size=6, batches=2, scales=(0.5, 1.0), equalize_sigmas=True,
                           mix=d.DEFAULT_MIX, seed=0)
    noisy, clean, weights = sampler[0]
    assert noisy.shape == clean.shape == (6, 32, 32, channels)
    assert weights.shape == (6, 1, 1) and abs(weights.mean() - 1) < 1e-5
    assert 0 <= clean.min() and clean.max() <= 1 and not np.array_equal(noisy, clean)
