"""A corpus of hostile and odd uploads, made in memory at test time (no binary files are committed).

`corpus()` returns `Case`s: a file name, its bytes, and what a correct reader does with it: decode
it to so many images, and report so many problems (each naming the file and the reason).
"""

import io
import random
import struct
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image


@dataclass
class Case:
    """One upload and the expected outcome: `images` decoded, `errors` reported, `reason` in each error."""

    name: str
    data: bytes
    images: int
    errors: int
    reason: str = ""


def encode(image, format, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def digit_image(size=28):
    pixels = np.zeros((size, size), np.uint8)
    pixels[size // 4 : 3 * size // 4, size // 2 - 2 : size // 2 + 2] = 255  # a "1"
    return Image.fromarray(pixels)


def png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_of_declared_size(width, height, rows_of_data):
    """A 1-bit grayscale PNG that declares `width` x `height` but carries only `rows_of_data` zero rows."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(rows_of_data)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def png_with_a_bar(width, height):
    """A 1-bit PNG of `width` x `height`, white with a black bar in the middle: a few kB however big it is."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row_bytes = (width + 7) // 8
    white = b"\x00" + b"\xff" * row_bytes
    bar = b"\x00" + b"\xff" * (row_bytes * 3 // 8) + b"\x00" * (row_bytes // 4) + b"\xff" * (row_bytes - row_bytes * 3 // 8 - row_bytes // 4)
    compressor = zlib.compressobj(9)
    rows = (bar if height // 4 <= y < 3 * height // 4 else white for y in range(height))
    data = b"".join(compressor.compress(row) for row in rows) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def zip_of(members, compression=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb(megabytes=300):
    """A small zip whose one member inflates to `megabytes` of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("bomb.png", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1 << 20)
            for _ in range(megabytes):
                member.write(chunk)
    return buffer.getvalue()


def zip_with_lying_header(inflated_megabytes=60):
    """A zip whose member header claims 100 bytes but whose data inflates to far more."""
    honest = zip_of([("liar.png", b"\x00" * (inflated_megabytes << 20))])
    claimed = struct.pack("<I", 100)
    # Local header: uncompressed size at offset 22; central directory entry: at offset 24.
    local = honest[:22] + claimed + honest[26:]
    central = local.rfind(b"PK\x01\x02")
    return local[: central + 24] + claimed + local[central + 28 :]


def corpus():
    rng = random.Random(0)
    png = encode(digit_image(), "PNG")
    jpeg = encode(digit_image().convert("RGB"), "JPEG")
    animated = io.BytesIO()
    frames = [digit_image(), Image.new("L", (28, 28), 128)]
    frames[0].save(animated, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    palette = Image.new("P", (28, 28), 0)
    palette.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    palette.paste(1, (12, 6, 16, 22))
    exif_image = Image.new("L", (40, 20), 255)
    exif_image.paste(0, (5, 5, 35, 8))
    exif = exif_image.getexif()
    exif[0x0112] = 6
    sixteen_bit = np.zeros((28, 28), np.uint16)
    sixteen_bit[7:21, 12:16] = 65535
    tiny = np.zeros((4, 4), np.uint8)
    tiny[1:3, 1:3] = 255  # a dot of ink, so each tiny file goes all the way through
    tiny_png = encode(Image.fromarray(tiny), "PNG")

    big = png_with_a_bar(4096, 4096)  # 16.8 megapixels in about 3 kB
    return [
        Case("empty.png", b"", 0, 1, "empty"),
        Case("random.png", bytes(rng.getrandbits(8) for _ in range(4096)), 0, 1, "not an image"),
        Case("notes.png", b"This is a text file, not a picture.\n" * 20, 0, 1, "not an image"),
        Case("truncated.png", png[: len(png) // 2], 0, 1, "damaged or truncated"),
        Case("truncated.jpg", jpeg[: len(jpeg) // 2], 0, 1, "damaged or truncated"),
        Case("bomb.png", png_of_declared_size(200_000, 200_000, 4), 0, 1, "pixels"),
        Case("huge_20000.png", png_of_declared_size(20_000, 20_000, 20_000), 0, 1, "pixels"),
        Case("too_big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (21 << 20), 0, 1, "the limit is 20 MB"),
        Case("animated.gif", animated.getvalue(), 1, 0),
        Case("sixteen_bit.png", encode(Image.fromarray(sixteen_bit), "PNG"), 1, 0),
        Case("cmyk.jpg", encode(digit_image().convert("CMYK"), "JPEG"), 1, 0),
        Case("palette_transparent.png", encode(palette, "PNG", transparency=0), 1, 0),
        Case("rotated.jpg", encode(exif_image, "JPEG", exif=exif.tobytes()), 1, 0),
        Case("actually_jpeg.png", jpeg, 1, 0),
        Case("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="5"/></svg>', 0, 1, "not an image"),
        Case("document.pdf", b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n", 0, 1, "not an image"),
        Case("blank.png", encode(Image.new("L", (28, 28), 255), "PNG"), 1, 0),
        Case("no_images.zip", zip_of([("readme.txt", b"hello"), ("data.csv", b"1,2")]), 0, 3, "no images"),
        Case("empty.zip", zip_of([]), 0, 1, "no images"),
        Case("corrupt.zip", b"PK\x03\x04" + bytes(rng.getrandbits(8) for _ in range(512)), 0, 1, "zip"),
        Case("bomb.zip", zip_bomb(), 0, 1, "too large"),
        Case("lying_header.zip", zip_with_lying_header(), 0, 1, "could not be read"),
        Case("traversal.zip", zip_of([("../../escape.png", png), ("/etc/absolute.png", png), ("ok.png", png)]), 3, 0),
        Case("ten_thousand.zip", zip_of([(f"tiny_{i:05d}.png", tiny_png) for i in range(10_000)],
                                        zipfile.ZIP_STORED), 1000, 1, "only the first 1,000"),
        Case("nested.zip", zip_of([("inner.zip", zip_of([("deep.png", png)])), ("top.png", png)]), 1, 1,
             "zip inside a zip"),
        Case("mixed.zip", zip_of([("good.png", png), ("bad.png", b"garbage"), ("cut.jpg", jpeg[:100])]), 1, 2,
             "bad.png"),
        # 20 x 16.8 megapixels in 60 kB: a request decodes 268 megapixels (16 of them), the rest are named.
        Case("big_blank_x20.zip", zip_of([(f"blank_{i:02d}.png", big) for i in range(20)]), 16, 4, "megapixels"),
        Case("backslashes.zip", zip_of([("..\\..\\windows\\[ok](javascript:alert(1)).png", png)]), 1, 0),
    ]
