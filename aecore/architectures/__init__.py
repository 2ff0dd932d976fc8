"""The model catalogue: every autoencoder family by name, and `build` to make a compiled one.

Each entry pairs a model class (whose docstring is its recipe) with the optimizer, learning rate
and loss of that recipe, and with what the family can do (its `Capabilities`: a photo model, a
generative one, ...), which the app asks instead of comparing family names. `build` accepts
overrides of the recipe.
"""

from dataclasses import dataclass, replace

import keras

from aecore.architectures.base import Autoencoder
from aecore.architectures.conv import ConvAutoencoder
from aecore.architectures.dense import (
    DeepAutoencoder,
    DenseAutoencoder,
    LinearAutoencoder,
    SigmoidDeepAutoencoder,
    SparseAutoencoder,
    StackedAutoencoder,
    VanillaAutoencoder,
)
from aecore.architectures.photo import PhotoDenoiser
from aecore.architectures.subclassed import SubclassedAutoencoder
from aecore.architectures.tied import TiedAutoencoder
from aecore.architectures.vae import VariationalAutoencoder
from aecore.cards import (
    FAMILY_CAPABILITIES, IMAGE_MODELS, LOSSES, OPTIMIZERS, Capabilities, ModelCard, capabilities,
)


@dataclass(frozen=True)
class CatalogueEntry:
    """One catalogue model: its class, a one-line description, its training recipe and its capabilities."""

    model_class: type
    description: str
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    loss: str = "mse"
    decay_rate: float | None = None  # exponential learning-rate decay per `decay_steps`, if any
    decay_steps: int = 1000
    model_loss: str | None = None  # the loss the model adds itself (its own train step): `loss` does not change it
    capabilities: Capabilities = Capabilities()  # its family's row of `FAMILY_CAPABILITIES`, set below


# Each entry gets its family's capabilities from `aecore.cards` (where cards read them without Keras):
# a family without a row there fails here, at import.
CATALOGUE = {name: replace(entry, capabilities=FAMILY_CAPABILITIES[name]) for name, entry in {
    "dense": CatalogueEntry(VanillaAutoencoder, "784 -> 64 -> 784, relu code, sigmoid output: the vanilla autoencoder"),
    "deep": CatalogueEntry(DeepAutoencoder, "784 -> 128 -> 64 -> 128 -> 784, relu inside, sigmoid out"),
    "sigmoid_deep": CatalogueEntry(
        SigmoidDeepAutoencoder,
        "784 -> 512 -> 64 -> 16 -> ... sigmoid everywhere, L2, SGD with decaying learning rate",
        optimizer="sgd",
        learning_rate=2.0,
        loss="binary_crossentropy",
        decay_rate=0.9,
    ),
    "stacked": CatalogueEntry(StackedAutoencoder, "784 -> 300 -> 150 -> 300 -> 784, ELU, He init, L2, linear output"),
    "tied": CatalogueEntry(TiedAutoencoder, "the stacked shape with decoder weights tied to the encoder's, transposed"),
    "linear": CatalogueEntry(LinearAutoencoder, "no activations, undercomplete: learns the PCA subspace"),
    "conv": CatalogueEntry(
        ConvAutoencoder, "Conv-pool x2 -> Conv-upsample x2, sigmoid: the convolutional denoiser", loss="binary_crossentropy"
    ),
    "subclassed": CatalogueEntry(SubclassedAutoencoder, "a keras.Model subclass with its own GradientTape train_step"),
    "vae": CatalogueEntry(VariationalAutoencoder, "variational: mean and log-variance, sampling, reconstruction + KL",
                          model_loss="reconstruction + KL"),
    "sparse": CatalogueEntry(SparseAutoencoder, "dense with an L1 activity penalty that makes the code sparse"),
    "photo": CatalogueEntry(PhotoDenoiser, "residual U-Net for photos of any size, gray or colour: a blind denoiser"),
}.items()}


def list_models():
    """`{name: one-line description}` for every catalogue model."""
    return {name: entry.description for name, entry in CATALOGUE.items()}


def catalogue_name(model):
    """The catalogue name of a model's class (`"conv"` for a `ConvAutoencoder`), or its family."""
    return next((name for name, entry in CATALOGUE.items() if type(model) is entry.model_class), model.family)


