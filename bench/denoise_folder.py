"""Speed and memory of `python -m aecore denoise MODEL INPUT_DIR OUTPUT_DIR`, run as a user runs it.

Two folders are written to a temporary directory: small images (the 10,000 MNIST test digits that
ship with aecore, 28 x 28 PNGs) for a digit model, and photos of a few megapixels (the colour
photos bundled with scikit-image and scikit-learn, resized, saved as JPEG quality 95) for the colour
photo model. Each folder is denoised by the command in a fresh process while this script samples
its memory; a second run over the same folder shows the cost of resuming when all is done.

    python bench/denoise_folder.py                          # 10,000 digits, 100 photos of 3 MP
    python bench/denoise_folder.py --small 2000 --photos 10 --megapixels 1
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SUMMARY = re.compile(r"denoised ([\d,]+) of ([\d,]+) images .* in ([\d.]+) s .*; ([\d,]+) failed")


def write_digits(folder, count):
    from aecore.datasets import load_dataset

    os.environ.setdefault("AECORE_OFFLINE", "1")
    digits = load_dataset("mnist").x_test[..., 0]
    folder.mkdir()
    for index in range(count):
        Image.fromarray((digits[index % len(digits)] * 255).round().astype(np.uint8)).save(folder / f"{index:05d}.png")
    return "28 x 28 PNG"


def sample_photos():
    """The colour photographs that scikit-image and scikit-learn ship, as RGB uint8 arrays."""
    import skimage.data
    from sklearn.datasets import load_sample_images

    names = ["astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry", "retina"]
    photos = [getattr(skimage.data, name)() for name in names]
    photos += list(load_sample_images().images)
    return [photo[..., :3] for photo in photos if photo.ndim == 3]


def write_photos(folder, count, megapixels):
    folder.mkdir()
    photos = sample_photos()
    for index in range(count):
        photo = Image.fromarray(photos[index % len(photos)])
        scale = (megapixels * 1e6 / (photo.width * photo.height)) ** 0.5
        size = (round(photo.width * scale), round(photo.height * scale))
        photo = photo.resize(size, Image.Resampling.LANCZOS)
        if index // len(photos) % 2:  # vary the set a little: every other round mirrored
            photo = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        photo.save(folder / f"{index:03d}.jpg", quality=95)
    return f"JPEG photos of {megapixels:g} MP (aspect as their source's)"


def memory_mb(pid):
    """(VmRSS, VmHWM) of a process in MB, or None once it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
        fields = dict(line.split(":", 1) for line in lines if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError):
        return None


def run_command(model, source, target, extra, workers):
    """Run the command; its summary numbers, wall seconds, and peak resident memory sampled every 20 ms."""
    command = [sys.executable, "-m", "aecore", "denoise", str(model), str(source), str(target), *extra]
    if workers:
        command += ["--workers", str(workers)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample():
        while process.poll() is None:
            reading = memory_mb(process.pid)
            if reading:
                peak[0] = max(peak[0], *reading)  # VmHWM: the kernel's own high-water mark
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    sampler.join()
    match = SUMMARY.search(stdout)
    if process.returncode != 0 or not match:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}): {stderr.strip().splitlines()[-1:]}")
    written, total, denoising, failed = (float(group.replace(",", "")) for group in match.groups())
    rate = written / denoising if denoising else 0.0
    return dict(written=int(written), total=int(total), rate=rate, failed=int(failed), wall=seconds, peak=peak[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000, help="number of 28 x 28 digit images")
    parser.add_argument("--photos", type=int, default=100)
    parser.add_argument("--megapixels", type=float, default=3.0)
    parser.add_argument("--digit-model", type=Path, default=ROOT / "pretrained" / "mnist_conv_gaussian0.4.keras")
    parser.add_argument("--photo-model", type=Path, default=ROOT / "pretrained" / "photo_color.keras")
    parser.add_argument("--workers", type=int, default=None, help="passed to the command (default: its own)")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory(prefix="aecore-bench-") as temporary:
        temporary = Path(temporary)
        cases = [("digits", args.small, write_digits, (), args.digit_model, ["--noise", "gaussian:0.4"]),
                 ("photos", args.photos, write_photos, (args.megapixels,), args.photo_model, [])]
        for label, count, write, write_args, model, extra in cases:
            if not count:
                continue
            kind = write(temporary / label, count, *write_args)
            for run in ("fresh", "resumed, all done"):
                result = run_command(model, temporary / label, temporary / f"{label}_out", extra, args.workers)
                rows.append((f"{count:,} {kind}", model.name, run, result))
                print(f"{label} {run}: {result}", file=sys.stderr)

    print(f"\n{os.cpu_count()} CPU cores; workers: {args.workers or 'the command default'}\n")
    print("| images | model | run | written | images/s (denoising) | wall s (with start-up) | peak RSS (MB) |")
    print("|---|---|---|---|---|---|---|")
    for images, model, run, result in rows:
        rate = f"{result['rate']:.3g}" if result["written"] else "-"
        print(f"| {images} | {model} | {run} | {result['written']:,} | {rate} | "
              f"{result['wall']:.1f} | {result['peak']:.0f} |")


if __name__ == "__main__":
    main()
