"""t-SNE of 10,000 codes: openTSNE's defaults against the settings aecore.latent uses, side by side.

    AECORE_DATA_DIR=../shared/data python bench/tsne_settings.py [--model pretrained/mnist_conv_gaussian0.4.keras]

The codes of the 10,000 test images, reduced to 50 PCA components as the Latent page does, then
embedded in 2-D by each setting in turn: nearest neighbours by Annoy (openTSNE's choice at this
size) or exact, and FFT interpolation intervals 1 (the default) or 3 units wide. Quality is the
10-nearest-neighbour label accuracy in the 2-D embedding (3-fold cross-validation): how well the
picture keeps the classes apart. The settings are alternated, `--repeats` times each; the table
shows median seconds.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aecore import import_tensorflow_quietly  # noqa: E402

import_tensorflow_quietly()
from aecore.datasets import load_dataset  # noqa: E402
from aecore.latent import EXACT_NEIGHBOURS, NEIGHBOUR_INPUT_DIMS, TSNE_INTS_IN_INTERVAL, _pca  # noqa: E402
from aecore.zoo import load_model  # noqa: E402
from bench.harness import print_table  # noqa: E402

SETTINGS = [("openTSNE defaults", "annoy", 1), ("exact neighbours", "exact", 1),
            (f"intervals {TSNE_INTS_IN_INTERVAL} wide", "annoy", TSNE_INTS_IN_INTERVAL),
            ("both (aecore.latent)", "exact", TSNE_INTS_IN_INTERVAL)]


def embed(points, neighbours, ints_in_interval):
    from openTSNE import TSNE

    return TSNE(perplexity=30, random_state=0, n_jobs=-1, neighbors=neighbours, negative_gradient_method="fft",
                ints_in_interval=ints_in_interval).fit(points)


def label_accuracy(embedding, labels):
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    return cross_val_score(KNeighborsClassifier(10), embedding, labels, cv=3).mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(Path(__file__).resolve().parent.parent / "pretrained"
                                               / "mnist_conv_gaussian0.4.keras"))
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    data = load_dataset("mnist")
    codes = load_model(args.model).encode(data.x_test[:10_000])
    started = time.perf_counter()
    points = _pca(codes, NEIGHBOUR_INPUT_DIMS, 0).transform(codes)
    pca_seconds = time.perf_counter() - started
    assert len(points) <= EXACT_NEIGHBOURS
    embed(points[:500], "exact", 1)  # warm: imports
    seconds = {name: [] for name, _, _ in SETTINGS}
    accuracy = {}
    for _ in range(args.repeats):
        for name, neighbours, ints in SETTINGS:
            started = time.perf_counter()
            embedding = embed(points, neighbours, ints)
            seconds[name].append(time.perf_counter() - started)
            accuracy[name] = label_accuracy(embedding, data.y_test[: len(points)])
    base = statistics.median(seconds[SETTINGS[0][0]])
    rows = [(name, f"{len(points):,}", f"{statistics.median(seconds[name]):.1f}", f"{base / statistics.median(seconds[name]):.2f}",
             f"{accuracy[name]:.4f}") for name, _, _ in SETTINGS]
    print(f"{len(codes):,} codes of {Path(args.model).name} ({codes.shape[1]:,} values each); "
          f"PCA to {NEIGHBOUR_INPUT_DIMS} components {pca_seconds:.1f} s, not in the table\n")
    print_table(("t-SNE settings", "codes", "seconds (median)", "speed-up", "10-NN label accuracy in 2-D"), rows)


if __name__ == "__main__":
    main()
