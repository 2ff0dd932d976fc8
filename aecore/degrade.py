"""What cameras and phones do to a photo: a seeded degradation pipeline for training blind denoisers.

A sensor's noise is shot noise (variance proportional to the light) plus read noise, in linear light
and per Bayer photosite; the camera then demosaics, white-balances, applies a colour matrix and a
tone curve, and the file is compressed (JPEG, colour at half resolution). `camera_noise` follows
Brooks et al., "Unprocessing Images for Learned Raw Denoising" (2019): an sRGB photo is unprocessed
with a random camera (`random_camera`), Poisson-Gaussian noise is added to its mosaic, and it is
processed back. `gaussian_noise` gives the white kinds (per channel, gray, or correlated across
channels, as in BSRGAN's mix), `jpeg` the compression, and `degrade` draws one of them per patch
(`DEFAULT_MIX`), the way the photo models are trained.

Every image here is float32 H x W x 3 in [0, 1] (sRGB unless said otherwise); every level of noise
is on the [0, 1] scale of the image it is added to (multiply by 255 for the usual 8-bit sigma).
"""

import io
from dataclasses import asdict, dataclass, fields

import numpy as np
from PIL import Image
from scipy import ndimage

from aecore.images import LUMA

# XYZ -> camera matrices of four real cameras (Brooks et al.); a random convex mix of them is a camera.
XYZ_TO_CAMS = np.array([
    [[1.0234, -0.2969, -0.2266], [-0.5625, 1.6328, -0.0469], [-0.0703, 0.2188, 0.6406]],
    [[0.4913, -0.0541, -0.0202], [-0.6130, 1.3513, 0.2906], [-0.1564, 0.2151, 0.7183]],
    [[0.8380, -0.2630, -0.0639], [-0.2887, 1.0725, 0.2496], [-0.0627, 0.1427, 0.5438]],
    [[0.6596, -0.2079, -0.0562], [-0.4782, 1.3016, 0.1933], [-0.0970, 0.1581, 0.7182]],
])
RGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                       [0.2126729, 0.7151522, 0.0721750],
                       [0.0193339, 0.1191920, 0.9503041]])
# Shot noise levels a camera shows (variance per unit of linear signal), and the read noise tied to
# them: log(read) = 2.18 log(shot) + 1.2 + N(0, 0.26^2), fitted by Brooks et al. on real sensors.
SHOT_RANGE = (1e-4, 1.2e-2)
CAMERA_LEVELS = {"low": 0.0005, "medium": 0.001, "high": 0.002}  # shot noise of bench/photo_real.py's levels


@dataclass(frozen=True)
class Camera:
    """A camera's processing: its RGB -> camera-RGB matrix and its white-balance gains."""

    rgb_to_cam: np.ndarray  # 3 x 3, rows summing to 1
    rgb_gain: float  # overall brightness gain
    red_gain: float
    blue_gain: float


def random_camera(rng):
    """A random `Camera`: a convex mix of real colour matrices and plausible white-balance gains."""
    weights = rng.uniform(1e-8, 1, len(XYZ_TO_CAMS))
    xyz_to_cam = np.tensordot(weights / weights.sum(), XYZ_TO_CAMS, axes=1)
    rgb_to_cam = xyz_to_cam @ RGB_TO_XYZ
    rgb_to_cam /= rgb_to_cam.sum(axis=-1, keepdims=True)
    return Camera(rgb_to_cam, 1 / rng.normal(0.8, 0.1), rng.uniform(1.9, 2.4), rng.uniform(1.5, 1.9))


NEUTRAL_CAMERA = Camera(np.eye(3), 1.0, 1.0, 1.0)


def random_noise_levels(rng, shot_range=SHOT_RANGE):
    """(shot, read): shot log-uniform in `shot_range`, read tied to it as real sensors show."""
    log_shot = rng.uniform(np.log(shot_range[0]), np.log(shot_range[1]))
    return float(np.exp(log_shot)), float(np.exp(2.18 * log_shot + 1.20 + rng.normal(0, 0.26)))


def read_noise_for(shot):
    """The read noise the fitted line gives for `shot` (no scatter): the benchmark's fixed levels."""
    return float(np.exp(2.18 * np.log(shot) + 1.20))


def _gains(camera):
    return np.array([camera.red_gain, 1.0, camera.blue_gain]) * camera.rgb_gain


def unprocess(image, camera):
    """sRGB `image` -> linear camera RGB before white balance (tone curve, gamma, colour matrix and gains undone)."""
    image = np.clip(image, 0, 1)
    linear = np.maximum(0.5 - np.sin(np.arcsin(1 - 2 * image) / 3), 1e-8) ** 2.2  # inverse smoothstep, gamma
    cam = linear @ camera.rgb_to_cam.T
    # Inverting the gains would darken saturated highlights below white; fade the inversion out there.
    gray = cam.mean(axis=-1, keepdims=True)
    highlight = (np.maximum(gray - 0.9, 0) / 0.1) ** 2
    inverse = 1 / _gains(camera)
    return cam * np.maximum(highlight + (1 - highlight) * inverse, inverse)