def recipe(name, optimizer=None, learning_rate=None, loss=None, decay_rate=None, decay_steps=None):
    """The training recipe `build` uses for these overrides, as a plain dict for a model card."""
    entry = CATALOGUE[name]
    optimizer = optimizer or entry.optimizer
    if decay_rate is None and optimizer == entry.optimizer:
        decay_rate = entry.decay_rate
    return {"optimizer": optimizer, "learning_rate": learning_rate or entry.learning_rate,
            "loss": entry.model_loss or loss or entry.loss,
            "lr_decay_rate": decay_rate, "lr_decay_steps": (decay_steps or entry.decay_steps) if decay_rate else None}


def make_optimizer(name, learning_rate, decay_rate=None, decay_steps=1000):
    """A Keras optimizer by name, with an exponentially decaying learning rate when `decay_rate` is set."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    if not learning_rate > 0:
        raise ValueError(f"learning rate must be positive, got {learning_rate}")
    rate = learning_rate
    if decay_rate is not None:
        rate = keras.optimizers.schedules.ExponentialDecay(learning_rate, decay_steps, decay_rate)
    return {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop,
            "adamw": keras.optimizers.AdamW}[name](learning_rate=rate)


def build(name, input_shape=(28, 28, 1), code_size=None, optimizer=None, learning_rate=None, loss=None,
          decay_rate=None, decay_steps=None, jit_compile="auto", **options):
    """A compiled catalogue model.

    Args:
        name: a key of `CATALOGUE` (see `list_models()`).
        input_shape: shape of one example, for example `(28, 28, 1)`, `(8, 8, 1)` or `(3,)`.
        code_size: width of the code; `None` keeps the recipe's.
        optimizer: optimizer name; `None` keeps the recipe's.
        learning_rate: initial learning rate; `None` keeps the recipe's.
        loss: `"mse"`, `"binary_crossentropy"` or `"mae"`; `None` keeps the recipe's (a model with its
            own loss, the `vae`'s reconstruction + KL, keeps that).
        decay_rate: multiply the learning rate by this every `decay_steps` optimizer steps;
            `None` keeps the recipe's schedule (only `sigmoid_deep` has one).
        decay_steps: steps per decay; `None` keeps the recipe's.
        jit_compile: compile training steps with XLA (`True`); Keras's `"auto"` leaves XLA off on CPUs.
        **options: further constructor arguments of the model class (`hidden_sizes`, `filters`, ...).
    """
    if name not in CATALOGUE:
        raise ValueError(f"unknown model {name!r}; choose one of {', '.join(CATALOGUE)}")
    if code_size is not None:
        if int(code_size) < 1:
            raise ValueError(f"code size must be at least 1, got {code_size}")
        options["code_size"] = int(code_size)
    model = CATALOGUE[name].model_class(input_shape=tuple(input_shape), name=name, **options)
    return compile_model(model, optimizer, learning_rate, loss, decay_rate, decay_steps, jit_compile)


def compile_model(model, optimizer=None, learning_rate=None, loss=None, decay_rate=None, decay_steps=None,
                  jit_compile="auto"):
    """(Re)compile a catalogue model with its recipe, overriding what is given (see `build`).

    Used by `build`, and to fine-tune a saved model with a new optimizer.
    """
    name = catalogue_name(model)
    entry = CATALOGUE[name]
    loss = loss or entry.loss
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    chosen = recipe(name, optimizer, learning_rate, loss, decay_rate, decay_steps)
    model.compile(
        optimizer=make_optimizer(chosen["optimizer"], chosen["learning_rate"], chosen["lr_decay_rate"],
                                 chosen["lr_decay_steps"]),
        loss=None if entry.model_loss else loss,
        jit_compile=jit_compile,
    )
    return model


__all__ = [
    "Autoencoder",
    "CATALOGUE",
    "Capabilities",
    "ConvAutoencoder",
    "IMAGE_MODELS",
    "PhotoDenoiser",
    "DenseAutoencoder",
    "TiedAutoencoder",
    "SubclassedAutoencoder",
    "VariationalAutoencoder",
    "build",
    "capabilities",
    "catalogue_name",
    "ModelCard",
    "compile_model",
    "list_models",
    "make_optimizer",
    "recipe",
]
