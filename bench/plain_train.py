"""The plain Keras script that `bench/train_process.py` races `python -m aecore train --model dense` against.

    AECORE_DATA_DIR=../shared/data python bench/plain_train.py --epochs 3 --out runs/plain.keras [--noise 0.2]

What a user writes from the Keras tutorial: load MNIST, build 784 -> 64 (relu) -> 784 (sigmoid),
Adam and MSE, `fit` with a 10% validation split at batch 128, save. With `--noise`, Gaussian noise
of that sigma is added once to a copy of the images (clipped to [0, 1]), then `fit(noisy, clean)`.
"""

import argparse
import os

import keras
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--noise", type=float, default=0.0)
parser.add_argument("--out", required=True)
args = parser.parse_args()

with np.load(os.path.join(os.environ["AECORE_DATA_DIR"], "mnist.npz")) as data:
    x_train = data["x_train"].astype("float32")[..., None] / 255.0
    x_test = data["x_test"].astype("float32")[..., None] / 255.0
inputs = x_train
if args.noise:
    inputs = np.clip(x_train + args.noise * np.random.default_rng(0).standard_normal(x_train.shape), 0, 1).astype("float32")

model = keras.Sequential([
    keras.Input((28, 28, 1)),
    keras.layers.Flatten(),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(784, activation="sigmoid"),
    keras.layers.Reshape((28, 28, 1)),
])
model.compile(optimizer="adam", loss="mse")
model.fit(inputs, x_train, epochs=args.epochs, batch_size=128, validation_split=0.1, verbose=2)
model.save(args.out)
