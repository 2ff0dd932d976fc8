"""Projections of codes, decoding picked points, manifold grids, interpolation, PCA agreement."""

import os
import threading

import numpy as np
import pytest

from aecore.architectures import build
from aecore.datasets import load_dataset
from aecore.latent import (code_arithmetic, coordinates_csv, interpolate, manifold_grid, nearest_codes,
                           principal_subspace_angle, project, projection_threads, sample_prior, traversal_grid,
                           warm_up_umap)
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


@pytest.mark.slow
@pytest.mark.parametrize("method, dims", [("tsne", 2), ("tsne", 3), ("umap", 2)])
def test_tsne_and_umap_separate_clusters_and_have_no_inverse(codes, method, dims):
    projection = project(codes, method, dims)
    points = projection.points
    assert points.shape == (120, dims) and not projection.invertible
    centres = np.array([points[i * 40 : (i + 1) * 40].mean(axis=0) for i in range(3)])
    spread = max(points[i * 40 : (i + 1) * 40].std(axis=0).max() for i in range(3))
    gaps = [np.linalg.norm(centres[a] - centres[b]) for a, b in ((0, 1), (0, 2), (1, 2))]
    assert min(gaps) > 2 * spread
    with pytest.raises(ValueError, match="no inverse"):
        projection.to_code([0] * dims)


@pytest.mark.slow
def test_umap_of_many_codes_finds_exact_neighbours_without_an_nndescent_index(monkeypatch):
    """From 4,096 codes umap-learn would build an NNDescent index, whose numba code compiles for minutes."""
    import umap.umap_

    class NoIndex:
        def __init__(self, *args, **kwargs):
            raise AssertionError("an NNDescent index was built")

    monkeypatch.setattr(umap.umap_, "NNDescent", NoIndex)
    rng = np.random.default_rng(1)
    codes = np.concatenate([centre + rng.normal(size=(1400, 16)) for centre in rng.normal(size=(3, 16)) * 8])
    points = project(codes, "umap", 2, threads=1).points
    labels = np.repeat(np.arange(3), 1400)
    centres = np.array([points[labels == label].mean(axis=0) for label in range(3)])
    nearest = np.linalg.norm(points[:, None] - centres[None], axis=2).argmin(axis=1)
    assert (nearest == labels).mean() > 0.99
    warming = threading.Thread(target=warm_up_umap)  # the Latent page's warm-up beside a visitor's UMAP
    warming.start()
    assert project(codes[:300], "umap", 3).points.shape == (300, 3)
    warming.join()
    assert project(codes[:1], "umap", 2).points.shape == (1, 2)  # too few codes to have neighbours


def test_projections_take_only_the_cores_other_work_leaves_free():
    assert projection_threads(cores=8, load=0.0) == 8  # a quiet machine: every core
    assert projection_threads(cores=8, load=2.7) == 6  # two cores busy and a third in part: six threads
    assert projection_threads(cores=2, load=2.0) == 1  # two training runs on two cores: one thread, never 0
    assert projection_threads(cores=2, load=9.5) == 1
    assert projection_threads(cores=4, load=-1.0) == 4  # never more threads than cores
    assert 1 <= projection_threads() <= os.cpu_count()  # this machine's cores and load


@pytest.mark.slow
def test_tsne_and_umap_run_on_the_threads_asked_for(codes, monkeypatch):
    import openTSNE
    import umap

    asked = []
    monkeypatch.setattr(openTSNE, "TSNE", lambda **options: asked.append(options["n_jobs"]) or _Fitted(len(codes)))
    monkeypatch.setattr(umap, "UMAP", lambda **options: asked.append(options["n_jobs"]) or _Fitted(len(codes)))
    monkeypatch.setattr("aecore.latent.projection_threads", lambda: 3)
    project(codes, "tsne", 2)
    project(codes, "umap", 2)
    project(codes, "tsne", 2, threads=-1)
    assert asked == [3, 3, -1]


