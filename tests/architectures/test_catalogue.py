"""Every catalogue model for small images (the photo family has its own tests): builds, trains one epoch on real digits, lowers its loss, saves and reloads."""

import keras
import numpy as np
import pytest

import aecore
from aecore.architectures import CATALOGUE, IMAGE_MODELS, build, list_models
from aecore.training import TrainConfig, train


def test_list_models_describes_every_entry():
    models = list_models()
    assert list(models) == ["dense", "deep", "sigmoid_deep", "stacked", "tied", "linear", "conv", "subclassed", "vae", "sparse",
                            "photo"]
    assert all(len(description) > 10 for description in models.values())


@pytest.mark.parametrize("name", IMAGE_MODELS)
def test_model_has_recipe_docstring_and_submodels(name):
    model = build(name)
    assert CATALOGUE[name].model_class.__doc__.strip()
    assert isinstance(model.encoder, keras.Model) and isinstance(model.decoder, keras.Model)
    x = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    codes = model.encode(x)
    assert codes.shape == (3, model.encoder.output_shape[-1] if name != "vae" else model.code_size)
    assert model.decode(codes).shape == (3, 28, 28, 1)


@pytest.mark.slow
@pytest.mark.parametrize("name", IMAGE_MODELS)
def test_model_trains_saves_and_reloads(name, mnist_small, tmp_path):
    model = build(name, input_shape=mnist_small.input_shape)
    x = mnist_small.x_train
    before = model.evaluate(x, x, verbose=0, return_dict=True)["loss"]
    result = train(model, mnist_small, TrainConfig(epochs=1, batch_size=32, validation_split=0.0))
    after = model.evaluate(x, x, verbose=0, return_dict=True)["loss"]
    assert after < before, f"{name}: loss {before:.4f} -> {after:.4f}"
    assert result.epochs_run == 1 and not result.stopped

    path = tmp_path / f"{name}.keras"
    model.save(path)
    reloaded = keras.models.load_model(path, safe_mode=True)
    assert type(reloaded) is type(model)
    assert reloaded.get_config() == model.get_config()
    sample = mnist_small.x_test[:16]
    np.testing.assert_array_equal(reloaded.reconstruct(sample), model.reconstruct(sample))
    np.testing.assert_array_equal(reloaded.encode(sample), model.encode(sample))


@pytest.mark.parametrize("name", IMAGE_MODELS)
def test_model_takes_other_image_shapes(name):
    shape = (8, 8, 1) if name not in ("dense", "sparse") else (12, 20, 3)
    model = build(name, input_shape=shape, code_size=2)
    x = np.random.default_rng(1).random((4, *shape), dtype=np.float32)
    assert model.reconstruct(x).shape == (4, *shape)


@pytest.mark.slow
@pytest.mark.parametrize("batch_norm", [False, True])
def test_conv_transpose_decoder_is_the_keras_io_model(batch_norm, mnist_small, tmp_path):
    model = build("conv", upsampling="transpose", batch_norm=batch_norm)
    layers = [layer.__class__.__name__ for layer in model.decoder.layers]
    assert layers.count("Conv2DTranspose") == 2 and "UpSampling2D" not in layers
    if not batch_norm:  # keras-io's "Convolutional autoencoder for image denoising", layer for layer
        assert model.count_params() == 28_353
    train(model, mnist_small, TrainConfig(epochs=1, batch_size=32, validation_split=0.0))
    path = tmp_path / "conv_transpose.keras"
    model.save(path)
    reloaded = keras.models.load_model(path, safe_mode=True)
    assert reloaded.upsampling == "transpose" and reloaded.batch_norm is batch_norm
    sample = mnist_small.x_test[:8]
    np.testing.assert_array_equal(reloaded.reconstruct(sample), model.reconstruct(sample))


def test_code_activation_replaces_only_the_code_layers(tmp_path):
    model = build("deep", code_size=8, code_activation="linear")
    activations = {layer.name: layer.activation.__name__ for layer in model.encoder.layers if hasattr(layer, "activation")}
    assert activations == {"encoder_hidden_0": "relu", "code": "linear"}
    assert build("deep").encoder.get_layer("code").activation.__name__ == "relu"  # "same" as the hidden layers
    path = tmp_path / "deep.keras"
    model.save(path)
    assert keras.models.load_model(path).code_activation == "linear"


