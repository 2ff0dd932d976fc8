"""Limits: training caps, photo sizes, and count controls that offer only what exists.

The caps are generous on your own machine and tighter in hosted mode, so that one visitor cannot
starve the rest and the server keeps within Streamlit Community Cloud's 2.7 GB with several busy
visitors; hosted mode is on when the environment variable `AESTUDIO_HOSTED=1` is set.
"""

import contextlib
import os
import threading
from dataclasses import dataclass, field

import streamlit as st

from aecore import release_freed_memory


@dataclass
class TrainingLimits:
    """Caps on one run and on runs at once, shared by every session of this process."""

    hosted: bool
    max_epochs: int
    max_train_images: int
    max_concurrent: int
    jobs: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self, job):
        """Count `job` as running, or raise `ValueError` when the server already runs its maximum."""
        with self.lock:
            self.jobs = [other for other in self.jobs if not other.done]
            if len(self.jobs) >= self.max_concurrent:
                raise ValueError(f"{self.max_concurrent} training runs are already going on this server; "
                                 "try again in a minute")
            self.jobs.append(job)


def is_hosted():
    return os.environ.get("AESTUDIO_HOSTED") == "1"


@dataclass(frozen=True)
class PhotoLimits:
    """How big the photos of one request may be, how many results a session keeps, and denoising at once.

    A 16.8-megapixel photo takes about 1.2 GB while it is denoised and 150 MB as a kept result, so
    hosted mode takes smaller photos and denoises one at a time for the whole server. Its request
    still holds one photo of the working size as uploaded, so that a 12-megapixel phone photo opens
    in the page's views (denoised at `photo_pixels`) rather than going to a background job.
    """

    photo_pixels: int
    request_pixels: int
    kept: int
    denoising_at_once: int


def photo_limits():
    working = 4096 * 4096
    if is_hosted():
        return PhotoLimits(photo_pixels=working // 4, request_pixels=working, kept=2, denoising_at_once=1)
    return PhotoLimits(photo_pixels=working, request_pixels=4 * working, kept=6, denoising_at_once=2)


@st.cache_resource
def photo_denoising_slots(count):
    """The server's slots for photo denoising, `count` at once, shared by every session."""
    return threading.BoundedSemaphore(count)


def cpu_cores():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@st.cache_resource
def training_limits():
    """The caps on training: at most one run per core (and 4, or 2 hosted) at once, so pages stay quick."""
    hosted = is_hosted()
    if hosted:
        return TrainingLimits(hosted, max_epochs=10, max_train_images=10000, max_concurrent=min(2, cpu_cores()))
    return TrainingLimits(hosted, max_epochs=50, max_train_images=60000, max_concurrent=min(4, cpu_cores()))


class PageActivity:
    """How many page scripts are running now in this process; training pauses between batches meanwhile.

    When the last one ends, the memory C's allocator holds free goes back to the system.
    """

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    @contextlib.contextmanager
    def running(self):
        with self.lock:
            self.count += 1
        try:
            yield
        finally:
            with self.lock:
                self.count -= 1
                last = self.count == 0
            if last:
                release_freed_memory()

    def busy(self):
        return self.count > 0


@st.cache_resource
def page_activity():
    return PageActivity()


def counts_up_to(available, steps):
    """The counts a control offers: the `steps` below what exists, then the most it may use.

    The last choice is `available` itself when the largest step would ask for more than exists, so
    a control never offers images that are not there.
    """
    largest = min(available, max(steps))
    return [step for step in steps if step < largest] + [largest]


def count_control(container, label, counts, key, default, **options):
    """A select slider over `counts` (from `counts_up_to`); returns the count picked.

    A kept value that the current data cannot give (another dataset, another model) moves to the
    nearest count it can; with a single choice there is nothing to pick, and a caption says so.
    """
    wanted = st.session_state.get(key, default)
    if key not in st.session_state or wanted not in counts:
        st.session_state[key] = min(counts, key=lambda count: abs(count - wanted))
    if len(counts) == 1:
        container.caption(f"{label}: all {counts[0]:,} there are")
        return counts[0]
    return container.select_slider(label, counts, key=key, format_func=lambda count: f"{count:,}", **options)
