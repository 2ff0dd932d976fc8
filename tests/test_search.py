"""Nearest neighbours by cosine and Euclidean distance, the three vector spaces, and precision@k."""

import numpy as np
import pytest

from aecore.search import NearestNeighbours, leave_one_out, precision_at_k, vector_spaces
from aecore.training import TrainConfig, train


@pytest.mark.parametrize("metric", ["cosine", "euclidean"])
def test_neighbours_match_brute_force_and_skip_the_query_itself(metric):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(200, 6)).astype(np.float32)
    indices, distances = NearestNeighbours(vectors, metric).query(vectors[:30], k=5, exclude=np.arange(30), chunk=7)
    if metric == "cosine":
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        brute = 1 - unit[:30] @ unit.T
    else:
        brute = np.linalg.norm(vectors[:30, None] - vectors[None], axis=2)
    brute[np.arange(30), np.arange(30)] = np.inf
    np.testing.assert_array_equal(indices, np.argsort(brute, axis=1, kind="stable")[:, :5])
    np.testing.assert_allclose(distances, np.sort(brute, axis=1)[:, :5], atol=1e-5)
    assert not np.any(indices == np.arange(30)[:, None])


def test_cosine_ignores_length_and_euclidean_does_not():
    vectors = np.array([[1.0, 0.0], [10.0, 0.5], [0.9, 0.9]], np.float32)
    assert NearestNeighbours(vectors, "cosine").query(vectors[:1], 1, exclude=[0])[0][0, 0] == 1
    assert NearestNeighbours(vectors, "euclidean").query(vectors[:1], 1, exclude=[0])[0][0, 0] == 2


def test_precision_counts_neighbours_of_the_same_label():
    labels = np.array([0, 0, 1, 1])
    np.testing.assert_allclose(precision_at_k(labels, [[1, 2], [0, 3], [3, 3], [0, 1]]), [0.5, 0.5, 1.0, 0.0])


def test_bad_metric_and_shapes_are_refused():
    with pytest.raises(ValueError, match="unknown metric"):
        NearestNeighbours(np.zeros((3, 2)), "manhattan")
    with pytest.raises(ValueError, match="values"):
        NearestNeighbours(np.zeros((3, 2))).query(np.zeros((1, 5)))


@pytest.mark.slow
def test_codes_of_a_trained_model_find_digits_of_the_same_class(mnist_small, mnist):
    model = train("dense", mnist_small, TrainConfig(epochs=2, batch_size=32), code_size=16).model
    images, labels = mnist.x_test[:500], mnist.y_test[:500]
    spaces = vector_spaces(model, images)
    embedded = spaces.embed(images[:3])
    for name in embedded:
        np.testing.assert_allclose(embedded[name], spaces.vectors[name][:3], atol=1e-4)
    spaces = spaces.vectors
    assert {name: vectors.shape for name, vectors in spaces.items()} == {"code": (500, 16), "pca": (500, 16),
                                                                          "pixels": (500, 784)}
    for name in spaces:
        precision, neighbours = leave_one_out(spaces[name], labels, k=10)
        assert neighbours.shape == (500, 10)
        assert precision > 0.4, name  # chance is about 0.1
