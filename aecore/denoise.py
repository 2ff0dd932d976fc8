"""The one denoise pipeline: the Denoise page, `python -m aecore denoise` and the benchmarks all call it.

Photo models (the `photo` family) take an image at full resolution and in colour: it is cut into
overlapping tiles, each padded to the size the network's strides need, and the tiles are blended
back with feathered seams, so memory stays bounded whatever the image size. Digit and clothing
models take the upload the MNIST way: grayscale, prepared, resized to the model's input.
`estimate_sigma` guesses the noise level of an image from its finest wavelet coefficients; after a
photo model ran, the level of what it removed (`Denoised.removed`) is the better estimate.

A gray picture (or a colour file whose channels are equal) given to a colour photo model goes to the
gray model (`photo_model_for`): noise that is the same in every channel looks like picture to a
colour model. `blend` sets how much of the removed noise is taken away, luminance and colour apart.
"""

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aecore import big_blocks_mapped_apart
from aecore.images import BLOCK_ROWS, LUMA, is_gray, prepare_for_model

# Side of the tiles a large photo is cut into. A tile's activations are most of the memory a photo
# takes (float32: about 1 GB at 512, 0.6 GB at 384, 0.3 GB at 256, `bench/photo_memory.py`); 384 costs
# about 15% more work than 512 for the overlaps, and gives the same PSNR.
TILE = 384
OVERLAP = 64  # pixels shared by neighbouring tiles, blended linearly


def is_photo_model(model):
    """Whether `model` is a photo model (full size, any shape): its family's capability, as `aecore.cards.is_photo`
    decides it for a card."""
    from aecore.cards import capabilities

    return capabilities(getattr(model, "family", None)).photo


GRAY_MODEL = "photo_gray"  # the shipped model gray pictures go to, whichever photo model was named
COLOUR_MODEL = "photo_color"


def photo_model_for(model, image):
    """The photo model to denoise `image` with, and a note when it is not `model`.

    A gray picture, or a colour one whose channels are equal, goes to the shipped gray model when
    `model` is a colour photo model; everything else stays with `model`.
    """
    from aecore.zoo import shipped_model

    if not (is_photo_model(model) and model.example_shape[-1] == 3 and is_gray(image)):
        return model, None
    gray = shipped_model(GRAY_MODEL)
    if gray is None:
        return model, None
    return gray, f"a gray picture: denoised by {GRAY_MODEL}, made for noise that is the same in every channel"


def blend(noisy, output, strength=1.0, colour_strength=None):
    """`noisy` with `strength` of the removed luminance noise and `colour_strength` of its colour noise taken away.

    What a model removed (`noisy - output`) is split into its luminance (the part equal in all
    channels, by Rec. 601 luma) and its colour; 1 takes all of a part away, 0 none.
    `colour_strength` defaults to `strength`. Values in [0, 1]; the result is clipped to [0, 1].
    """
    colour_strength = strength if colour_strength is None else colour_strength
    for value in (strength, colour_strength):
        if not 0 <= value <= 1:
            raise ValueError(f"a strength is between 0 and 1, got {value}")
    noisy, output = np.asarray(noisy, np.float32), np.asarray(output, np.float32)
    if strength == colour_strength == 1:
        return output
    removed = noisy - output
    if removed.shape[-1] != 3 or strength == colour_strength:
        return np.clip(noisy - strength * removed, 0, 1)
    luminance = (removed @ LUMA)[..., np.newaxis]
    return np.clip(noisy - strength * luminance - colour_strength * (removed - luminance), 0, 1)


NOISE_WORDS = ((1.5, "almost none"), (4, "light"), (8, "moderate"), (15, "strong"), (float("inf"), "very strong"))


def noise_in_words(sigma):
    """How a photographer would name noise of standard deviation `sigma` (0-255 scale): light, strong..."""
    return next(words for limit, words in NOISE_WORDS if sigma < limit)


