"""A fully convolutional denoising autoencoder for photographs of any size, gray or colour.

The shape is a residual U-Net (the RED-Net / U-Net / DRUNet idea): an encoder of residual blocks
and stride-2 convolutions halves the resolution level by level, a decoder of stride-2 transposed
convolutions doubles it back, and each decoder level adds the encoder's map of the same size (a skip
connection), so fine detail need not squeeze through the bottleneck. The network predicts the
noise, and the output is the input minus it. Convolutions have no biases: a bias-free network scales
with its input, which keeps one model good over a whole range of noise levels (Mohan et al., 2020).

Inputs are (H, W, C) with H and W any multiple of `2 ** (len(widths) - 1)`; `aecore.denoise` pads
other sizes and tiles large images.
"""

import keras

from aecore.architectures.base import Autoencoder


def residual_block(x, width, name):
    """x + conv(relu(conv(x))), 3x3 and bias-free."""
    y = keras.layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"{name}_conv_a")(x)
    y = keras.layers.ReLU(name=f"{name}_relu")(y)
    y = keras.layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"{name}_conv_b")(y)
    return keras.layers.Add(name=f"{name}_add")([x, y])


@keras.saving.register_keras_serializable(package="aecore")
class PhotoDenoiser(Autoencoder):
    """Residual U-Net for photos: strided-conv encoder, transposed-conv decoder, skips, noise residual.

    The encoder maps an image to its feature maps at every level (the finest first, the bottleneck
    last, the image itself in front for the residual); the decoder maps them back to the image. The
    code is the bottleneck map: (H / 2^(L-1)) x (W / 2^(L-1)) x widths[-1] values.

    Args:
        input_shape: (None, None, C) for any image size, or (H, W, C); C is 1 (gray) or 3 (colour).
        code_size: channels of the bottleneck map; `None` uses `widths[-1]`.
        widths: channels at each level, finest first; each level after the first halves H and W.
        blocks: residual blocks at each level of the encoder and of the decoder.
        bottleneck_blocks: residual blocks at the coarsest level.
    """

    family = "photo"

    def __init__(self, input_shape=(None, None, 1), code_size=None, widths=(32, 64, 128, 192), blocks=1,
                 bottleneck_blocks=2, **kwargs):
        input_shape = tuple(None if d is None else int(d) for d in input_shape)
        if len(input_shape) != 3 or input_shape[-1] not in (1, 3):
            raise ValueError(f"photo takes (H, W, 1) or (H, W, 3) images, got {input_shape}")
        widths = tuple(int(w) for w in widths)
        if code_size is not None and int(code_size) != widths[-1]:
            widths = widths[:-1] + (int(code_size),)
        if len(widths) < 2 or min(widths) < 1:
            raise ValueError(f"widths needs two or more positive channel counts, got {widths}")
        multiple = 2 ** (len(widths) - 1)
        if any(d is not None and d % multiple for d in input_shape[:2]):
            raise ValueError(f"photo with {len(widths)} levels needs H and W divisible by {multiple}, got {input_shape}")
        super().__init__(input_shape, widths[-1], **kwargs)
        self.widths, self.blocks, self.bottleneck_blocks = widths, int(blocks), int(bottleneck_blocks)
        self.size_multiple = multiple
        channels = input_shape[-1]

        image = keras.Input(input_shape, name="image")
        x = keras.layers.Conv2D(widths[0], 3, padding="same", use_bias=False, name="head")(image)
        skips = []
        for level, width in enumerate(widths[:-1]):
            for block in range(self.blocks):
                x = residual_block(x, width, f"encoder_{level}_{block}")
            skips.append(x)
            x = keras.layers.Conv2D(widths[level + 1], 2, strides=2, use_bias=False, name=f"down_{level}")(x)
        for block in range(self.bottleneck_blocks):
            x = residual_block(x, widths[-1], f"bottleneck_{block}")
        self.encoder = keras.Model(image, [image, *skips, x], name="encoder")

        maps = [keras.Input((None, None, channels), name="image")]
        maps += [keras.Input((None, None, width), name=f"level_{level}") for level, width in enumerate(widths)]
        y = maps[-1]
        for level in reversed(range(len(widths) - 1)):
            y = keras.layers.Conv2DTranspose(widths[level], 2, strides=2, use_bias=False, name=f"up_{level}")(y)
            y = keras.layers.Add(name=f"skip_{level}")([y, maps[level + 1]])
            for block in range(self.blocks):
                y = residual_block(y, widths[level], f"decoder_{level}_{block}")
        # The residual is formed in float32 even under a mixed-precision policy: the output must
        # resolve the fine differences between clean and noisy pixels.
        noise = keras.layers.Conv2D(channels, 3, padding="same", use_bias=False, dtype="float32", name="noise")(y)
        clean = keras.layers.Subtract(dtype="float32", name="denoised")([maps[0], noise])
        self.decoder = keras.Model(maps, clean, name="decoder")

    def call(self, inputs, training=False):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def encode(self, x, batch_size=8):
        """The bottleneck maps of `x`, (N, h, w, code_size): the code of a fully convolutional model."""
        return self.apply(self.encoder, x, batch_size)[-1]

    def hyperparameters(self):
        return dict(widths=list(self.widths), blocks=self.blocks, bottleneck_blocks=self.bottleneck_blocks)
