"""Fully connected autoencoders: one configurable class behind several catalogue entries.

`dense`, `deep`, `sigmoid_deep`, `stacked`, `sparse` and `linear` differ only in layer sizes,
activations, initialisation and regularisation, so they share `DenseAutoencoder` and differ in the
presets the registry gives it. Images are flattened on the way in and reshaped on the way out.
"""

import keras

from aecore.architectures.base import Autoencoder, flat_size


def dense_stack(sizes, activation, kernel_initializer, l2, name):
    """Dense layers of the given sizes, all sharing activation, initialiser and L2 penalty."""
    return [
        keras.layers.Dense(
            size,
            activation=activation,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=keras.regularizers.L2(l2) if l2 else None,
            name=f"{name}_{index}",
        )
        for index, size in enumerate(sizes)
    ]


@keras.saving.register_keras_serializable(package="aecore")
class DenseAutoencoder(Autoencoder):
    """A multilayer perceptron autoencoder, symmetric around its code layer.

    Args:
        input_shape: shape of one example; images are flattened, vectors used as they are.
        code_size: width of the code layer.
        hidden_sizes: widths of the encoder's hidden layers, outermost first; the decoder mirrors them.
        activation: activation of hidden and code layers (`None` for a linear autoencoder).
        code_activation: activation of the code layer alone; `"same"` (the default) uses `activation`.
            `"linear"` keeps every code unit alive: a relu code loses the units that die in training.
        output_activation: activation of the reconstruction (`"sigmoid"` for pixels in [0, 1]).
        kernel_initializer: initialiser of every kernel.
        l2: L2 penalty on every kernel (0 for none).
        activity_l1: L1 penalty on the code activations, which makes the code sparse (0 for none).
    """

    family = "dense"

    def __init__(
        self,
        input_shape=(28, 28, 1),
        code_size=64,
        hidden_sizes=(),
        activation="relu",
        code_activation="same",
        output_activation="sigmoid",
        kernel_initializer="glorot_uniform",
        l2=0.0,
        activity_l1=0.0,
        **kwargs,
    ):
        super().__init__(input_shape, code_size, **kwargs)
        self.hidden_sizes = tuple(int(size) for size in hidden_sizes)
        self.activation = activation
        self.code_activation = code_activation
        self.output_activation = output_activation
        self.kernel_initializer = kernel_initializer
        self.l2 = float(l2)
        self.activity_l1 = float(activity_l1)

        inputs = keras.Input(self.example_shape, name="image")
        x = keras.layers.Flatten()(inputs)
        for layer in dense_stack(self.hidden_sizes, activation, kernel_initializer, l2, "encoder_hidden"):
            x = layer(x)
        code = keras.layers.Dense(
            self.code_size,
            activation=activation if code_activation == "same" else code_activation,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=keras.regularizers.L2(l2) if l2 else None,
            activity_regularizer=keras.regularizers.L1(activity_l1) if activity_l1 else None,
            name="code",
        )(x)
        self.encoder = keras.Model(inputs, code, name="encoder")

        code_input = keras.Input((self.code_size,), name="code")
        y = code_input
        for layer in dense_stack(self.hidden_sizes[::-1], activation, kernel_initializer, l2, "decoder_hidden"):
            y = layer(y)
        y = keras.layers.Dense(
            flat_size(self.example_shape),
            activation=output_activation,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=keras.regularizers.L2(l2) if l2 else None,
            name="reconstruction",
        )(y)
        outputs = keras.layers.Reshape(self.example_shape)(y)
        self.decoder = keras.Model(code_input, outputs, name="decoder")

    def hyperparameters(self):
        return dict(
            hidden_sizes=list(self.hidden_sizes),
            activation=self.activation,
            code_activation=self.code_activation,
            output_activation=self.output_activation,
            kernel_initializer=self.kernel_initializer,
            l2=self.l2,
            activity_l1=self.activity_l1,
        )


# The catalogue presets. Each is its own registered class so that its docstring states the recipe
# and a saved file loads back as the same entry.


@keras.saving.register_keras_serializable(package="aecore")
class VanillaAutoencoder(DenseAutoencoder):
    """`dense`: 784 -> 64 (relu) -> 784 (sigmoid), Adam, MSE: the one-hidden-layer autoencoder."""

    def __init__(self, **kwargs):
        super().__init__(**{"code_size": 64, **kwargs})


@keras.saving.register_keras_serializable(package="aecore")
class DeepAutoencoder(DenseAutoencoder):
    """`deep`: 784 -> 128 -> 64 -> 128 -> 784, relu inside, sigmoid out, Adam, MSE."""

    def __init__(self, **kwargs):
        super().__init__(**{"code_size": 64, "hidden_sizes": (128,), **kwargs})


@keras.saving.register_keras_serializable(package="aecore")
class SigmoidDeepAutoencoder(DenseAutoencoder):
    """`sigmoid_deep`: 784 -> 512 -> 64 -> 16 -> 64 -> 512 -> 784, sigmoid everywhere, L2 5e-6.

    Trained with plain SGD and an exponentially decaying learning rate, as in the early deep
    autoencoder literature.
    """

    def __init__(self, **kwargs):
        super().__init__(
            **{"code_size": 16, "hidden_sizes": (512, 64), "activation": "sigmoid", "l2": 5e-6, **kwargs}
        )


@keras.saving.register_keras_serializable(package="aecore")
class StackedAutoencoder(DenseAutoencoder):
    """`stacked`: 784 -> 300 -> 150 -> 300 -> 784, ELU, He initialisation, L2 1e-3, linear output, Adam."""

    def __init__(self, **kwargs):
        super().__init__(
            **{
                "code_size": 150,
                "hidden_sizes": (300,),
                "activation": "elu",
                "output_activation": None,
                "kernel_initializer": "he_normal",
                "l2": 1e-3,
                **kwargs,
            }
        )


@keras.saving.register_keras_serializable(package="aecore")
class LinearAutoencoder(DenseAutoencoder):
    """`linear`: no activations, undercomplete; it learns the same subspace as PCA.

    With 3-D points in and a 2-D code it is the linear-autoencoder-versus-PCA demo.
    """

    def __init__(self, **kwargs):
        super().__init__(**{"code_size": 2, "activation": None, "output_activation": None, **kwargs})


@keras.saving.register_keras_serializable(package="aecore")
class SparseAutoencoder(DenseAutoencoder):
    """`sparse`: the `dense` autoencoder with an L1 penalty (1e-5) on the code activations."""

    def __init__(self, **kwargs):
        super().__init__(**{"code_size": 64, "activity_l1": 1e-5, **kwargs})
