"""The convolutional denoising autoencoder of the Keras blog and keras-io examples.

Two conv + max-pool stages shrink an H x W image to H/4 x W/4 feature maps; two stages grow it back,
and a last 1-channel-per-input-channel sigmoid conv gives the pixels. The decoder grows the maps
either the Keras blog's way (conv, then nearest-neighbour upsampling) or the keras-io example's way
(stride-2 transposed convolutions, which learn the upsampling and run a full-width layer at full
resolution). The code is the flattened bottleneck map, so latent-space tools see a plain vector like
every other model. That map holds (H/4)·(W/4)·code_size values, 7 x 7 x 32 = 1,568 for MNIST by
default, more than the 784 pixels; `code_units` adds a dense code layer after it for a real
bottleneck of that many values.
"""

import keras

from aecore.architectures.base import Autoencoder


def require_divisible_by_four(input_shape, family):
    """Raise a clear `ValueError` when a two-pool network cannot take `input_shape`."""
    if len(input_shape) != 3 or input_shape[0] % 4 or input_shape[1] % 4:
        raise ValueError(
            f"{family} needs images of shape (H, W, C) with H and W divisible by 4, got {tuple(input_shape)}"
        )


@keras.saving.register_keras_serializable(package="aecore")
class ConvAutoencoder(Autoencoder):
    """Conv 32 · pool · Conv 32 · pool -> Conv 32 · up · Conv 32 · up · Conv C (sigmoid).

    Args:
        input_shape: (H, W, C) with H and W divisible by 4.
        code_size: channels of the bottleneck feature map; the code has (H/4)·(W/4)·code_size values.
        filters: channels of the other conv layers.
        code_units: if set, a dense layer of this many units (linear) after the bottleneck map is the
            code, and the decoder starts with a dense relu layer back to the map: a real bottleneck.
        batch_norm: add batch normalisation after each hidden conv (a stronger recipe than the
            classic one, kept off by default).
        upsampling: `"nearest"` (conv, then `UpSampling2D`; the Keras blog's decoder, the default)
            or `"transpose"` (stride-2 `Conv2DTranspose`; the keras-io decoder, about 2.5 times the
            arithmetic and a lower loss).
    """

    family = "conv"

    def __init__(self, input_shape=(28, 28, 1), code_size=32, filters=32, batch_norm=False, upsampling="nearest",
                 code_units=None, **kwargs):
        require_divisible_by_four(input_shape, "conv")
        if upsampling not in ("nearest", "transpose"):
            raise ValueError(f"upsampling must be 'nearest' or 'transpose', got {upsampling!r}")
        super().__init__(input_shape, code_size, **kwargs)
        self.filters = int(filters)
        self.batch_norm = bool(batch_norm)
        self.upsampling = upsampling
        self.code_units = int(code_units) if code_units else None
        height, width, channels = self.example_shape
        bottleneck_shape = (height // 4, width // 4, self.code_size)

        def conv(x, units, name, layer=keras.layers.Conv2D, strides=1):
            x = layer(units, 3, strides=strides, padding="same", activation=None if batch_norm else "relu", name=name)(x)
            if batch_norm:
                x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
                x = keras.layers.Activation("relu")(x)
            return x

        inputs = keras.Input(self.example_shape, name="image")
        x = conv(inputs, self.filters, "encoder_conv_0")
        x = keras.layers.MaxPooling2D(2, padding="same")(x)
        x = conv(x, self.code_size, "encoder_conv_1")
        x = keras.layers.MaxPooling2D(2, padding="same")(x)
        map_values = bottleneck_shape[0] * bottleneck_shape[1] * self.code_size
        if self.code_units:
            x = keras.layers.Flatten()(x)
            code = keras.layers.Dense(self.code_units, name="code")(x)
        else:
            code = keras.layers.Flatten(name="code")(x)
        self.encoder = keras.Model(inputs, code, name="encoder")

        code_input = keras.Input((self.code_units or map_values,), name="code")
        y = code_input
        if self.code_units:
            y = keras.layers.Dense(map_values, activation="relu", name="decoder_dense")(y)
        y = keras.layers.Reshape(bottleneck_shape)(y)
        for index in range(2):
            if upsampling == "transpose":
                y = conv(y, self.filters, f"decoder_conv_{index}", keras.layers.Conv2DTranspose, strides=2)
            else:
                y = keras.layers.UpSampling2D(2)(conv(y, self.filters, f"decoder_conv_{index}"))
        outputs = keras.layers.Conv2D(channels, 3, padding="same", activation="sigmoid", name="reconstruction")(y)
        self.decoder = keras.Model(code_input, outputs, name="decoder")

    def hyperparameters(self):
        return dict(filters=self.filters, batch_norm=self.batch_norm, upsampling=self.upsampling,
                    code_units=self.code_units)
