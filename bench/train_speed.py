"""Training throughput and test loss: aecore's `train` against plain `keras.Model.fit`, side by side in one run.

    AECORE_DATA_DIR=../shared/data python bench/train_speed.py [--images 10000] [--epochs 3] [--repeats 3]

For `dense`, `conv` and `vae`, without noise and with Gaussian noise (sigma 0.2), on the same
training and validation images (a 10% split of `--images`) and the same recipe (model, optimizer,
loss, batch 128, epochs):

- plain fit: what the TensorFlow tutorial and keras-io do. Without noise `fit(x, x)`; with noise,
  noise added once to a copy of the training images, then `fit(noisy, x)`, every epoch on that same
  noisy copy. Validation on noisy images fixed by a seed, as ours.
- aecore: `aecore.training.train` with fresh noise every batch, the progress callback and the
  validation split on.

Throughput is training images per wall-clock second over the epochs after the first (validation
included), test loss the model's own loss on the test images after the last epoch (noisy inputs
fixed by seed 0 against clean targets where there is noise). Each repeat runs both variants back to
back; the ratio is the median over repeats of ours / plain, so drifts of a busy machine hit both.
Losses are medians too; the variants differ in their random shuffles and noise draws, so read a
small difference as such.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aecore import import_tensorflow_quietly  # noqa: E402

import_tensorflow_quietly()
import keras  # noqa: E402

from aecore.architectures import build  # noqa: E402
from aecore.datasets import load_dataset  # noqa: E402
from aecore.noise import add_noise  # noqa: E402
from aecore.training import TrainConfig, split_validation, steps_per_execution, train  # noqa: E402

BATCH = 128


class LaterEpochsTimer(keras.callbacks.Callback):
    """Seconds spent in every epoch after the first (validation included)."""

    def __init__(self):
        super().__init__()
        self.seconds = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if epoch >= 1:
            self.seconds += time.perf_counter() - self.started


def test_loss(model, x_test, noise):
    inputs = add_noise(x_test, noise, seed=0) if noise else x_test
    return model.evaluate(inputs, x_test, batch_size=1024, verbose=0, return_dict=True)["loss"]


def plain_fit(name, config, x_train, x_val, x_test):
    """The tutorial's way: noise (if any) added once to a copy, then `fit(noisy, clean)`; `(images/s, test loss)`."""
    keras.utils.set_random_seed(config.seed)
    noisy = add_noise(x_train, config.noise, seed=1) if config.noise else x_train
    validation = (add_noise(x_val, config.noise, seed=config.seed) if config.noise else x_val, x_val)
    model, timer = build(name), LaterEpochsTimer()
    model.fit(noisy, x_train, batch_size=BATCH, epochs=config.epochs, validation_data=validation, verbose=0,
              callbacks=[timer])
    return len(x_train) * (config.epochs - 1) / timer.seconds, test_loss(model, x_test, config.noise)


def ours(name, config, dataset, training_images):
    timer = LaterEpochsTimer()
    result = train(name, dataset, config, on_progress=lambda progress: None, callbacks=[timer])
    return training_images * (config.epochs - 1) / timer.seconds, test_loss(result.model, dataset.x_test, config.noise)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10000, help="training images, 10%% of them held out to validate")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run; the first is not timed")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", nargs="+", default=["dense", "conv", "vae"])
    args = parser.parse_args()
    dataset = load_dataset("mnist").subset(train=args.images)
    print(f"data: {dataset.describe()}; batch {BATCH}, {args.epochs} epochs (rates over epochs 2-{args.epochs}), "
          f"median of {args.repeats} repeats\n")
    header = ["model", "noise", "plain fit images/s", "aecore images/s", "ratio", "steps a call",
              "plain test loss", "aecore test loss", "aecore loss vs plain"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name in args.models:
        for noise in (None, "gaussian:0.2"):
            config = TrainConfig(epochs=args.epochs, batch_size=BATCH, noise=noise)
            x_train, x_val = split_validation(dataset.x_train, config)
            runs = {"plain": [], "ours": []}
            for _ in range(args.repeats):
                runs["plain"].append(plain_fit(name, config, x_train, x_val, dataset.x_test))
                runs["ours"].append(ours(name, config, dataset, len(x_train)))
            rate = {variant: statistics.median(r for r, _ in values) for variant, values in runs.items()}
            loss = {variant: statistics.median(l for _, l in values) for variant, values in runs.items()}
            ratio = statistics.median(o[0] / p[0] for o, p in zip(runs["ours"], runs["plain"]))
            steps = steps_per_execution(build(name), BATCH)
            change = 100 * (loss["ours"] / loss["plain"] - 1)
            verdict = f"{change:+.1f}% ({'better' if change < 0 else 'equal' if change == 0 else 'worse'})"
            print(f"| {name} | {noise or 'none'} | {rate['plain']:,.0f} | {rate['ours']:,.0f} | {ratio:.2f} | {steps} | "
                  f"{loss['plain']:.4f} | {loss['ours']:.4f} | {verdict} |", flush=True)


if __name__ == "__main__":
    main()
