"""AppTest: the Complete a hidden part page hides a rectangle, fills it in and scores it, for test images and uploads."""

from aecore.completion import Rectangle, complete
from aecore.zoo import load_model
from tests.app.test_pages import assert_clean, image_captions, open_app
from tests.conftest import png_bytes


def metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_the_rectangle_sliders_hide_and_score_what_the_library_does(app_env, mnist):
    at = open_app("app_pages/completion.py")
    assert_clean(at)
    assert any("not trained on hidden rectangles" in warning.value for warning in at.warning)
    at.slider(key="completion_rows").set_value((4, 15))
    at.slider(key="completion_columns").set_value((10, 21)).run()
    assert_clean(at)
    model = load_model(app_env / "a_conv_gaussian.keras")
    expected = complete(model, mnist.x_test[0], Rectangle(4, 10, 12, 12), mnist.x_train.mean(axis=0))
    assert metric(at, "PSNR inside, the model") == f"{expected.psnr_inside:.2f} dB"
    assert metric(at, "PSNR inside, the mean") == f"{expected.baseline_psnr_inside:.2f} dB"
    assert all(len(m.label) <= 22 for m in at.metric)  # a fourth of the view shows about 22 characters
    assert any("12 x 12 pixels at row 4, column 10" in caption.value for caption in at.caption)
    at.slider(key="completion_rows").set_value((27, 27)).run()  # one row at the very edge still works
    assert_clean(at)
    assert any("1 x 12 pixels at row 27" in caption.value for caption in at.caption)


def test_an_uploaded_digit_is_completed_and_a_broken_file_explained(app_env, mnist):
    at = open_app("app_pages/completion.py")
    at.file_uploader(key="completion_upload").set_value(("my_digit.png", png_bytes(1 - mnist.x_test[3, ..., 0]),
                                                          "image/png")).run()
    assert_clean(at)
    assert image_captions(at)[0].startswith("my\\_digit\\.png: original")
    at.file_uploader(key="completion_upload").set_value(("broken.png", b"\x89PNG\r\nnope", "image/png")).run()
    assert_clean(at)
    warnings = [warning.value for warning in at.warning]
    assert any("broken\\.png" in warning for warning in warnings) and "Showing test image 0 instead." in warnings
    assert image_captions(at)[0].startswith("test image 0")
