"""Reconstruction metrics against known values and TensorFlow's own implementations."""

import numpy as np
import pytest
import tensorflow as tf

from aecore import metrics
from aecore.architectures import build


@pytest.fixture
def pair():
    rng = np.random.default_rng(0)
    clean = rng.random((6, 28, 28, 1)).astype(np.float32)
    return clean, np.clip(clean + 0.1 * rng.standard_normal(clean.shape), 0, 1).astype(np.float32)


def test_identical_images_score_perfectly(pair):
    clean, _ = pair
    scores = metrics.summarize(clean, clean)
    assert scores["mse"] == 0 and scores["psnr"] == pytest.approx(100) and scores["ssim"] == pytest.approx(1)


def test_psnr_and_bce_match_tensorflow(pair):
    clean, noisy = pair
    np.testing.assert_allclose(metrics.psnr(clean, noisy), tf.image.psnr(clean, noisy, 1.0).numpy(), rtol=1e-4)
    keras_bce = tf.keras.losses.binary_crossentropy(clean.reshape(6, -1), noisy.reshape(6, -1)).numpy()
    np.testing.assert_allclose(metrics.bce(clean, noisy), keras_bce, rtol=1e-3)


def test_ssim_is_close_to_tensorflows_and_orders_quality(pair):
    clean, noisy = pair
    ours, theirs = metrics.ssim(clean, noisy), tf.image.ssim(clean, noisy, 1.0).numpy()
    np.testing.assert_allclose(ours, theirs, atol=0.01)
    noisier = np.clip(clean + 0.3 * np.random.default_rng(1).standard_normal(clean.shape), 0, 1)
    assert (metrics.ssim(clean, noisier) < ours).all()
    assert metrics.ssim(clean[:, :8, :8], noisy[:, :8, :8]).shape == (6,)  # smaller than an 11x11 window


def test_mismatched_shapes_raise(pair):
    clean, noisy = pair
    with pytest.raises(ValueError, match="shapes differ"):
        metrics.mse(clean, noisy[:3])


def test_vectors_get_no_ssim_and_unbounded_values_no_bce():
    points = np.zeros((4, 3))
    assert set(metrics.summarize(points, points)) == {"mse", "bce", "psnr", "n"}
    centred = np.linspace(-1, 1, 12).reshape(4, 3)
    assert set(metrics.summarize(centred, centred)) == {"mse", "psnr", "n"}


def test_evaluate_model_scores_noisy_inputs_against_clean(mnist_small):
    model = build("dense")
    scores = metrics.evaluate_model(model, mnist_small.x_test, "gaussian:0.4", seed=0)
    assert scores["model"]["n"] == 64 and scores["noisy_input"]["psnr"] < 15
    assert metrics.evaluate_model(model, mnist_small.x_test)["noisy_input"] is None
    assert metrics.evaluate_model(model, mnist_small.x_test, "gaussian:0.4", seed=0) == scores


def test_evaluate_model_scores_the_noisy_baseline_by_the_metrics_asked(mnist_small):
    model = build("dense")
    scores = metrics.evaluate_model(model, mnist_small.x_test, "gaussian:0.4", baseline_metrics=["mse", "psnr"])
    assert set(scores["noisy_input"]) == {"mse", "psnr", "n"} and "ssim" in scores["model"]


def test_the_gain_over_noisy_inputs_comes_from_mean_errors_not_mean_psnrs():
    clean = np.zeros((2, 4, 4), np.float32)
    noisy = clean.copy()
    noisy[1] += 0.1  # the first image untouched by the noise (PSNR 100 dB), the second with MSE 0.01
    outputs = clean + np.float32(np.sqrt(0.001))  # both reconstructed with MSE 0.001
    assert metrics.psnr_gain(clean, noisy, outputs) == pytest.approx(10 * np.log10(0.005 / 0.001), abs=1e-4)  # +6.99 dB
    old = metrics.psnr(clean, outputs).mean() - metrics.psnr(clean, noisy).mean()
    assert old == pytest.approx(-30, abs=0.01)  # what a difference of mean PSNRs said: 30 - (100 + 20) / 2
    assert metrics.psnr_gain(clean, clean, clean) == 0.0
