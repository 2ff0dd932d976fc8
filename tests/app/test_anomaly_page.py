"""AppTest: the Anomaly detection page scores, thresholds, trains its own detector, and judges uploads."""

import re

from aecore.anomaly import anomaly_scores, dataset_against_dataset, roc
from aecore.datasets import load_dataset
from aecore.zoo import load_model
from tests.app.conftest import start_training, training_run, wait_for_training
from tests.app.test_pages import as_shown, assert_clean, image_captions, open_app, picked_model
from tests.conftest import png_bytes


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_opens_on_the_picked_models_own_data_and_the_threshold_moves_the_counts(app_env, mnist):
    at = open_app("app_pages/anomaly.py")
    assert_clean(at)
    assert at.radio(key="anomaly_mode").value == "datasets"  # a_conv_gaussian learned all of MNIST
    assert at.selectbox(key="anomaly_normal_dataset").value == "mnist"
    split = dataset_against_dataset(mnist, load_dataset("fashion_mnist"))
    scores = anomaly_scores(load_model(app_env / "a_conv_gaussian.keras"), split.x_test, "mse")
    assert metric(at, "AUROC") == f"{roc(scores[~split.is_anomaly], scores[split.is_anomaly]).auroc:.3f}"
    assert len(at.get("plotly_chart")) == 2  # the histograms and the ROC curve
    assert all(len(m.label) <= 16 for m in at.metric)  # a fifth of the view shows about 16 characters
    captions = image_captions(at)
    assert any(caption.startswith("Most anomalous") for caption in captions)
    assert any(caption.startswith("Least anomalous") for caption in captions)

    at.slider(key="anomaly_false_alarms").set_value(0.0).run()
    assert metric(at, "False alarms") == "0"
    caught_strict = int(metric(at, "Anomalies caught").replace(",", ""))
    at.slider(key="anomaly_false_alarms").set_value(20.0).run()
    assert_clean(at)
    assert metric(at, "False alarms") == "2,000"  # 20% of the 10,000 MNIST test images
    assert int(metric(at, "Anomalies caught").replace(",", "")) > caught_strict


def test_a_class_choice_that_leaves_no_anomalies_says_so(app_env):
    at = open_app("app_pages/anomaly.py")
    at.radio(key="anomaly_mode").set_value("classes").run()
    at.multiselect(key="anomaly_normal").set_value(list(range(10))).run()
    assert_clean(at)
    assert any("no test image is an anomaly" in warning.value for warning in at.warning)
    at.multiselect(key="anomaly_normal").set_value([]).run()
    assert_clean(at)
    assert any("at least one normal class" in warning.value for warning in at.warning)


def test_trains_a_detector_of_one_digit_and_uses_it(app_env):
    at = open_app("app_pages/anomaly.py")
    at.radio(key="anomaly_mode").set_value("classes").run()
    at.multiselect(key="anomaly_normal").set_value([1]).run()
    assert any("may rebuild the anomalies" in warning.value for warning in at.warning)
    at.slider(key="anomaly_epochs").set_value(5)
    at.button(key="anomaly_train").click().run()
    assert_clean(at)
    at = wait_for_training(at)
    assert_clean(at)
    key = training_run(at).key
    assert key.startswith("session:dense_mnist-normal-1_") and picked_model(at) == key
    assert any("trained on these normal images alone" in caption.value for caption in at.caption)
    panel = next(expander for expander in at.expander if expander.label.startswith("Train a detector"))
    assert panel.proto.expanded and any("Training finished" in message.value for message in at.success)
    assert float(metric(at, "AUROC")) > 0.8  # ones are easy to tell from the other digits
    card = " ".join(caption.value for caption in at.sidebar.caption)  # says how well it detects, as the shipped ones do
    assert float(re.search(r"AUROC ([0-9.]+) against the other classes", card).group(1)) > 0.8
    at.switch_page("app_pages/train.py").run()  # the Train page shows its own runs, not this detector's
    assert_clean(at)
    assert not at.success and not at.get("download_button") and not at.get("plotly_chart")
    assert any("press **Start training**" in message.value for message in at.info)


def test_the_detector_panel_shows_no_run_of_the_train_page(app_env):
    at = wait_for_training(start_training(epochs=1, count=500))
    at.switch_page("app_pages/anomaly.py").run()
    assert_clean(at)
    assert not any("Training finished" in message.value for message in at.success)
    assert "Model (.keras)" not in [button.proto.label for button in at.get("download_button")]
    assert any("joins the sidebar picker" in message.value for message in at.info)


def test_uploads_get_a_verdict_and_broken_files_a_message(app_env, mnist):
    at = open_app("app_pages/anomaly.py")
    at.file_uploader(key="anomaly_upload").set_value([
        ("my_digit.png", png_bytes(1 - mnist.x_test[0, ..., 0]), "image/png"),
        ("[notes](https://evil.example).txt", b"hello, not an image", "text/plain"),
    ]).run()
    assert_clean(at)
    assert any(text.value.startswith("**normal**") or text.value.startswith("**an anomaly**") for text in at.markdown)
    assert "my_digit.png" in as_shown(" ".join(image_captions(at)))
    warnings = [warning.value for warning in at.warning]
    assert any("notes" in warning and "\\[notes\\]" in warning for warning in warnings)  # shown escaped, not a link


def test_a_colour_photo_is_not_passed_as_a_normal_digit(app_env, mnist):
    """issue 28, item 2: a photo shrunk MNIST-style scored below the threshold and was called normal."""
    import io

    from PIL import Image
    from sklearn.datasets import load_sample_image

    photo = io.BytesIO()
    Image.fromarray(load_sample_image("flower.jpg")).save(photo, format="JPEG")
    at = open_app("app_pages/anomaly.py")
    at.file_uploader(key="anomaly_upload").set_value([
        ("flower.jpg", photo.getvalue(), "image/jpeg"),
        ("my_digit.png", png_bytes(1 - mnist.x_test[0, ..., 0]), "image/png"),
    ]).run()
    assert_clean(at)
    verdicts = [text.value for text in at.markdown if text.value.startswith("**")]
    assert len(verdicts) == 2
    assert verdicts[0].startswith("**not like the training images: anomalous**") and "colour" in verdicts[0]
    assert verdicts[1].startswith(("**normal**", "**an anomaly**"))  # a digit is judged by its score
