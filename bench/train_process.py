"""`python -m aecore train` as a whole process against the plain Keras script, alternated, medians.

    AECORE_DATA_DIR=../shared/data python bench/train_process.py [--epochs 3] [--repeats 5]

Each repeat runs, one after the other, `python bench/plain_train.py` (load MNIST, build the dense
784-64-784 model, fit with a validation split, save) and `python -m aecore train --model dense`
(the same, and it also scores the 10,000 test images for the model card and prints the card), for
the same epochs, without noise and with Gaussian noise of sigma 0.2 (the plain script adds it once
to a copy; aecore draws it fresh every batch). Seconds are wall-clock from launch to exit.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def seconds(command):
    started = time.perf_counter()
    finished = subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if finished.returncode:
        raise SystemExit(f"{' '.join(command)} failed: {finished.stderr.strip().splitlines()[-1:]}")
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if not os.environ.get("AECORE_DATA_DIR"):
        raise SystemExit("set AECORE_DATA_DIR to a folder with mnist.npz (the plain script reads it)")
    out = Path(tempfile.mkdtemp(prefix="aecore-process-"))
    print(f"dense on full MNIST, {args.epochs} epochs, batch 128; median of {args.repeats} alternated runs\n")
    print("| noise | plain Keras script (s) | python -m aecore train (s) | ratio plain / aecore |")
    print("|---|---|---|---|")
    for sigma in (0.0, 0.2):
        plain = [sys.executable, "bench/plain_train.py", "--epochs", str(args.epochs), "--out", str(out / "plain.keras"),
                 "--noise", str(sigma)]
        ours = [sys.executable, "-m", "aecore", "train", "--model", "dense", "--dataset", "mnist", "--epochs",
                str(args.epochs), "--out", str(out)] + (["--noise", f"gaussian:{sigma}"] if sigma else [])
        times = {"plain": [], "ours": []}
        for _ in range(args.repeats):
            times["plain"].append(seconds(plain))
            times["ours"].append(seconds(ours))
        ratio = statistics.median(p / o for p, o in zip(times["plain"], times["ours"]))
        print(f"| {f'gaussian:{sigma}' if sigma else 'none'} | {statistics.median(times['plain']):.1f} | "
              f"{statistics.median(times['ours']):.1f} | {ratio:.2f} |", flush=True)


if __name__ == "__main__":
    main()
