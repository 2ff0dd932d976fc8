"""Importing aecore and TensorFlow through it keeps TensorFlow's C++ start-up lines off the terminal; big blocks
of memory go back to the system inside `big_blocks_mapped_apart`."""

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import sys
import aecore
aecore.import_tensorflow_quietly()
import tensorflow as tf
assert float(tf.reduce_sum(tf.ones(3))) == 3.0
print("stderr still works", file=sys.stderr)
"""


@pytest.mark.slow
def test_tensorflow_starts_without_flooding_the_terminal():
    env = {key: value for key, value in os.environ.items() if not key.startswith("TF_CPP")}
    completed = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                               timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == "stderr still works\n"


@pytest.mark.slow
def test_the_library_builds_and_runs_models_under_another_keras_backend(tmp_path):
    """A lent GPU machine has JAX and PyTorch but no TensorFlow: aecore's models, the command line's
    parser and the model files must work there (JAX runs here on the CPU)."""
    blocked = tmp_path / "tensorflow"
    blocked.mkdir()
    (blocked / "__init__.py").write_text("raise ImportError('no TensorFlow on this machine')\n")
    script = """
import numpy as np
from aecore.architectures import build
from aecore.cli import make_parser
from aecore.zoo import library_versions, load_model, save_model
make_parser().parse_args(["train-photo", "--out", "x", "--workers", "4", "--minutes", "2"])
model = build("photo", input_shape=(None, None, 3), widths=[8, 16], bottleneck_blocks=1)
save_model(model, "{out}", "tiny", {{"name": "tiny"}})
again = load_model("{out}/tiny.keras")
picture = np.random.default_rng(0).random((1, 16, 16, 3), dtype=np.float32)
np.testing.assert_allclose(again.reconstruct(picture), model.reconstruct(picture), atol=1e-6)
print(sorted(library_versions()))
""".format(out=tmp_path.as_posix())
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "['jax', 'keras', 'numpy']"


HOLES = """
import sys, threading
import numpy as np
import aecore

def resident_mb():
    return int(next(line for line in open("/proc/self/status") if line.startswith("VmRSS")).split()[1]) / 1024

def holes():
    # 60 blocks of 4 MB, every other one freed: holes amid live blocks, as a thread's heap gets them.
    blocks = [np.ones(4 << 20, np.uint8) for _ in range(60)]
    before = resident_mb()
    del blocks[::2]
    return before - resident_mb()

big = np.ones(24 << 20, np.uint8)
del big  # glibc raises its own threshold past 4 MB, as a TensorFlow process's big frees make it do
with aecore.big_blocks_mapped_apart():
    with aecore.big_blocks_mapped_apart():  # nested, as two visitors' photos are
        inside = holes()
outside = holes()
print(round(inside), round(outside))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the threshold is glibc's")
def test_freed_big_blocks_go_back_to_the_system_only_inside_the_scope():
    completed = subprocess.run([sys.executable, "-c", HOLES], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    inside, outside = map(int, completed.stdout.split())
    assert inside > 100  # 120 MB of holes handed back
    assert outside < 20  # outside, glibc keeps them for reuse, as its usual threshold does (training keeps its speed)