def process(raw, camera):
    """Linear camera RGB before white balance -> sRGB in [0, 1] (the inverse of `unprocess`)."""
    cam = np.clip(raw * _gains(camera), 0, 1)
    linear = np.clip(cam @ np.linalg.inv(camera.rgb_to_cam).T, 0, 1)
    gamma = np.maximum(linear, 1e-8) ** (1 / 2.2)
    return 3 * gamma ** 2 - 2 * gamma ** 3  # smoothstep tone curve


def bayer_masks(height, width):
    """Boolean RGGB masks (H x W x 3): which photosites see red, green and blue."""
    rows, cols = np.indices((height, width))
    red = (rows % 2 == 0) & (cols % 2 == 0)
    blue = (rows % 2 == 1) & (cols % 2 == 1)
    return np.stack([red, ~(red | blue), blue], axis=-1)


def demosaic(mosaic):
    """Bilinear demosaic of an RGGB mosaic (H x W) into H x W x 3, the simplest of what cameras do."""
    masks = bayer_masks(*mosaic.shape)
    cross = np.array([[0, 1, 0], [1, 4, 1], [0, 1, 0]], np.float64) / 4
    box = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float64) / 4
    planes = [ndimage.convolve(mosaic * masks[..., c], box if c != 1 else cross, mode="mirror") for c in range(3)]
    return np.stack(planes, axis=-1)


def camera_noise(image, shot, read, rng, camera=None, bayer=True):
    """`image` with a camera's noise: unprocessed, Poisson-Gaussian noise in linear light, processed back.

    Args:
        image: sRGB H x W x 3 in [0, 1].
        shot, read: the noise's variance is `shot * signal + read` in linear light (`random_noise_levels`).
        rng: a NumPy Generator.
        camera: the camera's processing; `None` draws one (`random_camera`).
        bayer: add the noise to a Bayer mosaic and demosaic it (noise correlated as a camera makes
            it); else to each channel of every pixel.

    Returns:
        the noisy sRGB image, float32, clipped to [0, 1] (not rounded).
    """
    camera = camera or random_camera(rng)
    raw = unprocess(np.asarray(image, np.float64), camera)
    if bayer:
        masks = bayer_masks(*raw.shape[:2])
        mosaic = (raw * masks).sum(axis=-1)
        mosaic = mosaic + rng.standard_normal(mosaic.shape) * np.sqrt(np.maximum(mosaic * shot + read, 0))
        noisy = demosaic(mosaic)
        # Demosaicing blurs even a clean mosaic a little; keep that blur out of what counts as noise.
        noisy += raw - demosaic((raw * masks).sum(axis=-1))
    else:
        noisy = raw + rng.standard_normal(raw.shape) * np.sqrt(np.maximum(raw * shot + read, 0))
    return process(noisy, camera).astype(np.float32)


def gaussian_noise(image, sigma, rng, kind="white"):
    """`image` plus Gaussian noise of standard deviation `sigma` (image scale), not clipped.

    `kind`: "white" (independent per channel), "gray" (one draw for all channels: luminance noise),
    or "correlated" (across channels by a random covariance of total variance 3 sigma^2, as BSRGAN).
    """
    image = np.asarray(image, np.float32)
    shape = image.shape[:-1]
    if kind == "white":
        noise = rng.standard_normal(image.shape)
    elif kind == "gray":
        noise = np.repeat(rng.standard_normal((*shape, 1)), image.shape[-1], axis=-1)
    elif kind == "correlated":
        rotation, _ = np.linalg.qr(rng.standard_normal((3, 3)))
        spread = rng.uniform(0, 1, 3)
        covariance = rotation @ np.diag(3 * spread / spread.sum()) @ rotation.T
        noise = rng.standard_normal((*shape, 3)) @ np.linalg.cholesky(covariance + 1e-9 * np.eye(3)).T
    else:
        raise ValueError(f"unknown Gaussian kind {kind!r}: white, gray or correlated")
    return (image + sigma * noise).astype(np.float32)


def to_8bit(image):
    """`image` clipped to [0, 1] and rounded to 256 levels, as a saved file holds it."""
    return (np.round(np.clip(image, 0, 1) * 255) / 255).astype(np.float32)


