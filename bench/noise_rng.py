"""What fresh Gaussian noise costs a dense training step: ways to draw it, against the step's own work.

    python bench/noise_rng.py [--batch 128] [--repeats 300]

Each row is one compiled TensorFlow function, called `--repeats` times on a batch of MNIST-sized
images (batch x 784 values), in milliseconds per call; the rows run one after another in one
process. `stateless_normal` is what `aecore` draws inside the training step; the others are cheaper
candidates (a lookup table of the normal's quantiles indexed by 16 random bits is an approximation,
truncated at 4.4 sigma). The last rows are the dense model's forward matmul and one whole training
step of `dense` without noise, for scale.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aecore import import_tensorflow_quietly  # noqa: E402

import_tensorflow_quietly()
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from scipy.special import ndtri  # noqa: E402

from aecore.architectures import build  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()
    shape = (args.batch, 784)
    size = args.batch * 784
    seed = tf.constant([1, 2], tf.int64)
    table = tf.constant(ndtri((np.arange(65536) + 0.5) / 65536).astype(np.float32))

    def lookup(s):
        bits = tf.random.stateless_uniform((size // 2,), s, minval=None, maxval=None, dtype=tf.uint32)
        return tf.reshape(tf.gather(table, tf.cast(tf.bitcast(bits, tf.uint16), tf.int32)), shape)

    weights = tf.ones((784, 64))
    candidates = {
        "stateless_normal (aecore's)": lambda s: tf.random.stateless_normal(shape, s),
        "stateless_normal, bfloat16": lambda s: tf.random.stateless_normal(shape, s, dtype=tf.bfloat16),
        "uniform, then inverse normal CDF": lambda s: tf.math.ndtri(
            tf.random.stateless_uniform(shape, s, minval=1e-7, maxval=1.0)),
        "16-bit lookup table (approximate)": lookup,
        "stateless_uniform alone": lambda s: tf.random.stateless_uniform(shape, s),
        "forward matmul batch x 784 x 64": lambda s: tf.matmul(tf.ones(shape), weights),
    }
    print(f"batch {args.batch} x 784 values, {args.repeats} calls each\n")
    print("| draw | ms per batch |")
    print("|---|---|")
    for name, fn in candidates.items():
        compiled = tf.function(fn)
        compiled(seed)
        started = time.perf_counter()
        for _ in range(args.repeats):
            out = compiled(seed)
        np.asarray(out)
        print(f"| {name} | {(time.perf_counter() - started) / args.repeats * 1e3:.3f} |", flush=True)

    model = build("dense", input_shape=(28, 28, 1))
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).random((args.batch, 28, 28, 1), dtype=np.float32)
    for _ in range(10):
        model.train_on_batch(x, x)
    started = time.perf_counter()
    for _ in range(args.repeats):
        model.train_on_batch(x, x)
    print(f"| one dense training step without noise (train_on_batch, with its call overhead) | "
          f"{(time.perf_counter() - started) / args.repeats * 1e3:.3f} |")


if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    main()
