"""t-SNE of 10,000 codes: openTSNE's defaults against the settings aecore.latent uses, side by side.

    AECORE_DATA_DIR=../shared/data python bench/tsne_settings.py [--model pretrained/mnist_conv_gaussian0.4.keras]

The codes of the 10,000 test images, reduced to 50 PCA components as the Latent page does, then
embedded in 2-D by each setting in turn: nearest neighbours by Annoy (openTSNE's choice at this
size) or exact, and FFT interpolation intervals 1 (the default) or 3 units wide. Quality is the
10-nearest-neighbour label accuracy in the 2-D embedding (3-fold cross-validation): how well the
picture keeps the classes apart. The settings are alternated, `--repeats` times each; the table
shows median seconds. A second table compares the two ways openTSNE computes the repulsive forces,
Barnes-Hut and FFT interpolation (with the settings above), on the first `--counts` codes: the
reason for `aecore.latent.BARNES_HUT_BELOW`.
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
from aecore.latent import (  # noqa: E402
    BARNES_HUT_BELOW, EXACT_NEIGHBOURS, NEIGHBOUR_INPUT_DIMS, TSNE_INTS_IN_INTERVAL, _pca,
)
from aecore.zoo import load_model  # noqa: E402
from bench.harness import print_table  # noqa: E402

SETTINGS = [("openTSNE defaults", "annoy", 1), ("exact neighbours", "exact", 1),
            (f"intervals {TSNE_INTS_IN_INTERVAL} wide", "annoy", TSNE_INTS_IN_INTERVAL),
            ("both (aecore.latent)", "exact", TSNE_INTS_IN_INTERVAL)]


def embed(points, neighbours, ints_in_interval, method="fft"):
    from openTSNE import TSNE

    return TSNE(perplexity=30, random_state=0, n_jobs=-1, neighbors=neighbours, negative_gradient_method=method,
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
    parser.add_argument("--counts", type=int, nargs="*", default=[1000, 2000, 3000, 5000])
    parser.add_argument("--only-methods", action="store_true", help="the second table alone")
    args = parser.parse_args()
    data = load_dataset("mnist")
    codes = load_model(args.model).encode(data.x_test[:10_000])
    started = time.perf_counter()
    points = _pca(codes, NEIGHBOUR_INPUT_DIMS, 0).transform(codes)
    pca_seconds = time.perf_counter() - started
    assert len(points) <= EXACT_NEIGHBOURS
    embed(points[:500], "exact", 1)  # warm: imports
    if not args.only_methods:
        settings_table(points, data.y_test, codes, pca_seconds, args)
    methods_table(points, data.y_test, args)


def methods_table(points, labels, args):
    rows = []
    for count in args.counts:
        seconds = {"bh": [], "fft": []}
        accuracy = {}
        for _ in range(args.repeats):
            for method in seconds:
                started = time.perf_counter()
                embedding = embed(points[:count], "exact", TSNE_INTS_IN_INTERVAL, method)
                seconds[method].append(time.perf_counter() - started)
                accuracy[method] = label_accuracy(embedding, labels[:count])
        bh, fft = (statistics.median(seconds[method]) for method in ("bh", "fft"))
        rows.append((f"{count:,}", f"{bh:.1f}", f"{fft:.1f}", f"{fft / bh:.2f}", f"{accuracy['bh']:.4f}",
                     f"{accuracy['fft']:.4f}", "Barnes-Hut" if count < BARNES_HUT_BELOW else "FFT"))
        print(" | ".join(rows[-1]), flush=True)
    print()
    print_table(("codes", "Barnes-Hut (s)", "FFT (s)", "FFT / Barnes-Hut", "10-NN accuracy, Barnes-Hut",
                 "10-NN accuracy, FFT", "aecore.latent uses"), rows)


def settings_table(points, labels, codes, pca_seconds, args):
    seconds = {name: [] for name, _, _ in SETTINGS}
    accuracy = {}
    for _ in range(args.repeats):
        for name, neighbours, ints in SETTINGS:
            started = time.perf_counter()
            embedding = embed(points, neighbours, ints)
            seconds[name].append(time.perf_counter() - started)
            accuracy[name] = label_accuracy(embedding, labels[: len(points)])
    base = statistics.median(seconds[SETTINGS[0][0]])
    rows = [(name, f"{len(points):,}", f"{statistics.median(seconds[name]):.1f}", f"{base / statistics.median(seconds[name]):.2f}",
             f"{accuracy[name]:.4f}") for name, _, _ in SETTINGS]
    print(f"{len(codes):,} codes of {Path(args.model).name} ({codes.shape[1]:,} values each); "
          f"PCA to {NEIGHBOUR_INPUT_DIMS} components {pca_seconds:.1f} s, not in the table\n")
    print_table(("t-SNE settings", "codes", "seconds (median)", "speed-up", "10-NN label accuracy in 2-D"), rows)


if __name__ == "__main__":
    main()
