"""t-SNE and UMAP on a busy machine: one thread per core (n_jobs=-1) against aecore.latent's bound.

    python bench/busy_projections.py [--codes 1000] [--repeats 3] [--busy K]

The codes are those of MNIST test images (the bundled data, or AECORE_DATA_DIR's) under
pretrained/mnist_conv_gaussian0.4.keras, reduced to 50 PCA components as the Latent page does.
With `--busy K`, K training runs (`python3 -m aecore train ...`, normal priority) start first and
are killed at the end, as when visitors train beside the page. The two settings alternate,
`--repeats` times each, after a warm-up (imports, numba's compilation); the table shows medians.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aecore import import_tensorflow_quietly  # noqa: E402

import_tensorflow_quietly()
from aecore.datasets import load_dataset  # noqa: E402
from aecore.latent import NEIGHBOUR_INPUT_DIMS, _pca, project, projection_threads  # noqa: E402
from aecore.zoo import load_model  # noqa: E402
from bench.harness import print_table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def start_training_runs(count, folder):
    command = [sys.executable, "-m", "aecore", "train", "--model", "conv", "--dataset", "mnist", "--epochs", "50",
               "--limit", "5000", "--out", folder]
    return [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(count)]


def timed(points, method, threads):
    started = time.perf_counter()
    project(points, method, 2, threads=threads)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--busy", type=int, default=0, help="training runs beside the projections")
    parser.add_argument("--settle", type=float, default=30.0, help="seconds for the training runs to start")
    args = parser.parse_args()
    data = load_dataset("mnist")
    codes = load_model(ROOT / "pretrained" / "mnist_conv_gaussian0.4.keras").encode(data.x_test[: args.codes])
    codes = codes.reshape(len(codes), -1)
    points = _pca(codes, NEIGHBOUR_INPUT_DIMS, 0).transform(codes)
    for method in ("tsne", "umap"):
        project(points[:300], method, 2, threads=1)  # warm: imports and numba's compilation
    with tempfile.TemporaryDirectory() as folder:
        runs = start_training_runs(args.busy, folder)
        try:
            time.sleep(args.settle if runs else 0)
            rows = []
            for method in ("tsne", "umap"):
                seconds = {"n_jobs=-1 (before)": [], "projection_threads() (now)": []}
                chosen = []
                for _ in range(args.repeats):
                    seconds["n_jobs=-1 (before)"].append(timed(points, method, -1))
                    chosen.append(projection_threads())
                    seconds["projection_threads() (now)"].append(timed(points, method, None))
                for setting, values in seconds.items():
                    if setting.startswith("projection"):
                        setting += f": {'/'.join(map(str, chosen))} threads"
                    rows.append([{"tsne": "t-SNE", "umap": "UMAP"}[method], setting, f"{len(points):,}",
                                 f"{statistics.median(values):.1f}", " ".join(f"{v:.1f}" for v in values)])
            alive = sum(run.poll() is None for run in runs)
        finally:
            for run in runs:
                run.kill()
                run.wait()
    print(f"{os.cpu_count()} cores, {args.busy} training runs beside ({alive} still running at the end), "
          f"load average at the end {os.getloadavg()[0]:.1f}\n")
    print_table(["projection", "threads", "codes", "seconds (median)", "each run"], rows)


if __name__ == "__main__":
    main()
