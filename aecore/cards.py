"""What a model card says, worked out from the card alone, without TensorFlow: its family's capabilities, its
code, and for a photo model the noise it learned (which picks the model for each kind of photo).

The app's sidebar describes the picked model from its card while TensorFlow is still loading, so
these rules live apart from the Keras model classes, which ask them too (`Autoencoder.code_shape`).
"""

import math
from dataclasses import dataclass, field


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


# For each kind of photo, the photo models to prefer by what they were trained for, best first (a
# measurement on bench/photo_real.py and bench/photo_denoise.py for each step of the order).
PHOTO_PREFERENCE = {"white": ("white", "camera", "jpeg"),  # noise added by the app: white Gaussian, known
                    "subsampled": ("camera", "jpeg", "white"),  # a camera's or phone's JPEG / HEIC
                    "upload": ("camera", "white", "jpeg")}  # any other upload: noise of any kind


def best_photo_models(cards, kind="upload"):
    """`{channels: name}` of the best photo model for `kind` of photo (1: gray, 3: colour) among `{name: ModelCard}`."""
    found = {}
    for name, card in cards.items():
        if card.is_photo:
            rank = PHOTO_PREFERENCE[kind].index(card.trained_for)
            if card.channels not in found or rank < found[card.channels][1]:
                found[card.channels] = (name, rank)
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


def _tuple(value):
    return tuple(value) if value is not None else None


@dataclass(frozen=True)
class ModelCard:
    """A model's card, typed: what `aecore.zoo` writes as JSON beside each `.keras` file, as the app reads it.

    `ModelCard.read` takes the JSON of any card, old ones too (what a card does not say is `None` or
    empty); `json` keeps all of it as written (training histories, stages, versions), which
    `aecore.zoo` extends as a model trains on. A card is falsy when there was none.
    """

    json: dict = field(default_factory=dict, repr=False, compare=False)
    architecture: str | None = None
    options: dict = field(default_factory=dict)
    dataset: str | None = None
    data_source: str | None = None
    train_examples: int | None = None
    classes: tuple | None = None
    noise: str | None = None
    epochs: int | None = None
    channels: int | None = None
    recipe: dict = field(default_factory=dict)
    changed_options: dict = field(default_factory=dict)
    history: dict = field(default_factory=dict)
    stages: tuple = ()
    test_metrics: dict = field(default_factory=dict)
    anomaly: dict = field(default_factory=dict)
    training_photos: tuple = ()
    patches_seen: int = 0

    @classmethod
    def read(cls, card):
        """The typed card of a card's JSON (a dict; `None` or `{}` for a model without one)."""
        card = dict(card or {})
        return cls(json=card, architecture=card.get("architecture"), options=card.get("options") or {},
                   dataset=card.get("dataset"), data_source=card.get("data_source"),
                   train_examples=card.get("train_examples"), classes=_tuple(card.get("classes")),
                   noise=card.get("noise"), epochs=card.get("epochs"), channels=card.get("channels"),
                   recipe=card.get("recipe") or {}, changed_options=card.get("changed_options") or {},
                   history=card.get("history") or {}, stages=tuple(card.get("stages") or ()),
                   test_metrics=card.get("test_metrics") or {}, anomaly=card.get("anomaly") or {},
                   training_photos=tuple(card.get("training_photos") or ()), patches_seen=card.get("patches_seen", 0))

    def __bool__(self):
        return bool(self.json)

    @property
    def capabilities(self):
        """The `Capabilities` of the card's model, from the family it names."""
        return capabilities(self.architecture)

    @property
    def is_photo(self):
        """Whether the card's model is a photo model: any size, gray or colour, denoised at full resolution."""
        return self.capabilities.photo

    @property
    def trained_for(self):
        """The noise a photo model learned: "camera" (aecore.degrade's mix, every upload), "jpeg" (white
        noise, partly saved as 4:2:0 JPEG) or "white" (white Gaussian noise alone)."""
        if any(stage.get("mix") for stage in self.stages):
            return "camera"
        return "jpeg" if any(stage.get("jpeg_fraction", 0) > 0 for stage in self.stages) else "white"

    @property
    def model_scores(self):
        """The model's own test scores (`{"psnr": ..., "ssim": ...}`), or `{}`."""
        return self.test_metrics.get("model") or {}

    @property
    def input_shape(self):
        """The shape of one input (`(28, 28, 1)` for an MNIST model, `(3,)` for 3-D points), or `None`."""
        return _tuple(self.options.get("input_shape"))

    @property
    def code_shape(self):
        """The shape of one code, or `None` when the card does not say enough."""
        if not self.architecture or "code_size" not in self.options or "input_shape" not in self.options:
            return None
        return code_shape(self.architecture, self.options)

    @property
    def code_values(self):
        """How many numbers one code holds, or `None` when the card does not say enough."""
        return None if self.code_shape is None else math.prod(self.code_shape)

    @property
    def code_in_words(self):
        """What the code really is: "32 values", or "7 x 7 x 32 = 1,568 values, not fewer than the 784 inputs"."""
        shape = self.code_shape
        if shape is None:
            return "?"
        values = math.prod(shape)
        words = f"{values:,} values" if len(shape) == 1 else f"{' x '.join(map(str, shape))} = {values:,} values"
        inputs = math.prod(self.input_shape) if None not in self.input_shape else None
        if inputs and values >= inputs:
            words += f", not fewer than the {inputs:,} inputs"
        return words
