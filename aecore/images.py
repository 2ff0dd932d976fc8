"""Turning uploaded bytes into model-ready images, and images back into PNG and zip downloads.

Every upload is treated as hostile: sizes are checked before pixels are decoded, only common
raster formats are accepted, and every failure becomes an `ImageError` whose message a person can
act on. Memory is bounded by pixels, not bytes (a blank 4096 x 4096 PNG is a few kB): images are
decoded one at a time as the reader is iterated, one request decodes at most `REQUEST_PIXELS` and
`MAX_REQUEST_IMAGES` over all its files and zips (a `RequestBudget`), and the process decodes at
most `LARGE_DECODES_AT_ONCE` big images at a time, whatever the number of visitors. Digits are
prepared the way MNIST was made: ink made light on dark, cropped, fitted into 20x20 and centred by
mass in 28x28.
"""

import concurrent.futures
import io
import os
import re
import struct
import zipfile
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, JpegImagePlugin

from aecore import lower_this_threads_priority

try:  # HEIC, the format of iPhone photos; AVIF is built into Pillow
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - pillow-heif is in requirements.txt
    pillow_heif = None

MB = 1000 * 1000  # a megabyte as browsers count it, and Streamlit's uploader with them ("50MB per file")
MAX_UPLOAD_BYTES = 50 * MB  # one uploaded file, a zip included: the uploader says the same (studio.uploads)
MAX_FILE_BYTES = 20 * 1024 * 1024  # one image file
MAX_PIXELS = 8192 * 6144  # width x height of one image (a 50-megapixel phone photo), checked before decoding
JPEG_MAX_PIXELS = 2 * MAX_PIXELS  # a bigger JPEG is decoded at 1/2, 1/4 or 1/8 scale, in at most MAX_PIXELS
WORKING_PIXELS = 4096 * 4096  # larger images are shrunk to this many pixels as they are decoded
MAX_REQUEST_IMAGES = 1000  # images read in one request, over all its files and zips
REQUEST_PIXELS = 16 * WORKING_PIXELS  # pixels (as declared) decoded in one request: 268 megapixels
MAX_ZIP_TOTAL_BYTES = 200 * 1024 * 1024  # decompressed bytes read from one zip
MAX_ZIP_MEMBERS = 20_000  # files in one zip, read from its end record before its listing is parsed
CENTRAL_RECORD_BYTES = 1024  # a generous size of one member's entry in a zip's listing (46 bytes and its name)
LARGE_PIXELS = 1 << 20  # images over a megapixel wait their turn to be decoded ...
LARGE_DECODES_AT_ONCE = 2  # ... so that the process decodes at most this many at a time ...
LARGE_DECODE_NICENESS = int(os.environ.get("AECORE_DECODE_NICENESS", "10"))  # ... on threads that yield the CPU


# Pillow and NumPy let go of the GIL while they decode and convert, so a page script of another
# visitor runs beside a big decode: on threads of lower priority, the decode takes what CPU is left.
_large_decoder = concurrent.futures.ThreadPoolExecutor(LARGE_DECODES_AT_ONCE, "large-decode", lower_this_threads_priority,
                                                       (LARGE_DECODE_NICENESS,))
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP", "AVIF") + (("HEIF",) if pillow_heif else ())
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".avif", ".heic", ".heif")


LUMA = np.float32([0.299, 0.587, 0.114])  # Rec. 601 weights of R, G and B in a gray picture's brightness


class ImageError(ValueError):
    """An upload that cannot be used as an image; the message says why in plain words."""


def load_image(data: bytes, color: bool = False, max_pixels: int = WORKING_PIXELS) -> np.ndarray:
    """Decode image bytes into float32 in [0, 1], upright by its EXIF tag: gray (H x W) or, with `color`, H x W x 3.

    Images of more than `max_pixels` pixels (up to `MAX_PIXELS`) are shrunk to fit, area-averaged
    and aspect kept (compare with `declared_size`). Transparent pixels count as white
    paper. Raises `ImageError` for anything else, pixels that are not finite numbers included.
    """
    if not data:
        raise ImageError("the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(f"the file is {len(data) / 2**20:.1f} MB; the limit is {MAX_FILE_BYTES / 2**20:.0f} MB")
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            width, height = image.size
            if width * height > (JPEG_MAX_PIXELS if image.format == "JPEG" else MAX_PIXELS):
                raise ImageError(f"the image is {width} x {height} pixels ({width * height / 1e6:.0f} megapixels); "
                                 f"this app reads up to {MAX_PIXELS / 1e6:.0f} megapixels "
                                 f"({JPEG_MAX_PIXELS / 1e6:.0f} in a JPEG): scale it down and upload it again")
            if width < 1 or height < 1:
                raise ImageError("the image has no pixels")
            if width * height > LARGE_PIXELS:
                pixels = _large_decoder.submit(_decode, image, color, max_pixels).result()
            else:
                pixels = _decode(image, color, max_pixels)
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError(f"the image declares more than {MAX_PIXELS:,} pixels") from None
    except Image.UnidentifiedImageError:
        raise ImageError(f"not an image this app reads (it reads {', '.join(FORMATS)})") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, MemoryError) as error:
        raise ImageError(f"the image is damaged or truncated ({str(error) or type(error).__name__})") from None
    if not np.isfinite(pixels).all():
        raise ImageError("the image holds pixel values that are not finite numbers")
    return pixels


