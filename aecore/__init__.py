"""aecore: a small library of Keras 3 autoencoders, with the data, noise, training and metrics around them.

The Streamlit app and the command line (`python -m aecore`) are both thin layers over this package.
Importing `aecore` itself is cheap: TensorFlow loads only when a module that needs it is used, so
upload handling (`aecore.images`) runs without it.
"""

import contextlib
import ctypes
import functools
import os
import sys
import threading

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# Only fatal C++ messages: on a machine without a GPU, level 2 still printed "failed call to cuInit"
# and a oneDNN fallback notice as errors. Python exceptions are unaffected; set 0 to debug TensorFlow.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__all__ = ["CATALOGUE", "build", "list_models", "import_tensorflow_quietly", "lower_this_threads_priority",
           "big_blocks_mapped_apart", "release_freed_memory"]

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


M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter: blocks this big or bigger get a mapping of their own
BIG_BLOCK = 1 << 20
USUAL_THRESHOLD = 32 << 20  # the most glibc raises its own threshold to, where it settles in a TensorFlow process
_mapped_apart = [0]  # how many callers are inside `big_blocks_mapped_apart`
_mapped_apart_lock = threading.Lock()


@contextlib.contextmanager
def big_blocks_mapped_apart(threshold=BIG_BLOCK):
    """While inside, C's allocator gives each block of `threshold` bytes or more a mapping of its own, unmapped when freed.

    glibc does so by default only above a threshold it raises as big blocks are freed (up to 32 MB),
    and keeps smaller freed blocks in one heap per thread for reuse. TensorFlow's activations for a
    photo tile (10-60 MB each) are freed on its own threads, so a process held them long after: a
    12-megapixel photo left 600 MB resident, and the work after it (8-bit copies, the page's
    pictures) came on top. Mapped apart, the same photo peaks 370 MB lower and leaves 77 MB, for
    about 5% more time (`bench/photo_memory.py`). Training gains nothing from it and pays the page
    faults of a fresh mapping for each batch's activations (a conv model trained 5% slower), so after
    the last caller leaves, the threshold goes back to where glibc's own settles. Nesting and threads
    are counted; elsewhere than glibc nothing changes.
    """
    mallopt = getattr(_c_library(), "mallopt", None)
    with _mapped_apart_lock:
        _mapped_apart[0] += 1
        if _mapped_apart[0] == 1 and mallopt is not None:
            mallopt(M_MMAP_THRESHOLD, int(threshold))
    try:
        yield
    finally:
        with _mapped_apart_lock:
            _mapped_apart[0] -= 1
            if _mapped_apart[0] == 0 and mallopt is not None:
                mallopt(M_MMAP_THRESHOLD, USUAL_THRESHOLD)


def release_freed_memory():
    """Hand the memory C's allocator keeps free back to the system (glibc's `malloc_trim`; elsewhere nothing).

    A big decode or a batch of tensors is freed when its page ends, but glibc keeps freed memory in
    its heaps (one per thread that allocated, and Streamlit runs each page on a thread) for reuse:
    the server's resident size stayed near its peak after each big upload.
    """
    trim = getattr(_c_library(), "malloc_trim", None)
    if trim is not None:
        trim(0)


@functools.cache
def _c_library():
    try:
        return ctypes.CDLL(None)
    except OSError:  # no C library to look into (Windows)
        return None


def __getattr__(name):
    if name in ("CATALOGUE", "build", "list_models"):
        from aecore import architectures

        return getattr(architectures, name)
    raise AttributeError(f"module 'aecore' has no attribute {name!r}")
