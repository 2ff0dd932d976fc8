"""Score every model in pretrained/ on its full test set, beside the best-known published numbers.

    AECORE_DATA_DIR=../shared/data python bench/quality.py [pretrained]

Retrains nothing. A margin under 1% is flagged: each row is one training run, and we have not
measured how far another seed would land. Noisy models see their card's noise with seed 0 and are scored against clean
targets. The Fashion-MNIST references are the TensorFlow tutorial's recipes as run here by
bench/tf_tutorial.py (read from bench/results/tf_tutorial.json).
"""

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from aecore.datasets import load_dataset  # noqa: E402
from aecore.metrics import evaluate_model  # noqa: E402
from aecore.zoo import list_saved, load_model  # noqa: E402
from bench.harness import print_table  # noqa: E402

KERAS_BLOG = "Keras blog, Building Autoencoders in Keras"
KERAS_IO_DENOISING = "keras-io, Convolutional autoencoder for image denoising (val)"

# model name -> (metric, published value, epochs it took, source)
REFERENCES = {
    "mnist_dense32": ("bce", 0.09, 50, KERAS_BLOG),
    "mnist_deep32": ("bce", 0.08, 100, KERAS_BLOG),
    "mnist_conv": ("bce", 0.0622, 50, KERAS_IO_DENOISING),
    "mnist_conv_gaussian0.4": ("bce", 0.0839, 100, KERAS_IO_DENOISING),
    "mnist_vae2d": ("bce_sum", 140.15, 30, "keras-io, Variational AutoEncoder (reconstruction loss)"),
}


def tutorial_references():
    path = HERE / "results" / "tf_tutorial.json"
    if not path.is_file():
        return {}
    runs = json.loads(path.read_text())
    return {name: ("mse", run["test_mse"], run["epochs"], "TensorFlow Intro to Autoencoders, run here")
            for name, run in runs.items()}


def main(directory="pretrained"):
    references = {**REFERENCES, **tutorial_references()}
    rows = []
    for name, path, card in list_saved(directory):
        dataset = load_dataset(card["dataset"])
        if card.get("classes"):  # a detector: scored on its own classes (bench/anomaly.py scores its detection)
            dataset = dataset.only_classes(card["classes"])
        model = load_model(path)
        scores = evaluate_model(model, dataset.x_test, card.get("noise"), seed=0)["model"]
        if "bce" in scores:
            scores["bce_sum"] = scores["bce"] * int(np.prod(dataset.input_shape))
        metric, reference, reference_epochs, source = references.get(name, ("bce", None, None, ""))
        if "bce" not in scores or not dataset.is_image:
            metric = "mse"
        ours = scores[metric]
        difference = verdict = ""
        if reference is not None:
            difference = f"{(ours - reference) / reference:+.1%}"
            verdict = "beats" if ours < reference and card["epochs"] <= reference_epochs else "does not beat"
            if abs(ours - reference) < 0.01 * reference:
                verdict += " (by under 1%)"
        rows.append((name, card["dataset"], f"{dataset.x_test.shape[0]:,}", card.get("noise") or "none", metric,
                     f"{ours:.5g}", "" if reference is None else f"{reference:.5g}", difference,
                     f"{card['epochs']} / {reference_epochs or '-'}", verdict, source, card["data_source"]))
    header = ("model", "data", "test images", "noise", "metric", "ours", "reference", "difference",
              "epochs ours / ref", "verdict", "reference source", "trained on")
    print_table(header, rows)


if __name__ == "__main__":
    main(*sys.argv[1:])
