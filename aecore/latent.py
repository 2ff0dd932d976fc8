"""Exploring a model's code space: projections to 2-D / 3-D, neighbours, decoding points, generation.

`Projection` maps codes to a few plotting dimensions and, where the method allows (the codes
themselves, PCA), back again, so a point picked on a plot can be decoded into an image. t-SNE
(openTSNE) and UMAP (umap-learn, which compiles with numba on first use) are imported only when
asked for. The generators (prior samples, traversals, code arithmetic) decode codes made by hand.
"""

import csv
import io
import os
import threading
from dataclasses import dataclass

import numpy as np
from scipy.linalg import subspace_angles

PROJECTIONS = ("code", "pca", "tsne", "umap")
EXACT_NEIGHBOURS = 20_000  # t-SNE: exact nearest neighbours up to this many codes, Annoy beyond
TSNE_INTS_IN_INTERVAL = 3  # t-SNE: width of the FFT interpolation intervals (openTSNE's default is 1)
BARNES_HUT_BELOW = 2_500  # t-SNE in 2-D: Barnes-Hut below this many codes, FFT interpolation from it on
NEIGHBOUR_INPUT_DIMS = 50  # t-SNE and UMAP first reduce wide codes to this many PCA components


@dataclass
class Projection:
    """Codes projected to `dims` dimensions by `method`, with the fitted PCA where one was used."""

    method: str
    points: np.ndarray
    pca: object = None

    @property
    def invertible(self):
        return self.method in ("code", "pca")

    def to_code(self, point):
        """The code vector for a point in the projected space (code and PCA only)."""
        point = np.asarray(point, np.float32).reshape(1, -1)
        if self.method == "code":
            return point.astype(np.float32)
        if self.method == "pca":
            return self.pca.inverse_transform(point).astype(np.float32)
        raise ValueError(f"{self.method} has no inverse: pick a test image instead, or use PCA")

    def place(self, new_codes, codes):
        """Where `new_codes` fall among the projected `codes`: exactly for the code itself and PCA; for
        t-SNE and UMAP, which map no new points here, on the projected point of the nearest code."""
        new_codes = np.asarray(new_codes, np.float32).reshape(-1, np.asarray(codes).shape[1])
        if self.method == "code":
            return new_codes
        if self.method == "pca":
            return self.pca.transform(new_codes)
        from aecore.search import NearestNeighbours

        nearest, _ = NearestNeighbours(codes, "euclidean").query(new_codes, k=1)
        return self.points[nearest[:, 0]]


def projection_threads(cores=None, load=None):
    """Threads for t-SNE and UMAP: the cores that other work is not already using, at least 1.

    `cores` defaults to the cores this process may run on and `load` to the 1-minute load average.
    Their parallel loops wait at every step for the slowest thread, so a thread that finds its core
    taken (by training runs beside it) stalls all the others; on a busy machine one thread per free
    core is much faster than one per core (bench/busy_projections.py).
    """
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if load is None:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, min(cores, cores - int(load)))