def cpu_has_bf16():
    """Whether this CPU has bfloat16 matrix instructions (AMX or AVX-512 BF16), read from /proc/cpuinfo."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


@functools.lru_cache(maxsize=4)
def inference_model(model):
    """The fastest equivalent of a photo model here: a bfloat16 copy on CPUs with bf16 instructions, else itself.

    `bench/photo_denoise.py` measures the copy at about twice the speed with the same PSNR to 0.01 dB
    (the residual is still formed in float32).
    """
    if not (is_photo_model(model) and cpu_has_bf16()):
        return model
    from aecore.photo_training import as_policy

    return as_policy(model, "mixed_bfloat16")


def estimate_sigma(image):
    """Standard deviation of white Gaussian noise in `image` (same scale as its values), per Donoho's MAD rule.

    The diagonal detail coefficients of a one-level Haar wavelet transform hold mostly noise in a
    natural image: sigma = median(|HH|) / 0.6745, averaged over channels. Texture makes it an
    overestimate on clean images (about 1-3 on the 0-255 scale for typical photos).
    """
    image = np.asarray(image, np.float32)  # float32 is plenty for a median; float64 doubled a big photo's copy
    planes = image[..., np.newaxis] if image.ndim == 2 else image
    height, width = (planes.shape[0] // 2) * 2, (planes.shape[1] // 2) * 2
    if height < 2 or width < 2:
        return 0.0
    p = planes[:height, :width]
    diagonal = (p[0::2, 0::2] - p[0::2, 1::2] - p[1::2, 0::2] + p[1::2, 1::2]) / 2
    return float(np.mean([np.median(np.abs(diagonal[..., c])) / 0.6745 for c in range(planes.shape[-1])]))


def _ramp(length, overlap, rise, fall):
    """Blend weights along one axis of a tile: linear ramps over `overlap` pixels on the sides that meet a neighbour."""
    weights = np.ones(length, np.float32)
    ramp = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
    if rise:
        weights[:overlap] = np.minimum(weights[:overlap], ramp)
    if fall:
        weights[-overlap:] = np.minimum(weights[-overlap:], ramp[::-1])
    return weights


def _starts(size, tile, overlap):
    """Tile start offsets along one axis: step `tile - overlap`, the last tile flush with the end."""
    if size <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, size - tile, step))
    return starts + [size - tile]


def _axis_ramps(size, tile, overlap):
    """Along one axis: `{start: blend ramp}` of its tiles, and the sum of the ramps at each position."""
    ramps = {start: _ramp(min(tile, size - start), overlap, start > 0, start + tile < size)
             for start in _starts(size, tile, overlap)}
    total = np.zeros(size, np.float32)
    for start, ramp in ramps.items():
        total[start : start + len(ramp)] += ramp
    return ramps, total


def run_padded(model, image):
    """`model` on one H x W x C image, reflect-padded to the multiple its strides need and cropped back."""
    multiple = getattr(model, "size_multiple", 1)
    height, width = image.shape[:2]
    pad_h, pad_w = -height % multiple, -width % multiple
    mode = "reflect" if height > pad_h and width > pad_w else "edge"
    padded = np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode=mode) if pad_h or pad_w else image
    output = np.asarray(model(padded[np.newaxis].astype(np.float32), training=False))[0]
    return output[:height, :width]


def run_ensemble(model, image, on_step=None):
    """The mean of `model` over the eight flips and quarter turns of `image`, each turned back.

    Gaussian noise looks the same in every orientation but a network's errors do not, so the mean
    of the eight is a better estimate: `bench/photo_denoise.py` measures +0.1-0.2 dB, at 8x the time
    (the "+" of DnCNN+ and EDSR+). `on_step` is called with 1-8 after each.
    """
    total = np.zeros(image.shape, np.float32)
    for step, (turns, flip) in enumerate(((t, f) for t in range(4) for f in (False, True)), 1):
        view = np.rot90(image, turns)
        view = view[:, ::-1] if flip else view
        output = run_padded(model, np.ascontiguousarray(view))
        total += np.rot90(output[:, ::-1] if flip else output, -turns)
        if on_step:
            on_step(step)
    return total / 8


def denoise_photo(model, image, tile=TILE, overlap=OVERLAP, on_progress=None, ensemble=False):
    """`image` (H x W x C, values in [0, 1]) denoised by a photo model, tile by tile; clipped to [0, 1].

    Args:
        model: a `photo` model whose channel count matches the image's.
        image: float array H x W x C.
        tile: side of the tiles; an image no larger is run whole.
        overlap: pixels neighbouring tiles share, blended linearly (a seam never shows a hard edge).
        on_progress: called with the fraction done (0-1] after each tile (each eighth of one with `ensemble`).
        ensemble: average the eight flips and turns of each tile (`run_ensemble`): better, 8x slower.

    While it runs, big blocks of memory are mapped apart (`aecore.big_blocks_mapped_apart`), so that the
    tiles' activations go back to the system as they are freed.
    """
    with big_blocks_mapped_apart():
        return _denoise_tiles(model, image, tile, overlap, on_progress, ensemble)


def _denoise_tiles(model, image, tile, overlap, on_progress, ensemble):
    image = np.asarray(image, np.float32)
    if image.ndim != 3 or image.shape[-1] != model.example_shape[-1]:
        raise ValueError(f"the model takes {model.example_shape[-1]}-channel images, got shape {image.shape}")
    # Each tile's blend window is the outer product of a row ramp and a column ramp, and the tiles form a
    # full grid, so the windows' sum is the outer product of the two axes' sums: two 1-D arrays instead of
    # a third full-size one.
    row_ramps, row_sum = _axis_ramps(image.shape[0], tile, overlap)
    col_ramps, col_sum = _axis_ramps(image.shape[1], tile, overlap)
    count = len(row_ramps) * len(col_ramps)

    def run(piece, done):
        if not ensemble:
            output = run_padded(model, piece)
            if on_progress:
                on_progress((done + 1) / count)
            return output
        step = (lambda eighths: on_progress((done + eighths / 8) / count)) if on_progress else None
        return run_ensemble(model, piece, on_step=step)

    if count == 1:
        return np.clip(run(image, 0), 0, 1)
    total = np.zeros_like(image)
    for done, (top, left) in enumerate((top, left) for top in row_ramps for left in col_ramps):
        piece = image[top : top + tile, left : left + tile]
        h, w = piece.shape[:2]
        window = np.outer(row_ramps[top], col_ramps[left])[..., np.newaxis]
        total[top : top + h, left : left + w] += run(piece, done) * window
    total /= row_sum[:, np.newaxis, np.newaxis]  # in place: a 12-megapixel photo's float copy is 144 MB
    total /= col_sum[np.newaxis, :, np.newaxis]
    return np.clip(total, 0, 1, out=total)


def add_gaussian_noise(image, sigma, seed=0, clip=True):
    """`image` plus Gaussian noise of `sigma` (on the 0-255 scale); clipped to [0, 1] and 8-bit rounded by default."""
    from aecore.photos import gaussian_noise

    batch = np.asarray(image, np.float32)[np.newaxis]
    return gaussian_noise(batch, np.float32([sigma / 255]), np.random.default_rng(seed), np.array([clip]))[0]


@dataclass
class Denoised:
    """One denoised image: the clean reference, what the model saw, what it gave, and how it went."""

    reference: np.ndarray  # the prepared or original image (the target when noise was added here)
    noisy: np.ndarray  # what the model was given
    output: np.ndarray
    estimated_sigma: float  # noise level of the model's input, 0-255 scale
    seconds: float
    notes: list = field(default_factory=list)

    @property
    def removed(self):
        """(luminance, colour): standard deviations (0-255 scale) of what the model took away, its noise estimate."""
        # Sums over blocks of rows: a 12-megapixel photo's whole differences would be 340 MB at once.
        sums = np.zeros((2, 2))  # (luminance, colour) x (sum, sum of squares)
        counts = np.zeros(2)
        for start in range(0, len(self.noisy), BLOCK_ROWS):
            rows = slice(start, start + BLOCK_ROWS)
            difference = np.asarray(self.noisy[rows], np.float32) - np.asarray(self.output[rows], np.float32)
            parts = [difference]
            if difference.shape[-1] == 3:
                luminance = difference @ LUMA
                parts = [luminance, difference - luminance[..., np.newaxis]]
            for index, part in enumerate(parts):
                sums[index] += part.sum(dtype=np.float64), np.square(part, dtype=np.float64).sum()
                counts[index] += part.size
        counts = np.maximum(counts, 1)
        deviations = np.sqrt(np.maximum(sums[:, 1] / counts - (sums[:, 0] / counts) ** 2, 0)) * 255
        return float(deviations[0]), float(deviations[1])

    def scores(self):
        """PSNR and SSIM of the output (and of the noisy input) against the reference."""
        from aecore.metrics import psnr, ssim

        pair = lambda a: (float(psnr(self.reference[np.newaxis], a[np.newaxis])[0]),  # noqa: E731
                          float(ssim(self.reference[np.newaxis], a[np.newaxis])[0]))
        (out_psnr, out_ssim), (in_psnr, in_ssim) = pair(self.output), pair(self.noisy)
        return {"psnr": out_psnr, "ssim": out_ssim, "noisy_psnr": in_psnr, "noisy_ssim": in_ssim}


def match_channels(image, channels):
    """`image` (H x W or H x W x C) with `channels` channels: colour to gray by luma, gray repeated to colour."""
    image = np.asarray(image, np.float32)
    if image.ndim == 2:
        image = image[..., np.newaxis]
    if image.shape[-1] == channels:
        return image
    if channels == 1:
        return (image[..., :3] @ LUMA)[..., np.newaxis]
    return np.repeat(image[..., :1], channels, axis=-1)


@dataclass
class Prepared:
    """One image made ready for a model: the reference, what the model will see, and notes about it."""

    reference: np.ndarray
    noisy: np.ndarray
    estimated_sigma: float  # noise level of `noisy`, 0-255 scale
    seconds: float
    notes: list = field(default_factory=list)
    model: object = None  # the model to run: the one asked for, or for a gray photo the gray model


def prepare(model, image, noise=None, seed=0, digit_style=True):
    """Step one of `denoise` (see it for the arguments): channels matched, digits prepared, noise added.

    It needs no model call, so a folder run does it on reader threads while the model works.
    Raises `ValueError` (an `ImageError` for a blank digit) for an image or setting it cannot use.
    """
    from aecore.noise import Noise, add_noise

    started, notes = time.perf_counter(), []
    noise = Noise.parse(noise) if isinstance(noise, str) else noise
    if is_photo_model(model):
        if noise is not None and noise.kind != "gaussian":
            raise ValueError(f"photo models take Gaussian noise (a sigma on the 0-255 scale), not {noise.kind}")
        model, routed = photo_model_for(model, image)
        notes += [routed] if routed else []
        channels = model.example_shape[-1]
        if channels == 1 and not is_gray(image):
            notes.append("this gray model turned the colour photo gray; pick a colour photo model to keep colour")
        reference = match_channels(image, channels)
        noisy = add_gaussian_noise(reference, noise.sigma, seed) if noise and noise.level else reference
    else:
        reference = prepare_for_model(match_channels(image, 1)[..., 0], model.example_shape, digit_style)
        noisy = add_noise(reference[np.newaxis], noise, seed=seed)[0]
    sigma = estimate_sigma(noisy) * 255
    return Prepared(reference, noisy, sigma, time.perf_counter() - started, notes, model)


def run_prepared(model, prepared, on_progress=None, ensemble=False):
    """Step two of `denoise`: the model on a list of `Prepared` images, as a list of `Denoised`.

    Digit models take the whole list in one call (what makes a folder of small images fast);
    photo models take one photo after another, tiled.
    """
    started = time.perf_counter()
    if is_photo_model(model):
        outputs = [denoise_photo(inference_model(item.model or model), item.noisy, on_progress=on_progress,
                                 ensemble=ensemble) for item in prepared]
    else:
        outputs = list(model.reconstruct(np.stack([item.noisy for item in prepared]))) if prepared else []
    share = (time.perf_counter() - started) / max(1, len(prepared))
    return [Denoised(item.reference, item.noisy, output, item.estimated_sigma, item.seconds + share, item.notes)
            for item, output in zip(prepared, outputs)]


def denoise(model, image, noise=None, seed=0, digit_style=True, on_progress=None, ensemble=False):
    """Denoise one decoded image with any image model; the single entry point of the page and the CLI.

    It is `prepare` then `run_prepared`; a folder run calls the two apart, on different threads.

    Args:
        model: a photo model (full resolution, tiled) or a digit / clothing model (MNIST-style).
        image: the decoded upload, H x W or H x W x 3, values in [0, 1].
        noise: add this `aecore.noise.Noise` (or "gaussian:0.4"-style text) first, to compare the output
            with the clean upload. Photo models take Gaussian noise only (`Noise.from_sigma(25)` for a
            sigma on the 0-255 scale), clipped to 8 bits as a real photo is.
        seed: seed of the added noise.
        digit_style: digit models: prepare the upload MNIST-style (else just resize).
        on_progress: called with the fraction done, for photo models.
        ensemble: photo models: average the eight flips and turns (better, 8x slower; `run_ensemble`).
    """
    prepared = prepare(model, image, noise, seed, digit_style)
    return run_prepared(model, [prepared], on_progress, ensemble)[0]
