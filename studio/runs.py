"""The life of this visitor's training run: started from the Train page, kept when it ends, on any page.

The run belongs to the visitor (see `studio.visitors`), not to the browser session, so a reload or a
new tab during a run shows it going on and collects its model when it ends.

The run trains, scores and saves its model on its own thread (`aecore.training.TrainingJob` with a
`keep` step), so when the job says it is done the model file and its card already exist and
collecting it into the picker is instant: the page never shows a finished run beside a live Stop
button while a slow save runs on the script thread.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from aecore import zoo
from studio.limits import page_activity
from studio.models import add_session_model
from studio.visitors import current_visitor, session_dir

if TYPE_CHECKING:  # every page collects finished runs; TensorFlow loads only when one starts
    from aecore.training import TrainingJob

SCORED_TEST_IMAGES = 1000  # the card's test metrics; enough for stable means, quick on any model


@dataclass
class TrainingRun:
    """This session's training run: its job, the name its model gets, and the picker key once kept."""

    job: TrainingJob
    name: str
    preview_originals: np.ndarray
    code_labels: np.ndarray | None = None  # the labels of the job's code sample
    key: str | None = None  # set when the saved model has joined the picker
    page: str = "train"  # the page that started it: "train", or "anomaly" for a detector

    @property
    def running(self):
        return not self.job.done

    @property
    def collected(self):
        return self.key is not None or self.job.status == "failed"


def current_run():
    """This visitor's latest `TrainingRun`, or `None`; it outlives a reload, like the visitor's models."""
    return current_visitor().run


def start_run(architecture, dataset_name, data, config, recipe, preview_originals, preview, limits, code_sample=None,
              code_labels=None, page="train", detects=None, **build_options):
    """Start training in the background and make it this session's run; raises `ValueError` when refused.

    `code_sample` (images, with their `code_labels`) is encoded after every epoch for a live scatter of codes.
    `page` names the page that starts it ("train" or "anomaly"), the one page that shows it. `detects`:
    `(dataset, normal classes)` for a detector, whose card then gives its AUROC on that dataset's whole
    test set, as a pretrained detector's does.
    """
    from aecore.training import TrainingJob

    stamp = datetime.datetime.now().strftime("%H%M%S")
    name = f"{architecture}_{dataset_name.removesuffix('_mnist')}_{stamp}"  # short enough for the picker
    directory = session_dir()  # read on the script thread: the job's thread has no session

    def keep(result):
        extra = None
        if detects is not None:
            from aecore.anomaly import detector_card

            extra = detector_card(result.model, *detects)
        return zoo.save_trained(result, data, config, directory, name, recipe, test_examples=SCORED_TEST_IMAGES,
                                extra_card=extra)

    job = TrainingJob(architecture, data, config, preview=preview, keep=keep, yield_to=page_activity().busy,
                      code_sample=code_sample, **build_options)
    limits.admit(job)  # raises when this server already runs its maximum
    current_visitor().run = TrainingRun(job.start(), name, preview_originals, code_labels, page=page)


def collect_finished_training():
    """When this session's run has ended, add its saved model to the picker and pick it.

    Runs at the top of every page, before the sidebar, so a run that ends while the visitor looks
    elsewhere is not lost and the picker already shows it when the page says it finished.
    """
    run = current_run()
    if run is None or run.running or run.collected:
        return
    run.key = add_session_model(run.job.result.model, run.job.kept)
