"""Quick start: a small model trained in seconds on bundled data, so a fresh install shows something real."""

import streamlit as st

from aecore import zoo
from aecore.architectures import recipe
from aecore.training import TrainConfig, train
from studio import models, visitors
from studio.runs import SCORED_TEST_IMAGES

QUICK_CONFIG = TrainConfig(epochs=5, batch_size=64, seed=0)
QUICK_OPTIONS = dict(loss="binary_crossentropy")


def quick_start():
    """Train a dense autoencoder (code 32) on 4,000 MNIST digits with a progress bar."""
    data = models.dataset("mnist").subset(train=4000)
    bar = st.progress(0.0, text="Training a dense autoencoder on MNIST…")

    def report(progress):
        bar.progress(progress.fraction, text=f"epoch {progress.epoch}/{progress.epochs} · "
                                             f"loss {progress.logs.get('loss', float('nan')):.4f}")

    result = train("dense", data, QUICK_CONFIG, on_progress=report, code_size=32, **QUICK_OPTIONS)
    path = zoo.save_trained(result, data, QUICK_CONFIG, visitors.session_dir(), "quick_dense_mnist",
                            recipe("dense", **QUICK_OPTIONS), test_examples=SCORED_TEST_IMAGES)
    models.add_session_model(result.model, path)
    bar.empty()
