"""What a model card says about the code, worked out from the card alone, without TensorFlow.

The app's sidebar describes the picked model from its card while TensorFlow is still loading, so
these rules live apart from the Keras model classes, which ask them too (`Autoencoder.code_shape`).
"""

import math

# Families whose models take photos of any size (the catalogue's entries trained on "photos"; a test
# keeps the two in step). Kept here so that a card is judged without importing Keras.
PHOTO_FAMILIES = frozenset({"photo"})


def is_photo(card):
    """Whether a model card's model is a photo model: any size, gray or colour, denoised at full resolution."""
    return (card or {}).get("architecture") in PHOTO_FAMILIES


def code_shape(family, options):
    """The shape of one code of a model of `family` built with `options` (constructor arguments, as a card holds them).

    `(code_size,)` for most; the `conv` family without `code_units` keeps a feature map a quarter of the image's size.
    """
    if family == "conv":
        if options.get("code_units"):
            return (int(options["code_units"]),)
        height, width = options["input_shape"][:2]
        return (height // 4, width // 4, int(options["code_size"]))
    return (int(options["code_size"]),)


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
