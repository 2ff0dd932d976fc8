"""What a model card says, worked out from the card alone, without TensorFlow: its family's capabilities, its
code, and for a photo model the noise it learned (which picks the model for each kind of photo).

The app's sidebar describes the picked model from its card while TensorFlow is still loading, so
these rules live apart from the Keras model classes, which ask them too (`Autoencoder.code_shape`).
"""

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Capabilities:
    """What the models of one catalogue family can do: ask these, not the family's name.

    Attributes:
        photo: takes photos of any size, gray or colour, and denoises them at full resolution
            (trained on photo patches, not on a dataset of small images).
        generative: has a prior to sample: its decoder turns draws from N(0, I) into new images.
        feature_map_code: its code is a feature map a quarter of the image's height and width with
            `code_size` channels, unless its `code_units` option puts a dense code layer after it.
        linear: no activations, so its decoder spans a subspace, the one PCA finds once trained.
    """

    photo: bool = False
    generative: bool = False
    feature_map_code: bool = False
    linear: bool = False


# Every catalogue family's capabilities by name. They live here, not in `aecore.architectures`, so that a
# card is judged without importing Keras; the catalogue hands each of its entries its row (and fails to
# import without one), and a test keeps the two with the same names.
FAMILY_CAPABILITIES = {
    "dense": Capabilities(),
    "deep": Capabilities(),
    "sigmoid_deep": Capabilities(),
    "stacked": Capabilities(),
    "tied": Capabilities(),
    "linear": Capabilities(linear=True),
    "conv": Capabilities(feature_map_code=True),
    "subclassed": Capabilities(),
    "vae": Capabilities(generative=True),
    "sparse": Capabilities(),
    "photo": Capabilities(photo=True),
}
NO_CAPABILITIES = Capabilities()
# The catalogue families trained on small images (a dataset's), not on photo patches: `train`'s choices.
IMAGE_MODELS = [name for name, row in FAMILY_CAPABILITIES.items() if not row.photo]
# What a recipe (and so a card) may name as its optimizer and its loss.
OPTIMIZERS = ("adam", "sgd", "rmsprop", "adamw")
LOSSES = ("mse", "binary_crossentropy", "mae")


def capabilities(family):
    """The `Capabilities` of a catalogue family by name; none for a name the catalogue does not have (or `None`)."""
    return FAMILY_CAPABILITIES.get(family, NO_CAPABILITIES)


def card_capabilities(card):
    """The `Capabilities` of a model card's model, from the family its card names."""
    return capabilities((card or {}).get("architecture"))


def is_photo(card):
    """Whether a model card's model is a photo model: any size, gray or colour, denoised at full resolution."""
    return card_capabilities(card).photo


def trained_for(card):
    """The noise a photo model's card says it learned: "camera" (aecore.degrade's mix, every upload),
    "jpeg" (white noise, partly saved as 4:2:0 JPEG) or "white" (white Gaussian noise alone)."""
    stages = card.get("stages", [])
    if any(stage.get("mix") for stage in stages):
        return "camera"
    return "jpeg" if any(stage.get("jpeg_fraction", 0) > 0 for stage in stages) else "white"


# For each kind of photo, the photo models to prefer by what they were trained for, best first (a
# measurement on bench/photo_real.py and bench/photo_denoise.py for each step of the order).
PHOTO_PREFERENCE = {"white": ("white", "camera", "jpeg"),  # noise added by the app: white Gaussian, known
                    "subsampled": ("camera", "jpeg", "white"),  # a camera's or phone's JPEG / HEIC
                    "upload": ("camera", "white", "jpeg")}  # any other upload: noise of any kind


def best_photo_models(cards, kind="upload"):
    """`{channels: name}` of the best photo model for `kind` of photo (1: gray, 3: colour) among `{name: card}`."""
    found = {}
    for name, card in cards.items():
        if is_photo(card):
            channels, rank = card.get("channels"), PHOTO_PREFERENCE[kind].index(trained_for(card))
            if channels not in found or rank < found[channels][1]:
                found[channels] = (name, rank)
    return {channels: name for channels, (name, _) in found.items()}


def code_shape(family, options):
    """The shape of one code of a model of `family` built with `options` (constructor arguments, as a card holds them).

    `(code_size,)` for most; a family with a feature-map code (`conv`) keeps a map a quarter of the image's
    size unless `code_units` puts a dense code layer after it.
    """
    if capabilities(family).feature_map_code:
        if options.get("code_units"):
            return (int(options["code_units"]),)
        height, width = options["input_shape"][:2]
        return (height // 4, width // 4, int(options["code_size"]))
    return (int(options["code_size"]),)


def card_input_shape(card):
    """The shape of one input of a model card's model (`(28, 28, 1)` for an MNIST model, `(3,)` for 3-D points),
    or `None` when the card does not say."""
    shape = (card.get("options") or {}).get("input_shape")
    return tuple(shape) if shape else None


def card_code_shape(card):
    """The shape of one code of a model card's model, or `None` when the card does not say enough."""
    options = card.get("options") or {}
    if not card.get("architecture") or "code_size" not in options or "input_shape" not in options:
        return None
    return code_shape(card["architecture"], options)


def code_values(card):
    """How many numbers one code of a model card's model holds, or `None` when the card does not say enough."""
    shape = card_code_shape(card)
    return None if shape is None else math.prod(shape)


def code_in_words(card):
    """What a model card's code really is: "32 values", or "7 x 7 x 32 = 1,568 values, more than the 784 inputs"."""
    shape = card_code_shape(card)
    if shape is None:
        return "?"
    options, values = card["options"], math.prod(shape)
    words = f"{values:,} values" if len(shape) == 1 else f"{' x '.join(map(str, shape))} = {values:,} values"
    inputs = math.prod(options["input_shape"]) if None not in options["input_shape"] else None
    if inputs and values >= inputs:
        words += f", not fewer than the {inputs:,} inputs"
    return words
