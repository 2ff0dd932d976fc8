"""Decoding uploads safely, MNIST-style preparation, and PNG / zip output."""

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from aecore import images
from aecore.images import (
    BLOCK_ROWS,
    MAX_PIXELS,
    MAX_ZIP_MEMBERS,
    ImageError,
    as_8_bit,
    declared_size,
    decode_file,
    load_image,
    prepare_digit,
    prepare_for_model,
    read_upload,
    survey,
    to_png,
    to_zip,
)


def encode(image, format="PNG", **options):
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


@pytest.fixture
def digit(mnist):
    # MNIST's second test image, a 2. The first, a thin 7, comes back from prepare_digit with a
    # correlation of 0.51 (a one-pixel shift costs thin strokes much), under this file's 0.7.
    return mnist.x_test[1, ..., 0]


def test_a_tall_float_image_becomes_8_bit_block_by_block_as_at_once():
    image = np.random.default_rng(0).uniform(-0.2, 1.2, (2 * BLOCK_ROWS + 37, 9, 3)).astype(np.float32)
    expected = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
    np.testing.assert_array_equal(as_8_bit(image), expected)
    np.testing.assert_array_equal(as_8_bit(image[..., 0].astype(np.float64)), expected[..., 0])
    assert as_8_bit(expected) is expected


def test_png_round_trip(digit):
    np.testing.assert_allclose(load_image(to_png(digit)), digit, atol=1 / 255)


def test_colour_jpeg_becomes_grayscale():
    rgb = Image.new("RGB", (40, 30), (255, 0, 0))
    gray = load_image(encode(rgb, "JPEG"))
    assert gray.shape == (30, 40) and gray.dtype == np.float32 and 0.25 < gray.mean() < 0.35


def test_exif_orientation_is_applied():
    image = Image.new("L", (40, 20), 0)
    exif = image.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    assert load_image(encode(image, "JPEG", exif=exif.tobytes())).shape == (40, 20)


def test_transparent_pixels_count_as_white_paper():
    rgba = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    rgba.putpixel((5, 5), (0, 0, 0, 255))
    gray = load_image(encode(rgba))
    assert gray[0, 0] == 1.0 and gray[5, 5] == 0.0


def test_sixteen_bit_png_is_scaled():
    pixels = np.full((8, 8), 65535, np.uint16)
    pixels[0, 0] = 0
    gray = load_image(encode(Image.fromarray(pixels)))
    assert gray[0, 0] == 0.0 and gray[1, 1] == 1.0


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"just some text", "not an image this app reads"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "not an image this app reads"),
        (b"%PDF-1.4\n%", "not an image this app reads"),
    ],
)
def test_unreadable_bytes_raise_image_error(data, message):
    with pytest.raises(ImageError, match=message):
        load_image(data)


def test_truncated_png_is_reported(digit):
    with pytest.raises(ImageError, match="damaged or truncated"):
        load_image(to_png(digit)[:60])


def test_huge_declared_size_is_refused_before_decoding():
    side = int(MAX_PIXELS**0.5) + 100
    data = encode(Image.new("1", (side, side)))  # a few kB of 1-bit PNG, too many pixels
    with pytest.raises(ImageError, match="megapixels"):
        load_image(data)


