"""The tied-weights autoencoder: the decoder reuses the encoder's kernels, transposed.

Tying halves the number of free weights and acts as a regulariser. Each decoder layer is a
`DenseTranspose` that points at one encoder `Dense` layer and owns only its bias.
"""

import keras
from keras import ops

from aecore.architectures.base import Autoencoder
from aecore.architectures.dense import dense_stack


class DenseTranspose(keras.layers.Layer):
    """A dense layer whose kernel is another `Dense` layer's kernel, transposed.

    It is built only inside `TiedAutoencoder`, which recreates the pairing from its own config,
    so the layer itself is not serialised on its own.

    Args:
        tied_to: the `Dense` layer whose kernel to reuse.
        activation: activation applied after the bias.
    """

    def __init__(self, tied_to, activation=None, **kwargs):
        super().__init__(**kwargs)
        # Reached through a function so that Keras does not track (and save) the tied kernel twice.
        self.tied_kernel = lambda: tied_to.kernel
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        units = self.tied_kernel().shape[0]
        self.bias = self.add_weight(name="bias", shape=(units,), initializer="zeros")

    def call(self, inputs):
        return self.activation(ops.matmul(inputs, ops.transpose(self.tied_kernel())) + self.bias)


@keras.saving.register_keras_serializable(package="aecore")
class TiedAutoencoder(Autoencoder):
    """The `stacked` autoencoder with decoder kernels tied to the transposed encoder kernels.

    Biases are untied; the L2 penalty applies to the free (encoder) kernels only.

    Args:
        input_shape: shape of one example; flattened on the way in.
        code_size: width of the code layer.
        hidden_sizes: encoder hidden widths, outermost first.
        activation: activation of every layer but the output.
        output_activation: activation of the reconstruction.
        kernel_initializer: initialiser of the encoder kernels.
        l2: L2 penalty on the encoder kernels.
    """

    family = "tied"

    def __init__(
        self,
        input_shape=(28, 28, 1),
        code_size=150,
        hidden_sizes=(300,),
        activation="elu",
        output_activation=None,
        kernel_initializer="he_normal",
        l2=1e-3,
        **kwargs,
    ):
        super().__init__(input_shape, code_size, **kwargs)
        self.hidden_sizes = tuple(int(size) for size in hidden_sizes)
        self.activation = activation
        self.output_activation = output_activation
        self.kernel_initializer = kernel_initializer
        self.l2 = float(l2)

        encoder_layers = dense_stack(
            self.hidden_sizes + (self.code_size,), activation, kernel_initializer, self.l2, "encoder_dense"
        )
        inputs = keras.Input(self.example_shape, name="image")
        x = keras.layers.Flatten()(inputs)
        for layer in encoder_layers:
            x = layer(x)
        self.encoder = keras.Model(inputs, x, name="encoder")

        activations = [activation] * len(self.hidden_sizes) + [output_activation]
        code_input = keras.Input((self.code_size,), name="code")
        y = code_input
        for index, (layer, layer_activation) in enumerate(zip(encoder_layers[::-1], activations)):
            y = DenseTranspose(layer, activation=layer_activation, name=f"decoder_transpose_{index}")(y)
        outputs = keras.layers.Reshape(self.example_shape)(y)
        self.decoder = keras.Model(code_input, outputs, name="decoder")

    def hyperparameters(self):
        return dict(
            hidden_sizes=list(self.hidden_sizes),
            activation=self.activation,
            output_activation=self.output_activation,
            kernel_initializer=self.kernel_initializer,
            l2=self.l2,
        )
