"""Photo denoising on camera-like noise: what phones and cameras make, on held-out photos.

The photos are bench/photo_denoise.py's colour test set (none of them ever trains a model),
centre-cropped to `--crop` pixels. Each gets, seeded:

- camera noise at three levels (aecore.degrade.CAMERA_LEVELS: shot noise 0.0005 / 0.001 / 0.002 in
  linear light, read noise on Brooks et al.'s line, a random camera, through a Bayer mosaic), saved
  as an 8-bit PNG, as a JPEG of quality 90 at 4:4:4 and at 4:2:0 (what phones write);
- luminance noise: one Gaussian draw of sigma 20 added to all three channels, 8-bit PNG;
- a gray photo (the colour one turned gray by luma, stored as RGB) with gray noise of sigma 25, 8-bit.

Methods: the noisy input; each model given with --model NAME=PATH through `aecore.denoise.denoise`
(the path the page and the CLI take: bfloat16 where the CPU has it, gray pictures to the shipped
gray model); CBM3D given the best sigma of a sweep around the true noise level (an oracle: a user
does not know it); OpenCV's coloured NL-means with the best h of a sweep; for the JPEGs, the clean photo
through the same JPEG (what the compression alone costs). Classical results are
cached in bench/results/photo_real_classical.json.

    python bench/photo_real.py --model new=pretrained/photo_color.keras
    python bench/photo_real.py --model old=old/photo_color.keras --model jpeg=old/photo_color_jpeg.keras --methods
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aecore import degrade  # noqa: E402
from aecore.images import LUMA, is_gray  # noqa: E402
from bench.photo_denoise import centre_crop, score, test_photos  # noqa: E402

CACHE = ROOT / "bench" / "results" / "photo_real_classical.json"
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle", "china", "flower", "grace_hopper")
FORMATS = ("png", "jpeg444", "jpeg420")
CONDITIONS = [(level, fmt) for level in degrade.CAMERA_LEVELS for fmt in FORMATS] + [("luminance", "png"),
                                                                                       ("gray photo", "png")]
CLASSICAL_FORMATS = FORMATS
CEILING = "clean photo, same JPEG"  # what the JPEG alone costs, beside what the noise did
BM3D_SWEEP = (0.5, 0.75, 1.0, 1.5)  # times the true noise std
OPENCV_SWEEP = (0.5, 0.75, 1.0, 1.5)


def noisy_version(clean, condition, seed):
    """(clean target, noisy 8-bit image) for one condition, seeded."""
    level, fmt = condition
    rng = np.random.default_rng(seed)
    if level == "luminance":
        return clean, degrade.to_8bit(degrade.gaussian_noise(clean, 20 / 255, rng, "gray"))
    if level == "gray photo":
        gray = np.repeat((clean @ LUMA)[..., None], 3, axis=-1)
        return gray, degrade.to_8bit(degrade.gaussian_noise(gray, 25 / 255, rng, "gray"))
    shot = degrade.CAMERA_LEVELS[level]
    noisy = degrade.camera_noise(clean, shot, degrade.read_noise_for(shot), rng)
    if fmt == "png":
        return clean, degrade.to_8bit(noisy)
    return clean, degrade.jpeg(noisy, 90, "4:2:0" if fmt == "jpeg420" else "4:4:4")


def oracle(method, clean, noisy):
    """The best (psnr, ssim, seconds) of a classical method over its sweep, given the true noise level."""
    std = float((noisy - clean).std()) * 255
    best, seconds = None, 0.0
    for factor in BM3D_SWEEP if method == "cbm3d" else OPENCV_SWEEP:
        started = time.perf_counter()
        if method == "cbm3d":
            import bm3d

            if is_gray(noisy):  # CBM3D's colour transform divides by zero on equal channels: BM3D on one
                output = np.repeat(bm3d.bm3d(noisy[..., 0], factor * std / 255)[..., None], 3, axis=-1)
            else:
                output = bm3d.bm3d_rgb(noisy, factor * std / 255)
            output = np.clip(output, 0, 1).astype(np.float32)
        else:
            import cv2

            h = factor * std
            output = cv2.fastNlMeansDenoisingColored(np.round(noisy * 255).astype(np.uint8), None, h, h, 7, 21)
            output = output.astype(np.float32) / 255
        elapsed = time.perf_counter() - started
        result = score(clean, output)
        if best is None or result[0] > best[0]:
            best, seconds = result, elapsed  # the time of one run, at the best setting
    return (*best, seconds)


def run(models, methods, photos, crop, log=print):
    """Rows `{method, level, format, psnr, ssim, seconds_per_mp, photos}`, and rows of noise levels.

    A level row gives, per condition, the true noise's standard deviation (0-255 scale), the old
    wavelet estimate (`aecore.denoise.estimate_sigma`) and the standard deviation of what each model
    removed, which the page and the CLI now report.
    """
    from aecore.denoise import denoise, estimate_sigma

    colour, _ = test_photos()
    images = {name: centre_crop(colour[name], crop) for name in photos}
    cache = json.loads(CACHE.read_text()) if CACHE.is_file() else {}
    rows, levels = [], {}
    for number, condition in enumerate(CONDITIONS):
        results = {}
        for index, (name, image) in enumerate(images.items()):
            clean, noisy = noisy_version(image, condition, seed=100 * number + index)
            megapixels = clean.shape[0] * clean.shape[1] / 1e6
            results.setdefault("noisy", []).append((*score(clean, noisy), 0.0, megapixels))
            if condition[1].startswith("jpeg"):
                saved = degrade.jpeg(clean, 90, "4:2:0" if condition[1] == "jpeg420" else "4:4:4")
                results.setdefault(CEILING, []).append((*score(clean, saved), 0.0, megapixels))
            levels.setdefault(condition, {}).setdefault("true", []).append(float((noisy - clean).std()) * 255)
            levels[condition].setdefault("wavelet estimate", []).append(estimate_sigma(noisy) * 255)
            for label, model in models.items():
                started = time.perf_counter()
                output = denoise(model, noisy).output
                levels[condition].setdefault(f"removed by {label}", []).append(
                    float((noisy - (output if output.shape[-1] == 3 else np.repeat(output, 3, -1))).std()) * 255)
                output = np.repeat(output, 3, axis=-1) if output.shape[-1] == 1 else output
                results.setdefault(label, []).append((*score(clean, output), time.perf_counter() - started, megapixels))
            for method in methods:
                if condition[1] not in CLASSICAL_FORMATS:
                    continue
                key = f"{method}/{condition[0]}/{condition[1]}/{name}/{crop}"
                if key not in cache:
                    cache[key] = oracle(method, clean, noisy)
                    CACHE.parent.mkdir(exist_ok=True)
                    CACHE.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n")
                results.setdefault(f"{method} (oracle)", []).append((*cache[key], megapixels))
        for method, values in results.items():
            values = np.array(values)
            row = {"method": method, "level": condition[0], "format": condition[1],
                   "psnr": float(values[:, 0].mean()), "ssim": float(values[:, 1].mean()),
                   "seconds_per_mp": float(values[:, 2].sum() / values[:, 3].sum()), "photos": len(values)}
            rows.append(row)
            log(f"{condition[0]:10} {condition[1]:8} {method:22} {row['psnr']:6.2f} dB  ssim {row['ssim']:.4f}  "
                f"{row['seconds_per_mp']:7.2f} s/MP", file=sys.stderr)
    return rows, {condition: {name: float(np.mean(values)) for name, values in found.items()}
                  for condition, found in levels.items()}


def table(rows):
    """A Markdown table: one row per condition, PSNR / SSIM per method."""
    methods = list(dict.fromkeys(r["method"] for r in rows))
    lines = ["| noise | format | " + " | ".join(methods) + " |", "|---|---|" + "---|" * len(methods)]
    for condition in dict.fromkeys((r["level"], r["format"]) for r in rows):
        cells = {r["method"]: r for r in rows if (r["level"], r["format"]) == condition}
        lines.append(f"| {condition[0]} | {condition[1]} | " + " | ".join(
            f"{cells[m]['psnr']:.2f} / {cells[m]['ssim']:.3f}" if m in cells else "-" for m in methods) + " |")
    speeds = {m: np.mean([r["seconds_per_mp"] for r in rows if r["method"] == m]) for m in methods if m != "noisy"}
    lines.append("\nseconds per megapixel: " + ", ".join(f"{m} {s:.2f}" for m, s in speeds.items()))
    return "\n".join(lines)


def level_table(levels):
    """A Markdown table of noise levels (standard deviation, 0-255 scale): true, estimated, removed."""
    names = list(next(iter(levels.values())))
    lines = ["| noise | format | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for (level, fmt), found in levels.items():
        lines.append(f"| {level} | {fmt} | " + " | ".join(f"{found[name]:.1f}" for name in names) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", default=[], metavar="NAME=PATH",
                        help="a photo model to score (repeat); default: pretrained/photo_color.keras")
    parser.add_argument("--methods", nargs="*", default=["cbm3d", "opencv_nl_means"],
                        help="classical oracles to score (none: --methods with nothing after it)")
    parser.add_argument("--photos", nargs="+", default=list(PHOTOS))
    parser.add_argument("--crop", type=int, default=256, help="centre crop side in pixels")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args()
    from aecore.zoo import load_model

    named = [entry.split("=", 1) for entry in args.model] or [["photo_color", ROOT / "pretrained" / "photo_color.keras"]]
    models = {name: load_model(path) for name, path in named}
    rows, levels = run(models, args.methods, args.photos, args.crop)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    print(table(rows))
    print()
    print(level_table(levels))


if __name__ == "__main__":
    main()
