"""The base class every catalogue model derives from.

An `Autoencoder` is a `keras.Model` that owns an `encoder` and a `decoder` sub-model and whose
constructor arguments are plain hyper-parameters, so `get_config` mirrors `__init__` and a saved
`.keras` file rebuilds the same graph before its weights are loaded.
"""

import math

import keras
import numpy as np

from aecore.cards import code_shape


def flat_size(input_shape):
    """Number of values in one example of shape `input_shape`."""
    return int(math.prod(input_shape))


@keras.saving.register_keras_serializable(package="aecore")
class Autoencoder(keras.Model):
    """An encoder and a decoder that together map inputs back onto themselves.

    Subclasses build `self.encoder` and `self.decoder` (functional sub-models) in their
    constructor, calling `super().__init__` first.

    Args:
        input_shape: shape of one example, for example `(28, 28, 1)` or `(3,)`; `None` for a size
            a fully convolutional model takes as it comes.
        code_size: number of values in the code the encoder produces.
        **kwargs: passed on to `keras.Model` (name, dtype, ...).
    """

    family = "autoencoder"

    # Set by `aecore.training.train` for one run, never saved: with a `Noise` here, each training step
    # corrupts its clean inputs with fresh noise drawn from the stateless seed (noise_seed, step).
    training_noise = None
    noise_seed = 0

    def __init__(self, input_shape=(28, 28, 1), code_size=32, **kwargs):
        super().__init__(**kwargs)
        self.example_shape = tuple(None if d is None else int(d) for d in input_shape)
        self.code_size = int(code_size)
        # Subclasses build their sub-models in the constructor, so there is nothing left to build;
        # marking it now lets models trained only through a custom train_step save their weights.
        self.built = True

    def call(self, inputs, training=False):
        return self.decoder(self.encoder(inputs, training=training), training=training)

    def training_batch(self, data):
        """(inputs, targets, sample weights) of a batch; with `training_noise`, the targets freshly corrupted as inputs."""
        inputs, targets, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if self.training_noise is not None:  # TensorFlow only: the noise is drawn inside the compiled step
            import tensorflow as tf

            from aecore.noise import corrupt

            seed = tf.stack([tf.constant(self.noise_seed, tf.int64), tf.cast(self.optimizer.iterations, tf.int64)])
            inputs = corrupt(targets, self.training_noise, seed)
        return inputs, targets, sample_weight

    if keras.backend.backend() != "jax":  # JAX's trainer steps with (state, data) and adds no noise of its own
        def train_step(self, data):
            return super().train_step(keras.utils.pack_x_y_sample_weight(*self.training_batch(data)))

    EAGER_UP_TO = 512  # inputs this small go through one eager call, which beats predict's overhead
    BATCH = 1024  # larger inputs go through predict in batches this big

    @staticmethod
    def apply(submodel, x, batch_size=BATCH):
        """`submodel` on `x` as NumPy: one eager call for small inputs, `predict` in batches for large ones."""
        x = np.asarray(x, np.float32)
        if len(x) <= Autoencoder.EAGER_UP_TO:
            outputs = submodel(x, training=False)
            return [np.asarray(o) for o in outputs] if isinstance(outputs, (list, tuple)) else np.asarray(outputs)
        return submodel.predict(x, batch_size=batch_size, verbose=0)

    def encode(self, x, batch_size=BATCH):
        """Codes of `x` as a NumPy array of shape (N, code_size)."""
        return self.apply(self.encoder, x, batch_size)

    def decode(self, codes, batch_size=BATCH):
        """Images (or vectors) decoded from `codes`, as a NumPy array."""
        return self.apply(self.decoder, codes, batch_size)

    def reconstruct(self, x, batch_size=BATCH):
        """Reconstructions of `x`, in the inputs' shape, as a NumPy array."""
        return self.apply(self, x, batch_size)

    @property
    def code_shape(self):
        """The shape of one code before it is flattened: `(code_size,)` for most, a feature map for conv."""
        return code_shape(self.family, self.get_config())

    @property
    def code_values(self):
        """How many numbers one code holds: the length of the vectors `encode` returns."""
        return math.prod(self.code_shape)

    def hyperparameters(self):
        """The constructor arguments beyond the base ones; subclasses extend this."""
        return {}

    def get_config(self):
        config = super().get_config()
        config.update(
            input_shape=list(self.example_shape),
            code_size=self.code_size,
            **self.hyperparameters(),
        )
        return config

    def build(self, input_shape=None):
        # The sub-models are built in the constructor; nothing is left to create here.
        self.built = True