def test_a_jpeg_over_the_pixel_limit_is_read_at_a_reduced_scale():
    """A 63-megapixel camera JPEG is decoded at 1/2 scale (in draft mode) and shrunk, not refused."""
    from aecore.images import WORKING_PIXELS

    photo = Image.new("L", (9000, 7000), 200)
    photo.paste(20, (0, 0, 4500, 7000))  # left half dark
    pixels = load_image(encode(photo, "JPEG"))
    height, width = pixels.shape
    assert height * width <= WORKING_PIXELS and abs(width / height - 9000 / 7000) < 0.01
    assert abs(pixels[:, : width // 2 - 8].mean() - 20 / 255) < 0.02
    assert abs(pixels[:, width // 2 + 8 :].mean() - 200 / 255) < 0.02


def test_image_error_is_a_value_error():
    assert issubclass(ImageError, ValueError)


def test_prepare_digit_inverts_crops_and_centres(digit):
    page = np.ones((120, 200), np.float32)
    big = np.asarray(Image.fromarray(digit).resize((84, 84)))
    page[10:94, 100:184] = 1 - big
    prepared = prepare_digit(page)
    assert prepared.shape == (28, 28) and prepared.max() == pytest.approx(1.0, abs=0.05)
    rows, cols = np.nonzero(prepared > 0.2)
    assert max(rows.max() - rows.min(), cols.max() - cols.min()) <= 20
    centre_of_mass = np.average(np.indices(prepared.shape).reshape(2, -1), axis=1, weights=prepared.ravel())
    np.testing.assert_allclose(centre_of_mass, [13.5, 13.5], atol=1.0)
    assert np.corrcoef(prepared.ravel(), digit.ravel())[0, 1] > 0.7


def test_blank_picture_has_no_ink():
    with pytest.raises(ImageError, match="no ink"):
        prepare_digit(np.ones((50, 50), np.float32))


def test_prepare_for_model_shapes():
    gray = np.zeros((50, 30), np.float32)
    gray[10:40, 10:20] = 1
    assert prepare_for_model(gray, (28, 28, 1)).shape == (28, 28, 1)
    assert prepare_for_model(gray, (8, 8, 1)).shape == (8, 8, 1)
    assert prepare_for_model(gray, (32, 32, 3), digit_style=False).shape == (32, 32, 3)


def test_zip_with_good_and_bad_members(digit):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("good.png", to_png(digit))
        archive.writestr("bad.png", b"not a png")
        archive.writestr("notes.txt", b"hello")
        archive.writestr("inner.zip", b"PK")
    uploads = read_upload("batch.zip", buffer.getvalue())
    by_name = {upload.name: upload for upload in uploads}
    assert by_name["batch.zip/good.png"].image.shape == (28, 28)
    assert "not an image this app reads" in by_name["batch.zip/bad.png"].error
    assert by_name["batch.zip/notes.txt"].error == "not an image file"
    assert "zip inside a zip" in by_name["batch.zip/inner.zip"].error


def zip_of(names, content=b""):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, content)
    return buffer.getvalue()


def test_a_zip_listing_too_many_files_is_refused_in_one_line_from_its_end_record():
    data = zip_of(f"note_{number}.txt" for number in range(MAX_ZIP_MEMBERS + 1))
    (refused,) = read_upload("many.zip", data)
    assert refused.name == "many.zip" and refused.error == "the zip lists 20,001 files; a zip may hold up to 20,000"
    assert survey([("many.zip", data)]) == (0, 0)
    # an end record that claims 1 file: the listing itself is counted once parsed
    end = data.rindex(b"PK\x05\x06")
    lying = data[:end + 8] + (1).to_bytes(2, "little") * 2 + data[end + 12:]
    assert [upload.error for upload in read_upload("lying.zip", lying)] == [refused.error]
    most = zip_of(f"n{number}.txt" for number in range(MAX_ZIP_MEMBERS))
    assert len(list(read_upload("fine.zip", most))) == MAX_ZIP_MEMBERS + 1  # each named, then "holds no images"


def test_a_zip_whose_listing_is_bigger_than_its_count_says_is_refused_by_the_listing_size(monkeypatch):
    data = zip_of(f"note_{number}.txt" for number in range(40))
    end = data.rindex(b"PK\x05\x06")
    lying = data[:end + 8] + (1).to_bytes(2, "little") * 2 + data[end + 12:]  # says 1 file; its listing holds 40
    monkeypatch.setattr(images, "CENTRAL_RECORD_BYTES", 0.001)  # a listing of 40 entries counts as over the cap
    (refused,) = read_upload("lying.zip", lying)
    assert refused.name == "lying.zip"
    assert refused.error.startswith("the zip's listing takes 0.0 MB, more than 20,000 files need")
    assert refused.error.endswith("a zip may hold up to 20,000")


def test_the_copies_macos_adds_to_a_zip_are_left_out_without_a_word(digit):
    data = zip_of(["photos/a.png", "__MACOSX/photos/._a.png", "photos/._b.png"], to_png(digit))
    assert [(upload.name, upload.error) for upload in read_upload("mac.zip", data)] == [("mac.zip/a.png", None)]
    assert survey([("mac.zip", data)])[0] == 1


def test_empty_and_corrupt_zips_are_reported():
    assert "holds no images" in next(read_upload("empty.zip", to_zip([]))).error
    assert "not a readable zip" in next(read_upload("broken.zip", b"PK\x03\x04garbage")).error


def test_single_bad_file_is_an_upload_with_error():
    (upload,) = read_upload("x.png", b"\x89PNG broken")
    assert upload.image is None and upload.error


def test_to_zip_holds_pngs(digit):
    data = to_zip([("a.png", digit), ("b.png", digit[..., np.newaxis])])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["a.png", "b.png"]
        assert load_image(archive.read("b.png")).shape == (28, 28)


@pytest.mark.parametrize("format", ["AVIF", "HEIF"])
def test_phone_formats_decode_in_colour(format):
    y, x = np.mgrid[0:40, 0:60]
    rgb = np.stack([x * 4, y * 6, np.full_like(x, 128)], -1).astype(np.uint8)
    image = load_image(encode(Image.fromarray(rgb), format, quality=95), color=True)
    assert image.shape == (40, 60, 3) and image.dtype == np.float32
    assert np.abs(image * 255 - rgb).mean() < 6


def test_colour_decoding_keeps_colour_orientation_and_shrinks_big_images():
    rgb = np.zeros((30, 80, 3), np.uint8)
    rgb[..., 0] = 255
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned; upright it is 80 high and 30 wide
    image = load_image(encode(Image.fromarray(rgb), "JPEG", exif=exif, quality=95), color=True)
    assert image.shape == (80, 30, 3) and image[..., 0].mean() > 0.9 and image[..., 2].mean() < 0.1
    small = load_image(encode(Image.fromarray(rgb), "PNG"), color=True, max_pixels=600)
    assert small.shape[0] * small.shape[1] <= 600 and abs(small.shape[1] / small.shape[0] - 80 / 30) < 0.2


def test_pixels_that_are_not_numbers_are_refused():
    pixels = np.full((8, 8), np.nan, np.float32)
    with pytest.raises(ImageError, match="not finite"):
        load_image(encode(Image.fromarray(pixels, "F"), "TIFF"))


def test_an_image_over_the_working_size_is_scaled_down_with_a_note():
    big = encode(Image.new("RGB", (300, 200), (10, 200, 30)), "PNG")
    [item] = read_upload("big.png", big, color=True, max_pixels=6000)
    assert item.error is None and item.image.shape[0] * item.image.shape[1] <= 6000
    assert item.note.startswith("scaled down from 300 x 200 to 94 x 63 pixels")
    [same] = read_upload("big.png", big, color=True)
    assert same.note is None and same.image.shape == (200, 300, 3)


@pytest.mark.parametrize("format, options, subsampled", [
    ("JPEG", {"subsampling": 2}, True), ("JPEG", {"subsampling": 1}, True), ("JPEG", {"subsampling": 0}, False),
    ("HEIF", {}, True), ("HEIF", {"chroma": 444}, False), ("PNG", {}, False)])
def test_uploads_say_whether_their_colour_is_stored_at_half_resolution(format, options, subsampled):
    from aecore.images import chroma_subsampled, decode_file

    rgb = (np.random.default_rng(0).random((32, 48, 3)) * 255).astype(np.uint8)
    data = encode(Image.fromarray(rgb), format, **options)
    assert chroma_subsampled(data) is subsampled
    assert decode_file("photo", data, color=True).subsampled is subsampled
    assert decode_file("photo", data, color=False).subsampled is False  # digit models see gray copies
    assert chroma_subsampled(b"not an image") is False


def test_a_canvas_drawing_becomes_ink_on_white_paper():
    from aecore.images import canvas_to_gray

    rgba = np.zeros((4, 4, 4), np.uint8)  # transparent: not drawn on
    rgba[1, 2] = (0, 0, 0, 255)  # one black stroke pixel
    rgba[2, 2] = (0, 0, 0, 128)  # the stroke's soft edge
    gray = canvas_to_gray(rgba)
    assert gray[0, 0] == 1.0 and gray[1, 2] == 0.0 and 0.45 < gray[2, 2] < 0.55


def exif_jpeg(size=(60, 40), orientation=6, gps=True):
    from PIL import ImageCms

    exif = Image.Exif()
    exif[0x0112], exif[0x010F], exif[0x0132] = orientation, "Phonemaker", "2026:12:01 10:00:00"
    if gps:
        exif[0x8825] = {1: "N", 2: (52.0, 30.0, 0.0)}
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(
        buffer, "JPEG", exif=exif, icc_profile=icc)
    return buffer.getvalue(), icc


@pytest.mark.parametrize("encode", ["png", "jpeg"])
def test_results_keep_the_icc_profile_and_exif_upright_and_without_gps(encode):
    from aecore.images import read_metadata, to_jpeg

    data, icc = exif_jpeg()
    upload = decode_file("phone.jpg", data, color=True)
    assert upload.image.shape == (60, 40, 3)  # turned upright by the orientation tag
    written = (to_png if encode == "png" else to_jpeg)(upload.image, upload.metadata)
    with Image.open(io.BytesIO(written)) as result:
        exif = result.getexif()
        assert result.size == (40, 60) and result.info.get("icc_profile") == icc
        assert exif.get(0x0112) == 1 and exif.get(0x010F) == "Phonemaker" and 0x8825 not in exif
    with Image.open(io.BytesIO(to_png(upload.image, read_metadata(data, keep_gps=True)))) as kept:
        assert 0x8825 in kept.getexif()


def test_metadata_of_a_file_without_any_is_empty_and_a_broken_file_gives_none():
    from aecore.images import Metadata, read_metadata

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG")
    assert read_metadata(buffer.getvalue()) == Metadata()
    assert read_metadata(b"not an image") == Metadata()


def display_p3_profile():
    """A Display P3 ICC profile (matrix and gamma 2.2 curves, v2), built here: no profile ships with the test machines."""
    import struct

    def s15(value):
        return struct.pack(">i", round(value * 65536))

    def xyz(x, y, z):
        return b"XYZ " + bytes(4) + s15(x) + s15(y) + s15(z)

    description = b"Display P3"
    tags = [(b"desc", b"desc" + bytes(4) + struct.pack(">I", len(description) + 1) + description + bytes(1 + 4 + 4 + 2 + 1 + 67)),
            (b"wtpt", xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", xyz(0.5151, 0.2412, -0.0011)),
            (b"gXYZ", xyz(0.2920, 0.6922, 0.0419)), (b"bXYZ", xyz(0.1571, 0.0666, 0.7841)),
            (b"rTRC", b"curv" + bytes(4) + struct.pack(">IH", 1, 563) + bytes(2)),
            (b"cprt", b"text" + bytes(4) + b"No copyright, test profile\x00")]
    tags += [(b"gTRC", tags[5][1]), (b"bTRC", tags[5][1])]
    offset, table, data = 128 + 4 + 12 * len(tags), b"", b""
    for signature, body in tags:
        body += bytes(-len(body) % 4)
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = (struct.pack(">I", size) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ " + bytes(12) + b"acsp"
              + bytes(24) + struct.pack(">I", 0) + s15(0.9642) + s15(1.0) + s15(0.8249) + bytes(48))
    return header + struct.pack(">I", len(tags)) + table + data


def test_the_display_p3_test_profile_is_one_littlecms_reads():
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(io.BytesIO(display_p3_profile()))
    assert ImageCms.getProfileDescription(profile).strip() == "Display P3"


def test_a_display_p3_heic_keeps_its_profile_and_exif():
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x010F] = "Phonemaker"
    data = encode(Image.new("RGB", (32, 24), (200, 40, 40)), "HEIF", icc_profile=display_p3_profile(), exif=exif,
                  quality=90)
    upload = decode_file("IMG_0001.HEIC", data, color=True)
    assert upload.subsampled and upload.metadata.icc_profile == display_p3_profile()
    with Image.open(io.BytesIO(to_png(upload.image, upload.metadata))) as result:
        assert result.info["icc_profile"] == display_p3_profile() and result.getexif()[0x010F] == "Phonemaker"


def test_survey_counts_images_and_their_declared_pixels_in_files_and_zips_without_decoding():
    from aecore.images import survey

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for index in range(3):
            zipped.writestr(f"photos/{index}.png", encode(Image.new("RGB", (40, 30))))
        zipped.writestr("notes.txt", "not an image")
    single = encode(Image.new("RGB", (100, 50)), "JPEG")
    assert survey([("a.zip", archive.getvalue()), ("b.jpg", single)]) == (4, 3 * 1200 + 5000)
    assert survey([("broken.zip", b"PK\x03\x04 not really")]) == (0, 0)
    assert survey([("odd.png", b"not an image")]) == (1, 0)
    # as they will be decoded: each image scaled down to at most max_pixels
    assert survey([("a.zip", archive.getvalue()), ("b.jpg", single)], max_pixels=2000) == (4, 3 * 1200 + 2000)


def test_a_16_bit_gray_upload_comes_back_at_16_bits():
    ramp = (np.linspace(0, 65535, 64 * 32).reshape(32, 64)).astype(np.uint16)
    data = encode(Image.fromarray(ramp))
    upload = decode_file("scan.png", data, color=True)
    assert upload.metadata.bits == 16
    gray = upload.image[..., :1]
    with Image.open(io.BytesIO(to_png(gray, upload.metadata))) as result:
        assert result.mode.startswith("I") and result.size == (64, 32)
        np.testing.assert_array_equal(np.asarray(result).astype(np.uint16), ramp)
    with Image.open(io.BytesIO(to_png(gray))) as eight_bit:
        assert eight_bit.mode == "L"


def test_a_pngs_size_is_read_from_its_header_without_decoding_its_pixels(monkeypatch):
    """Pillow decodes a whole PNG to look for EXIF after its pixels: 2 s of a visitor's thread for 50 megapixels."""
    from PIL import PngImagePlugin

    plain_png, turned_png = io.BytesIO(), io.BytesIO()
    Image.new("RGB", (40, 30)).save(plain_png, "PNG")
    exif = Image.Exif()
    exif[0x0112] = 6  # turned a quarter: shown 30 x 40
    Image.new("RGB", (40, 30)).save(turned_png, "PNG", exif=exif)

    def no_decoding(self):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", no_decoding)
    assert declared_size(plain_png.getvalue()) == (40, 30)
    assert declared_size(turned_png.getvalue()) == (30, 40)  # its EXIF came before the pixels
