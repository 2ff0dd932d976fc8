"""Photographs for training photo denoisers: which files, how they are read, and random noisy patches.

Training photos come from a folder setting, `AECORE_PHOTO_DIR` (folders separated by the path
separator), which defaults to where Debian's `mate-backgrounds`, `lomiri-wallpapers` and
`plasma-workspace-wallpapers` install their wallpapers. Those packages also hold drawings and
abstract art, so in the default folders only the photographs listed in `WALLPAPER_PHOTOS` are used;
a folder of your own is used whole. `PatchSampler` yields batches of (noisy, clean) patches with
fresh Gaussian noise of a random level for every patch, random rescaling, flips and rotations.
"""

import os
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from aecore.images import LUMA

DEFAULT_PHOTO_DIRS = ("/usr/share/backgrounds", "/usr/share/wallpapers")
SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp")

# The photographs among the three packages' wallpapers (paths relative to /usr/share), picked by
# eye from a contact sheet of all 81; drawings, renders and abstract art are left out. The first
# three are held out of training for validation.
VALIDATION_PHOTOS = (
    "backgrounds/mate/nature/Garden.jpg",
    "wallpapers/Path/contents/images/2560x1600.jpg",
    "backgrounds/Wine_by_Jakkub_Mede.jpg",
)
WALLPAPER_PHOTOS = VALIDATION_PHOTOS + (
    "backgrounds/Bridge_by_Sander_Klootwijk.jpg",
    "backgrounds/Dragonfly_by_Bolly.jpg",
    "backgrounds/Kleiber_by_Lukas_Baubkus.jpg",
    "backgrounds/Picture_0B_by_freespace.jpg",
    "backgrounds/Picture_1A_by_freespace.jpg",
    "backgrounds/aitzgorri_by_Aitzol_Berasategi.jpg",
    "backgrounds/free_by_Peter_Nerlich.jpg",
    "backgrounds/friends_by_Aitzol_Berasategi.jpg",
    "backgrounds/greentock_by_Peter_Nerlich.jpg",
    "backgrounds/life_by_Aitzol_Berasategi.jpg",
    "backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg",
    "backgrounds/seeding_by_Clements_Engelhardt.jpg",
    "backgrounds/sunset_by_Aitzol_Berasategi.jpg",
    "backgrounds/mate/nature/Aqua.jpg",
    "backgrounds/mate/nature/Blinds.jpg",
    "backgrounds/mate/nature/Dune.jpg",
    "backgrounds/mate/nature/FreshFlower.jpg",
    "backgrounds/mate/nature/GreenMeadow.jpg",
    "backgrounds/mate/nature/LadyBird.jpg",
    "backgrounds/mate/nature/RainDrops.jpg",
    "backgrounds/mate/nature/Storm.jpg",
    "backgrounds/mate/nature/TwoWings.jpg",
    "backgrounds/mate/nature/Wood.jpg",
    "backgrounds/mate/nature/YellowFlower.jpg",
    "wallpapers/BytheWater/contents/images/2560x1600.jpg",
    "wallpapers/ColdRipple/contents/images/2560x1600.jpg",
    "wallpapers/EveningGlow/contents/images/2560x1600.jpg",
    "wallpapers/FallenLeaf/contents/images/2560x1600.jpg",
    "wallpapers/Grey/contents/images/2560x1600.jpg",
    "wallpapers/Kite/contents/images/2560x1600.jpg",
    "wallpapers/OneStandsOut/contents/images/2560x1600.jpg",
    "wallpapers/summer_1am/contents/images/2560x1600.jpg",
)
MAX_SIDE = 2560  # photos are read no larger than this on their long side, to bound memory


class NoPhotos(FileNotFoundError):
    """No training photographs were found; the message says where the loader looked."""


def photo_dirs():
    """The folders photos are read from: `AECORE_PHOTO_DIR`, or the wallpaper packages' folders."""
    setting = os.environ.get("AECORE_PHOTO_DIR")
    return [Path(part) for part in setting.split(os.pathsep) if part] if setting else [Path(d) for d in DEFAULT_PHOTO_DIRS]


