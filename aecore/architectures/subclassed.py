"""A `keras.Model` subclass that trains itself with its own `train_step` and `GradientTape`.

This is the shape of the TensorFlow "Intro to Autoencoders" model written the long way, to show
what `fit` does for the other models: forward pass under a tape, loss, gradients, optimizer step,
metric updates.
"""

import keras

from aecore.architectures.base import Autoencoder, flat_size


@keras.saving.register_keras_serializable(package="aecore")
class SubclassedAutoencoder(Autoencoder):
    """Encoder Flatten -> 64 -> code, decoder code -> 64 -> pixels -> Reshape, custom training step.

    Args:
        input_shape: shape of one example.
        code_size: width of the code (8 in the classic recipe).
        hidden_size: width of the hidden layer on either side of the code.
    """

    family = "subclassed"

    def __init__(self, input_shape=(28, 28, 1), code_size=8, hidden_size=64, **kwargs):
        super().__init__(input_shape, code_size, **kwargs)
        self.hidden_size = int(hidden_size)
        self.encoder = keras.Sequential(
            [
                keras.Input(self.example_shape),
                keras.layers.Flatten(),
                keras.layers.Dense(self.hidden_size, activation="relu"),
                keras.layers.Dense(self.code_size, activation="relu", name="code"),
            ],
            name="encoder",
        )
        self.decoder = keras.Sequential(
            [
                keras.Input((self.code_size,)),
                keras.layers.Dense(self.hidden_size, activation="relu"),
                keras.layers.Dense(flat_size(self.example_shape), activation="sigmoid"),
                keras.layers.Reshape(self.example_shape),
            ],
            name="decoder",
        )
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def train_step(self, data):
        import tensorflow as tf  # this step is TensorFlow's; the model itself builds under any Keras backend

        inputs, targets, _ = self.training_batch(data)
        with tf.GradientTape() as tape:
            reconstructions = self(inputs, training=True)
            loss = self.compute_loss(x=inputs, y=targets, y_pred=reconstructions, training=True)
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data):
        inputs, targets, _ = keras.utils.unpack_x_y_sample_weight(data)
        reconstructions = self(inputs, training=False)
        self.loss_tracker.update_state(self.compute_loss(x=inputs, y=targets, y_pred=reconstructions, training=False))
        return {"loss": self.loss_tracker.result()}

    def hyperparameters(self):
        return dict(hidden_size=self.hidden_size)
