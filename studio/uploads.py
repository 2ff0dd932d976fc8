"""The one upload path of every page that takes files: the uploader, the read loop, and what went wrong.

A request's files and zips are read one image at a time under one `aecore.images.RequestBudget`,
whatever the page, so the per-request caps hold everywhere. Each file or zip member that cannot be
used becomes a line in `Reading.problems`: visitor file names are shown as plain text, never as
Markdown, HTML or an image box. The limits the visitor reads come from the constants in
`aecore.images`; the uploader's own "MB per file" is the same number, in the browser's megabytes.
"""

import hashlib

import streamlit as st

from aecore import images
from aecore.images import MB, RequestBudget, read_upload
from studio.text import plain

# A page whose model sees small images (28 x 28 digits) reads a megapixel copy of each upload: plenty to
# judge and prepare it, and a big upload is shrunk as it is decoded (a JPEG at a reduced scale), so the
# page's own thread, which shares the CPU with other visitors, never works on the full picture.
DIGIT_PIXELS = 1 << 20
SHOWN_PROBLEMS = 24  # problems listed one by one; the rest are counted
_FORMAT_NAMES = {"WEBP": "WebP", "HEIF": "HEIC"}  # how people know these formats


def limits_in_words():
    """What one upload may hold, from `aecore.images`: formats, sizes and the per-request caps."""
    formats = ", ".join(_FORMAT_NAMES.get(name, name) for name in images.FORMATS)
    return (f"{formats}; up to {images.MAX_UPLOAD_BYTES // MB} MB a file or zip and "
            f"{images.MAX_FILE_BYTES / 2**20:.0f} MB an image; one upload reads at most "
            f"{images.MAX_REQUEST_IMAGES:,} images and {images.REQUEST_PIXELS / 1e6:.0f} megapixels")


def uploader(container, label, key, multiple=True, note=None):
    """The file uploader, with the limits as help; returns the uploaded files as a list (maybe empty).

    `max_upload_size` makes the uploader's own "MB per file" the app's limit: the browser refuses a
    bigger file with a message beside its name, and a file it lets through over the limit (browsers
    on Windows count a megabyte as 2^20 bytes) is named in `Reading.problems`. No `type=` filter:
    files are judged by their content in `aecore.images`, and anything unusable is reported by name.
    """
    uploaded = container.file_uploader(label, accept_multiple_files=multiple, key=key,
                                       max_upload_size=images.MAX_UPLOAD_BYTES // MB,
                                       help=limits_in_words() + (f". {note}" if note else ""))
    if uploaded is None:
        return []
    return list(uploaded) if multiple else [uploaded]


class Reading:
    """The images of one request's uploaded files, read one at a time under one `RequestBudget`.

    Iterating yields each usable image as an `aecore.images.Upload`; each failure, and each image
    over the budget, goes to `problems` as "name: reason" instead. A page adds its own refusals
    with `refuse`, and draws them all with `show_problems`.
    """

    def __init__(self, uploads, color=False, max_pixels=images.WORKING_PIXELS, request_pixels=None):
        """`uploads`: Streamlit's uploaded files or `(name, bytes)` pairs; `request_pixels` lowers the pixel cap."""
        self.files = [(upload.name, upload.getvalue()) if hasattr(upload, "getvalue") else tuple(upload)
                      for upload in uploads]
        self.color, self.max_pixels = color, max_pixels
        self.budget = RequestBudget()
        if request_pixels is not None:
            self.budget.pixels = min(self.budget.pixels, request_pixels)
        self.problems = []

    def __iter__(self):
        for _, _, item in self.keyed():
            yield item

    def keyed(self):
        """Each usable image as `(source, index, Upload)`: a digest of its file's bytes and its place in the file.

        The pair identifies an image across reruns (for a page that keeps results), whatever its name.
        """
        for name, data in self.files:
            source = hashlib.sha1(data).hexdigest()
            for index, item in enumerate(read_upload(name, data, self.color, self.max_pixels, self.budget)):
                if item.error:
                    self.refuse(item.name, item.error)
                else:
                    yield source, index, item

    def first(self):
        """The first usable image (a query page takes one), or `None`; nothing after it is read."""
        return next(iter(self), None)

    def refuse(self, name, reason):
        """Count the image `name` as not used, for `reason`."""
        self.problems.append(f"{name}: {reason}")

    def show_problems(self, container=st, shown=SHOWN_PROBLEMS):
        show_problems(self.problems, container, shown)


def show_problems(problems, container=st, shown=SHOWN_PROBLEMS, **options):
    """Each "name: reason" as a warning of plain text (names escaped), the first `shown` of them, then a count."""
    for problem in problems[:shown]:
        container.warning(plain(problem), **options)
    if len(problems) > shown:
        container.warning(f"… and {len(problems) - shown:,} more files that could not be used.", **options)
