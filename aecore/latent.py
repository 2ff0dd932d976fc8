"""Exploring a model's code space: projections to 2-D / 3-D, decoding points, grids and interpolations.

`Projection` maps codes to a few plotting dimensions and, where the method allows (the codes
themselves, PCA), back again, so a point picked on a plot can be decoded into an image.
"""

from dataclasses import dataclass

import numpy as np
from scipy.linalg import subspace_angles

PROJECTIONS = ("code", "pca", "tsne")
TSNE_INPUT_DIMS = 50


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
        raise ValueError("t-SNE has no inverse: pick a test image instead, or use PCA")


def project(codes, method="pca", dims=2, seed=0):
    """Project codes (N x code_size) to `dims` (2 or 3) dimensions.

    `method` is `"code"` (the code itself; needs codes of `dims` values), `"pca"` or `"tsne"`.
    """
    codes = np.asarray(codes, np.float32)  # float32 halves the cost of PCA against float64, same components
    if dims not in (2, 3):
        raise ValueError(f"dims must be 2 or 3, got {dims}")
    if method == "code":
        if codes.shape[1] != dims:
            raise ValueError(f"the code has {codes.shape[1]} dimensions, so it cannot be drawn as {dims}-D as it is")
        return Projection("code", codes)
    if codes.shape[1] < dims:
        raise ValueError(f"the code has {codes.shape[1]} dimensions, fewer than {dims}")
    from sklearn.decomposition import PCA

    if method == "pca":
        # A few components of wide codes: the randomized solver with 3 power iterations is about 3x
        # faster than its default here and found the same components on 10,000 conv codes.
        pca = PCA(n_components=dims, svd_solver="randomized", iterated_power=3, random_state=seed).fit(codes)
        return Projection("pca", pca.transform(codes), pca)
    if method == "tsne":
        from sklearn.manifold import TSNE

        if codes.shape[1] > TSNE_INPUT_DIMS:  # the usual first step: PCA to 50 dimensions, then t-SNE
            codes = PCA(n_components=TSNE_INPUT_DIMS, svd_solver="randomized", iterated_power=3,
                        random_state=seed).fit_transform(codes)
        perplexity = min(30.0, max(2.0, (len(codes) - 1) / 3))
        embedding = TSNE(n_components=dims, perplexity=perplexity, init="pca", random_state=seed,
                         n_jobs=-1).fit_transform(codes)
        return Projection("tsne", embedding)
    raise ValueError(f"unknown projection {method!r}; choose one of {', '.join(PROJECTIONS)}")


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


def principal_subspace_angle(points, linear_model):
    """Largest angle, in degrees, between the PCA subspace of `points` and a linear autoencoder's.

    The decoder of a linear autoencoder maps codes into the span of its kernel's rows; PCA's
    span is that of its leading components. 0 degrees means they are the same subspace.
    """
    from sklearn.decomposition import PCA

    kernel = next(w.numpy() for w in linear_model.decoder.trainable_weights if len(w.shape) == 2)
    pca = PCA(n_components=linear_model.code_size).fit(points)
    return float(np.degrees(subspace_angles(kernel.T, pca.components_.T).max()))
