"""Training throughput: aecore's `train` against a plain `keras.Model.fit`, side by side in one run.

    AECORE_DATA_DIR=../shared/data python bench/train_speed.py [--images 20000] [--repeats 3]

For `dense`, `conv` and `vae`, on the same training images: plain `fit` on NumPy arrays (batch 128,
no noise, no validation, no callbacks) against `aecore.training.train` with Gaussian noise drawn
every batch, the progress callback and a 10% validation split all on, then variants of ours
(batch 256, XLA). Throughput is training images per wall-clock second over the second epoch
(validation included for ours), median over repeats. GFLOP/s counts multiply-adds of the forward
pass times three (forward and backward), against a large float32 matrix product on this machine.
A second table times the input pipeline alone, with and without noise, to show what noise costs.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from aecore.architectures import build  # noqa: E402
from aecore.datasets import load_dataset  # noqa: E402
from aecore.training import TrainConfig, noisy_batches, train  # noqa: E402

BATCH = 128


class SecondEpochTimer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            self.seconds = time.perf_counter() - self.started


def forward_flops(model):
    """Multiply-adds x 2 of one forward pass for one example, from the layers' shapes."""
    total = 0
    for submodel in (model.encoder, model.decoder):
        for layer in submodel.layers:
            if isinstance(layer, keras.layers.Dense):
                total += 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
            elif isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose)):
                kernel_h, kernel_w, _, _ = layer.kernel.shape
                in_channels = layer.input.shape[-1]
                positions = int(np.prod(layer.output.shape[1:3])) if isinstance(layer, keras.layers.Conv2D) \
                    else int(np.prod(layer.input.shape[1:3]))
                total += 2 * positions * kernel_h * kernel_w * in_channels * layer.filters
    return total


def matmul_gflops(size=2048, repeats=5):
    a = tf.random.uniform((size, size))
    b = tf.random.uniform((size, size))
    tf.linalg.matmul(a, b).numpy()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        tf.linalg.matmul(a, b).numpy()
        times.append(time.perf_counter() - started)
    return 2 * size**3 / statistics.median(times) / 1e9


def plain_fit(name, x):
    model = build(name)
    timer = SecondEpochTimer()
    model.fit(x, x, batch_size=BATCH, epochs=2, verbose=0, callbacks=[timer])
    return len(x) / timer.seconds, model


def ours(name, dataset, batch_size=BATCH, jit_compile="auto"):
    timer = SecondEpochTimer()
    config = TrainConfig(epochs=2, batch_size=batch_size, noise="gaussian:0.2", validation_split=0.1)
    train(build(name, jit_compile=jit_compile), dataset, config, on_progress=lambda progress: None, callbacks=[timer])
    return int(len(dataset.x_train) * 0.9) / timer.seconds


def pipeline_rate(x, noise, repeats=3):
    """Images per second through `noisy_batches` alone (no model), median of `repeats` epochs."""
    batches = noisy_batches(x, TrainConfig(batch_size=BATCH, noise=noise), shuffle=True)
    for _ in batches:  # warm
        pass
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in batches:
            pass
        times.append(time.perf_counter() - started)
    return len(x) / statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20000, help="training images (ours holds out 10%% of them)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=["dense", "conv", "vae"])
    args = parser.parse_args()
    dataset = load_dataset("mnist").subset(train=args.images)
    x_plain = dataset.x_train[: int(len(dataset.x_train) * 0.9)]  # the images ours trains on
    peak = matmul_gflops()
    print(f"data: {dataset.describe()}; {tf.config.threading.get_intra_op_parallelism_threads() or 'default'} "
          f"intra-op threads; 2048x2048 float32 matmul: {peak:.1f} GFLOP/s\n")
    print("| model | variant | images/s (median) | ratio to plain fit | GFLOP/s | % of matmul |")
    print("|---|---|---|---|---|---|")
    for name in args.models:
        variants = {
            "plain keras fit": lambda: plain_fit(name, x_plain)[0],
            "aecore train (noise, progress, validation)": lambda: ours(name, dataset),
            "aecore train, batch 256": lambda: ours(name, dataset, batch_size=256),
            "aecore train, XLA (jit_compile)": lambda: ours(name, dataset, jit_compile=True),
        }
        flops = 3 * forward_flops(build(name))
        results = {}
        for _ in range(args.repeats):  # interleaved, so drifts of this machine hit every variant alike
            for variant, measure in variants.items():
                results.setdefault(variant, []).append(measure())
        plain = statistics.median(results["plain keras fit"])
        for variant, values in results.items():
            rate = statistics.median(values)
            gflops = rate * flops / 1e9
            print(f"| {name} | {variant} | {rate:,.0f} | {rate / plain:.2f} | {gflops:.1f} | {100 * gflops / peak:.0f}% |")
        sys.stdout.flush()
    print("\n| input pipeline alone (batch 128) | images/s |")
    print("|---|---|")
    for noise in (None, "masking:0.3", "salt_and_pepper:0.2", "gaussian:0.4"):
        print(f"| noise {noise or 'none'} | {pipeline_rate(x_plain, noise):,.0f} |")


if __name__ == "__main__":
    main()
