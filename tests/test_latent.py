"""Projections of codes, decoding picked points, manifold grids, interpolation, PCA agreement."""

import numpy as np
import pytest

from aecore.architectures import build
from aecore.datasets import load_dataset
from aecore.latent import interpolate, manifold_grid, principal_subspace_angle, project
from aecore.training import TrainConfig, train


@pytest.fixture(scope="module")
def codes():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 64)) * 5
    return np.concatenate([centre + rng.normal(size=(40, 64)) for centre in centres]).astype(np.float32)


def test_pca_projection_is_invertible_to_code_space(codes):
    projection = project(codes, "pca", 2)
    assert projection.points.shape == (120, 2) and projection.invertible
    back = projection.to_code(projection.points[0])
    assert back.shape == (1, 64)
    np.testing.assert_allclose(projection.pca.transform(back)[0], projection.points[0], atol=1e-4)


def test_tsne_separates_clusters_and_has_no_inverse(codes):
    projection = project(codes, "tsne", 2)
    points = projection.points
    centres = np.array([points[i * 40 : (i + 1) * 40].mean(axis=0) for i in range(3)])
    spread = max(points[i * 40 : (i + 1) * 40].std(axis=0).max() for i in range(3))
    gaps = [np.linalg.norm(centres[a] - centres[b]) for a, b in ((0, 1), (0, 2), (1, 2))]
    assert min(gaps) > 2 * spread
    with pytest.raises(ValueError, match="no inverse"):
        projection.to_code([0, 0])


def test_code_projection_needs_matching_dimensions(codes):
    assert project(codes[:, :3], "code", 3).points.shape == (120, 3)
    with pytest.raises(ValueError, match="cannot be drawn as 2-D"):
        project(codes, "code", 2)
    with pytest.raises(ValueError, match="unknown projection"):
        project(codes, "umap", 2)


def test_manifold_grid_and_interpolation(mnist_small):
    model = build("vae")
    grid = manifold_grid(model, steps=4)
    assert grid.shape == (4, 4, 28, 28, 1)
    with pytest.raises(ValueError, match="2-D code"):
        manifold_grid(build("dense"))
    path = interpolate(model, mnist_small.x_test[0], mnist_small.x_test[1], steps=5)
    assert path.shape == (5, 28, 28, 1)
    np.testing.assert_allclose(path[0], model.decode(model.encode(mnist_small.x_test[:1]))[0], atol=1e-5)


def test_trained_linear_autoencoder_finds_the_pca_plane():
    points = load_dataset("points3d")
    model = train("linear", points, TrainConfig(epochs=150, batch_size=32), learning_rate=0.01).model
    assert principal_subspace_angle(points.x_train, model) < 5.0
    untrained = build("linear", input_shape=(3,), code_size=2)
    assert principal_subspace_angle(points.x_train, untrained) > principal_subspace_angle(points.x_train, model)
