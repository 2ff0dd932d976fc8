"""AppTest: the Similar images page finds neighbours by code, PCA and pixels, and takes uploaded queries."""

import numpy as np

from aecore.search import leave_one_out
from aecore.zoo import load_model
from tests.app.test_pages import assert_clean, image_captions, open_app
from tests.conftest import png_bytes


def test_precision_is_the_librarys_and_each_space_shows_its_neighbours(app_env, mnist):
    at = open_app("app_pages/search.py")
    at.select_slider(key="search_count").set_value(1000)
    at.slider(key="search_k").set_value(5)
    at.radio(key="search_metric").set_value("euclidean").run()
    assert_clean(at)
    codes = load_model(app_env / "a_conv_gaussian.keras").encode(mnist.x_test[:1000])
    expected = leave_one_out(codes, mnist.y_test[:1000], 5, "euclidean")[0]
    assert at.metric[0].label == "precision@5, code" and at.metric[0].value == f"{expected:.3f}"
    captions = image_captions(at)
    assert len(captions) == 3 and all("test image 0, label 7 first, then its 5 nearest" in c for c in captions)


def test_an_uploaded_query_is_searched_and_a_broken_one_explained(app_env, mnist):
    at = open_app("app_pages/search.py")
    at.file_uploader(key="search_upload").set_value(("my_seven.png", png_bytes(1 - mnist.x_test[0, ..., 0]),
                                                      "image/png")).run()
    assert_clean(at)
    assert all("my\\_seven\\.png first" in caption for caption in image_captions(at))
    at.file_uploader(key="search_upload").set_value(("notes.txt", b"not an image", "text/plain")).run()
    assert_clean(at)
    warnings = [warning.value for warning in at.warning]
    assert any("notes\\.txt" in warning for warning in warnings) and "Searching with test image 0 instead." in warnings
    assert all("test image 0" in caption for caption in image_captions(at))
    assert np.isfinite(float(at.metric[2].value))