class _Fitted:
    def __init__(self, count):
        self.count = count

    def fit(self, points):
        return np.zeros((self.count, 2))

    fit_transform = fit


def test_nearest_codes_are_found_in_code_space_not_in_a_projection(codes):
    near = nearest_codes(codes, 5, k=6)
    assert len(near) == 6 and 5 not in near
    assert all(index < 40 for index in near)  # the same cluster as image 5
    distances = np.linalg.norm(codes[near] - codes[5], axis=1)
    assert np.all(np.diff(distances) >= 0)
    others = np.delete(np.arange(len(codes)), [5, *near])
    assert distances.max() <= np.linalg.norm(codes[others] - codes[5], axis=1).min()


def test_coordinates_csv_has_one_row_per_point_with_its_label():
    text = coordinates_csv(np.array([[0.5, -1.0], [2.0, 3.25]]), np.array([1, 0]), ["zero", "one"])
    assert text.splitlines() == ["index,label,class,x,y", "0,1,one,0.5,-1", "1,0,zero,2,3.25"]


def test_code_projection_needs_matching_dimensions(codes):
    assert project(codes[:, :3], "code", 3).points.shape == (120, 3)
    with pytest.raises(ValueError, match="cannot be drawn as 2-D"):
        project(codes, "code", 2)
    with pytest.raises(ValueError, match="unknown projection"):
        project(codes, "isomap", 2)


def test_manifold_grid_and_interpolation(mnist_small):
    model = build("vae")
    grid = manifold_grid(model, steps=4)
    assert grid.shape == (4, 4, 28, 28, 1)
    with pytest.raises(ValueError, match="2-D code"):
        manifold_grid(build("dense"))
    path = interpolate(model, mnist_small.x_test[0], mnist_small.x_test[1], steps=5)
    assert path.shape == (5, 28, 28, 1)
    np.testing.assert_allclose(path[0], model.decode(model.encode(mnist_small.x_test[:1]))[0], atol=1e-5)


@pytest.mark.slow
def test_trained_linear_autoencoder_finds_the_pca_plane():
    points = load_dataset("points3d")
    model = train("linear", points, TrainConfig(epochs=150, batch_size=32), learning_rate=0.01).model
    assert principal_subspace_angle(points.x_train, model) < 5.0
    untrained = build("linear", input_shape=(3,), code_size=2)
    assert principal_subspace_angle(points.x_train, untrained) > principal_subspace_angle(points.x_train, model)


def test_generation_from_the_prior_traversals_and_code_arithmetic(mnist_small):
    model = build("vae", code_size=3)
    samples = sample_prior(model, count=5, seed=1)
    assert samples.shape == (5, 28, 28, 1)
    np.testing.assert_allclose(samples, sample_prior(model, count=5, seed=1))
    assert not np.allclose(samples, sample_prior(model, count=5, seed=2))
    code = model.encode(mnist_small.x_test[:1])[0]
    grid = traversal_grid(model, code, steps=4, spread=2.0)
    assert grid.shape == (3, 4, 28, 28, 1)
    swept = code.copy()
    swept[1] = -2.0
    np.testing.assert_allclose(grid[1, 0], model.decode(swept[np.newaxis])[0], atol=1e-5)
    assert traversal_grid(model, code, steps=4, dimensions=2).shape == (2, 4, 28, 28, 1)
    first, second = mnist_small.x_test[0], mnist_small.x_test[1]
    np.testing.assert_allclose(code_arithmetic(model, first, second, second),  # a - b + b decodes a's code
                               model.decode(model.encode(first[np.newaxis]))[0], atol=1e-4)


@pytest.mark.slow
def test_new_codes_are_placed_exactly_by_pca_and_on_their_nearest_code_by_tsne(codes):
    pca = project(codes, "pca", 2)
    np.testing.assert_allclose(pca.place(codes[7], codes)[0], pca.points[7], atol=1e-4)
    tsne = project(codes, "tsne", 2)
    near_seven = codes[7] + 0.01
    np.testing.assert_array_equal(tsne.place(near_seven, codes)[0], tsne.points[7])