def test_linear_takes_flat_vectors():
    model = build("linear", input_shape=(3,), code_size=2)
    assert model.encode(np.zeros((5, 3), np.float32)).shape == (5, 2)
    assert model.reconstruct(np.zeros((5, 3), np.float32)).shape == (5, 3)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(name="nope"), "unknown model 'nope'"),
        (dict(name="conv", input_shape=(30, 30, 1)), "divisible by 4"),
        (dict(name="conv", upsampling="bilinear"), "upsampling must be 'nearest' or 'transpose'"),
        (dict(name="vae", input_shape=(3,)), "divisible by 4"),
        (dict(name="dense", code_size=0), "code size must be at least 1"),
        (dict(name="dense", loss="hinge"), "unknown loss"),
        (dict(name="dense", optimizer="lbfgs"), "unknown optimizer"),
        (dict(name="dense", learning_rate=-1.0), "learning rate must be positive"),
    ],
)
def test_build_rejects_bad_arguments_clearly(arguments, message):
    with pytest.raises(ValueError, match=message):
        build(**arguments)


def test_build_is_exported_at_package_level():
    assert aecore.build is build and aecore.list_models is list_models


def test_learning_rate_decay_is_configurable():
    schedule = build("dense", learning_rate=0.01, decay_rate=0.5, decay_steps=10).optimizer.learning_rate
    assert float(schedule) == pytest.approx(0.01)  # at step 0
    recipe_schedule = build("sigmoid_deep").optimizer._learning_rate
    assert isinstance(recipe_schedule, keras.optimizers.schedules.ExponentialDecay)
    assert recipe_schedule.decay_rate == 0.9


def test_recipe_reports_what_build_applies():
    from aecore.architectures import recipe

    assert recipe("sigmoid_deep")["lr_decay_rate"] == 0.9  # the classic SGD schedule
    assert recipe("sigmoid_deep", optimizer="adam")["lr_decay_rate"] is None  # build drops it for Adam
    assert not isinstance(build("sigmoid_deep", optimizer="adam").optimizer._learning_rate,
                          keras.optimizers.schedules.ExponentialDecay)
    assert recipe("dense", learning_rate=0.01, decay_rate=0.5, decay_steps=100) == {
        "optimizer": "adam", "learning_rate": 0.01, "loss": "mse", "lr_decay_rate": 0.5, "lr_decay_steps": 100}
    assert recipe("vae")["loss"] == "reconstruction + KL"


def test_every_family_has_capabilities_and_the_entry_carries_them():
    from aecore.architectures import capabilities
    from aecore.cards import FAMILY_CAPABILITIES

    # A family added to the catalogue without a row of capabilities fails at import; a row without a family, here.
    assert list(FAMILY_CAPABILITIES) == list(CATALOGUE)
    assert all(CATALOGUE[name].capabilities is capabilities(name) is FAMILY_CAPABILITIES[name] for name in CATALOGUE)


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_capabilities_say_what_the_model_does(name):
    from aecore.architectures import PhotoDenoiser, VariationalAutoencoder
    from aecore.cards import ModelCard
    from aecore.denoise import is_photo_model

    able = CATALOGUE[name].capabilities
    assert ModelCard.read({"architecture": name}).is_photo is able.photo
    if able.photo:  # any size, gray or colour
        assert issubclass(CATALOGUE[name].model_class, PhotoDenoiser)
        assert is_photo_model(build(name, input_shape=(None, None, 3)))
        assert not (able.generative or able.feature_map_code or able.linear)
        return
    model = build(name)
    assert not is_photo_model(model)
    assert isinstance(model, VariationalAutoencoder) is able.generative  # a prior to sample
    activations = {layer.activation.__name__ for layer in model.encoder.layers + model.decoder.layers
                   if getattr(layer, "activation", None) is not None}
    assert (activations == {"linear"}) is able.linear
    if not able.generative:  # the vae's encoder gives a mean and a log-variance
        map_values = (28 // 4) * (28 // 4) * model.code_size  # a quarter-size map of code_size channels
        assert model.encoder.output_shape[-1] == (map_values if able.feature_map_code else model.code_size)
    if able.feature_map_code:
        assert build(name, code_units=2).code_shape == (2,)


def test_unknown_families_have_no_capabilities():
    from aecore.cards import NO_CAPABILITIES, ModelCard, capabilities

    assert capabilities("autoencoder") is capabilities(None) is NO_CAPABILITIES
    assert ModelCard.read({}).capabilities is ModelCard.read(None).capabilities is NO_CAPABILITIES
    assert not ModelCard.read(None).is_photo and not ModelCard.read(None)
