"""Corruptions for denoising autoencoders: Gaussian, masking, salt-and-pepper and block noise.

Block noise hides one random rectangle of each image (set to 0): a denoiser trained on it learns
to complete what is missing (`aecore.completion`), where scattered masking only teaches it to fill
in single pixels.

One implementation serves both uses: `add_noise` draws from TensorFlow's stateless random ops, so
with a fixed seed it repeats exactly (evaluation, the app's sliders), and the training pipeline
calls it with a fresh seed per batch. Every result is clipped to [0, 1].

`Noise` is the one description of added noise for digits and photos alike: a kind and a level on
the image's [0, 1] scale. Photographers give Gaussian noise as a sigma on the 0-255 scale (the photo
page's slider, the CLI's `--sigma`): `Noise.from_sigma(25)` is `Noise("gaussian", 25 / 255)`, and
`noise.sigma` gives it back. Digit models apply it here, in TensorFlow; photo models take Gaussian
noise only, added in NumPy and rounded to 8 bits as a real upload is (`aecore.denoise.prepare`).
"""

from dataclasses import dataclass

import numpy as np

# The largest level each kind accepts, with what the level means.
NOISE_KINDS = {
    "gaussian": (1.0, "standard deviation sigma of the added Gaussian noise"),
    "masking": (0.5, "fraction of pixels set to 0"),
    "salt_and_pepper": (0.5, "probability that a pixel turns black or white"),
    "block": (0.75, "largest share of the height and of the width that the hidden rectangle spans"),
}


@dataclass(frozen=True)
class Noise:
    """A kind of noise and its level on the [0, 1] image scale, for example `Noise("gaussian", 0.4)`."""

    kind: str
    level: float

    def __post_init__(self):
        if self.kind not in NOISE_KINDS:
            raise ValueError(f"unknown noise kind {self.kind!r}; choose one of {', '.join(NOISE_KINDS)}")
        maximum, meaning = NOISE_KINDS[self.kind]
        if not 0.0 <= float(self.level) <= maximum:
            raise ValueError(f"{self.kind} noise level must be between 0 and {maximum} ({meaning}), got {self.level}")
        object.__setattr__(self, "level", float(self.level))

    @classmethod
    def parse(cls, text):
        """`"gaussian:0.4"` -> `Noise("gaussian", 0.4)`; `"none"` or `""` -> `None`."""
        if text is None or text.strip().lower() in ("", "none"):
            return None
        kind, _, level = text.partition(":")
        try:
            return cls(kind.strip(), float(level))
        except ValueError as error:
            if not level.strip():
                raise ValueError(f"noise {text!r} needs a level, for example gaussian:0.4") from None
            if "could not convert" in str(error):
                raise ValueError(f"noise level in {text!r} is not a number") from None
            raise

    @classmethod
    def from_sigma(cls, sigma):
        """Gaussian noise of standard deviation `sigma` on the 0-255 scale (`None` or 0: no noise)."""
        if sigma is None or sigma == 0:
            return None
        if not 0 <= sigma <= 255:
            raise ValueError(f"noise sigma must be between 0 and 255, got {sigma}")
        return cls("gaussian", sigma / 255)

    @property
    def sigma(self):
        """The level on the 0-255 scale (for Gaussian noise, its sigma as photographers give it)."""
        return self.level * 255

    def __str__(self):
        return f"{self.kind}:{self.level:g}"


def corrupt(x, noise, seed):
    """`x` with `noise` applied, as a tensor; `seed` is a stateless seed (a shape-[2] int tensor)."""
    import tensorflow as tf

    x = tf.convert_to_tensor(x, tf.float32)
    if noise is None or noise.level == 0:
        return x
    if noise.kind == "gaussian":
        noisy = x + noise.level * tf.random.stateless_normal(tf.shape(x), seed)
    elif noise.kind == "block":
        noisy = tf.where(random_rectangles(tf.shape(x), noise.level, seed), 0.0, x)
    else:
        uniform = tf.random.stateless_uniform(tf.shape(x), seed)
        if noise.kind == "masking":
            noisy = tf.where(uniform < noise.level, 0.0, x)
        else:
            noisy = tf.where(uniform < noise.level / 2, 0.0, tf.where(uniform < noise.level, 1.0, x))
    return tf.clip_by_value(noisy, 0.0, 1.0)


def random_rectangles(shape, level, seed):
    """A boolean mask of `shape` (N x H x W x C): one rectangle per image, each side up to `level` of the image's."""
    import tensorflow as tf

    if shape.shape[0] != 4:
        raise ValueError("block noise hides rectangles of images (N x H x W x C), not of vectors")
    draws = tf.random.stateless_uniform(tf.stack([shape[0], 4]), seed)

    def span(size, length_draw, start_draw):  # (N x size) booleans: inside the rectangle along one axis
        size_float = tf.cast(size, tf.float32)
        length = tf.maximum(1.0, tf.math.ceil(length_draw * level * size_float))
        start = tf.floor(start_draw * (size_float - length + 1.0))
        positions = tf.cast(tf.range(size), tf.float32)[tf.newaxis, :]
        return (positions >= start[:, tf.newaxis]) & (positions < (start + length)[:, tf.newaxis])

    rows, columns = span(shape[1], draws[:, 0], draws[:, 1]), span(shape[2], draws[:, 2], draws[:, 3])
    inside = rows[:, :, tf.newaxis] & columns[:, tf.newaxis, :]
    return tf.broadcast_to(inside[..., tf.newaxis], shape)


def add_noise(x, noise, seed=0):
    """`x` (values in [0, 1]) with `noise` applied, as a float32 NumPy array; the same seed gives the same noise.

    `noise` is a `Noise`, a string such as `"gaussian:0.4"`, or `None` for no noise.
    """
    import tensorflow as tf

    if isinstance(noise, str) or noise is None:
        noise = Noise.parse(noise)
    return corrupt(np.asarray(x, np.float32), noise, tf.constant([int(seed), 0], tf.int64)).numpy()
