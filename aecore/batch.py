"""Denoising a whole folder of images: `python -m aecore denoise MODEL INPUT_DIR OUTPUT_DIR`.

Files stream through three overlapping stages: reader threads read, decode and prepare images
(`aecore.denoise.prepare`), the calling thread runs the model (`aecore.denoise.run_prepared`:
digit models on batches, photo models one photo at a time), and writer threads encode and write
PNGs. Only a fixed number of images is in flight, so memory stays bounded whatever the folder
holds. An output that exists already is skipped, so an interrupted run picks up where it stopped;
each PNG is written under a hidden temporary name and renamed, so a half-written file never counts
as done. A file that fails is reported by name and the rest go on.
"""

import collections
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from aecore.denoise import blend, is_photo_model, prepare, run_prepared
from aecore.images import IMAGE_SUFFIXES, MAX_FILE_BYTES, ImageError, decode_file, read_metadata, to_png

DIGIT_BATCH = 256  # small images per model call (one eager call; see Autoencoder.EAGER_UP_TO)


def default_workers():
    return max(2, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class Task:
    """One image file to denoise: where it is, where its PNG goes, and its name relative to the input folder."""

    source: Path
    target: Path
    name: str


@dataclass
class FolderReport:
    """How a folder run went; `on_progress` receives it as it fills in, and `denoise_folder` returns it."""

    total: int = 0  # image files to denoise in this run (those already done not counted)
    written: int = 0
    skipped: int = 0  # outputs that existed already
    ignored: int = 0  # files that are not images by their suffix
    failures: list = field(default_factory=list)  # (name, reason)
    seconds: float = 0.0

    @property
    def finished(self):
        return self.written + len(self.failures)

    @property
    def images_per_second(self):
        return self.finished / self.seconds if self.seconds else 0.0


def plan(input_dir, output_dir, overwrite=False):
    """The tasks of a folder run, in name order, and a report counting what is skipped and ignored.

    Subfolders are mirrored in `output_dir`; hidden files and folders, and `output_dir` itself when
    it lies inside `input_dir`, are left out. Each output is the input's path with `.png` for its
    suffix, or with `.png` added when two inputs would share a name (`a.jpg` beside `a.png`).
    """
    input_dir, output_dir = Path(input_dir), Path(output_dir)
    if not input_dir.is_dir():
        raise FileNotFoundError(f"no input folder at {input_dir}")
    if output_dir.exists() and not output_dir.is_dir():
        raise ValueError(f"{output_dir} is a file; give a folder for the outputs")
    if output_dir.resolve() == input_dir.resolve():
        raise ValueError("the output folder must not be the input folder")
    skip_dir = output_dir.resolve()
    report, tasks, targets = FolderReport(), [], set()
    for folder, subfolders, files in os.walk(input_dir):
        subfolders[:] = sorted(name for name in subfolders
                               if not name.startswith(".") and (Path(folder) / name).resolve() != skip_dir)
        for file_name in sorted(name for name in files if not name.startswith(".")):
            source = Path(folder) / file_name
            if not file_name.lower().endswith(IMAGE_SUFFIXES):
                report.ignored += 1
                continue
            relative = source.relative_to(input_dir)
            target = output_dir / relative.with_suffix(".png")
            if target in targets:
                target = output_dir / relative.with_name(relative.name + ".png")
            targets.add(target)
            if target.exists() and not overwrite:
                report.skipped += 1
            else:
                tasks.append(Task(source, target, relative.as_posix()))
    report.total = len(tasks)
    return tasks, report


def read_and_prepare(task, model, color, options, keep_gps=False):
    """Read, decode and prepare one file for `model`; `(Prepared, note or None, Metadata or None)`.

    Raises `ValueError` or `OSError`.
    """
    size = task.source.stat().st_size
    if size > MAX_FILE_BYTES:  # refused before it is read, so one huge file cannot fill the memory
        raise ImageError(f"the file is {size / 2**20:.1f} MB; the limit is {MAX_FILE_BYTES / 2**20:.0f} MB")
    data = task.source.read_bytes()
    item = decode_file(task.name, data, color=color)
    if item.error:
        raise ImageError(item.error)
    return prepare(model, item.image, **options), item.note, read_metadata(data, keep_gps) if color else None


def write_png(target, image, metadata=None):
    """`image` as a PNG at `target` (with the input's `Metadata`), through a hidden temporary file renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_bytes(to_png(image, metadata))
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def reason(error):
    return str(error) or type(error).__name__


def denoise_folder(model, input_dir, output_dir, noise=None, seed=0, digit_style=True,
                   ensemble=False, overwrite=False, workers=None, batch_size=DIGIT_BATCH, on_progress=None,
                   on_failure=None, on_note=None, every_seconds=0.25, strength=1.0, colour_strength=None,
                   keep_gps=False):
    """Denoise every image under `input_dir` into PNGs under `output_dir`; returns a `FolderReport`.

    Args:
        model: an image model, as for `aecore.denoise.denoise`.
        input_dir, output_dir: folders; `output_dir` is created (see `plan` for the names).
        noise, seed, digit_style, ensemble: as for `aecore.denoise.denoise`, the same
            for every file (so each output equals what one `denoise` call on that file gives).
        overwrite: denoise files whose output exists too, instead of skipping them.
        workers: reader threads, and as many writer threads (default: 2-4, by the CPU count).
        batch_size: digit models: images per model call (photo models take one photo at a time).
        on_progress: called with the `FolderReport` at most every `every_seconds` and at the end.
        on_failure: called with `(name, reason)` when a file fails; the run goes on.
        on_note: called with `(name, note)` for a file scaled down or turned gray.
        strength, colour_strength: photo models: how much of the removed noise is taken away
            (`aecore.denoise.blend`).
        keep_gps: photo models: keep the GPS position in the EXIF written with each PNG.

    An interrupt (Ctrl-C) lets the writes under way finish; what they wrote counts as done next time.
    """
    if len(getattr(model, "example_shape", ())) != 3:
        raise ValueError(f"the model takes vectors of shape {model.example_shape}, not images")
    options = dict(noise=noise, seed=seed, digit_style=digit_style)
    prepare(model, _blank(model), **{**options, "digit_style": False})  # a bad setting fails once, here
    tasks, report = plan(input_dir, output_dir, overwrite)
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    photo = is_photo_model(model)
    workers = workers or default_workers()
    batch = 1 if photo else batch_size
    window = workers + 1 if photo else 2 * batch  # images read ahead of the model: this bounds the memory
    started = last_sent = time.perf_counter()

    def fail(task, error):
        report.failures.append((task.name, reason(error)))
        if on_failure:
            on_failure(task.name, reason(error))

    def send(force=False):
        nonlocal last_sent
        report.seconds = time.perf_counter() - started
        if on_progress and (force or report.seconds - last_sent >= every_seconds):
            on_progress(report)
            last_sent = report.seconds

    def collect(writing, keep):
        """Count the writes that are done, waiting for the oldest while more than `keep` are under way."""
        while len(writing) > keep or (writing and writing[0][1].done()):
            task, future = writing.popleft()
            try:
                future.result()
                report.written += 1
            except Exception as error:  # noqa: BLE001 - a disk error on one file, reported by name
                fail(task, error)
            send()

    readers, writers = ThreadPoolExecutor(workers, "aecore-read"), ThreadPoolExecutor(workers, "aecore-write")
    reading, writing, group, pending = collections.deque(), collections.deque(), [], iter(tasks)
    try:
        while True:
            while len(reading) < window and (task := next(pending, None)) is not None:
                reading.append((task, readers.submit(read_and_prepare, task, model, photo, options, keep_gps)))
            if not reading and not group:
                break
            if reading:
                task, future = reading.popleft()
                try:
                    prepared, note, metadata = future.result()
                except Exception as error:  # noqa: BLE001 - whatever goes wrong with one file is that file's
                    fail(task, error)
                else:
                    group.append((task, prepared, metadata))
                    for text in filter(None, [note, *prepared.notes]):
                        if on_note:
                            on_note(task.name, text)
            if group and (len(group) == batch or not reading):
                try:
                    results = run_prepared(model, [prepared for _, prepared, _ in group], ensemble=ensemble)
                except Exception as error:  # noqa: BLE001 - one bad batch; the next may go through
                    for task, _, _ in group:
                        fail(task, error)
                else:
                    for (task, _, metadata), result in zip(group, results):
                        output = blend(result.noisy, result.output, strength, colour_strength) if photo else result.output
                        writing.append((task, writers.submit(write_png, task.target, output, metadata)))
                group = []
            collect(writing, keep=window)
            send()
        collect(writing, keep=0)
    finally:  # on an interrupt: no new reads, and the writes under way end (each is atomic)
        readers.shutdown(wait=True, cancel_futures=True)
        writers.shutdown(wait=True)
        report.written += sum(1 for _, future in writing if future.exception() is None)
    send(force=True)
    return report


def _blank(model):
    """A small mid-gray image the model takes: a dry run of the settings before any file is read."""
    import numpy as np

    channels = model.example_shape[-1]
    return np.full((8, 8, 3) if channels == 3 else (8, 8), 0.5, np.float32)
