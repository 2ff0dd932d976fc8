"""Memory and time of denoising one big photo through aecore.denoise, each variant in a fresh process.

Each row runs in its own Python process: load the model, note the resident memory, denoise a
synthetic noisy photo of the given size, make its 8-bit copy (as the page and the CLI do) and report
the peak resident memory above that baseline (VmHWM minus VmRSS before), what is still held after the
result is dropped, and the seconds per megapixel. Rows alternate between C's allocator as it comes
(glibc) and with big blocks mapped apart while the tiles run (`aecore.big_blocks_mapped_apart`, what
`aecore.denoise.denoise_photo` does).

    python bench/photo_memory.py                       # 12 MP colour, tiled as the app does
    python bench/photo_memory.py --megapixels 1 --tiles 512 384 --repeats 2 --precisions float32
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aecore.denoise import TILE  # noqa: E402  (no TensorFlow: the children load it)

CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
import contextlib
import numpy as np
import aecore.denoise
from aecore.images import as_8_bit
if not {mapped!r}:
    aecore.denoise.big_blocks_mapped_apart = contextlib.nullcontext
from aecore.denoise import denoise_photo, inference_model
from aecore.zoo import load_model

def memory():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

model = load_model({model!r})
if {fast!r}:
    model = inference_model(model)
width, height = {width}, {height}
rng = np.random.default_rng(0)
y, x = np.mgrid[0:height, 0:width].astype(np.float32) / 300
photo = np.stack([0.5 + 0.3 * np.sin(x * (c + 1) + y) for c in range(model.example_shape[-1])], -1)
photo = (photo + rng.normal(0, 0.1, photo.shape)).astype(np.float32)
warm = denoise_photo(model, photo[:64, :64])
before, _ = memory()
steps = []
started = time.perf_counter()
output = as_8_bit(denoise_photo(model, photo, tile={tile}, on_progress=steps.append))
seconds = time.perf_counter() - started
del output
after, peak = memory()
print(json.dumps(dict(baseline_mb=before, peak_above_mb=peak - before, held_mb=after - before, seconds=seconds,
                      progress_calls=len(steps))))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "pretrained" / "photo_color.keras")
    parser.add_argument("--megapixels", type=float, default=12.0)
    parser.add_argument("--tiles", type=int, nargs="+", default=[TILE])
    parser.add_argument("--precisions", nargs="+", choices=["float32", "fast"], default=["float32", "fast"],
                        help="fast: bfloat16 where the CPU has it (float32 elsewhere)")
    parser.add_argument("--repeats", type=int, default=1, help="rounds of all rows, for the spread of the seconds")
    args = parser.parse_args()
    width = int(round((args.megapixels * 1e6 * 4 / 3) ** 0.5))
    height = int(round(args.megapixels * 1e6 / width))
    print(f"model {args.model.name}; a {width} x {height} photo ({width * height / 1e6:.1f} MP)\n")
    print("| tile | precision | C allocator | peak memory above the loaded model (MB) | held after (MB) | seconds | "
          "s/MP | progress calls |")
    print("|---|---|---|---|---|---|---|---|")
    for _ in range(args.repeats):
        for tile in args.tiles:
            for precision in args.precisions:
                for mapped in (False, True):
                    code = CHILD.format(root=str(ROOT), model=str(args.model), fast=precision == "fast", width=width,
                                        height=height, tile=tile, mapped=mapped)
                    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                            check=True).stdout
                    row = json.loads(output.strip().splitlines()[-1])
                    shown = "bfloat16 where the CPU has it" if precision == "fast" else "float32"
                    allocator = "big blocks mapped apart" if mapped else "as it comes"
                    print(f"| {tile} | {shown} | {allocator} | {row['peak_above_mb']:.0f} | {row['held_mb']:.0f} | "
                          f"{row['seconds']:.1f} | {row['seconds'] / (width * height / 1e6):.2f} | "
                          f"{row['progress_calls']} |", flush=True)


if __name__ == "__main__":
    main()
