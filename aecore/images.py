"""Turning uploaded bytes into model-ready images, and images back into PNG and zip downloads.

Every upload is treated as hostile: sizes are checked before pixels are decoded, only common
raster formats are accepted, and every failure becomes an `ImageError` whose message a person can
act on. Digits are prepared the way MNIST was made: ink made light on dark, cropped, fitted into
20x20 and centred by mass in 28x28.
"""

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np
from PIL import Image, ImageOps

MAX_FILE_BYTES = 20 * 1024 * 1024  # one image file
MAX_PIXELS = 4096 * 4096  # width x height of one image, checked before decoding
MAX_ZIP_MEMBERS = 1000  # image files looked at in one zip
MAX_ZIP_TOTAL_BYTES = 200 * 1024 * 1024  # decompressed bytes read from one zip
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp")


class ImageError(ValueError):
    """An upload that cannot be used as an image; the message says why in plain words."""


def load_image(data: bytes) -> np.ndarray:
    """Decode image bytes into a grayscale float32 array (H x W) in [0, 1], upright by its EXIF tag.

    Transparent pixels count as white paper. Raises `ImageError` for anything else.
    """
    if not data:
        raise ImageError("the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"the file is {len(data) / 2**20:.1f} MB; the limit is {MAX_FILE_BYTES / 2**20:.0f} MB")
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ImageError(f"the image is {width} x {height} pixels; the limit is {MAX_PIXELS:,} pixels in all")
            if width < 1 or height < 1:
                raise ImageError("the image has no pixels")
            image.seek(0)  # the first frame of an animation
            image.load()
            image = ImageOps.exif_transpose(image)
            return to_grayscale(image)
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError(f"the image declares more than {MAX_PIXELS:,} pixels") from None
    except Image.UnidentifiedImageError:
        raise ImageError(f"not an image this app reads (it reads {', '.join(FORMATS)})") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, MemoryError) as error:
        raise ImageError(f"the image is damaged or truncated ({str(error) or type(error).__name__})") from None


