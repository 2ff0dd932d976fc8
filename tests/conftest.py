"""Shared fixtures. Tests run offline on the data that packages ship, never on a data folder."""

import os

os.environ["AECORE_OFFLINE"] = "1"
os.environ.pop("AECORE_DATA_DIR", None)
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def mnist():
    from aecore.datasets import load_dataset

    return load_dataset("mnist")


@pytest.fixture(scope="session")
def mnist_small(mnist):
    """512 training and 64 test images of real MNIST: enough to see a loss drop in one epoch."""
    return mnist.subset(train=512, test=64)