def _decode(image: Image.Image, color: bool, max_pixels: int) -> np.ndarray:
    """The first frame of an opened image as pixels (see `_pixels`); big JPEGs are decoded at a reduced scale."""
    width, height = image.size
    image.seek(0)  # the first frame of an animation
    if width * height > max_pixels and image.format == "JPEG":
        # draft decodes at the smallest 1/2^k scale at least this big, so under 4x it: over MAX_PIXELS,
        # a quarter of it keeps the decoded pixels under MAX_PIXELS
        target = max_pixels if width * height <= MAX_PIXELS else min(max_pixels, MAX_PIXELS // 4)
        scale = (target / (width * height)) ** 0.5
        image.draft(image.mode, (int(width * scale) + 1, int(height * scale) + 1))
    image.load()
    return _pixels(ImageOps.exif_transpose(image), color, max_pixels)


def declared_size(data: bytes):
    """(width, height) an image file declares, upright (EXIF turns swap them; in a PNG, only an EXIF that comes
    before its pixels), or `None` if unreadable."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            width, height = image.size
            # A PNG's EXIF may follow its pixels, and Pillow decodes the whole image to look for it: here the
            # size is read from the header alone, upright only when the EXIF came before the pixels.
            header_only = image.format == "PNG" and "exif" not in image.info
            turned = not header_only and image.getexif().get(0x0112, 1) in (5, 6, 7, 8)
            return (height, width) if turned else (width, height)
    except Exception:  # any failure is reported by load_image with its reason
        return None


def _pixels(image: Image.Image, color: bool, max_pixels: int) -> np.ndarray:
    """A decoded Pillow image as float32 in [0, 1], gray or RGB, shrunk to `max_pixels` in Pillow (cheap).

    Big images are shrunk first, in their own mode where Pillow can, so that the conversions after
    (transparency onto white paper, colour to gray) work on the small copy.
    """
    if image.mode == "1":
        image = image.convert("L")
    if image.width * image.height > max_pixels and image.mode in ("L", "LA", "RGB", "RGBA", "I", "F"):
        image = _shrunk(image, max_pixels)
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        deep = np.asarray(image, np.float64 if image.mode != "F" else np.float32)
        if image.mode != "F":
            deep = deep / (65535.0 if deep.max() > 255 else 255.0)
        image = Image.fromarray(np.clip(deep, 0, 1).astype(np.float32), "F")
    else:
        if image.mode == "P" or "A" in image.getbands() or image.info.get("transparency") is not None:
            rgba = image.convert("RGBA")
            image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
        image = image.convert("RGB" if color else "L")
    if image.width * image.height > max_pixels:
        image = _shrunk(image, max_pixels)
    pixels = np.array(image, np.float32)
    if image.mode != "F":
        pixels /= 255.0  # in place: a 12 MP photo's float copy is 144 MB
    if color and pixels.ndim == 2:
        pixels = np.repeat(pixels[..., np.newaxis], 3, axis=-1)
    return pixels


def _shrunk(image: Image.Image, max_pixels: int) -> Image.Image:
    scale = (max_pixels / (image.width * image.height)) ** 0.5
    return image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))), Image.Resampling.BOX)


def is_gray(image: np.ndarray) -> bool:
    """Whether an image is H x W, or H x W x C with all channels equal (a gray picture stored as colour)."""
    if image.ndim == 2 or image.shape[-1] == 1:
        return True
    return all(np.array_equal(image[..., 0], image[..., c]) for c in range(1, image.shape[-1]))


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


def canvas_to_gray(rgba: np.ndarray) -> np.ndarray:
    """A drawing canvas's RGBA pixels (0-255; unpainted pixels transparent) as gray in [0, 1] on white paper."""
    rgba = np.asarray(rgba, np.float32) / 255.0
    alpha = rgba[..., 3]
    return rgba[..., :3].mean(axis=-1) * alpha + (1.0 - alpha)


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
    """One image out of an upload: its display name and either pixels or the reason it failed.

    `note` says when the image was scaled down to fit the pixel limit; `subsampled`, whether it is a
    JPEG that stores its colour at half resolution (see `chroma_subsampled`).
    """

    name: str
    image: np.ndarray | None = None
    error: str | None = None
    note: str | None = None
    subsampled: bool = False
    metadata: "Metadata | None" = None


GPS_IFD = 0x8825  # the EXIF tag that points at the GPS position
ORIENTATION = 0x0112


@dataclass(frozen=True)
class Metadata:
    """What a result keeps of its upload: the colour profile (ICC) and the EXIF block, oriented upright."""

    icc_profile: bytes | None = None
    exif: bytes | None = None
    bits: int = 8  # 16 for a 16-bit gray upload, written back at 16 bits in a PNG


def read_metadata(data, keep_gps=False):
    """The ICC profile and EXIF of image bytes, as `Metadata` for the result.

    The EXIF orientation is reset to upright (the pixels were turned on decoding), and the GPS
    position is dropped unless `keep_gps`: a shared result should not say where it was taken.
    """
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            icc = image.info.get("icc_profile") or None
            exif = image.getexif()
            if ORIENTATION in exif:
                exif[ORIENTATION] = 1
            if not keep_gps:
                exif.pop(GPS_IFD, None)
            bits = 16 if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I") else 8
            return Metadata(icc, exif.tobytes() if len(exif) else None, bits)
    except Exception:  # noqa: BLE001 - metadata is a courtesy; the decoder reports a broken file
        return Metadata()


def chroma_subsampled(data):
    """Whether `data` is a colour JPEG or HEIF with chroma subsampling (4:2:0 or 4:2:2), as cameras and phones write.

    Noise in such a file has been through the subsampling: its colour part sits in 2 x 2 (or 2 x 1)
    blocks, which a denoiser trained on white noise leaves alone.
    """
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format == "JPEG":
                return JpegImagePlugin.get_sampling(image) in (1, 2)
            return image.format == "HEIF" and image.info.get("chroma") in (420, 422)
    except Exception:  # noqa: BLE001 - not a JPEG Pillow reads: the decoder says why elsewhere
        return False


@dataclass
class RequestBudget:
    """What one request may still decode, shared by every file and zip in it: images, and pixels as declared.

    Pixels count as the image declares them, before any shrinking, since decoding costs that much.
    """

    images: int = MAX_REQUEST_IMAGES
    pixels: int = REQUEST_PIXELS
    used_images: int = 0
    used_pixels: int = 0

    def refusal(self, pixels: int) -> str | None:
        """Why an image of `pixels` may not be decoded now, or `None` after counting it against the budget."""
        if self.used_images >= self.images:
            return f"not read: one upload reads at most {self.images:,} images"
        if self.used_pixels + pixels > self.pixels:
            return (f"not read: this upload already decoded {self.used_pixels / 1e6:.0f} megapixels, and one upload "
                    f"may decode {self.pixels / 1e6:.0f}; upload it again with fewer or smaller images")
        self.used_images += 1
        self.used_pixels += pixels
        return None

    @property
    def full(self) -> bool:
        return self.used_images >= self.images


def decode_file(name, data, color=False, max_pixels=WORKING_PIXELS, budget=None):
    """One image file as an `Upload`: its pixels and a note if it was scaled down, or the reason it failed.

    With a `budget`, the image is refused (with the reason) when the request has no room left for it.
    """
    declared = declared_size(data)
    if budget is not None and declared is not None:
        refusal = budget.refusal(declared[0] * declared[1])
        if refusal:
            return Upload(name, error=refusal)
    try:
        image = load_image(data, color, max_pixels)
    except ImageError as error:
        return Upload(name, error=str(error))
    note = None
    if declared and declared[0] * declared[1] > image.shape[0] * image.shape[1]:  # not a PNG turned by a late EXIF
        note = (f"scaled down from {declared[0]} x {declared[1]} to {image.shape[1]} x {image.shape[0]} pixels "
                f"(the limit is {max_pixels / 1e6:.1f} megapixels)")
    return Upload(name, image=image, note=note, subsampled=color and chroma_subsampled(data),
                  metadata=read_metadata(data) if color else None)


def read_uploads(files, color=False, max_pixels=WORKING_PIXELS, budget=None):
    """Every image in the `(name, bytes)` files of one request, decoded one at a time as it is iterated.

    One `RequestBudget` covers them all, so the caps add up across files and zips. Never raises for
    bad content: each failure, and each image over the budget, is an `Upload` with an `error`.
    """
    budget = budget or RequestBudget()
    for name, data in files:
        yield from read_upload(name, data, color, max_pixels, budget)


def read_upload(name: str, data: bytes, color: bool = False, max_pixels: int = WORKING_PIXELS, budget=None):
    """Every image in one uploaded file, a single image or each image inside a zip, one at a time (a generator).

    See `load_image` and `read_uploads`; without a `budget` the file gets a request's budget of its own.
    """
    budget = budget or RequestBudget()
    if len(data) > MAX_UPLOAD_BYTES:
        yield Upload(name, error=f"the file is {len(data) / MB:.1f} MB; one upload may be at most "
                                 f"{MAX_UPLOAD_BYTES / MB:.0f} MB")
    elif is_zip(name, data):
        yield from read_zip(name, data, color, max_pixels, budget)
    else:
        yield decode_file(name, data, color, max_pixels, budget)


SURVEY_BYTES = 256 * 1024  # what `survey` reads of each zip member: enough for any header


def survey(files, max_pixels=None):
    """(images, declared pixels) of the `(name, bytes)` files of one request, zip members counted, nothing decoded.

    Cheap enough to decide, before any work, whether the request fits in one page view or needs a
    background job. Files that are not readable images count as nothing. With `max_pixels`, each
    image counts as at most that many pixels (it will be scaled down to them when decoded).
    """
    images = pixels = 0
    for name, data in files:
        if is_zip(name, data):
            try:
                archive, members = open_zip(data)
                members = [info for info in members if info.filename.lower().endswith(IMAGE_SUFFIXES)]
                sizes = [declared_size(head) for head in _heads(archive, members)]
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, RuntimeError,
                    NotImplementedError):  # ImageError is a ValueError
                continue
        else:
            sizes = [declared_size(data)]
        for size in sizes:
            images += 1
            pixels += min(size[0] * size[1], max_pixels or size[0] * size[1]) if size else 0
    return images, pixels


