"""The variational autoencoder of the keras-io VAE example.

The encoder gives a mean and a log-variance per code dimension; training samples a code from that
Gaussian (the reparameterisation trick) and minimises reconstruction cross-entropy summed over the
pixels plus the KL divergence to a unit Gaussian, each tracked as its own metric. At inference the
model decodes the mean, so predictions are deterministic.
"""

import keras
from keras import ops

from aecore.architectures.base import Autoencoder
from aecore.architectures.conv import require_divisible_by_four


@keras.saving.register_keras_serializable(package="aecore")
class VariationalAutoencoder(Autoencoder):
    """Conv 32/2 · Conv 64/2 · Dense -> (mean, log-variance); Dense · ConvT 64/2 · ConvT 32/2 · ConvT C.

    Args:
        input_shape: (H, W, C) with H and W divisible by 4.
        code_size: latent dimensions (2 in the classic recipe, which makes the latent space a plane).
        hidden_size: width of the dense layer before the latent heads.
        kl_weight: weight of the KL term in the loss (1 is the true evidence lower bound).
    """

    family = "vae"

    def __init__(self, input_shape=(28, 28, 1), code_size=2, hidden_size=16, kl_weight=1.0, **kwargs):
        require_divisible_by_four(input_shape, "vae")
        super().__init__(input_shape, code_size, **kwargs)
        self.hidden_size = int(hidden_size)
        self.kl_weight = float(kl_weight)
        height, width, channels = self.example_shape

        inputs = keras.Input(self.example_shape, name="image")
        x = keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(inputs)
        x = keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(x)
        x = keras.layers.Flatten()(x)
        x = keras.layers.Dense(self.hidden_size, activation="relu")(x)
        z_mean = keras.layers.Dense(self.code_size, name="z_mean")(x)
        z_log_var = keras.layers.Dense(self.code_size, name="z_log_var")(x)
        self.encoder = keras.Model(inputs, [z_mean, z_log_var], name="encoder")

        code_input = keras.Input((self.code_size,), name="code")
        y = keras.layers.Dense((height // 4) * (width // 4) * 64, activation="relu")(code_input)
        y = keras.layers.Reshape((height // 4, width // 4, 64))(y)
        y = keras.layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu")(y)
        y = keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(y)
        outputs = keras.layers.Conv2DTranspose(channels, 3, padding="same", activation="sigmoid")(y)
        self.decoder = keras.Model(code_input, outputs, name="decoder")

        self.seed_generator = keras.random.SeedGenerator(1337)
        self.total_loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def latent(self, inputs, training):
        """Mean, log-variance and the code to decode: a sample while training, the mean otherwise."""
        z_mean, z_log_var = self.encoder(inputs, training=training)
        if not training:
            return z_mean, z_log_var, z_mean
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean, z_log_var, z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def call(self, inputs, training=False):
        return self.decoder(self.latent(inputs, training)[2], training=training)

    def encode(self, x, batch_size=Autoencoder.BATCH):
        """The latent means of `x`."""
        return self.apply(self.encoder, x, batch_size)[0]

    def losses_for(self, inputs, targets, training):
        """Reconstruction (BCE summed per image, averaged over the batch), KL and their weighted sum."""
        z_mean, z_log_var, z = self.latent(inputs, training)
        reconstructions = self.decoder(z, training=training)
        pixel_bce = keras.losses.binary_crossentropy(targets, reconstructions)  # averages the channel axis
        reconstruction_loss = ops.mean(ops.sum(pixel_bce, axis=(1, 2))) * self.example_shape[-1]
        kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        kl_loss = ops.mean(ops.sum(kl, axis=1))
        return reconstruction_loss, kl_loss, reconstruction_loss + self.kl_weight * kl_loss

    def record(self, reconstruction_loss, kl_loss, total_loss):
        self.total_loss_tracker.update_state(total_loss)
        self.reconstruction_loss_tracker.update_state(reconstruction_loss)
        self.kl_loss_tracker.update_state(kl_loss)
        return {metric.name: metric.result() for metric in self.metrics}

    def train_step(self, data):
        import tensorflow as tf  # this step is TensorFlow's; the model itself builds under any Keras backend

        inputs, targets, _ = self.training_batch(data)
        with tf.GradientTape() as tape:
            reconstruction_loss, kl_loss, total_loss = self.losses_for(inputs, targets, training=True)
        gradients = tape.gradient(total_loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        return self.record(reconstruction_loss, kl_loss, total_loss)

    def test_step(self, data):
        inputs, targets, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self.record(*self.losses_for(inputs, targets, training=False))

    def hyperparameters(self):
        return dict(hidden_size=self.hidden_size, kl_weight=self.kl_weight)