def project(codes, method="pca", dims=2, seed=0, threads=None):
    """Project codes (N x code_size) to `dims` (2 or 3) dimensions.

    `method` is `"code"` (the code itself; needs codes of `dims` values), `"pca"`, `"tsne"`
    (openTSNE: Barnes-Hut, or FFT-accelerated for 2,500 codes or more in 2-D) or `"umap"` (parallel, so two runs
    differ slightly). t-SNE and UMAP run on `threads` threads (-1: one per core), by default
    `projection_threads()`.
    """
    codes = np.asarray(codes, np.float32)  # float32 halves the cost of PCA against float64, same components
    if dims not in (2, 3):
        raise ValueError(f"dims must be 2 or 3, got {dims}")
    if method not in PROJECTIONS:
        raise ValueError(f"unknown projection {method!r}; choose one of {', '.join(PROJECTIONS)}")
    if method == "code":
        if codes.shape[1] != dims:
            raise ValueError(f"the code has {codes.shape[1]} dimensions, so it cannot be drawn as {dims}-D as it is")
        return Projection("code", codes)
    if codes.shape[1] < dims:
        raise ValueError(f"the code has {codes.shape[1]} dimensions, fewer than {dims}")
    if method == "pca":
        pca = _pca(codes, dims, seed)
        return Projection("pca", pca.transform(codes), pca)
    if codes.shape[1] > NEIGHBOUR_INPUT_DIMS:  # the usual first step: PCA to 50 dimensions
        codes = _pca(codes, NEIGHBOUR_INPUT_DIMS, seed).transform(codes)
    threads = projection_threads() if threads is None else threads
    if method == "tsne":
        from openTSNE import TSNE

        perplexity = min(30.0, max(2.0, (len(codes) - 1) / 3))
        # Measured on 10,000 MNIST codes (bench/tsne_settings.py): exact neighbours take 0.6 s against
        # Annoy's 3.4 s at this size, and FFT interpolation intervals 3 units wide instead of 1 make the
        # optimisation 4-5x faster as the embedding spreads out, with the same 10-NN label accuracy.
        # The FFT's grid costs about the same at any size, so fewer codes are faster by Barnes-Hut
        # (1,000 codes: 6.8 s against 23.9 s on 2 small cores; 10-NN label accuracy 0.877 against 0.859).
        tsne = TSNE(n_components=dims, perplexity=perplexity, random_state=seed, n_jobs=threads,
                    neighbors="exact" if len(codes) <= EXACT_NEIGHBOURS else "auto",
                    negative_gradient_method="fft" if dims == 2 and len(codes) >= BARNES_HUT_BELOW else "bh",
                    ints_in_interval=TSNE_INTS_IN_INTERVAL)
        return Projection("tsne", np.asarray(tsne.fit(codes), np.float32))
    return Projection("umap", _umap(codes, dims, threads))


_UMAP = threading.Lock()  # one UMAP at a time: numba's fallback threading layer aborts on two at once


def _umap(codes, dims, threads):
    """UMAP on exact nearest neighbours, found here (below 4,096 codes umap-learn finds the same ones itself).

    From 4,096 codes umap-learn would build an approximate NNDescent index, whose numba code compiles for
    about 100 s in each new process on a small CPU; exact neighbours of 10,000 codes take a second.
    """
    import warnings

    import umap
    from sklearn.neighbors import NearestNeighbors

    if len(codes) < 2:
        return np.zeros((len(codes), dims), np.float32)
    neighbours = max(2, min(15, len(codes) - 1))
    distances, indices = NearestNeighbors(n_neighbors=neighbours, n_jobs=threads).fit(codes).kneighbors(codes)
    # scikit-learn's expanded squares leave a code's distance to itself about 1e-7, where umap-learn has 0: UMAP
    # takes the first distance above 0 as the distance to a code's nearest neighbour
    distances[indices == np.arange(len(codes))[:, None]] = 0
    with _UMAP, warnings.catch_warnings():  # "transform will be unavailable": only the fitted codes are drawn
        warnings.filterwarnings("ignore", r"precomputed_knn\[2\]", UserWarning)
        embedding = umap.UMAP(n_components=dims, n_neighbors=neighbours, n_jobs=threads,
                              precomputed_knn=(indices, distances.astype(np.float32), None)).fit_transform(codes)
    return np.asarray(embedding, np.float32)


def warm_up_umap():
    """Compile umap-learn's numba code on 64 random points, so that a process's first UMAP takes seconds, not
    half a minute (about 20 s of one core on a small CPU; the compiled code is not kept between processes)."""
    points = np.random.default_rng(0).normal(size=(64, 8)).astype(np.float32)
    _umap(points, 2, 1)


def _pca(codes, components, seed):
    from sklearn.decomposition import PCA

    # A few components of wide codes: the randomized solver with 3 power iterations is about 3x
    # faster than its default here and found the same components on 10,000 conv codes.
    return PCA(n_components=components, svd_solver="randomized", iterated_power=3, random_state=seed).fit(codes)


