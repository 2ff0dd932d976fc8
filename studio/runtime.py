"""Stop Streamlit from resetting Keras after every script run.

After each run Streamlit calls `keras.backend.clear_session()` (its `_clean_problem_modules`).
On TensorFlow that clears the eager kernel cache, which blocks while a training thread runs ops:
with the Train page polling every second, the page froze until training ended. It also resets
Keras's global state under models that `st.cache_resource` keeps on purpose. This app keeps its
models alive deliberately, so the Keras part of that clean-up is switched off; the rest stays.
"""

import sys

from streamlit.runtime.scriptrunner import script_runner


def clean_modules_except_keras():
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def keep_keras_session():
    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = clean_modules_except_keras
