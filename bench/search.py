"""Similar-image search: precision@10 of each pretrained model's codes against PCA and raw pixels.

    AECORE_DATA_DIR=../shared/data python bench/search.py [pretrained]

For every digit and clothing model in pretrained/ (detectors of one class aside): each of the
10,000 test images queries the 9,999 others; precision@10 is the share of its 10 nearest images
that have its label. Codes by cosine and by Euclidean distance; PCA of the test pixels with as many
components as the code has values (at most 784), and the raw pixels, by Euclidean distance. The
time is for all 10,000 queries against the 10,000 images, exact (brute force) on this CPU.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aecore import import_tensorflow_quietly  # noqa: E402

import_tensorflow_quietly()
from aecore.datasets import load_dataset  # noqa: E402
from aecore.search import leave_one_out, vector_spaces  # noqa: E402
from aecore.zoo import list_saved, load_model  # noqa: E402
from bench.harness import print_table  # noqa: E402

K = 10


def timed_precision(vectors, labels, metric):
    started = time.perf_counter()
    precision, _ = leave_one_out(vectors, labels, K, metric)
    return precision, time.perf_counter() - started


def main(directory="pretrained"):
    header = ("model", "data", "code values", "code, cosine", "code, Euclidean", "PCA (components)", "pixels",
              "query time, code (s)", "query time, pixels (s)")
    rows, sources = [], {}
    for name, path, card in list_saved(directory):
        if card.get("dataset") not in ("mnist", "fashion_mnist") or card.get("classes") or card.get("architecture") == "photo":
            continue
        data = load_dataset(card["dataset"])
        sources[data.name] = data.describe()
        spaces = vector_spaces(load_model(path), data.x_test).vectors
        code_cosine, code_seconds = timed_precision(spaces["code"], data.y_test, "cosine")
        code_euclidean, _ = timed_precision(spaces["code"], data.y_test, "euclidean")
        pca, _ = timed_precision(spaces["pca"], data.y_test, "euclidean")
        pixels, pixel_seconds = timed_precision(spaces["pixels"], data.y_test, "euclidean")
        rows.append((name, data.name, f"{spaces['code'].shape[1]:,}", f"{code_cosine:.3f}", f"{code_euclidean:.3f}",
                     f"{pca:.3f} ({spaces['pca'].shape[1]})", f"{pixels:.3f}", f"{code_seconds:.2f}",
                     f"{pixel_seconds:.2f}"))
        print(f"{name}: done", file=sys.stderr, flush=True)
    for description in sources.values():
        print(f"data: {description}")
    print(f"precision@{K}, each test image querying the others\n")
    print_table(header, rows)


if __name__ == "__main__":
    main(*sys.argv[1:])