def jpeg(image, quality, subsampling="4:2:0"):
    """`image` (H x W x C in [0, 1]) saved as a JPEG of `quality` and read back (8-bit, float32)."""
    pixels = np.round(np.clip(image, 0, 1) * 255).astype(np.uint8)
    picture = Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=int(quality), subsampling=subsampling)
    buffer.seek(0)
    with Image.open(buffer) as decoded:
        return (np.asarray(decoded, np.float32) / 255).reshape(image.shape)


def correlate_spatially(clean, noisy, factor):
    """`noisy` whose noise (its difference from `clean`) went through a resize down by `factor` and back.

    A resized or demosaiced photo's noise is no longer white: neighbouring pixels share it.
    """
    height, width = clean.shape[:2]
    small = (max(1, round(width * factor)), max(1, round(height * factor)))
    noise = noisy - clean
    planes = [np.asarray(Image.fromarray(noise[..., c]).resize(small, Image.Resampling.BILINEAR)
                         .resize((width, height), Image.Resampling.BICUBIC)) for c in range(noise.shape[-1])]
    # Averaging shrinks the noise; scale it back to its level before, so the level drawn still holds.
    spread = np.stack(planes, axis=-1)
    spread *= noise.std() / max(spread.std(), 1e-8)
    return (clean + spread).astype(np.float32)


@dataclass(frozen=True)
class Mix:
    """How often `degrade` draws each kind of noise and each step after it (shares, 0-1).

    The four kinds' shares sum to 1; `max_sigma` (0-255 scale) bounds the Gaussian kinds and
    `shot_range` the camera kind; `gray_photo` is the share of patches first turned gray (a
    black-and-white photo) and then given gray noise. After the noise, `spatial` of the patches get
    spatially correlated noise, `jpeg` of them are JPEG-compressed (quality in `jpeg_quality`, 4:2:0
    for `subsampled` of those, else 4:4:4), and all but `unclipped` are clipped and 8-bit rounded.
    """

    white: float = 0.35
    gray: float = 0.15
    correlated: float = 0.10
    camera: float = 0.40
    max_sigma: float = 55.0
    shot_range: tuple = SHOT_RANGE
    bayer: float = 0.5
    gray_photo: float = 0.08
    spatial: float = 0.10
    jpeg: float = 0.35
    jpeg_quality: tuple = (30, 95)
    subsampled: float = 0.7
    unclipped: float = 0.25

    def as_card(self):
        """The mix as plain JSON values, for the training card."""
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}

    @classmethod
    def with_changes(cls, changes):
        """The default mix with some shares changed (`{"jpeg": 0.6, "jpeg_quality": [50, 95]}`), checked."""
        names = {key.name for key in fields(cls)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"no such share in the mix: {', '.join(unknown)} (one of {', '.join(sorted(names))})")
        return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in changes.items()})


DEFAULT_MIX = Mix()


def degrade(clean, rng, mix=DEFAULT_MIX):
    """One noisy version of the sRGB patch `clean` (H x W x 3 in [0, 1]), drawn from `mix`.

    Returns:
        (noisy, clean, description): the clean patch may have been turned gray (a black-and-white
        photo), so it is returned too; `description` says what was drawn (for tests and logs).
    """
    clean = np.asarray(clean, np.float32)
    steps = []
    if rng.random() < mix.gray_photo:
        clean = np.repeat((clean @ LUMA)[..., np.newaxis], 3, axis=-1)
        steps.append("gray photo")
    kinds = ("white", "gray", "correlated", "camera")
    shares = np.array([mix.white, mix.gray, mix.correlated, mix.camera], np.float64)
    kind = "gray" if steps else kinds[rng.choice(4, p=shares / shares.sum())]
    if kind == "camera":
        shot, read = random_noise_levels(rng, mix.shot_range)
        bayer = bool(rng.random() < mix.bayer)
        noisy = camera_noise(clean, shot, read, rng, bayer=bayer)
        steps.append(f"camera shot {shot:.4f} read {read:.2e}{' bayer' if bayer else ''}")
    else:
        sigma = rng.uniform(0, mix.max_sigma)
        noisy = gaussian_noise(clean, sigma / 255, rng, kind)
        steps.append(f"{kind} sigma {sigma:.1f}")
    if rng.random() < mix.spatial:
        factor = rng.uniform(0.5, 0.9)
        noisy = correlate_spatially(clean, noisy, factor)
        steps.append(f"spatial {factor:.2f}")
    if rng.random() < mix.jpeg:
        quality = int(rng.integers(mix.jpeg_quality[0], mix.jpeg_quality[1] + 1))
        subsampling = "4:2:0" if rng.random() < mix.subsampled else "4:4:4"
        noisy = jpeg(noisy, quality, subsampling)
        steps.append(f"jpeg {quality} {subsampling}")
    elif kind == "camera" or rng.random() >= mix.unclipped:
        noisy = to_8bit(noisy)
        steps.append("8-bit")
    return noisy, clean, ", ".join(steps)