def to_grayscale(image: Image.Image) -> np.ndarray:
    """A decoded Pillow image as grayscale float32 in [0, 1], transparency composited onto white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        pixels = np.asarray(image, np.float64)
        return np.clip(pixels / (65535.0 if pixels.max() > 255 else 255.0), 0, 1).astype(np.float32)
    if image.mode == "F":
        return np.clip(np.asarray(image, np.float32), 0, 1)
    if image.mode == "P" or "A" in image.getbands() or image.info.get("transparency") is not None:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.asarray(image.convert("L"), np.float32) / 255.0


def prepare_digit(gray: np.ndarray, size=28, box=20) -> np.ndarray:
    """An MNIST-style `size` x `size` image from any grayscale picture of one digit or object.

    Dark ink on light paper is inverted; the ink is cropped, fitted into `box` x `box` keeping its
    aspect ratio, and placed so its centre of mass is at the centre.
    """
    gray = np.asarray(gray, np.float32)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 0.5:
        gray, border = 1.0 - gray, 1.0 - border
    gray = np.clip(gray - np.median(border), 0, None)
    if gray.max() <= 0.05:
        raise ImageError("no ink found: the picture looks blank")
    gray = gray / gray.max()
    rows, cols = np.nonzero(gray > 0.2)
    crop = gray[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    scale = box / max(crop.shape)
    new_height, new_width = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    fitted = np.asarray(Image.fromarray(crop, "F").resize((new_width, new_height), Image.Resampling.LANCZOS))
    fitted = np.clip(fitted, 0, None)
    fitted = fitted / fitted.max()  # resampling softens the peak; MNIST ink peaks at 1
    total = fitted.sum()
    centre_row = (fitted.sum(axis=1) * np.arange(new_height)).sum() / total
    centre_col = (fitted.sum(axis=0) * np.arange(new_width)).sum() / total
    top = int(np.clip(round(size / 2 - 0.5 - centre_row), 0, size - new_height))
    left = int(np.clip(round(size / 2 - 0.5 - centre_col), 0, size - new_width))
    canvas = np.zeros((size, size), np.float32)
    canvas[top : top + new_height, left : left + new_width] = fitted
    return canvas


def resize_to(gray: np.ndarray, height: int, width: int) -> np.ndarray:
    """`gray` resized to `height` x `width` (for models trained on other than digits)."""
    resized = Image.fromarray(np.asarray(gray, np.float32), "F").resize((width, height), Image.Resampling.LANCZOS)
    return np.clip(np.asarray(resized, np.float32), 0, 1)


def prepare_for_model(gray: np.ndarray, input_shape, digit_style=True) -> np.ndarray:
    """A grayscale image shaped for a model taking `input_shape` (H, W, C); digits MNIST-style."""
    height, width, channels = input_shape
    if digit_style:
        prepared = prepare_digit(gray, size=height, box=max(1, round(height * 20 / 28)))
        if width != height:
            prepared = resize_to(prepared, height, width)
    else:
        prepared = resize_to(gray, height, width)
    return np.repeat(prepared[..., np.newaxis], channels, axis=-1)


@dataclass
class Upload:
    """One image out of an upload: its display name and either pixels or the reason it failed."""

    name: str
    image: np.ndarray | None = None
    error: str | None = None


def read_upload(name: str, data: bytes) -> list[Upload]:
    """Every image in one uploaded file: a single image, or each image inside a zip.

    Never raises for bad content: each failure is an `Upload` with an `error`.
    """
    if name.lower().endswith(".zip") or data[:4] == b"PK\x03\x04":
        return read_zip(name, data)
    try:
        return [Upload(name, image=load_image(data))]
    except ImageError as error:
        return [Upload(name, error=str(error))]


def read_zip(name: str, data: bytes) -> list[Upload]:
    """Each image in a zip, read in memory (nothing is extracted to disk), within the zip limits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        return [Upload(name, error=f"not a readable zip file ({error})")]
    uploads, total = [], 0
    images = [info for info in members if info.filename.lower().endswith(IMAGE_SUFFIXES)]
    for info in members:
        if info not in images:
            label = f"{name}/{PurePosixPath(info.filename).name}"
            reason = "a zip inside a zip is not opened" if info.filename.lower().endswith(".zip") else "not an image file"
            uploads.append(Upload(label, error=reason))
    if not images:
        uploads.append(Upload(name, error="the zip holds no images (.png, .jpg, .gif, .bmp, .tif or .webp)"))
        return uploads
    if len(images) > MAX_ZIP_MEMBERS:
        uploads.append(Upload(name, error=f"only the first {MAX_ZIP_MEMBERS} of {len(images)} images were read"))
        images = images[:MAX_ZIP_MEMBERS]
    for info in images:
        label = f"{name}/{PurePosixPath(info.filename).name}"
        if info.file_size > MAX_FILE_BYTES or total + info.file_size > MAX_ZIP_TOTAL_BYTES:
            uploads.append(Upload(label, error="too large once decompressed"))
            continue
        try:
            with archive.open(info) as member:
                content = member.read(MAX_FILE_BYTES + 1)  # sizes in the header can lie
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as error:
            uploads.append(Upload(label, error=f"could not be read from the zip ({error})"))
            continue
        total += len(content)
        if len(content) > MAX_FILE_BYTES or total > MAX_ZIP_TOTAL_BYTES:
            uploads.append(Upload(label, error="too large once decompressed"))
            continue
        try:
            uploads.append(Upload(label, image=load_image(content)))
        except ImageError as error:
            uploads.append(Upload(label, error=str(error)))
    return uploads


def to_png(image: np.ndarray) -> bytes:
    """PNG bytes of an image in [0, 1] (H x W, or H x W x 1 or 3)."""
    pixels = np.clip(np.asarray(image, np.float32), 0, 1)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    buffer = io.BytesIO()
    Image.fromarray((pixels * 255).round().astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def to_zip(named_images) -> bytes:
    """A zip of PNGs from `(file name, image)` pairs."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file_name, image in named_images:
            archive.writestr(file_name, to_png(image))
    return buffer.getvalue()