def _heads(archive, members):
    """The first `SURVEY_BYTES` of each member, one at a time (a generator)."""
    for info in members:
        with archive.open(info) as member:
            yield member.read(SURVEY_BYTES)


def is_zip(name, data):
    return name.lower().endswith(".zip") or data[:4] == b"PK\x03\x04"


def open_zip(data):
    """`(ZipFile, its files)` of an uploaded zip; `ImageError` when it lists more than `MAX_ZIP_MEMBERS` files.

    The count (and the size of the listing, which a lying count cannot shrink) comes from the zip's
    end record, before Python parses a listing that may hold hundreds of thousands of entries.
    Folders and the copies macOS adds (`__MACOSX/`, `._name`) are left out without a word.
    """
    try:
        end = zipfile._EndRecData(io.BytesIO(data))  # the record ZipFile itself reads first
        declared = (end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]) if end else None
    except (AttributeError, OSError, struct.error):  # a future Python without it: ZipFile's own count below
        declared = None
    if declared and declared[0] > MAX_ZIP_MEMBERS:
        raise ImageError(_too_many_members(declared[0]))
    if declared and declared[1] > MAX_ZIP_MEMBERS * CENTRAL_RECORD_BYTES:  # its count says less than it holds
        raise ImageError(f"the zip's listing takes {declared[1] / MB:.1f} MB, more than {MAX_ZIP_MEMBERS:,} files "
                         f"need; a zip may hold up to {MAX_ZIP_MEMBERS:,}")
    archive = zipfile.ZipFile(io.BytesIO(data))
    listed = archive.infolist()
    if len(listed) > MAX_ZIP_MEMBERS:
        raise ImageError(_too_many_members(len(listed)))
    members = [info for info in listed if not info.is_dir() and not _is_mac_copy(info.filename)]
    return archive, members


