"""The subclassed model trains through its own GradientTape train_step."""

import keras
import numpy as np

from aecore.architectures import SubclassedAutoencoder, build


def test_subclassed_train_step_updates_weights(mnist_small):
    model = build("subclassed")
    assert SubclassedAutoencoder.train_step is not keras.Model.train_step
    before = [w.numpy().copy() for w in model.trainable_weights]
    x = mnist_small.x_train[:64]
    logs = model.train_on_batch(x, x, return_dict=True)
    assert set(logs) == {"loss"} and logs["loss"] > 0
    assert any(not np.array_equal(b, w.numpy()) for b, w in zip(before, model.trainable_weights))
    assert isinstance(model, SubclassedAutoencoder) and model.code_size == 8
