"""Similar-image search: the nearest images to a query in a model's code space, beside PCA and raw pixels.

`vector_spaces` gives the three views of a set of images (codes, PCA with as many components as the
code has values, pixels); `NearestNeighbours` finds the k nearest vectors by cosine or Euclidean
distance by brute force (exact, chunked); `precision_at_k` says how often the neighbours share
the query's label, which shows what a code captured.
"""

from dataclasses import dataclass

import numpy as np

METRICS = ("cosine", "euclidean")
SPACES = {"code": "the model's code", "pca": "PCA of the pixels, as many components", "pixels": "raw pixels"}


@dataclass
class NearestNeighbours:
    """An exact k-nearest-neighbour index over `vectors` (N x D) by `metric` ("cosine" or "euclidean")."""

    vectors: np.ndarray
    metric: str = "cosine"

    def __post_init__(self):
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric {self.metric!r}; choose one of {', '.join(METRICS)}")
        vectors = np.asarray(self.vectors, np.float32)
        self.vectors = vectors.reshape(len(vectors), -1)
        if len(self.vectors) == 0:
            raise ValueError("no vectors to search")
        self.prepared = self._prepare(self.vectors)
        self.squared_norms = np.sum(self.prepared**2, axis=1)

    def _prepare(self, vectors):
        vectors = np.asarray(vectors, np.float32).reshape(len(vectors), -1)
        if self.metric == "cosine":
            return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors

    def distances(self, queries):
        """Distances (Q x N) from each query vector to every indexed vector: 1 - cosine, or Euclidean."""
        queries = self._prepare(queries)
        if queries.shape[1] != self.prepared.shape[1]:
            raise ValueError(f"queries have {queries.shape[1]} values, the index {self.prepared.shape[1]}")
        products = queries @ self.prepared.T
        if self.metric == "cosine":
            return 1.0 - products
        squared = np.sum(queries**2, axis=1)[:, None] - 2 * products + self.squared_norms[None, :]
        return np.sqrt(np.maximum(squared, 0))

    def query(self, queries, k=10, exclude=None, chunk=1024):
        """`(indices, distances)`, each Q x k, nearest first.

        `exclude` holds one index per query that may not be returned for it (the query's own entry
        when the queries are indexed images), or -1 for none.
        """
        queries = np.asarray(queries, np.float32)
        k = min(k, len(self.vectors) - (exclude is not None))
        if k < 1:
            raise ValueError("too few indexed images for any neighbour")
        indices = np.empty((len(queries), k), np.int64)
        distances = np.empty((len(queries), k), np.float32)
        for start in range(0, len(queries), chunk):
            block = self.distances(queries[start : start + chunk])
            if exclude is not None:
                rows = np.arange(len(block))
                own = np.asarray(exclude[start : start + chunk])
                block[rows[own >= 0], own[own >= 0]] = np.inf
            nearest = np.argpartition(block, k - 1, axis=1)[:, :k]
            order = np.argsort(np.take_along_axis(block, nearest, axis=1), axis=1, kind="stable")
            indices[start : start + chunk] = np.take_along_axis(nearest, order, axis=1)
            distances[start : start + chunk] = np.take_along_axis(block, indices[start : start + chunk], axis=1)
        return indices, distances


@dataclass
class VectorSpaces:
    """The three views of a set of images (`vectors`: `{space: N x D}`), and how to put new images in them."""

    model: object
    pca: object
    vectors: dict

    def embed(self, images):
        """`{space: vectors}` of other images, in the same spaces (the PCA fitted before)."""
        images = np.asarray(images, np.float32)
        pixels = images.reshape(len(images), -1)
        return {"code": self.model.encode(images), "pca": self.pca.transform(pixels).astype(np.float32),
                "pixels": pixels}


def vector_spaces(model, images, components=None, seed=0):
    """The `VectorSpaces` of `images`: the model's codes, PCA with as many components, and the pixels.

    PCA is fitted on `images` themselves and keeps `components` (the code's length by default)
    components, at most as many as there are pixels or images.
    """
    from sklearn.decomposition import PCA

    images = np.asarray(images, np.float32)
    pixels = images.reshape(len(images), -1)
    codes = model.encode(images)
    components = min(components or codes.shape[1], pixels.shape[1], len(pixels))
    pca = PCA(n_components=components, svd_solver="randomized", iterated_power=4, random_state=seed).fit(pixels)
    return VectorSpaces(model, pca, {"code": codes, "pca": pca.transform(pixels).astype(np.float32), "pixels": pixels})


def precision_at_k(labels, neighbour_indices, query_labels=None):
    """Per query, the fraction of its neighbours whose label is the query's label.

    `labels` are the indexed images' labels; `query_labels` those of the queries (the indexed
    images themselves by default).
    """
    labels = np.asarray(labels)
    query_labels = labels if query_labels is None else np.asarray(query_labels)
    return np.mean(labels[np.asarray(neighbour_indices)] == query_labels[:, None], axis=1)


def leave_one_out(vectors, labels, k=10, metric="cosine"):
    """Mean precision@k when every image queries all the others, and the neighbour indices."""
    index = NearestNeighbours(vectors, metric)
    neighbours, _ = index.query(vectors, k, exclude=np.arange(len(vectors)))
    return float(precision_at_k(labels, neighbours).mean()), neighbours
