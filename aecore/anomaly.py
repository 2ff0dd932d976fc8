"""Anomaly detection with an autoencoder trained on normal images only: what it cannot rebuild is odd.

`anomaly_scores` gives one score per image: the reconstruction error (MSE or BCE), or the distance
of its code to the nearest codes of the normal training images, or the sum of both measured in
standard deviations of the normal images' own scores. `roc`, `threshold_for_false_alarm_rate` and
`confusion` turn scores of normal and anomalous images into the numbers a detector is judged by.
`normal_classes_split` and `dataset_against_dataset` build the normal and anomalous sets.
`NormalDomain` says when an uploaded picture is nothing like the normal images, so that no score of
it is read as "normal".
"""

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from aecore.images import LUMA
from aecore.metrics import bce, mse

SCORES = {
    "mse": "reconstruction error (MSE)",
    "bce": "reconstruction error (cross-entropy)",
    "code": "distance to the nearest normal codes",
    "mse+code": "MSE and code distance, each in standard deviations of the normal scores",
}
# The detector that bench/anomaly.py measures, the app trains and bench/make_zoo.sh ships: a dense
# autoencoder 784 -> 128 -> 32 -> 128 -> 784 trained with cross-entropy, scored by MSE.
DETECTOR_ARCHITECTURE = "dense"
DETECTOR_OPTIONS = {"code_size": 32, "hidden_sizes": [128], "loss": "binary_crossentropy"}
NEIGHBOURS = 5  # codes of normal training images averaged over for the code distance
ERRORS = {"mse": mse, "bce": bce}


def reconstruction_errors(model, images, metric="mse", batch_size=1024):
    """Per-image reconstruction error of `images` (N x H x W x C in [0, 1]) under `model`."""
    if metric not in ERRORS:
        raise ValueError(f"unknown reconstruction error {metric!r}; choose one of {', '.join(ERRORS)}")
    return ERRORS[metric](images, model.reconstruct(images, batch_size=batch_size))


def nearest_distances(queries, references, neighbours=NEIGHBOURS, chunk=2048):
    """Mean Euclidean distance from each query vector to its `neighbours` nearest reference vectors."""
    queries = np.asarray(queries, np.float32).reshape(len(queries), -1)
    references = np.asarray(references, np.float32).reshape(len(references), -1)
    neighbours = min(neighbours, len(references))
    if neighbours < 1:
        raise ValueError("no reference vectors to measure distances to")
    reference_norms = np.sum(references**2, axis=1)
    result = np.empty(len(queries), np.float64)
    for start in range(0, len(queries), chunk):  # chunks keep the distance matrix to a few tens of MB
        block = queries[start : start + chunk]
        squared = np.sum(block**2, axis=1)[:, None] - 2 * block @ references.T + reference_norms[None, :]
        nearest = np.partition(np.maximum(squared, 0), neighbours - 1, axis=1)[:, :neighbours]
        result[start : start + chunk] = np.sqrt(nearest).mean(axis=1)
    return result


@dataclass
class Detector:
    """A model and what it learned of the normal images: their codes and the spread of their scores.

    Build one with `fit_detector`; `score` then gives comparable scores for any images.
    """

    model: object
    score_kind: str
    normal_codes: np.ndarray | None
    scales: dict  # {"mse": (mean, std), "code": (mean, std)} of the normal training images, for "mse+code"

    def parts(self, images, batch_size=1024):
        """`{part: raw per-image scores}` for the parts this score kind needs."""
        wanted = self.score_kind.split("+")
        parts = {}
        for part in wanted:
            if part == "code":
                codes = self.model.encode(images, batch_size=batch_size)
                parts[part] = nearest_distances(codes, self.normal_codes)
            else:
                parts[part] = reconstruction_errors(self.model, images, part, batch_size)
        return parts

    def score(self, images, batch_size=1024):
        """One anomaly score per image: higher is more anomalous."""
        parts = self.parts(np.asarray(images, np.float32), batch_size)
        if len(parts) == 1:
            return next(iter(parts.values()))
        return sum((values - self.scales[part][0]) / self.scales[part][1] for part, values in parts.items())


