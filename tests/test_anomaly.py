"""Anomaly scores, ROC and AUROC, thresholds for a false-alarm rate, confusion counts, the normal/anomalous splits,
and uploads unlike every normal image."""

from dataclasses import replace

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from aecore.anomaly import (
    NormalDomain,
    anomaly_scores,
    confusion,
    dataset_against_dataset,
    fit_detector,
    nearest_distances,
    normal_classes_split,
    roc,
    threshold_for_false_alarm_rate,
)
from aecore.datasets import load_dataset
from aecore.training import TrainConfig, train


def test_auroc_and_curve_match_scikit_learn_with_ties():
    rng = np.random.default_rng(0)
    normal = np.round(rng.normal(0, 1, 300), 1)  # rounding makes many ties
    anomalous = np.round(rng.normal(1, 1, 200), 1)
    result = roc(normal, anomalous)
    truth = np.r_[np.zeros(300), np.ones(200)]
    assert result.auroc == pytest.approx(roc_auc_score(truth, np.r_[normal, anomalous]))
    fpr, tpr, _ = roc_curve(truth, np.r_[normal, anomalous], drop_intermediate=False)
    np.testing.assert_allclose(result.false_alarm_rates, fpr)
    np.testing.assert_allclose(result.detection_rates, tpr)
    assert result.auroc == pytest.approx(np.trapezoid(result.detection_rates, result.false_alarm_rates))


def test_auroc_is_one_when_every_anomaly_scores_higher_and_zero_when_lower():
    assert roc([0.1, 0.2], [0.3, 0.9]).auroc == 1.0
    assert roc([0.3, 0.9], [0.1, 0.2]).auroc == 0.0
    assert roc([0.5, 0.5], [0.5]).auroc == 0.5


def test_roc_refuses_empty_or_broken_scores():
    with pytest.raises(ValueError, match="at least one"):
        roc([0.1], [])
    with pytest.raises(ValueError, match="finite"):
        roc([0.1, np.nan], [0.2])


@pytest.mark.parametrize("rate", [0.0, 0.01, 0.05, 0.1, 0.5, 1.0])
def test_threshold_flags_at_most_the_wanted_share_of_normal_images_and_no_lower_one_does(rate):
    normal = np.random.default_rng(1).normal(size=1000)
    threshold = threshold_for_false_alarm_rate(normal, rate)
    assert np.mean(normal > threshold) <= rate
    lower = np.max(normal[normal < threshold], initial=-np.inf)
    assert np.isinf(lower) or np.mean(normal > lower) > rate


def test_confusion_counts_each_image_once():
    counts = confusion([0.1, 0.2, 0.6], [0.5, 0.7, 0.05, 0.9], threshold=0.4)
    assert (counts.caught, counts.missed, counts.false_alarms, counts.passed) == (3, 1, 1, 2)
    assert counts.detection_rate == 0.75 and counts.false_alarm_rate == pytest.approx(1 / 3)


def test_nearest_distances_match_brute_force():
    rng = np.random.default_rng(2)
    queries, references = rng.normal(size=(50, 8)), rng.normal(size=(300, 8))
    brute = np.sort(np.linalg.norm(queries[:, None] - references[None], axis=2), axis=1)[:, :5].mean(axis=1)
    np.testing.assert_allclose(nearest_distances(queries, references, 5, chunk=7), brute, rtol=1e-4)


def test_class_splits_say_when_nothing_is_left_to_find(mnist):
    split = normal_classes_split(mnist, [1, 7])
    assert set(mnist.y_train[np.isin(mnist.y_train, [1, 7])]) == {1, 7}
    assert len(split.x_train) == np.isin(mnist.y_train, [1, 7]).sum()
    assert split.is_anomaly.sum() == (~np.isin(mnist.y_test, [1, 7])).sum()
    with pytest.raises(ValueError, match="no test image is an anomaly"):
        normal_classes_split(mnist, range(10))
    with pytest.raises(ValueError, match="at least one normal class"):
        normal_classes_split(mnist, [])


def test_one_dataset_against_another(mnist):
    fashion = load_dataset("fashion_mnist")
    split = dataset_against_dataset(mnist, fashion, anomalies=100)
    assert split.is_anomaly.sum() == 100 and (~split.is_anomaly).sum() == len(mnist.x_test)
    assert len(split.test_class_names) == len(split.x_test)
    with pytest.raises(ValueError, match="one shape"):
        dataset_against_dataset(mnist, load_dataset("digits"))


@pytest.fixture(scope="module")
def ones_detector_model(mnist):
    split = normal_classes_split(mnist, [1])
    normal = replace(mnist, x_train=split.x_train, y_train=np.ones(len(split.x_train), np.int64))
    return train("dense", normal, TrainConfig(epochs=3, batch_size=32), code_size=16).model, split


@pytest.mark.parametrize("score_kind", ["mse", "bce", "code", "mse+code"])
def test_a_model_of_ones_finds_the_other_digits(ones_detector_model, score_kind):
    model, split = ones_detector_model
    test = slice(0, 1000)
    scores = anomaly_scores(model, split.x_test[test], score_kind, normal_images=split.x_train)
    assert scores.shape == (1000,) and np.all(np.isfinite(scores))
    assert roc(scores[~split.is_anomaly[test]], scores[split.is_anomaly[test]]).auroc > 0.8


def test_code_scores_need_normal_images(ones_detector_model):
    model, split = ones_detector_model
    with pytest.raises(ValueError, match="normal images"):
        anomaly_scores(model, split.x_test[:10], "code")
    with pytest.raises(ValueError, match="unknown score"):
        fit_detector(model, split.x_train, "psnr")


def scanned(digit, size=280):
    """An MNIST digit as a scan: dark ink on light paper, ten times bigger, smoothly resampled."""
    from PIL import Image

    paper = Image.fromarray(1.0 - digit[..., 0], "F").resize((size, size), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(paper), 0, 1)


def test_photos_are_unlike_digits_and_digits_are_not(mnist):
    """issue 28, item 2: a colour photo shrunk to 28 x 28 gray scored as a normal zero."""
    from skimage.data import camera
    from sklearn.datasets import load_sample_image

    digits = NormalDomain.of(mnist.x_train)
    assert digits.gray and digits.most_mid_tones < 0.2
    photo = load_sample_image("flower.jpg") / 255.0
    assert "colour picture" in digits.unlike(photo)
    gray_photo = photo @ np.float32([0.299, 0.587, 0.114])
    assert "mid tones" in digits.unlike(gray_photo) and "mid tones" in digits.unlike(camera() / 255.0)
    for digit in mnist.x_test[:20]:
        assert digits.unlike(digit) is None and digits.unlike(scanned(digit)) is None
        assert digits.unlike(np.repeat(scanned(digit)[..., np.newaxis], 3, axis=-1)) is None  # read as RGB


def test_clothes_have_mid_tones_but_no_colour():
    fashion = load_dataset("fashion_mnist")
    clothes = NormalDomain.of(fashion.x_train)
    assert all(clothes.unlike(item) is None for item in fashion.x_test[:50])
    red_shirt = np.zeros((56, 56, 3), np.float32)
    red_shirt[8:48, 12:44] = [0.8, 0.1, 0.1]
    assert "colour picture" in clothes.unlike(red_shirt)
    with pytest.raises(ValueError, match="no normal images"):
        NormalDomain.of(fashion.x_train[:0])
