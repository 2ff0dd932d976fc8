"""This visitor's training run on a page: the progress line, Stop, and the downloads once its model is kept.

The Train page and the Anomaly detection page both start runs (`studio.runs`) and show them with
`show_run`, a fragment that polls while the run goes on.
"""

import streamlit as st

from studio import models, runs
from studio.text import counted

STATUS_SECONDS = 0.5  # how often Stop and the progress line redraw while a run goes on


def run_status(run):
    """The one line that says where the run is: progress, stopping, saving, or how it ended."""
    job, progress = run.job, run.job.progress
    if job.status == "failed":
        st.error(f"Training failed: {job.error}")
    elif job.done:
        # a Stop ends the epoch it falls in early, and Keras counts that epoch: say where it stopped
        when = (f"stopped in epoch {job.result.epochs_run} of {job.config.epochs}" if job.status == "stopped"
                else f"finished after {counted(job.result.epochs_run, 'epoch')}")
        st.success(f"Training {when}, in {job.result.seconds:.1f} s. "
                   f"The model **{run.name}** is now in the sidebar picker.")
    elif job.result is not None:
        st.progress(1.0, text=f"scoring on {runs.SCORED_TEST_IMAGES:,} test images and saving the model…")
    elif progress is None:
        st.progress(0.0, text="stopping…" if job.stopping else "starting…")
    else:
        eta = "" if progress.eta_seconds != progress.eta_seconds else f" · about {progress.eta_seconds:.0f} s left"
        text = (f"epoch {progress.epoch}/{progress.epochs} · batch {progress.batch}/{progress.batches} · "
                f"{progress.images_per_second:,.0f} images/s{eta}")
        st.progress(progress.fraction, text="stopping after this batch…" if job.stopping else text)


def run_actions(run):
    """Stop while it runs (disabled once asked); the downloads once the model is kept."""
    if run.running:
        st.button("Stopping…" if run.job.stopping else "Stop", key="stop_training", icon=":material/stop:",
                  on_click=run.job.stop, disabled=run.job.stopping)
    elif run.key in models.session_models():  # gone once newer models have taken its place
        entry = models.session_models()[run.key]
        download_left, download_right = st.columns(2)
        # short labels: the Anomaly page shows them in a fifth of its width
        download_left.download_button("Model (.keras)", entry.path.read_bytes(), entry.path.name,
                                      mime="application/octet-stream", key="download_keras",
                                      icon=":material/download:", help="the trained model, for `keras.models.load_model`")
        download_right.download_button("Card (.json)", entry.path.with_suffix(".json").read_bytes(),
                                       entry.path.with_suffix(".json").name, mime="application/json",
                                       key="download_card", icon=":material/download:",
                                       help="its model card: how it was trained, and its scores")


RUN_PAGES = {"train": "the Train page", "anomaly": "the Anomaly detection page"}  # the pages that start runs


def show_run(running, idle_message, page):
    """Stop and the progress line of this visitor's run (or `idle_message` without one), redrawn while it runs.

    Only a run that `page` started: another page's run is named while it goes on, and not shown.
    """

    @st.fragment(run_every=STATUS_SECONDS if running else None)
    def status(drawn_running):
        run = runs.current_run()
        if drawn_running and run is not None and not run.running:
            # The run ended (its model already saved): redraw the whole app, so the picker, the Start
            # button and this view change together. Only this fragment asks: a second app rerun could
            # arrive with the browser's old picker value and undo the pick of the new model.
            st.rerun(scope="app")
        if run is None or run.page != page:
            st.info(idle_message if run is None or not run.running else
                    f"Your other training run goes on ({RUN_PAGES[run.page]} shows it): one run at a time, so this "
                    "one can start when it ends.")
            return
        run_actions(run)  # each slot always holds one element, so no state outlives the next
        run_status(run)

    status(running)
