"""aecore: a small library of Keras 3 autoencoders, with the data, noise, training and metrics around them.

The Streamlit app and the command line (`python -m aecore`) are both thin layers over this package.
Importing `aecore` itself is cheap: TensorFlow loads only when a module that needs it is used, so
upload handling (`aecore.images`) runs without it.
"""

import os
import sys
import threading

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Only fatal C++ messages: on a machine without a GPU, level 2 still printed "failed call to cuInit"
# and a oneDNN fallback notice as errors. Python exceptions are unaffected; set 0 to debug TensorFlow.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__all__ = ["CATALOGUE", "build", "list_models", "import_tensorflow_quietly", "lower_this_threads_priority"]

_TENSORFLOW_IMPORT = threading.Lock()


def import_tensorflow_quietly():
    """Import TensorFlow with its start-up lines (absl, oneDNN, CUDA probing) kept off the terminal.

    TensorFlow's shared libraries write those lines straight to file descriptor 2 while they load,
    before any log level applies, so descriptor 2 points at the null device for the import alone. A
    failed import still raises, with its message, once the descriptor is back.

    A thread that calls it while another imports TensorFlow this way waits until that import is
    complete. Call it before importing Keras wherever TensorFlow may be loading on another thread:
    a Keras import that meets a half-imported TensorFlow fails on missing attributes.
    """
    if os.environ.get("KERAS_BACKEND") != "tensorflow":  # Keras on JAX or PyTorch (a GPU machine's training)
        return
    with _TENSORFLOW_IMPORT:
        if "tensorflow" in sys.modules:
            return
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 2)
                import tensorflow  # noqa: F401
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def lower_this_threads_priority(niceness=10):
    """Make the calling thread yield the CPU to other work (on Linux a thread has its own nice value; elsewhere,
    or where it is not allowed, the thread keeps its priority)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
    except (AttributeError, OSError):
        pass


def __getattr__(name):
    if name in ("CATALOGUE", "build", "list_models"):
        from aecore import architectures

        return getattr(architectures, name)
    raise AttributeError(f"module 'aecore' has no attribute {name!r}")
