"""The conv family's code: what it really holds, and the optional dense code layer that makes it a bottleneck."""

import keras
import numpy as np
import pytest

from aecore.architectures import IMAGE_MODELS, ModelCard, build
from aecore.training import TrainConfig, train
from aecore.zoo import hyperparameters


@pytest.mark.parametrize("name", IMAGE_MODELS)
def test_code_values_is_the_width_of_what_encode_returns(name):
    model = build(name, code_size=3)
    codes = model.encode(np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32))
    assert codes.shape == (2, model.code_values)


def test_the_classic_conv_code_is_a_map_bigger_than_the_image():
    model = build("conv")
    assert model.code_shape == (7, 7, 32) and model.code_values == 1568
    card = ModelCard.read({"architecture": "conv", "options": hyperparameters(model)})
    assert card.code_in_words == "7 x 7 x 32 = 1,568 values, not fewer than the 784 inputs"
    assert ModelCard.read({"architecture": "dense", "options": hyperparameters(build("dense"))}).code_in_words == "64 values"


@pytest.mark.slow
def test_a_dense_code_layer_gives_conv_a_real_bottleneck(mnist_small, tmp_path):
    model = build("conv", code_units=2)
    assert model.code_shape == (2,) and model.code_values == 2
    assert ModelCard.read({"architecture": "conv", "options": hyperparameters(model)}).code_in_words == "2 values"
    result = train(model, mnist_small, TrainConfig(epochs=1, batch_size=64))
    sample = mnist_small.x_test[:8]
    assert result.model.encode(sample).shape == (8, 2)
    assert result.model.decode(np.zeros((1, 2), np.float32)).shape == (1, 28, 28, 1)
    path = tmp_path / "conv2.keras"
    model.save(path)
    reloaded = keras.models.load_model(path, safe_mode=True)
    assert reloaded.get_config() == model.get_config()
    np.testing.assert_array_equal(reloaded.reconstruct(sample), model.reconstruct(sample))


def test_a_card_written_before_code_units_existed_reads_the_same():
    options = {"input_shape": [28, 28, 1], "code_size": 32, "filters": 32, "batch_norm": False, "upsampling": "nearest"}
    assert ModelCard.read({"architecture": "conv", "options": options}).code_in_words.startswith("7 x 7 x 32 = 1,568 values")