def find_photos(folders=None, validation=False):
    """Training photos (or, with `validation`, the held-out ones) in `folders`, sorted.

    In the default wallpaper folders only the listed photographs count; other folders are used whole,
    their validation set being every tenth file.
    """
    folders = [Path(f) for f in folders] if folders is not None else photo_dirs()
    found = []
    for folder in folders:
        if folder.resolve() in {Path(d).resolve() for d in DEFAULT_PHOTO_DIRS}:
            wanted = VALIDATION_PHOTOS if validation else WALLPAPER_PHOTOS[len(VALIDATION_PHOTOS):]
            found += [folder.parent / name for name in wanted if (folder.parent / name).is_file()
                      and name.split("/")[0] == folder.name]
        elif folder.is_dir():
            files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
            found += [p for index, p in enumerate(files) if (index % 10 == 9) == validation]
    if not found and not validation:
        where = ", ".join(str(f) for f in folders)
        raise NoPhotos(f"no photos in {where}; set AECORE_PHOTO_DIR, or install the Debian packages "
                       "mate-backgrounds, lomiri-wallpapers and plasma-workspace-wallpapers")
    return sorted(found)


def read_photo(path, channels=3, max_side=MAX_SIDE):
    """A photo as uint8 (H, W, channels), shrunk (area-averaged) so its long side is at most `max_side`."""
    with Image.open(path) as image:
        image.draft("RGB", (max_side, max_side))  # JPEG decodes at a reduced size when it can
        image = image.convert("L" if channels == 1 else "RGB")
        scale = max_side / max(image.size)
        if scale < 1:
            image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                                 Image.Resampling.BOX)
        pixels = np.asarray(image, np.uint8)
    return pixels[..., np.newaxis] if channels == 1 else pixels


def jpeg_round_trip(image, quality):
    """`image` (H x W x C in [0, 1]) saved as a JPEG of `quality` (colour: 4:2:0, as cameras and phones write) and read back."""
    from aecore.degrade import jpeg

    return jpeg(image, quality, "4:2:0")


def gaussian_noise(clean, sigmas, rng, clip):
    """`clean` plus N(0, sigma^2) per image (sigmas on the [0, 1] scale); where `clip`, clipped and 8-bit rounded."""
    noisy = clean + rng.standard_normal(clean.shape, dtype=np.float32) * sigmas.reshape(-1, 1, 1, 1)
    clipped = np.round(np.clip(noisy, 0, 1) * 255) / 255
    return np.where(clip.reshape(-1, 1, 1, 1), clipped, noisy).astype(np.float32)


