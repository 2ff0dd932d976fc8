"""AppTest: the Reconstructions page opens each model with the noise it was trained with."""

import pytest

from tests.app.test_pages import assert_clean, open_app


def test_a_model_trained_without_noise_opens_without_noise(app_env):
    at = open_app("app_pages/reconstructions.py", query={"model": "b_vae"})
    assert_clean(at)
    assert at.selectbox(key="noise").value == "none"
    assert [metric.label for metric in at.metric] == ["Mean MSE", "Mean PSNR", "Mean SSIM"]


def test_picking_another_model_brings_its_training_noise(app_env):
    at = open_app("app_pages/reconstructions.py")
    assert at.selectbox(key="noise").value == "gaussian" and at.slider(key="sigma").value == pytest.approx(0.4)
    at.sidebar.selectbox(key="model").set_value("b_vae").run()
    assert_clean(at)
    assert at.selectbox(key="noise").value == "none"
    at.sidebar.selectbox(key="model").set_value("a_conv_gaussian").run()
    assert at.selectbox(key="noise").value == "gaussian" and at.slider(key="sigma").value == pytest.approx(0.4)
