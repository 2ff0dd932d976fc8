"""Shared fixtures. Tests run offline on the data the repository and its packages ship, never on a data folder."""

import os

os.environ["AECORE_OFFLINE"] = "1"
os.environ.pop("AECORE_DATA_DIR", None)
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import io  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402


# Modules whose tests each take seconds (a subprocess that imports TensorFlow, an AppTest of a whole
# page, real training or the shipped models): left out of the fast lane, `pytest -m "not slow and not browser"`.
SLOW_MODULES = {"test_cli.py", "test_pretrained.py", "test_distributed.py", "test_bad_uploads.py",
                "test_training.py", "test_anomaly.py", "test_batch.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.path
        if path.parent.name == "browser":
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)
        elif path.parent.name == "app" or path.name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def mnist():
    from aecore.datasets import load_dataset

    return load_dataset("mnist")


@pytest.fixture(scope="session")
def mnist_small(mnist):
    """512 training and 64 test images of real MNIST: enough to see a loss drop in one epoch."""
    return mnist.subset(train=512, test=64)


def save_trained(directory, name, model_name, dataset, config, **options):
    from aecore import zoo
    from aecore.training import train

    zoo.save_trained(train(model_name, dataset, config, **options), dataset, config, directory, name, test_examples=64)


@pytest.fixture(scope="session")
def pretrained_dir(tmp_path_factory, mnist):
    """A small pretrained folder of real, briefly trained models, for the app and browser tests."""
    from aecore.datasets import load_dataset
    from aecore.training import TrainConfig

    directory = tmp_path_factory.mktemp("pretrained")
    small = mnist.subset(train=512)
    save_trained(directory, "a_conv_gaussian", "conv", small, TrainConfig(epochs=1, noise="gaussian:0.4"),
                 upsampling="transpose")
    save_trained(directory, "b_vae", "vae", small, TrainConfig(epochs=1))
    save_trained(directory, "c_points_linear", "linear", load_dataset("points3d"), TrainConfig(epochs=3),
                 code_size=2)
    save_photo_model(directory, "d_photo_color", channels=3)
    return directory


def save_photo_model(directory, name, channels):
    """A small photo model, briefly fitted to denoise smooth synthetic pictures, saved with its card."""
    from aecore import zoo
    from aecore.architectures import build

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:32, 0:32] / 32.0
    clean = np.stack([np.stack([0.5 + 0.4 * np.sin(3 * x * rng.random() + 2 * y * rng.random() + c)
                                for c in range(channels)], -1) for _ in range(64)]).astype(np.float32)
    noisy = clean + rng.normal(0, 0.1, clean.shape).astype(np.float32)
    model = build("photo", input_shape=(None, None, channels), widths=[8, 16], bottleneck_blocks=1,
                  learning_rate=2e-3)
    model.fit(noisy, clean, epochs=10, batch_size=16, verbose=0)
    stage = dict(epochs=10, steps=4, batch_size=16, patch_size=32, learning_rate=2e-3, max_sigma=55.0,
                 clip_fraction=0.0, precision="float32", seed=0, seconds=1.0, patches=640, init=None)
    card = zoo.make_photo_card(model, ["synthetic/sines.png"], {}, stage, [{"epoch": 10, "psnr_sigma25": 30.0}])
    zoo.save_model(model, directory, name, card)


def png_bytes(array):
    buffer = io.BytesIO()
    Image.fromarray((np.clip(array, 0, 1) * 255).astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()
