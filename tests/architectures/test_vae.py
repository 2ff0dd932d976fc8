"""The variational autoencoder tracks reconstruction and KL losses apart, and predicts deterministically."""

import numpy as np
import pytest

from aecore.architectures import build
from aecore.training import TrainConfig, train


@pytest.mark.slow
def test_vae_reports_both_losses_and_decodes_the_mean(mnist_small):
    result = train("vae", mnist_small, TrainConfig(epochs=1, batch_size=64))
    history = result.history
    assert {"loss", "reconstruction_loss", "kl_loss", "val_loss", "val_reconstruction_loss"} <= set(history)
    assert history["kl_loss"][0] > 0
    np.testing.assert_allclose(history["loss"][0], history["reconstruction_loss"][0] + history["kl_loss"][0], rtol=1e-3)
    x = mnist_small.x_test[:8]
    np.testing.assert_array_equal(result.model.reconstruct(x), result.model.reconstruct(x))
    assert result.model.encode(x).shape == (8, 2)


def test_vae_latent_plane_decodes_to_images():
    model = build("vae")
    grid = np.stack(np.meshgrid(np.linspace(-2, 2, 3), np.linspace(-2, 2, 3)), -1).reshape(-1, 2)
    images = model.decode(grid)
    assert images.shape == (9, 28, 28, 1) and 0 <= images.min() and images.max() <= 1
