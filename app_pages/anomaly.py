"""Anomaly detection: an autoencoder that learned only normal images rebuilds anomalies badly; that error is the score."""

import numpy as np
import streamlit as st

from aecore.anomaly import (
    DETECTOR_ARCHITECTURE,
    DETECTOR_OPTIONS,
    SCORES,
    NormalDomain,
    confusion,
    dataset_against_dataset,
    fit_detector,
    normal_classes_split,
    roc,
    threshold_for_false_alarm_rate,
)
from aecore.architectures import recipe
from aecore.denoise import prepare, run_prepared
from aecore.figures import roc_figure, score_histograms
from aecore.training import TrainConfig
from studio import common, models, run_view, runs, settings, uploads
from studio.limits import training_limits
from studio.progress import result_cache
from studio.text import plain

DATASETS = ("mnist", "fashion_mnist")
MODES = {"classes": "some classes of one dataset", "datasets": "a whole dataset, the other one the anomalies"}
NORMAL_CODES = 10000  # normal training images whose codes the code-space score compares with, at most
GALLERY = 12
CHART_WIDTH = 300  # px: the two charts side by side in a wide window, one above the other on a laptop
SHOWN_UPLOADS = 24


def learned_from(card):
    """What is normal to a model, by its card: `(dataset, classes or None)`."""
    return card.dataset, (list(card.classes) if card.classes is not None else None)


def use_model(key):
    st.session_state["model"] = key  # a callback: it runs before the sidebar's picker is drawn


def scored(entry, split_key, split, score_kind):
    """The detector and the scores of every test image, kept for every visitor by model, data and score."""
    key = ("anomaly", str(entry.path), split_key, score_kind)
    cached = result_cache().get(key)
    if cached is None:
        with st.spinner(f"Scoring {len(split.x_test):,} test images…"):
            normal = split.x_train
            if len(normal) > NORMAL_CODES:
                normal = normal[np.random.default_rng(0).choice(len(normal), NORMAL_CODES, replace=False)]
            detector = fit_detector(entry.model, normal, score_kind)
            cached = detector, detector.score(split.x_test)
        result_cache().put(key, cached)
    return cached


st.title("Anomaly detection")
st.markdown("Train an autoencoder on **normal** images only. It learns to rebuild those, and rebuilds anything "
            "else badly: the reconstruction error is an **anomaly score**. Choose what is normal, train or pick a "
            "detector, and set the threshold.")
entry = common.require_model()
limits = training_limits()
run = runs.current_run()
running = run is not None and run.running

card_dataset, card_classes = learned_from(entry.card)
defaults = {"anomaly_mode": "classes" if card_classes else "datasets",
            "anomaly_dataset": card_dataset if card_dataset in DATASETS else "mnist",
            "anomaly_normal": list(card_classes or [0]),
            "anomaly_normal_dataset": card_dataset if card_dataset in DATASETS else "mnist",
            "anomaly_score": "mse", "anomaly_false_alarms": 5.0, "anomaly_epochs": 10}
settings.restore(defaults)  # the first visit starts from what the picked model learned

controls, view = st.columns([1, 3])
mode = controls.radio("What is normal", list(MODES), format_func=MODES.get, key="anomaly_mode")
if mode == "classes":
    name = controls.selectbox("Dataset", DATASETS, key="anomaly_dataset")
    data = models.dataset(name)
    normal = controls.multiselect("Normal classes", list(range(len(data.class_names))), key="anomaly_normal",
                                  format_func=lambda label: data.class_names[label])
    wanted = (name, sorted(normal))
else:
    name = controls.selectbox("Normal dataset", DATASETS, key="anomaly_normal_dataset")
    other = next(candidate for candidate in DATASETS if candidate != name)
    controls.caption(f"Anomalies: the {other} test images.")
    data = models.dataset(name)
    wanted = (name, None)
score_kind = controls.radio("Score", list(SCORES), format_func=SCORES.get, key="anomaly_score")
settings.save(list(defaults))

try:
    split = (normal_classes_split(data, normal) if mode == "classes"
             else dataset_against_dataset(data, models.dataset(other)))
except ValueError as error:
    view.warning(f"Nothing to detect yet: {error}.")
    st.stop()
if entry.model.example_shape != data.input_shape:
    view.info(f"{entry.label} takes {entry.model.example_shape} images, not {data.name}'s {data.input_shape}: "
              "pick a model of 28 x 28 images in the sidebar, or train a detector below.")

