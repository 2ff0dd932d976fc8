"""The tied autoencoder shares kernels between encoder and decoder."""

import numpy as np

from aecore.architectures import build


def test_decoder_uses_transposed_encoder_kernels():
    model = build("tied")
    # two encoder kernels, their two biases, and the decoder's own two biases
    assert len(model.trainable_weights) == 6
    kernels = [w for w in model.trainable_weights if len(w.shape) == 2]
    assert sorted(tuple(k.shape) for k in kernels) == [(300, 150), (784, 300)]
    assert not any(len(w.shape) == 2 for w in model.decoder.layers[1].trainable_weights)


def test_only_free_kernels_are_regularised():
    model = build("tied")
    model(np.zeros((1, 28, 28, 1), np.float32))
    assert len(model.losses) == 2  # one L2 term per encoder kernel


def test_changing_an_encoder_kernel_changes_the_decoder():
    model = build("tied")
    code = np.ones((1, 150), np.float32)
    before = model.decode(code)
    kernel = model.encoder.get_layer("encoder_dense_1").kernel
    kernel.assign(kernel.numpy() * 2)
    assert not np.allclose(before, model.decode(code))