def nearest_codes(codes, index, k=8):
    """Indices of the `k` codes nearest (Euclidean, in the full code space) to `codes[index]`, nearest first."""
    from aecore.search import NearestNeighbours

    indices, _ = NearestNeighbours(codes, "euclidean").query(np.asarray(codes)[index : index + 1], k, exclude=[index])
    return indices[0]


def coordinates_csv(points, labels, class_names):
    """The projected points as CSV text: index, label, class name and one column per dimension."""
    points = np.asarray(points)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["index", "label", "class", *"xyz"[: points.shape[1]]])
    for index, (point, label) in enumerate(zip(points, labels)):
        writer.writerow([index, int(label), class_names[int(label)], *(f"{value:.6g}" for value in point)])
    return out.getvalue()


def manifold_grid(model, steps=15, extent=None, codes=None):
    """Decode a `steps` x `steps` grid over a 2-D code plane; rows go from high y to low y.

    The plane spans `extent` = (x_min, x_max, y_min, y_max), or the 2nd to 98th percentile of
    `codes` when given, or [-2, 2] in both directions.
    """
    if model.code_values != 2:
        raise ValueError(f"a manifold grid needs a 2-D code; this model's code has {model.code_values} values")
    if extent is None:
        if codes is not None:
            low, high = np.percentile(codes, [2, 98], axis=0)
            extent = (low[0], high[0], low[1], high[1])
        else:
            extent = (-2, 2, -2, 2)
    xs = np.linspace(extent[0], extent[1], steps)
    ys = np.linspace(extent[3], extent[2], steps)
    grid = np.array([[x, y] for y in ys for x in xs], np.float32)
    return model.decode(grid).reshape(steps, steps, *model.example_shape)


def interpolate(model, first, second, steps=8):
    """Images decoded along the straight line between the codes of two inputs (ends included)."""
    codes = model.encode(np.stack([first, second]))
    weights = np.linspace(0, 1, steps, dtype=np.float32)[:, np.newaxis]
    return model.decode((1 - weights) * codes[0] + weights * codes[1])


def sample_prior(model, count=16, seed=0):
    """`count` images decoded from codes drawn from the standard normal prior (what a VAE is trained towards)."""
    codes = np.random.default_rng(seed).standard_normal((count, model.code_values)).astype(np.float32)
    return model.decode(codes)


def traversal_grid(model, code, steps=9, spread=2.5, dimensions=None):
    """One row per code dimension (the first `dimensions`, or all): `code` with that dimension swept
    over [-spread, spread], decoded. Returns an array of rows x steps images.
    """
    code = np.asarray(code, np.float32).ravel()
    rows = len(code) if dimensions is None else min(dimensions, len(code))
    values = np.linspace(-spread, spread, steps, dtype=np.float32)
    codes = np.tile(code, (rows, steps, 1))
    for dimension in range(rows):
        codes[dimension, :, dimension] = values
    return model.decode(codes.reshape(-1, len(code))).reshape(rows, steps, *model.example_shape)


def code_arithmetic(model, first, minus, plus):
    """The image decoded from code(first) - code(minus) + code(plus), as in "smiling woman - woman + man"."""
    codes = model.encode(np.stack([first, minus, plus]))
    return model.decode(codes[0:1] - codes[1:2] + codes[2:3])[0]


def principal_subspace_angle(points, linear_model):
    """Largest angle, in degrees, between the PCA subspace of `points` and a linear autoencoder's.

    The decoder of a linear autoencoder maps codes into the span of its kernel's rows; PCA's
    span is that of its leading components. 0 degrees means they are the same subspace.
    """
    from sklearn.decomposition import PCA

    kernel = next(w.numpy() for w in linear_model.decoder.trainable_weights if len(w.shape) == 2)
    pca = PCA(n_components=linear_model.code_size).fit(points)
    return float(np.degrees(subspace_angles(kernel.T, pca.components_.T).max()))
