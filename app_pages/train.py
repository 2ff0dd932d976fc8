"""Train: pick a recipe, start a run off the script thread, and watch it learn epoch by epoch."""

import streamlit as st

from aecore.architectures import IMAGE_MODELS, LOSSES, OPTIMIZERS, list_models, recipe
from aecore.datasets import DATASETS, source_in_words
from aecore.figures import loss_curves
from aecore.noise import NOISE_KINDS, Noise, add_noise
from aecore.training import TrainConfig
from studio import common, models, runs, settings
from studio.links import query_default, share
from studio.limits import count_control, counts_up_to, training_limits
from studio.noise_controls import fit_level_to_kind, largest_level
from studio.settings import TRAIN_DEFAULTS

STATUS_SECONDS = 0.5  # how often Stop and the progress line redraw while a run goes on
PICTURES_SECONDS = 2.0  # the loss curve and the preview change only once an epoch

st.title("Train an autoencoder")
limits = training_limits()
if limits.hosted:
    st.caption(f"Hosted demo: at most {limits.max_epochs} epochs, {limits.max_train_images:,} training images, "
               f"and {limits.max_concurrent} runs at once on this server.")
run = runs.current_run()
running = run is not None and run.running

datasets = [name for name in DATASETS if name != "points3d"]  # points3d belongs to the Linear AE vs PCA page
defaults = {**TRAIN_DEFAULTS, "train_epochs": min(TRAIN_DEFAULTS["train_epochs"], limits.max_epochs)}
settings.restore({"dataset": None, **defaults})  # what this visitor set before visiting other pages
query_default("dataset", lambda value: value if value in datasets else "mnist", "mnist")

left, middle, right = st.columns(3)
descriptions = list_models()
architecture = left.selectbox("Architecture", IMAGE_MODELS, key="train_architecture",
                              format_func=lambda name: f"{name}: {descriptions[name]}")
dataset_name = left.selectbox("Dataset", datasets, key="dataset")
data = models.dataset(dataset_name)
left.caption(f"{len(data.x_train):,} training images here: {source_in_words(data.source)}")
code_size = left.number_input("Code size (0 = the recipe's)", 0, 512, key="train_code_size",
                               help="for conv: the channels of the bottleneck map, whose code has 7 x 7 times as "
                                    "many values on 28 x 28 images")
code_units = left.number_input("Conv: dense code layer (0 = none)", 0, 512, key="train_code_units",
                               disabled=architecture != "conv",
                               help="a real bottleneck: a dense layer of this many values after the conv map "
                                    "is the code")
epochs = middle.slider("Epochs", 1, limits.max_epochs, key="train_epochs")
batch_size = middle.selectbox("Batch size", [32, 64, 128, 256], key="train_batch")
counts = counts_up_to(len(data.x_train), range(500, limits.max_train_images + 1, 500))
train_count = count_control(middle, "Training images", counts, "train_count", TRAIN_DEFAULTS["train_count"],
                            help=f"this dataset has {len(data.x_train):,} training images here"
                            + (f"; at most {limits.max_train_images:,} per run" if limits.hosted else ""))
optimizer = right.selectbox("Optimizer", ["(recipe)", *OPTIMIZERS], key="train_optimizer")
learning_rate = right.number_input("Learning rate (0 = the recipe's)", 0.0, 10.0, format="%.4f",
                                   key="train_learning_rate")
loss = right.selectbox("Loss", ["(recipe)", *LOSSES], key="train_loss", help="the vae always uses BCE + KL")
noise_kind = right.selectbox("Noise", ["none", *NOISE_KINDS], key="train_noise", on_change=fit_level_to_kind,
                             args=("train_noise", "train_noise_level"))
noise_level = right.slider("Noise level (sigma for gaussian)", 0.0, largest_level(noise_kind), step=0.05,
                           key="train_noise_level", disabled=noise_kind == "none")
start = st.button("Start training", type="primary", disabled=running, key="start_training")
settings.save(["dataset", *defaults])

share(dataset=dataset_name)

if start:
    try:
        noise = None if noise_kind == "none" or noise_level == 0 else Noise(noise_kind, noise_level)
        config = TrainConfig(epochs=epochs, batch_size=batch_size, noise=noise, seed=0)
        originals = data.x_test[:8]
        compile_options = dict(optimizer=None if optimizer == "(recipe)" else optimizer,
                               learning_rate=learning_rate or None, loss=None if loss == "(recipe)" else loss)
        # The live preview reconstructs what it shows: the noisy inputs of a denoiser.
        runs.start_run(architecture, dataset_name, data.subset(train=train_count), config,
                       recipe(architecture, **compile_options), originals, add_noise(originals, noise, seed=0),
                       limits, code_size=code_size or None, **compile_options,
                       **({"code_units": code_units or None} if architecture == "conv" else {}))
        st.rerun()
    except ValueError as error:
        st.error(f"Cannot start: {error}")


def run_status(run):
    """The one line that says where the run is: progress, stopping, saving, or how it ended."""
    job, progress = run.job, run.job.progress
    if job.status == "failed":
        st.error(f"Training failed: {job.error}")
    elif job.done:
        verb = "stopped early" if job.status == "stopped" else "finished"
        st.success(f"Training {verb} after {job.result.epochs_run} epoch(s) in {job.result.seconds:.1f} s. "
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
        download_left.download_button("Download model (.keras)", entry.path.read_bytes(), entry.path.name,
                                      mime="application/octet-stream", key="download_keras")
        download_right.download_button("Download model card (.json)", entry.path.with_suffix(".json").read_bytes(),
                                       entry.path.with_suffix(".json").name, mime="application/json",
                                       key="download_card")


@st.fragment(run_every=STATUS_SECONDS if running else None)
def show_status(drawn_running):
    """Stop and the progress line: small, so it redraws fast and a click on Stop shows at once."""
    run = runs.current_run()
    if run is None:
        st.info("Choose settings and press **Start training**. You can switch pages while it runs.")
        return
    if drawn_running and not run.running:
        # The run ended (its model already saved): redraw the whole app, so the picker, the Start
        # button and this view change together. Only this fragment asks: a second app rerun could
        # arrive with the browser's old picker value and undo the pick of the new model.
        st.rerun(scope="app")
    run_actions(run)  # each slot always holds one element, so no state outlives the next
    run_status(run)


@st.fragment(run_every=PICTURES_SECONDS if running else None)
def show_pictures():
    """The loss curve and the live preview, which change once an epoch."""
    run = runs.current_run()
    if run is None:
        return
    job = run.job
    left, right = st.columns(2)
    if job.history:
        left.plotly_chart(loss_curves(job.history), key="live_loss")
    else:
        left.caption("The loss curve appears after the first epoch.")
    if job.preview_outputs is not None and len(job.preview[0].shape) == 3:
        with right:
            epoch = len(job.history.get("loss", []))
            if job.config.noise:
                rows = [list(run.preview_originals), list(job.preview), list(job.preview_outputs)]
                caption = f"after epoch {epoch}: originals, noisy inputs, their reconstructions"
            else:
                rows = [list(job.preview), list(job.preview_outputs)]
                caption = f"after epoch {epoch}: originals, reconstructions"
            common.show_mosaic(rows, caption=caption)


show_status(running)
show_pictures()
