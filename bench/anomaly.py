"""One-class anomaly detection (the protocol of Ruff et al. 2018, Deep SVDD) on MNIST and Fashion-MNIST.

    AECORE_DATA_DIR=../shared/data python bench/anomaly.py [--datasets mnist fashion_mnist] [--epochs 30]

For each class: train an autoencoder on that class's training images alone, score all 10,000 test
images (that class normal, the nine others anomalies), and report the AUROC; then the mean over
classes. Prints one markdown row per dataset and score, beside Deep SVDD's published MNIST row.
Unlike Ruff et al., the images are used as they are (no global contrast normalisation).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aecore import import_tensorflow_quietly  # noqa: E402

import_tensorflow_quietly()  # before aecore.training imports it
from aecore.anomaly import (  # noqa: E402
    DETECTOR_ARCHITECTURE,
    DETECTOR_OPTIONS,
    SCORES,
    fit_detector,
    normal_classes_split,
    roc,
)
from aecore.datasets import load_dataset  # noqa: E402
from aecore.training import TrainConfig, train  # noqa: E402

DEEP_SVDD_MNIST = [98.0, 99.7, 91.7, 91.9, 94.9, 88.5, 98.3, 94.6, 93.9, 96.5]  # one-class Deep SVDD, Table 1


def class_aurocs(data, epochs, score_kinds, classes, log):
    """`{score kind: [AUROC per class]}` and the training seconds, one detector per class."""
    aurocs = {kind: [] for kind in score_kinds}
    seconds = 0.0
    for label in classes:
        split = normal_classes_split(data, [label])
        config = TrainConfig(epochs=epochs, batch_size=128, validation_split=0.0, seed=0)
        result = train(DETECTOR_ARCHITECTURE, data.only_classes([label]), config, **DETECTOR_OPTIONS)
        seconds += result.seconds
        for kind in score_kinds:
            scores = fit_detector(result.model, split.x_train, kind).score(split.x_test)
            aurocs[kind].append(100 * roc(scores[~split.is_anomaly], scores[split.is_anomaly]).auroc)
        log(f"{data.name} class {label}: " + ", ".join(f"{kind} {values[-1]:.1f}" for kind, values in aurocs.items())
            + f" ({result.seconds:.0f} s)")
    return aurocs, seconds


def row(name, values):
    return f"| {name} | " + " | ".join(f"{value:.1f}" for value in values) + f" | **{np.mean(values):.1f}** |"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["mnist", "fashion_mnist"])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--scores", nargs="+", default=list(SCORES), choices=list(SCORES))
    parser.add_argument("--classes", type=int, nargs="+", default=list(range(10)))
    args = parser.parse_args()

    def log(line):
        print(line, file=sys.stderr, flush=True)

    started = time.perf_counter()
    lines = []
    for name in args.datasets:
        data = load_dataset(name)
        log(f"data: {data.describe()}")
        aurocs, seconds = class_aurocs(data, args.epochs, args.scores, args.classes, log)
        lines.append(f"\n{data.describe()}; AUROC (%) with each class normal in turn; training {seconds:.0f} s\n")
        lines.append("| detector | " + " | ".join(data.class_names[label] for label in args.classes) + " | mean |")
        lines.append("|---|" + "---|" * (len(args.classes) + 1))
        for kind, values in aurocs.items():
            lines.append(row(f"ours, {SCORES[kind]}", values))
        if name == "mnist" and args.classes == list(range(10)):
            lines.append(row("Deep SVDD, one-class (Ruff et al. 2018)", DEEP_SVDD_MNIST))
    recipe = ", ".join(f"{key}={value}" for key, value in DETECTOR_OPTIONS.items())
    print(f"detector: {DETECTOR_ARCHITECTURE}, {recipe}, {args.epochs} epochs, batch 128, seed 0; {time.perf_counter() - started:.0f} s in all")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
