"""aecore: a small library of Keras 3 autoencoders, with the data, noise, training and metrics around them.

The Streamlit app and the command line (`python -m aecore`) are both thin layers over this package.
Importing `aecore` itself is cheap: TensorFlow loads only when a module that needs it is used, so
upload handling (`aecore.images`) runs without it.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__all__ = ["CATALOGUE", "build", "list_models"]


def __getattr__(name):
    if name in __all__:
        from aecore import architectures

        return getattr(architectures, name)
    raise AttributeError(f"module 'aecore' has no attribute {name!r}")
