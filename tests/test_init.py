"""Importing aecore and TensorFlow through it keeps TensorFlow's C++ start-up lines off the terminal."""

import os
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
