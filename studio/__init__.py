"""Streamlit glue shared by the app's pages (the library itself is `aecore`, which never imports streamlit)."""

from aecore import import_tensorflow_quietly
from studio.runtime import keep_keras_session

import_tensorflow_quietly()  # before any page loads a model: TensorFlow's start-up lines stay off the terminal
keep_keras_session()