def fit_detector(model, normal_images, score_kind="mse", batch_size=1024):
    """A `Detector` for `score_kind` (one of `SCORES`) from the images the model was trained on as normal.

    The code distance compares with the codes of `normal_images`; a training image's own code would
    be its nearest, so a code score needs normal images that are not the ones scored later.
    """
    if score_kind not in SCORES:
        raise ValueError(f"unknown score {score_kind!r}; choose one of {', '.join(SCORES)}")
    normal_images = np.asarray(normal_images, np.float32)
    if len(normal_images) == 0:
        raise ValueError("no normal images to fit the detector on")
    needs_codes = "code" in score_kind.split("+")
    codes = model.encode(normal_images, batch_size=batch_size) if needs_codes else None
    detector = Detector(model, score_kind, codes, {})
    if "+" in score_kind:
        # The spread of each part over normal images, each measured against the others (leave one out).
        half = len(normal_images) // 2
        probe = Detector(model, score_kind, codes[half:] if needs_codes else None, {})
        for part, values in probe.parts(normal_images[:half], batch_size).items():
            detector.scales[part] = (float(np.mean(values)), float(np.std(values)) or 1.0)
    return detector


def anomaly_scores(model, images, score_kind="mse", normal_images=None, batch_size=1024):
    """Scores of `images` under `model` (higher: more anomalous); code scores need `normal_images`."""
    if "code" in score_kind.split("+") and normal_images is None:
        raise ValueError("a code-space score needs normal images to compare codes with")
    if normal_images is None:
        normal_images = np.zeros((1, *np.shape(images)[1:]), np.float32)  # not used by reconstruction errors
    return fit_detector(model, normal_images, score_kind, batch_size).score(images, batch_size)


@dataclass(frozen=True)
class Roc:
    """The ROC curve of scores where anomalies should score high: rates at every threshold, and the area."""

    false_alarm_rates: np.ndarray  # fraction of normal images flagged
    detection_rates: np.ndarray  # fraction of anomalies flagged
    thresholds: np.ndarray  # flag when score >= threshold
    auroc: float


def roc(normal_scores, anomalous_scores):
    """The `Roc` of a detector from the scores of normal and of anomalous images.

    AUROC is the chance that a random anomaly scores above a random normal image (ties count half),
    computed from ranks, so it matches the area under the curve exactly.
    """
    normal = np.asarray(normal_scores, np.float64).ravel()
    anomalous = np.asarray(anomalous_scores, np.float64).ravel()
    if len(normal) == 0 or len(anomalous) == 0:
        raise ValueError("a ROC curve needs at least one normal and one anomalous score")
    if not (np.all(np.isfinite(normal)) and np.all(np.isfinite(anomalous))):
        raise ValueError("scores must be finite numbers")
    scores = np.concatenate([normal, anomalous])
    is_anomaly = np.concatenate([np.zeros(len(normal), bool), np.ones(len(anomalous), bool)])
    order = np.argsort(-scores, kind="mergesort")
    scores, is_anomaly = scores[order], is_anomaly[order]
    last_of_each_value = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    detected = np.cumsum(is_anomaly)[last_of_each_value]
    false_alarms = (last_of_each_value + 1) - detected
    ranks = rankdata(np.concatenate([normal, anomalous]))
    auroc = (ranks[len(normal):].sum() - len(anomalous) * (len(anomalous) + 1) / 2) / (len(normal) * len(anomalous))
    return Roc(np.r_[0.0, false_alarms / len(normal)], np.r_[0.0, detected / len(anomalous)],
               np.r_[np.inf, scores[last_of_each_value]], float(auroc))


def threshold_for_false_alarm_rate(normal_scores, rate):
    """The lowest threshold that flags (score > threshold) at most `rate` of the normal images."""
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"a false-alarm rate is a fraction in [0, 1], got {rate}")
    normal = np.sort(np.asarray(normal_scores, np.float64).ravel())[::-1]
    if len(normal) == 0:
        raise ValueError("no normal scores to set a threshold from")
    allowed = int(np.floor(rate * len(normal) + 1e-9))
    if allowed >= len(normal):
        return float(np.nextafter(normal[-1], -np.inf))
    return float(normal[allowed])


