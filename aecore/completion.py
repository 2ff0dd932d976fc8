"""Completion (inpainting): hide a rectangle of an image and let a denoiser fill it in.

A denoiser trained on block noise (`aecore.noise`, kind `block`) has learned to rebuild images from
which a rectangle was set to 0. `complete` hides the rectangle the same way, keeps the model's
pixels inside it and the original's outside, and scores the filled region by PSNR against the
simplest guess, the mean training image.
"""

from dataclasses import dataclass

import numpy as np

from aecore.metrics import psnr


@dataclass(frozen=True)
class Rectangle:
    """Rows `top` to `top + height - 1` and columns `left` to `left + width - 1` of an image."""

    top: int
    left: int
    height: int
    width: int

    def mask(self, image_shape):
        """A boolean H x W x C array, true inside the rectangle; raises `ValueError` if it does not fit."""
        rows, columns = image_shape[:2]
        if self.height < 1 or self.width < 1:
            raise ValueError("the hidden rectangle needs a height and a width of at least one pixel")
        if self.top < 0 or self.left < 0 or self.top + self.height > rows or self.left + self.width > columns:
            raise ValueError(f"the rectangle ({self.height} x {self.width} at row {self.top}, column {self.left}) "
                             f"does not fit in a {rows} x {columns} image")
        inside = np.zeros(image_shape, bool)
        inside[self.top : self.top + self.height, self.left : self.left + self.width] = True
        return inside


@dataclass
class Completion:
    """An image with a hidden rectangle, what the model made of it, and how good the filled region is."""

    original: np.ndarray
    hidden: np.ndarray  # what the model saw: the rectangle set to 0
    output: np.ndarray  # the model's whole reconstruction
    completed: np.ndarray  # the original outside the rectangle, the model's pixels inside
    psnr_inside: float  # dB, the model's pixels against the original's, inside the rectangle
    baseline_psnr_inside: float  # dB, the mean training image's pixels there


def hide(images, rectangle):
    """`images` (N x H x W x C) with `rectangle` set to 0 in each."""
    images = np.asarray(images, np.float32)
    return np.where(rectangle.mask(images.shape[1:])[np.newaxis], 0.0, images).astype(np.float32)


def psnr_inside(targets, guesses, rectangle, pooled=False):
    """PSNR (dB) of `guesses` against `targets` over the pixels inside `rectangle` alone: per image, or
    `pooled` over all of them, which a region that is blank in some images (a perfect 100 dB) cannot sway.
    """
    inside = rectangle.mask(np.shape(targets)[1:])
    targets, guesses = np.asarray(targets)[:, inside], np.asarray(guesses)[:, inside]
    if pooled:
        return float(psnr(targets.reshape(1, -1), guesses.reshape(1, -1))[0])
    return psnr(targets, guesses)


def complete_many(model, images, rectangle, mean_image):
    """`(completed images, model outputs, model PSNR inside, mean-image PSNR inside)`, the PSNRs pooled over the batch."""
    images = np.asarray(images, np.float32)
    inside = rectangle.mask(images.shape[1:])
    outputs = model.reconstruct(hide(images, rectangle))
    completed = np.where(inside[np.newaxis], outputs, images)
    baseline = np.broadcast_to(np.asarray(mean_image, np.float32), images.shape)
    return (completed, outputs, psnr_inside(images, outputs, rectangle, pooled=True),
            psnr_inside(images, baseline, rectangle, pooled=True))


def complete(model, image, rectangle, mean_image):
    """The `Completion` of one image (H x W x C in [0, 1]) with `rectangle` hidden."""
    completed, outputs, model_psnr, baseline_psnr = complete_many(model, image[np.newaxis], rectangle, mean_image)
    return Completion(np.asarray(image, np.float32), hide(image[np.newaxis], rectangle)[0], outputs[0], completed[0],
                      model_psnr, baseline_psnr)
