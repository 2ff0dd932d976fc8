"""Noisy photos as phones and cameras save them: Gaussian noise, then a 4:2:0 JPEG, then denoised.

The colour noise of a 4:2:0 JPEG sits in 2 x 2 blocks, which a model trained only on white noise
leaves in place. This runs the held-out colour photos of `bench/photo_denoise.py` through that:
noise of sigma 15 and 25 (0-255), clipped to 8 bits, saved as JPEG (quality 90, 4:2:0), and
prints mean PSNR of the noisy JPEG and of each model's output (and BM3D's, given the true sigma,
with --bm3d: about 15 minutes here).

    python bench/photo_jpeg.py pretrained/photo_color.keras runs/photo/photo_color.keras
"""

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.photo_denoise import classical, score, test_photos  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path, help="colour photo models to compare")
    parser.add_argument("--sigmas", nargs="+", type=int, default=[15, 25])
    parser.add_argument("--quality", type=int, default=90)
    parser.add_argument("--bm3d", action="store_true", help="also BM3D with the true sigma (slow)")
    args = parser.parse_args()

    from aecore.denoise import add_gaussian_noise, denoise_photo, inference_model
    from aecore.photos import jpeg_round_trip
    from aecore.zoo import load_model

    models = {str(path): inference_model(load_model(path)) for path in args.models}
    colour, _ = test_photos()
    names = ["noisy JPEG"] + list(models) + (["bm3d"] if args.bm3d else [])
    print(f"| sigma | {' | '.join(names)} |\n|---|{'---|' * len(names)}")
    for sigma in args.sigmas:
        scores = {name: [] for name in names}
        for index, clean in enumerate(colour.values()):
            noisy = jpeg_round_trip(add_gaussian_noise(clean, sigma, seed=1000 * sigma + index), args.quality)
            scores["noisy JPEG"].append(score(clean, noisy)[0])
            for name, model in models.items():
                scores[name].append(score(clean, denoise_photo(model, noisy))[0])
            if args.bm3d:
                scores["bm3d"].append(score(clean, classical("bm3d", noisy, sigma))[0])
        print(f"| {sigma} | {' | '.join(f'{np.mean(scores[name]):.2f}' for name in names)} |", flush=True)


if __name__ == "__main__":
    main()