@dataclass(frozen=True)
class Confusion:
    """Counts at one threshold: anomalies caught and missed, normal images flagged (false alarms) and passed."""

    caught: int
    missed: int
    false_alarms: int
    passed: int

    @property
    def detection_rate(self):
        return self.caught / max(1, self.caught + self.missed)

    @property
    def false_alarm_rate(self):
        return self.false_alarms / max(1, self.false_alarms + self.passed)


def confusion(normal_scores, anomalous_scores, threshold):
    """The `Confusion` counts when every score above `threshold` is called an anomaly."""
    normal = np.asarray(normal_scores)
    anomalous = np.asarray(anomalous_scores)
    caught = int(np.sum(anomalous > threshold))
    false_alarms = int(np.sum(normal > threshold))
    return Confusion(caught, len(anomalous) - caught, false_alarms, len(normal) - false_alarms)


MID_TONES = (0.2, 0.8)  # tones between these, once a picture is stretched to its own darkest and lightest
TONE_MARGIN = 0.15  # a picture with this much more of its area in mid tones than 99% of the normal images is unlike them
COLOURED = 0.2  # a pixel whose channels differ by more than this is coloured ...
COLOURED_SHARE = 0.1  # ... and a picture with more than this share of coloured pixels is a colour picture
DOMAIN_SAMPLE = 2000  # normal images measured to learn their share of mid tones, at most


def mid_tone_shares(grays):
    """Per picture (N x H x W), the share of its pixels in `MID_TONES` once its 1st-99th percentile range is [0, 1].

    Digits are mostly paper and ink, photographs mostly mid tones; stretching first makes a pale scan
    or a dim photo count like a crisp one.
    """
    grays = np.asarray(grays, np.float32).reshape(len(grays), -1)
    low, high = np.percentile(grays, [1, 99], axis=1, keepdims=True)
    stretched = (grays - low) / np.maximum(high - low, 1e-6)
    return np.mean((stretched > MID_TONES[0]) & (stretched < MID_TONES[1]), axis=1)


