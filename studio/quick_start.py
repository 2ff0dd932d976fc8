"""Quick start: a small model trained in seconds on bundled data, so a fresh install shows something real."""

import streamlit as st

from aecore import zoo
from aecore.metrics import evaluate_model
from aecore.training import TrainConfig, train
from studio import common

QUICK_CONFIG = TrainConfig(epochs=5, batch_size=64, seed=0)


def quick_start():
    """Train a dense autoencoder (code 32) on the offline MNIST digits with a progress bar."""
    data = common.dataset("mnist")
    bar = st.progress(0.0, text="Training a dense autoencoder on MNIST…")

    def report(progress):
        bar.progress(progress.fraction, text=f"epoch {progress.epoch}/{progress.epochs} · "
                                             f"loss {progress.logs.get('loss', float('nan')):.4f}")

    result = train("dense", data.subset(train=4000), QUICK_CONFIG, on_progress=report, code_size=32,
                   loss="binary_crossentropy")
    scores = evaluate_model(result.model, data.x_test[:1000])
    card = zoo.make_card(result.model, data, QUICK_CONFIG, result, scores,
                         {"optimizer": "adam", "learning_rate": 1e-3, "loss": "binary_crossentropy"})
    common.add_session_model("quick_dense_mnist", result.model, card)
    bar.empty()
