"""Fixtures for the app tests: a small pretrained folder of real (briefly trained) models."""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from aecore import zoo
from aecore.datasets import load_dataset
from aecore.metrics import evaluate_model
from aecore.training import TrainConfig, train

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def save_trained(directory, name, model_name, dataset, config, **options):
    result = train(model_name, dataset, config, **options)
    scores = evaluate_model(result.model, dataset.x_test[:64], config.noise)
    zoo.save_model(result.model, directory, name, zoo.make_card(result.model, dataset, config, result, scores))


@pytest.fixture(scope="session")
def pretrained_dir(tmp_path_factory, mnist):
    directory = tmp_path_factory.mktemp("pretrained")
    small = mnist.subset(train=512)
    save_trained(directory, "a_conv_gaussian", "conv", small, TrainConfig(epochs=1, noise="gaussian:0.4"))
    save_trained(directory, "b_vae", "vae", small, TrainConfig(epochs=1))
    save_trained(directory, "c_points_linear", "linear", load_dataset("points3d"), TrainConfig(epochs=3),
                 code_size=2)
    return directory


@pytest.fixture
def app_env(monkeypatch, pretrained_dir):
    monkeypatch.setenv("AESTUDIO_PRETRAINED_DIR", str(pretrained_dir))
    return pretrained_dir


def png_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray((np.clip(array, 0, 1) * 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()