@dataclass(frozen=True)
class NormalDomain:
    """What every normal image is like, so that an upload unlike all of them is not scored as one.

    A detector's score compares a picture with what the model learned, so it means something only for
    pictures of that kind: a colour photograph shrunk to a gray 28 x 28 copy can score as low as a digit.
    Build one with `NormalDomain.of`; `unlike` then judges an upload as it came, before it is prepared.
    """

    gray: bool  # the normal images have one channel
    most_mid_tones: float  # the 99th percentile of the normal images' shares of mid tones

    @classmethod
    def of(cls, normal_images):
        """The domain of `normal_images` (N x H x W x C in [0, 1]), measured on at most `DOMAIN_SAMPLE` of them."""
        normal_images = np.asarray(normal_images, np.float32)
        if len(normal_images) == 0:
            raise ValueError("no normal images to learn what they are like")
        sample = normal_images[:: max(1, len(normal_images) // DOMAIN_SAMPLE)]
        gray = sample.shape[-1] == 1
        grays = sample[..., 0] if gray else sample[..., :3] @ LUMA
        return cls(gray, float(np.percentile(mid_tone_shares(grays), 99)))

    def unlike(self, image):
        """Why `image` (H x W, or H x W x C in [0, 1]) is nothing like the normal images, in words; `None` if it may be.

        Examples
        --------
        >>> domain = NormalDomain(gray=True, most_mid_tones=0.1)
        >>> domain.unlike(np.zeros((28, 28))) is None
        True
        >>> print(domain.unlike(np.tile(np.linspace(0, 1, 64), (64, 1))))  # a smooth gray ramp
        most of it is mid tones (59% of its area, against at most 10% in 99% of the normal images), like a photograph
        """
        image = np.asarray(image, np.float32)
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        if image.ndim == 3:
            if self.gray:
                coloured = float(np.mean(image.max(axis=-1) - image.min(axis=-1) > COLOURED))
                if coloured > COLOURED_SHARE:
                    return f"it is a colour picture ({coloured:.0%} of it in colour) and the normal images are gray"
            image = image[..., :3] @ LUMA
        share = float(mid_tone_shares(image[np.newaxis])[0])
        if share > self.most_mid_tones + TONE_MARGIN:
            return (f"most of it is mid tones ({share:.0%} of its area, against at most {self.most_mid_tones:.0%} in "
                    "99% of the normal images), like a photograph")
        return None


def detector_card(model, dataset, normal_classes, score_kind="mse"):
    """The card entry of a detector of `normal_classes` of `dataset`: its AUROC on the whole test set."""
    split = normal_classes_split(dataset, normal_classes)
    scores = anomaly_scores(model, split.x_test, score_kind)
    auroc = roc(scores[~split.is_anomaly], scores[split.is_anomaly]).auroc
    return {"anomaly": {"score": score_kind, "test_images": int(len(split.x_test)),
                        "anomalies": int(split.is_anomaly.sum()), "auroc": round(auroc, 4)}}


@dataclass(frozen=True)
class AnomalySplit:
    """Normal training images, and test images with a flag saying which are anomalies."""

    description: str
    x_train: np.ndarray  # normal images only
    x_test: np.ndarray
    is_anomaly: np.ndarray  # bool, one per test image
    test_labels: np.ndarray  # class index of each test image within its own dataset
    test_class_names: tuple  # a name per test image, for galleries

    @property
    def normal_test(self):
        return self.x_test[~self.is_anomaly]

    @property
    def anomalous_test(self):
        return self.x_test[self.is_anomaly]


def normal_classes_split(dataset, normal_classes):
    """Normal: the images of `normal_classes` (class indices) of `dataset`; anomalies: every other class.

    Raises:
        ValueError: when the choice leaves no normal class or no anomalous one.
    """
    normal_classes = sorted({int(label) for label in normal_classes})
    count = len(dataset.class_names)
    if not normal_classes:
        raise ValueError("choose at least one normal class")
    if any(not 0 <= label < count for label in normal_classes):
        raise ValueError(f"{dataset.name} has classes 0 to {count - 1}, not {normal_classes}")
    if len(normal_classes) == count:
        raise ValueError(f"every class of {dataset.name} is normal, so no test image is an anomaly: "
                         "leave at least one class out")
    train_normal = np.isin(dataset.y_train, normal_classes)
    is_anomaly = ~np.isin(dataset.y_test, normal_classes)
    names = ", ".join(dataset.class_names[label] for label in normal_classes)
    return AnomalySplit(f"{dataset.name}: normal {names}; anomalies: the other classes",
                        dataset.x_train[train_normal], dataset.x_test, is_anomaly, dataset.y_test,
                        tuple(dataset.class_names[label] for label in dataset.y_test))


def dataset_against_dataset(normal, anomalous, anomalies=None, seed=0):
    """Normal: every image of dataset `normal`; anomalies: test images of `anomalous` (`anomalies` of them, random)."""
    if normal.input_shape != anomalous.input_shape:
        raise ValueError(f"{normal.name} images are {normal.input_shape} and {anomalous.name} images are "
                         f"{anomalous.input_shape}: a detector needs one shape")
    chosen = np.arange(len(anomalous.x_test))
    if anomalies is not None and anomalies < len(chosen):
        chosen = np.sort(np.random.default_rng(seed).choice(chosen, anomalies, replace=False))
    x_test = np.concatenate([normal.x_test, anomalous.x_test[chosen]])
    is_anomaly = np.r_[np.zeros(len(normal.x_test), bool), np.ones(len(chosen), bool)]
    labels = np.r_[normal.y_test, anomalous.y_test[chosen]]
    names = tuple(normal.class_names[label] for label in normal.y_test) + tuple(
        anomalous.class_names[label] for label in anomalous.y_test[chosen])
    return AnomalySplit(f"normal: {normal.name}; anomalies: {anomalous.name}", normal.x_train, x_test, is_anomaly,
                        labels, names)
