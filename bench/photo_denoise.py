"""Photo denoising against the classical methods, on held-out photos none of our models trained on.

The test set is every photograph that ships inside packages this project can install offline: the
scikit-image wheel's (`skimage.data`), scikit-learn's two sample images and matplotlib's sample
photo; gray-only ones join the gray set, colour ones are in both (turned gray by luma for the gray
set). Photos over 512 px on a side are centre-cropped to 512 (which keeps BM3D's hour in bounds). Gaussian noise at sigma 15, 25 and 50
(0-255 scale), seeded, not clipped. Each method gets the true sigma: BM3D (`bm3d`, `bm3d_rgb`),
scikit-image's non-local means (h = 0.8 sigma, its documentation's recipe) and BayesShrink wavelets,
and OpenCV's fast non-local means (h = sigma for gray, 0.7 sigma for colour, the best of 0.5 / 0.7 / 1
on four of the photos; it takes 8-bit input, so its noisy input is clipped).
Ours runs in float32, in bfloat16 (what the app uses on CPUs with bf16 instructions) and in
bfloat16 averaged over the eight flips and turns (`_x8`, the app's "Best quality").
The table gives mean PSNR / SSIM and seconds per megapixel; the classical results are cached in
bench/results/photo_classical.json (they take about an hour here), ours are computed every run.

    python bench/photo_denoise.py                   # pretrained/photo_gray.keras and photo_color.keras
    python bench/photo_denoise.py --gray runs/photo/photo_gray.keras --methods ours --sigmas 25
    python bench/photo_denoise.py --photos astronaut --sigmas 25 --methods ours_bf16 ours bm3d nl_means --recompute
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aecore.metrics import psnr, ssim  # noqa: E402

CACHE = ROOT / "bench" / "results" / "photo_classical.json"
SIGMAS = (15, 25, 50)
CROP = 512
COLOUR_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle", "immunohistochemistry",
                 "hubble_deep_field", "retina")
GRAY_PHOTOS = ("camera", "moon", "coins", "grass", "gravel", "brick", "clock")


def centre_crop(image, size=CROP):
    top, left = max(0, (image.shape[0] - size) // 2), max(0, (image.shape[1] - size) // 2)
    return image[top : top + size, left : left + size]


def test_photos():
    """`(colour, gray)`: dicts name -> float32 image in [0, 1] (H x W x 3, and H x W x 1)."""
    import matplotlib.cbook
    import skimage.data
    from PIL import Image
    from sklearn.datasets import load_sample_image

    from aecore.denoise import match_channels

    colour = {name: getattr(skimage.data, name)() for name in COLOUR_PHOTOS}
    colour["stereo_motorcycle"] = colour["stereo_motorcycle"][0]
    colour["china"], colour["flower"] = load_sample_image("china.jpg"), load_sample_image("flower.jpg")
    with Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as image:
        colour["grace_hopper"] = np.asarray(image.convert("RGB"))
    colour = {name: centre_crop(image).astype(np.float32) / 255 for name, image in colour.items()}
    gray = {name: match_channels(image, 1) for name, image in colour.items()}
    gray.update({name: centre_crop(getattr(skimage.data, name)())[..., None].astype(np.float32) / 255
                 for name in GRAY_PHOTOS})
    return colour, gray


def classical(method, noisy, sigma):
    """One classical method on one noisy image (H x W x C float), given the true sigma (0-255)."""
    s = sigma / 255
    colour = noisy.shape[-1] == 3
    if method == "bm3d":
        import bm3d

        out = bm3d.bm3d_rgb(noisy, s) if colour else bm3d.bm3d(noisy[..., 0], s)[..., None]
    elif method == "nl_means":
        from skimage.restoration import denoise_nl_means

        out = denoise_nl_means(noisy, h=0.8 * s, sigma=s, fast_mode=True, patch_size=5, patch_distance=6,
                               channel_axis=-1)
        out = out.reshape(noisy.shape)
    elif method == "wavelet":
        from skimage.restoration import denoise_wavelet

        out = denoise_wavelet(noisy, sigma=s, method="BayesShrink", mode="soft", rescale_sigma=True,
                              convert2ycbcr=colour, channel_axis=-1).reshape(noisy.shape)
    elif method == "opencv_nl_means":
        import cv2

        eight_bit = np.clip(np.round(noisy * 255), 0, 255).astype(np.uint8)
        if colour:
            out = cv2.fastNlMeansDenoisingColored(eight_bit, None, 0.7 * sigma, 0.7 * sigma, 7, 21)
        else:
            out = cv2.fastNlMeansDenoising(eight_bit[..., 0], None, sigma, 7, 21)[..., None]
        out = out.astype(np.float32) / 255
    else:
        raise ValueError(method)
    return np.clip(np.asarray(out, np.float32), 0, 1)


def score(clean, output):
    return float(psnr(clean[None], output[None])[0]), float(ssim(clean[None], output[None])[0])


def run(methods, sigmas, models, recompute=False, only=None, log=print):
    """Rows `{method, mode, sigma, psnr, ssim, seconds_per_mp, photos}` for every method, mode and sigma.

    `recompute` runs the classical methods again (and updates the cache); `only` names the photos to use.
    """
    from aecore.denoise import add_gaussian_noise, denoise_photo

    cache = json.loads(CACHE.read_text()) if CACHE.is_file() else {}
    sets = dict(zip(("colour", "gray"), test_photos()))
    rows = []
    for mode, photos in sets.items():
        for sigma in sigmas:
            for method in methods:
                if method.startswith("ours") and mode not in models:
                    continue
                results = []
                for index, (name, clean) in enumerate(photos.items()):  # the index seeds the noise
                    if only and name not in only:
                        continue
                    key = f"{method}/{mode}/{sigma}/{name}/{clean.shape[0]}x{clean.shape[1]}"
                    if key in cache and not recompute and not method.startswith("ours"):
                        results.append(cache[key])
                        continue
                    noisy = add_gaussian_noise(clean, sigma, seed=1000 * sigma + index, clip=False)
                    started = time.perf_counter()
                    output = denoise_photo(models[mode][method], noisy, ensemble=method.endswith("_x8")) \
                        if method.startswith("ours") else classical(method, noisy, sigma)
                    seconds = time.perf_counter() - started
                    value = dict(zip(("psnr", "ssim"), score(clean, output)), seconds=seconds,
                                 megapixels=clean.shape[0] * clean.shape[1] / 1e6)
                    results.append(value)
                    if not method.startswith("ours"):
                        cache[key] = value
                        CACHE.parent.mkdir(exist_ok=True)
                        CACHE.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n")
                if not results:
                    continue
                row = {"method": method, "mode": mode, "sigma": sigma,
                       "psnr": float(np.mean([r["psnr"] for r in results])),
                       "ssim": float(np.mean([r["ssim"] for r in results])),
                       "seconds_per_mp": sum(r["seconds"] for r in results) / sum(r["megapixels"] for r in results),
                       "photos": len(results)}
                rows.append(row)
                log(f"{mode:6} sigma {sigma:2} {method:18} {row['psnr']:6.2f} dB  ssim {row['ssim']:.4f}  "
                    f"{row['seconds_per_mp']:6.2f} s/MP", file=sys.stderr)
    return rows


def table(rows, sigmas):
    """A Markdown table: one row per method and mode, PSNR / SSIM per sigma, s/MP, margin over BM3D."""
    bm3d = {(r["mode"], r["sigma"]): r["psnr"] for r in rows if r["method"] == "bm3d"}
    lines = ["| method | photos | " + " | ".join(f"sigma {s}: PSNR / SSIM" for s in sigmas)
             + " | vs BM3D (dB) | s/MP |", "|---|---|" + "---|" * len(sigmas) + "---|---|"]
    for mode in ("gray", "colour"):
        for method in dict.fromkeys(r["method"] for r in rows if r["mode"] == mode):
            cells = {r["sigma"]: r for r in rows if r["mode"] == mode and r["method"] == method}
            margins = [f"{cells[s]['psnr'] - bm3d[(mode, s)]:+.2f}" if (mode, s) in bm3d else "-" for s in sigmas]
            speed = np.mean([cells[s]["seconds_per_mp"] for s in sigmas])
            lines.append(f"| {method}, {mode} | {cells[sigmas[0]]['photos']} | "
                         + " | ".join(f"{cells[s]['psnr']:.2f} / {cells[s]['ssim']:.4f}" for s in sigmas)
                         + f" | {' / '.join(margins)} | {speed:.2f} |")
    return "\n".join(lines)


def load_ours(path, fast):
    from aecore.zoo import load_model

    model = load_model(path)
    if fast:
        from aecore.photo_training import as_policy

        model = as_policy(model, "mixed_bfloat16")
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=["ours", "ours_bf16", "ours_bf16_x8", "bm3d", "nl_means",
                                                         "opencv_nl_means", "wavelet"])
    parser.add_argument("--sigmas", nargs="+", type=int, default=list(SIGMAS))
    parser.add_argument("--gray", type=Path, default=ROOT / "pretrained" / "photo_gray.keras")
    parser.add_argument("--color", type=Path, default=ROOT / "pretrained" / "photo_color.keras")
    parser.add_argument("--recompute", action="store_true", help="rerun the classical methods, not the cache")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    parser.add_argument("--photos", nargs="+", default=None, help="only these test photos (for example astronaut)")
    args = parser.parse_args()
    models = {}
    for mode, path in (("gray", args.gray), ("colour", args.color)):
        if path.is_file() and any(m.startswith("ours") for m in args.methods):
            fast = load_ours(path, True)
            models[mode] = {"ours": load_ours(path, False), "ours_bf16": fast, "ours_bf16_x8": fast}
    rows = run(args.methods, tuple(args.sigmas), models, args.recompute, args.photos)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    print(table(rows, tuple(args.sigmas)))


if __name__ == "__main__":
    main()
