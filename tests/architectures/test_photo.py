"""The photo family: any image size, gray and colour, a real bottleneck code, save/reload identical, learns."""

import keras
import numpy as np
import pytest

from aecore.architectures import PhotoDenoiser, build
from aecore.photo_training import as_policy

SMALL = dict(widths=[8, 16, 24], bottleneck_blocks=1)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("size", [(16, 16), (24, 40), (64, 8)])
def test_takes_any_size_that_its_strides_divide(channels, size):
    model = build("photo", input_shape=(None, None, channels), **SMALL)
    x = np.random.default_rng(0).random((2, *size, channels), dtype=np.float32)
    assert model.reconstruct(x).shape == x.shape
    code = model.encode(x)
    assert code.shape == (2, size[0] // 4, size[1] // 4, 24) and model.code_size == 24


def test_rejects_sizes_and_channels_it_cannot_take():
    with pytest.raises(ValueError, match="divisible by 8"):
        PhotoDenoiser(input_shape=(28, 28, 1))
    with pytest.raises(ValueError, match=r"\(H, W, 1\) or \(H, W, 3\)"):
        PhotoDenoiser(input_shape=(None, None, 2))


def test_output_is_the_input_minus_the_predicted_noise():
    model = build("photo", input_shape=(None, None, 1), **SMALL)
    for layer in model.decoder.layers:
        if layer.name == "noise":
            layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    x = np.random.default_rng(1).random((1, 16, 16, 1), dtype=np.float32)
    np.testing.assert_array_equal(model.reconstruct(x), x)


def test_saves_and_reloads_identically(tmp_path):
    model = build("photo", input_shape=(None, None, 3), widths=[8, 16], blocks=2, bottleneck_blocks=1)
    path = tmp_path / "photo.keras"
    model.save(path)
    reloaded = keras.models.load_model(path, safe_mode=True)
    assert type(reloaded) is PhotoDenoiser and reloaded.get_config() == model.get_config()
    assert reloaded.example_shape == (None, None, 3) and reloaded.widths == (8, 16) and reloaded.blocks == 2
    x = np.random.default_rng(2).random((1, 32, 48, 3), dtype=np.float32)
    np.testing.assert_array_equal(reloaded.reconstruct(x), model.reconstruct(x))


@pytest.mark.slow
def test_learns_to_remove_noise_from_smooth_images():
    rng = np.random.default_rng(3)
    ramps = np.linspace(0, 1, 32, dtype=np.float32)
    clean = np.stack([np.add.outer(ramps * rng.random(), ramps * rng.random()) / 2 for _ in range(32)])[..., None]
    noisy = clean + rng.normal(0, 0.1, clean.shape).astype(np.float32)
    model = build("photo", input_shape=(None, None, 1), learning_rate=2e-3, **SMALL)
    before = model.evaluate(noisy, clean, verbose=0)
    model.fit(noisy, clean, epochs=15, batch_size=8, verbose=0)
    after = model.evaluate(noisy, clean, verbose=0)
    assert after < 0.5 * before and after < np.mean((noisy - clean) ** 2)


def test_a_bfloat16_copy_keeps_the_weights_and_a_float32_residual():
    keras.utils.set_random_seed(4)  # bfloat16 keeps 8 bits: some random weights rounded more than 0.02 off
    model = build("photo", input_shape=(None, None, 1), **SMALL)
    fast = as_policy(model, "mixed_bfloat16")
    assert keras.mixed_precision.global_policy().name == "float32"
    assert fast.encoder.get_layer("head").compute_dtype == "bfloat16"
    assert fast.decoder.get_layer("denoised").compute_dtype == "float32"
    x = np.random.default_rng(4).random((1, 32, 32, 1), dtype=np.float32)
    np.testing.assert_allclose(fast.reconstruct(x), model.reconstruct(x), rtol=0.02, atol=0.02)
    back = as_policy(fast, "float32")
    np.testing.assert_array_equal(back.reconstruct(x), model.reconstruct(x))
