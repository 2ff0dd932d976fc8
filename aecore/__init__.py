"""aecore: a small library of Keras 3 autoencoders, with the data, noise, training and metrics around them.

The Streamlit app and the command line (`python -m aecore`) are both thin layers over this package.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from aecore.architectures import CATALOGUE, build, list_models  # noqa: E402

__all__ = ["CATALOGUE", "build", "list_models"]
