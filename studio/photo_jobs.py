"""The Denoise page's batch job: many photos (a zip, many files) denoised one at a time in the background.

An upload with more photos than one page view holds (`studio.limits.PhotoLimits`) becomes a job
instead of being cut short: a thread reads one photo at a time, denoises it (taking a slot of the
server's photo denoising like a page view does), appends the PNG to a zip on disk and keeps only a
thumbnail, so memory stays at about one photo whatever the number. Photos are read under a request's
caps on images, but not on the pixels of them all together: those bound what one page view holds at
once, and a job holds one photo at a time. The job belongs to the visitor (`studio.visitors`), so a page
switch or a reload finds it again; it stops at the next photo when asked, and lets go of the uploaded
bytes when it ends.
"""

from __future__ import annotations

import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from aecore import release_freed_memory

THUMBNAIL_SIDE = 240


@dataclass
class Finished:
    """One photo the job denoised: its name, a thumbnail of the result, and the noise removed."""

    name: str
    thumbnail: object  # uint8 H x W (x 3), at most THUMBNAIL_SIDE on its long side
    removed: tuple  # (luminance, colour) sigma, 0-255 scale
    megapixels: float


@dataclass
class PhotoJob:
    """Denoise every photo of `files` with `model` into the zip at `path`; start it with `start()`."""

    files: list  # (name, bytes) as uploaded; emptied when the job ends
    model: object
    model_name: str
    path: Path
    total: int  # photos found by `aecore.images.survey` (a job may find fewer readable ones)
    slots: threading.BoundedSemaphore
    photo_pixels: int
    key: tuple = ()  # what the job was started for (uploads and settings): the page starts no second one
    megapixels: float = 0.0  # of all the photos, as they will be denoised (`aecore.images.survey`); 0: unknown
    finished: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # "name: reason", as plain text
    status: str = "waiting"  # waiting, running, stopping, stopped, done, failed
    current: str | None = None
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self):
        threading.Thread(target=self.run, name="aestudio-photo-job", daemon=True).start()
        return self

    def stop(self):
        if not self.over:
            self.status = "stopping"
        self.stop_event.set()

    @property
    def over(self):
        return self.status in ("stopped", "done", "failed")

    @property
    def seconds(self):
        return (self.ended or time.monotonic()) - self.started

    def progress_line(self):
        """Photo k of n, megapixels a second and the time left, or how the job ended."""
        done, megapixels = len(self.finished), sum(item.megapixels for item in self.finished)
        handled = done + len(self.problems)
        rate = megapixels / self.seconds if self.seconds > 0 and megapixels else 0.0
        line = f"{done} of {self.total} photos denoised"
        if self.problems:
            line += f" · {len(self.problems)} refused (named below)"
        if self.over:
            return f"{line} · {self.status} after {self.seconds:.0f} s"
        line += f" · {rate:.2f} megapixels/s" if rate else ""
        if done and handled < self.total:  # by megapixels where known: a zip may mix small and big photos
            left = ((self.megapixels - megapixels) / rate if self.megapixels > megapixels and rate
                    else self.seconds / handled * (self.total - handled))
            line += f" · about {left:.0f} s left"
        return line + (f" · now: {self.current}" if self.current else "")

    def zip_bytes(self):
        """The zip of what is done so far (empty bytes before the first photo)."""
        with self.lock:
            return self.path.read_bytes() if self.path.is_file() else b""

    def run(self):
        from aecore.denoise import denoise
        from aecore.figures import fit_for_display
        from aecore.images import RequestBudget, read_upload, safe_file_name, to_png

        try:
            self.status = "running"
            budget = RequestBudget(pixels=sys.maxsize)  # one photo at a time: their sum costs time, not memory
            for name, data in self.files:
                for item in read_upload(name, data, color=True, max_pixels=self.photo_pixels, budget=budget):
                    if self.stop_event.is_set():
                        return
                    if item.error:
                        self.problems.append(f"{item.name}: {item.error}")
                        continue
                    self.current = item.name
                    with self.slots:  # one of the server's photo denoising slots, as a page view takes
                        result = denoise(self.model, item.image)
                    stem = safe_file_name(item.name).rsplit(".", 1)[0]
                    number = len(self.finished) + 1
                    with self.lock, zipfile.ZipFile(self.path, "a") as archive:
                        archive.writestr(f"{number:03d}_{stem}_denoised.png", to_png(result.output, item.metadata))
                    height, width = result.output.shape[:2]
                    self.finished.append(Finished(item.name, fit_for_display(result.output, THUMBNAIL_SIDE),
                                                  result.removed, height * width / 1e6))
                    del result, item  # one photo in memory at a time
        except Exception as error:  # noqa: BLE001 - shown on the page as text; the photos done stay downloadable
            self.problems.append(f"the job stopped: {error}")
            self.status = "failed"
        finally:
            self.current, self.ended = None, time.monotonic()
            self.files = []  # the upload's bytes (up to 50 MB); the visitor keeps the job, not them
            release_freed_memory()
            if self.status != "failed":
                self.status = "stopped" if self.stop_event.is_set() else "done"