def _too_many_members(count):
    return f"the zip lists {count:,} files; a zip may hold up to {MAX_ZIP_MEMBERS:,}"


def _is_mac_copy(path):
    return path.startswith("__MACOSX/") or _last_part(path).startswith("._")


def member_name(zip_name: str, member: str) -> str:
    """How a zip member is named to the visitor: the zip's name and the member's own file name, no folders.

    Hostile archives use `\\` as well as `/` between folders; both count as separators here.
    """
    return f"{zip_name}/{_last_part(member)}"


def read_zip(name: str, data: bytes, color: bool = False, max_pixels: int = WORKING_PIXELS, budget=None):
    """Each image in a zip, read in memory (nothing is extracted to disk) and decoded one at a time."""
    budget = budget or RequestBudget()
    try:
        archive, members = open_zip(data)
    except ImageError as error:
        yield Upload(name, error=str(error))
        return
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        yield Upload(name, error=f"not a readable zip file ({error})")
        return
    total = 0
    images = [info for info in members if info.filename.lower().endswith(IMAGE_SUFFIXES)]
    for info in members:
        if info not in images:
            reason = "a zip inside a zip is not opened" if info.filename.lower().endswith(".zip") else "not an image file"
            yield Upload(member_name(name, info.filename), error=reason)
    if not images:
        yield Upload(name, error=f"the zip holds no images ({', '.join(IMAGE_SUFFIXES[:-1])} or {IMAGE_SUFFIXES[-1]})")
        return
    for number, info in enumerate(images):
        if budget.full:
            yield Upload(name, error=f"only the first {number:,} of its {len(images):,} images were read: "
                                     f"one upload reads at most {budget.images:,} images")
            return
        label = member_name(name, info.filename)
        if info.file_size > MAX_FILE_BYTES or total + info.file_size > MAX_ZIP_TOTAL_BYTES:
            yield Upload(label, error="too large once decompressed")
            continue
        try:
            with archive.open(info) as member:
                content = member.read(MAX_FILE_BYTES + 1)  # sizes in the header can lie
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as error:
            yield Upload(label, error=f"could not be read from the zip ({error})")
            continue
        total += len(content)
        if len(content) > MAX_FILE_BYTES or total > MAX_ZIP_TOTAL_BYTES:
            yield Upload(label, error="too large once decompressed")
            continue
        yield decode_file(label, content, color, max_pixels, budget)


