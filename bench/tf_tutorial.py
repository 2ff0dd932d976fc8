"""The TensorFlow "Intro to Autoencoders" Fashion-MNIST recipes, run as the tutorial writes them.

    AECORE_DATA_DIR=../shared/data python bench/tf_tutorial.py

Trains the tutorial's dense autoencoder (latent 64) and its convolutional denoiser (noise factor
0.2), 10 epochs each with Adam and MSE at Keras's default batch size, with plain `keras.Model.fit`;
scores both on the 10,000 test images (the denoiser on the same seed-0 noisy inputs that
bench/quality.py gives our model) and writes bench/results/tf_tutorial.json for bench/quality.py.
"""

import json
import sys
import time
from pathlib import Path

import keras
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from aecore.datasets import load_dataset  # noqa: E402
from aecore.noise import add_noise  # noqa: E402

EPOCHS = 10


def tutorial_dense(latent_dim=64):
    inputs = keras.Input((28, 28))
    code = keras.layers.Dense(latent_dim, activation="relu")(keras.layers.Flatten()(inputs))
    outputs = keras.layers.Reshape((28, 28))(keras.layers.Dense(784, activation="sigmoid")(code))
    return keras.Model(inputs, outputs)


def tutorial_denoiser():
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(16, (3, 3), activation="relu", padding="same", strides=2)(inputs)
    x = keras.layers.Conv2D(8, (3, 3), activation="relu", padding="same", strides=2)(x)
    x = keras.layers.Conv2DTranspose(8, kernel_size=3, strides=2, activation="relu", padding="same")(x)
    x = keras.layers.Conv2DTranspose(16, kernel_size=3, strides=2, activation="relu", padding="same")(x)
    outputs = keras.layers.Conv2D(1, kernel_size=(3, 3), activation="sigmoid", padding="same")(x)
    return keras.Model(inputs, outputs)


def run(name, model, x_train, y_train, x_test, y_test):
    keras.utils.set_random_seed(0)
    model.compile(optimizer="adam", loss=keras.losses.MeanSquaredError())
    started = time.perf_counter()
    model.fit(x_train, y_train, epochs=EPOCHS, shuffle=True, validation_data=(x_test, y_test), verbose=2)
    seconds = time.perf_counter() - started
    test_mse = float(np.mean((model.predict(x_test, verbose=0) - y_test) ** 2))
    print(f"{name}: test MSE {test_mse:.5f} after {EPOCHS} epochs, {seconds:.0f} s")
    return {"test_mse": test_mse, "epochs": EPOCHS, "seconds": round(seconds, 1)}


def main():
    data = load_dataset("fashion_mnist")
    print(data.describe())
    x_train, x_test = data.x_train, data.x_test
    results = {"fashion_dense64": run("tutorial dense (latent 64)", tutorial_dense(), x_train[..., 0], x_train[..., 0],
                                      x_test[..., 0], x_test[..., 0])}
    keras.utils.set_random_seed(0)
    noisy_train = np.clip(x_train + 0.2 * np.random.default_rng(0).standard_normal(x_train.shape), 0, 1)
    noisy_test = add_noise(x_test, "gaussian:0.2", seed=0)
    results["fashion_conv_gaussian0.2"] = run("tutorial denoiser (noise 0.2)", tutorial_denoiser(),
                                              noisy_train.astype(np.float32), x_train, noisy_test, x_test)
    output = HERE / "results" / "tf_tutorial.json"
    output.parent.mkdir(exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {output.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
