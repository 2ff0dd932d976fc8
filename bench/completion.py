"""Completion of hidden rectangles: PSNR inside the rectangle for MNIST models against the mean image.

    AECORE_DATA_DIR=../shared/data python bench/completion.py [pretrained]

Each of the 10,000 MNIST test images gets the same rectangle hidden (set to 0); the PSNR over the
hidden pixels of all of them (pooled) compares each model's fill with the mean training image's.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aecore import import_tensorflow_quietly  # noqa: E402

import_tensorflow_quietly()
from aecore.completion import Rectangle, complete_many, hide, psnr_inside  # noqa: E402
from aecore.datasets import load_dataset  # noqa: E402
from aecore.zoo import load_model  # noqa: E402

MODELS = ("mnist_conv_block0.5", "mnist_conv", "mnist_conv_gaussian0.4", "mnist_dense32", "mnist_deep32")
RECTANGLES = {"8 x 14, rows 9-16 (the page's default)": Rectangle(9, 7, 8, 14),
              "12 x 12, centre": Rectangle(8, 8, 12, 12),
              "28 x 10, left third": Rectangle(0, 0, 28, 10)}


def main(directory="pretrained"):
    data = load_dataset("mnist")
    mean_image = data.x_train.mean(axis=0)
    print(f"data: {data.describe()}\n")
    print("| hidden rectangle | mean image | left black | " + " | ".join(MODELS) + " |")
    print("|---|---|---|" + "---|" * len(MODELS))
    models = {name: load_model(Path(directory) / f"{name}.keras") for name in MODELS}
    for words, rectangle in RECTANGLES.items():
        cells = []
        for model in models.values():
            _, _, ours, baseline = complete_many(model, data.x_test, rectangle, mean_image)
            cells.append(f"{ours:.2f}")
        black = psnr_inside(data.x_test, hide(data.x_test, rectangle), rectangle, pooled=True)
        print(f"| {words} | {baseline:.2f} | {black:.2f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(*sys.argv[1:])