def _last_part(path: str) -> str:
    return re.split(r"[\\/]", path)[-1]


def safe_file_name(name: str) -> str:
    """A file name for a download made from visitor text: its last part, letters, digits, `.`, `-`, `_` and spaces."""
    cleaned = re.sub(r"[^\w .-]", "_", _last_part(str(name))).strip(" .")
    return cleaned[:100] or "image"


BLOCK_ROWS = 256  # rows of a big photo worked on at once where a whole-photo temporary would not do


def as_8_bit(image):
    """`image` as uint8: 8-bit input as it is, floating point taken as [0, 1] (clipped, rounded)."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    pixels = np.empty(image.shape, np.uint8)
    for start in range(0, max(1, len(image)), BLOCK_ROWS):  # a 12 MP photo's float temporaries at once were 290 MB
        rows = slice(start, start + BLOCK_ROWS)
        pixels[rows] = (np.clip(image[rows].astype(np.float32), 0, 1) * 255).round()
    return pixels


def _encoded(image, format, metadata=None, **options):
    pixels = np.asarray(image)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if metadata is not None:
        options.update({key: value for key, value in (("icc_profile", metadata.icc_profile),
                                                      ("exif", metadata.exif)) if value})
    deep = format == "PNG" and metadata is not None and metadata.bits == 16 and pixels.ndim == 2
    picture = Image.fromarray((np.clip(pixels.astype(np.float32), 0, 1) * 65535).round().astype(np.uint16)) if deep \
        else Image.fromarray(as_8_bit(pixels))
    buffer = io.BytesIO()
    picture.save(buffer, format=format, **options)
    return buffer.getvalue()


def to_png(image: np.ndarray, metadata: Metadata | None = None) -> bytes:
    """PNG bytes of an image in [0, 1] (H x W, or H x W x 1 or 3), with the upload's ICC profile and EXIF if given.

    A gray image whose upload was 16-bit (`metadata.bits`) is written at 16 bits.
    """
    return _encoded(image, "PNG", metadata)


def to_jpeg(image: np.ndarray, metadata: Metadata | None = None, quality: int = 95) -> bytes:
    """JPEG bytes (4:4:4, so the colour the denoiser cleaned is not subsampled again), with ICC profile and EXIF."""
    return _encoded(image, "JPEG", metadata, quality=quality, subsampling="4:4:4")


def to_zip(named_images) -> bytes:
    """A zip of PNGs from `(file name, image)` pairs; names are made safe (`safe_file_name`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file_name, image in named_images:
            archive.writestr(safe_file_name(file_name), to_png(image))
    return buffer.getvalue()