class PatchSampler(keras.utils.PyDataset):
    """Endless batches of (noisy, clean) patches cut from photos, for `model.fit`.

    Each patch comes from a random photo at a random scale (area-averaged, which also hides JPEG
    artefacts), with a random flip and quarter turn. Wallpapers are mostly sky, bokeh and other flat
    areas, where a denoiser learns to smooth; so for a `detail_bias` share of patches the most
    detailed of three candidates is kept, which teaches it to keep texture. Each gets Gaussian noise of a sigma drawn
    uniformly from [0, max_sigma] on the 0-255 scale, fresh every batch; a `clip_fraction` of
    them is then clipped to [0, 1] and rounded to 8 bits, as a real noisy upload is.

    Args:
        photos: uint8 arrays (H, W, C), for example from `read_photo`.
        patch_size: side of the square patches.
        batch_size: patches per batch.
        batches: batches in one "epoch".
        max_sigma: largest noise sigma, 0-255 scale.
        scales: (smallest, largest) scale factor applied to the photos.
        clip_fraction: share of patches clipped and rounded after the noise.
        detail_bias: share of patches picked as the most detailed of three candidates.
        jpeg_fraction: share of noisy patches then saved as a JPEG (4:2:0, quality 70-95) and read
            back, as most photos are after the noise: their colour noise sits in 2 x 2 blocks.
        mix: an `aecore.degrade.Mix`: each patch gets noise drawn from it (camera, gray, correlated,
            white; JPEG...) instead of the Gaussian settings above. Gray patches are degraded as
            colour and turned back to gray, so a gray model sees the luminance of camera noise.
        equalize_sigmas: also yield per-patch loss weights proportional to 1 / (sigma + 5), mean 1 in
            each batch. A denoiser's squared error grows about in proportion to sigma, so under plain
            MSE the noisiest patches set the gradient and the low-noise ones, where a blind model lags
            most, count least; these weights make each sigma count about alike in PSNR terms.
        seed: seed of the random stream (each epoch continues it). With `use_multiprocessing`, each
            worker process draws its own stream, seeded by the seed and its process id.
        **kwargs: `keras.utils.PyDataset`'s: `workers`, `use_multiprocessing`, `max_queue_size`.
    """

    CANDIDATES = 3

    def __init__(self, photos, patch_size=48, batch_size=16, batches=1000, max_sigma=55.0, scales=(0.15, 0.5),
                 clip_fraction=0.5, detail_bias=0.5, equalize_sigmas=False, jpeg_fraction=0.0, mix=None, seed=0,
                 **kwargs):
        super().__init__(**kwargs)
        if not photos:
            raise NoPhotos("no photos to cut patches from")
        self.photos = photos
        self.patch_size, self.batch_size, self.batches = int(patch_size), int(batch_size), int(batches)
        self.max_sigma, self.scales, self.clip_fraction = float(max_sigma), tuple(scales), float(clip_fraction)
        self.detail_bias, self.equalize_sigmas = float(detail_bias), bool(equalize_sigmas)
        self.jpeg_fraction, self.mix = float(jpeg_fraction), mix
        self.seed, self.rng, self.process = seed, np.random.default_rng(seed), os.getpid()
        # Big photos give more patches: draw photos in proportion to their area.
        areas = np.array([p.shape[0] * p.shape[1] for p in photos], np.float64)
        self.weights = areas / areas.sum()

    def __len__(self):
        return self.batches

    def patch(self):
        rng, size = self.rng, self.patch_size
        photo = self.photos[rng.choice(len(self.photos), p=self.weights)]
        height, width = photo.shape[:2]
        scale = rng.uniform(*self.scales)
        crop = min(height, width, max(size, int(round(size / scale))))
        top, left = rng.integers(0, height - crop + 1), rng.integers(0, width - crop + 1)
        piece = photo[top : top + crop, left : left + crop]
        if crop != size:
            mode = "L" if piece.shape[-1] == 1 else "RGB"
            resized = Image.fromarray(piece[..., 0] if mode == "L" else piece, mode).resize((size, size),
                                                                                           Image.Resampling.BOX)
            piece = np.asarray(resized).reshape(size, size, -1)
        piece = np.rot90(piece, rng.integers(4))
        return piece[:, ::-1] if rng.random() < 0.5 else piece

    def detailed_patch(self):
        """A patch; for a `detail_bias` share, the one of `CANDIDATES` with the largest mean gradient."""
        if self.rng.random() >= self.detail_bias:
            return self.patch()

        def detail(piece):
            piece = piece.astype(np.float32)
            return np.abs(np.diff(piece, axis=0)).mean() + np.abs(np.diff(piece, axis=1)).mean()

        return max((self.patch() for _ in range(self.CANDIDATES)), key=detail)

    def gaussian_batch(self):
        """A batch with white Gaussian noise of a random sigma each (some clipped, some JPEG-saved), and the sigmas."""
        clean = np.stack([self.detailed_patch() for _ in range(self.batch_size)]).astype(np.float32) / 255
        sigmas = self.rng.uniform(0, self.max_sigma, self.batch_size).astype(np.float32) / 255
        clip = self.rng.random(self.batch_size) < self.clip_fraction
        noisy = gaussian_noise(clean, sigmas, self.rng, clip)
        for index in np.flatnonzero(self.rng.random(self.batch_size) < self.jpeg_fraction):
            noisy[index] = jpeg_round_trip(noisy[index], self.rng.integers(70, 96))
        return noisy, clean, sigmas

    def mixed_batch(self):
        """A batch degraded by `self.mix`, and each patch's noise level (std of noisy - clean, [0, 1] scale)."""
        from aecore.degrade import degrade

        pairs = []
        for _ in range(self.batch_size):
            patch = self.detailed_patch().astype(np.float32) / 255
            gray = patch.shape[-1] == 1
            noisy, clean, _ = degrade(np.repeat(patch, 3, axis=-1) if gray else patch, self.rng, self.mix)
            if gray:
                noisy, clean = (noisy @ LUMA)[..., np.newaxis], patch
            pairs.append((noisy, clean))
        noisy, clean = (np.stack(part).astype(np.float32) for part in zip(*pairs))
        return noisy, clean, (noisy - clean).reshape(self.batch_size, -1).std(axis=1)

    def __getitem__(self, index):
        if os.getpid() != self.process:  # a forked worker (use_multiprocessing): its own stream, not a copy
            self.process, self.rng = os.getpid(), np.random.default_rng([self.seed, os.getpid()])
        noisy, clean, sigmas = self.mixed_batch() if self.mix is not None else self.gaussian_batch()
        if not self.equalize_sigmas:
            return noisy, clean
        weights = 1 / (sigmas * 255 + 5)
        return noisy, clean, (weights / weights.mean())[:, None, None]  # broadcast over MSE's per-pixel loss