with controls:
    fits = learned_from(entry.card) == (wanted[0], wanted[1] or None)
    if fits:
        st.caption(f"Detector: **{plain(entry.label)}**, trained on these normal images alone.")
    else:
        learned = (f"{card_dataset or 'other data'}" + (f", classes {card_classes}" if card_classes else ", all of it"))
        st.warning(f"The picked model, {plain(entry.label)}, learned from {plain(learned)}, not from these normal "
                   "images alone, so it may rebuild the anomalies well too. Train a detector below, or use one "
                   "trained on them.")
        suited = [(key, candidate) for key, candidate in models.available_models().items()
                  if learned_from(candidate.card) == (wanted[0], wanted[1] or None)]
        for key, candidate in suited[:3]:
            st.button(f"Use {candidate.label}", key=f"anomaly_use_{candidate.label}", on_click=use_model,
                      args=(key,))
    own_run = run is not None and run.page == "anomaly"  # open while it runs, and after: its message, its downloads
    with st.expander("Train a detector on these normal images", expanded=not fits or own_run):
        normal_data = (data.only_classes(normal) if mode == "classes" else data).subset(train=limits.max_train_images)
        epochs = st.slider("Epochs", 1, limits.max_epochs, key="anomaly_epochs")
        st.caption(f"{DETECTOR_ARCHITECTURE} 784 → {DETECTOR_OPTIONS['hidden_sizes'][0]} → "
                   f"{DETECTOR_OPTIONS['code_size']} → … → 784, cross-entropy, on {len(normal_data.x_train):,} "
                   "normal training images (the benchmark's recipe).")
        if st.button("Train detector", key="anomaly_train", type="primary", disabled=running):
            tag = f"{name.removesuffix('_mnist')}-" + ("normal-" + "-".join(map(str, wanted[1])) if wanted[1] else "all")
            try:
                runs.start_run(DETECTOR_ARCHITECTURE, tag, normal_data, TrainConfig(epochs=epochs, seed=0),
                               recipe(DETECTOR_ARCHITECTURE, loss=DETECTOR_OPTIONS["loss"]), normal_data.x_test[:8],
                               normal_data.x_test[:8], limits, page="anomaly",
                               detects=(data, normal) if mode == "classes" else None, **DETECTOR_OPTIONS)
                st.rerun()
            except ValueError as error:
                st.error(f"Cannot start: {error}")
        run_view.show_run(running, "The detector joins the sidebar picker, and this page uses it, when it ends.",
                          page="anomaly")
if entry.model.example_shape != data.input_shape:
    st.stop()

detector, scores = scored(entry, (mode, *map(str, wanted)), split, score_kind)
normal_scores, anomalous_scores = scores[~split.is_anomaly], scores[split.is_anomaly]
curve = roc(normal_scores, anomalous_scores)
with view:
    rate = st.slider("Threshold: the share of normal test images you accept as false alarms (%)", 0.0, 50.0,
                     step=0.5, key="anomaly_false_alarms")
    threshold = threshold_for_false_alarm_rate(normal_scores, rate / 100)
    counts = confusion(normal_scores, anomalous_scores, threshold)
    row, width = common.metric_row(), common.METRIC_WIDTH
    row.metric("AUROC", f"{curve.auroc:.3f}", width=width)
    row.metric("Anomalies caught", f"{counts.caught:,}", f"{counts.detection_rate:.1%}", delta_color="off", width=width)
    row.metric("Anomalies missed", f"{counts.missed:,}", width=width)
    row.metric("False alarms", f"{counts.false_alarms:,}", f"{counts.false_alarm_rate:.1%}", delta_color="off",
               width=width)
    row.metric("Normals passed", f"{counts.passed:,}", help="normal test images scored below the threshold", width=width)
    st.caption(f"{split.description}. Threshold {threshold:.4g}: a score above it is called an anomaly.")
    charts = st.container(horizontal=True)  # side by side where they fit, else one above the other
    charts.plotly_chart(score_histograms(normal_scores, anomalous_scores, threshold), key="anomaly_histograms",
                        width=CHART_WIDTH)
    charts.plotly_chart(roc_figure(curve, (counts.false_alarm_rate, counts.detection_rate)), key="anomaly_roc",
                        width=CHART_WIDTH)

    order = np.argsort(-scores, kind="stable")
    for title, picked in (("Most anomalous", order[:GALLERY]), ("Least anomalous", order[::-1][:GALLERY])):
        images = split.x_test[picked]
        labels = ", ".join(split.test_class_names[index] + ("" if split.is_anomaly[index] else " (normal)")
                           for index in picked)
        common.show_mosaic([list(images), list(entry.model.reconstruct(images))],
                           caption=f"{title} test images, their reconstructions below: {labels}")

st.subheader("Score your own images")
files = uploads.uploader(st, "Images or a zip of images", key="anomaly_upload",
                         note="Each is prepared like the normal images (gray, 28 x 28) and scored")
digit_style = st.toggle("MNIST-style", value=name == "mnist", key="anomaly_digit_style",
                        help="prepare each upload like an MNIST digit: invert dark-on-light, crop to the ink, fit into 20 x 20, "
                             "centre by mass")
reading = uploads.Reading(files, color=True, max_pixels=uploads.DIGIT_PIXELS)
names, ready, differences = [], [], []  # differences: why an upload is nothing like the normal images, or None
domain = NormalDomain.of(split.x_train) if files else None
for item in reading:
    try:  # prepared one at a time (a few KB each); the model then takes them all in one call
        ready.append(prepare(entry.model, item.image, digit_style=digit_style))
    except ValueError as error:  # includes ImageError: a blank picture, say
        reading.refuse(item.name, error)
        continue
    names.append(item.name)
    differences.append(domain.unlike(item.image))
reading.show_problems()
denoised = run_prepared(entry.model, ready)
upload_scores = detector.score(np.stack([result.reference for result in denoised])) if denoised else []
results = list(zip(names, denoised, map(float, upload_scores), differences))
for name_shown, prepared, score, unlike in results[:SHOWN_UPLOADS]:
    picture, words = st.columns([1, 3])
    with picture:
        common.show_mosaic([[prepared.reference, prepared.output]], caption=plain(name_shown))
    if unlike:  # its small gray copy may score low, but the score only compares images like the normal ones
        words.markdown(f"**not like the training images: anomalous**: {plain(unlike)}. Its score as a small gray "
                       f"copy, {score:.4g} against the threshold {threshold:.4g}, says nothing about such a picture.")
    else:
        verdict = "an anomaly" if score > threshold else "normal"
        words.markdown(f"**{verdict}**: score {score:.4g} against the threshold {threshold:.4g}")
if len(results) > SHOWN_UPLOADS:
    st.info(f"Showing the first {SHOWN_UPLOADS} of {len(results)} images.")
