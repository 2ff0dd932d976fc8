"""Train: pick a recipe, start a run off the script thread, and watch it learn epoch by epoch."""

import streamlit as st

from aecore.architectures import IMAGE_MODELS, LOSSES, OPTIMIZERS, capabilities, list_models, recipe
from aecore.datasets import DATASETS, source_in_words
from aecore.figures import latent_scatter, loss_curves
from aecore.latent import project
from aecore.noise import NOISE_KINDS, Noise, add_noise
from aecore.training import TrainConfig
from studio import common, models, run_view, runs, settings
from studio.links import query_default, share
from studio.limits import count_control, counts_up_to, training_limits
from studio.noise_controls import fit_level_to_kind, largest_level
from studio.settings import TRAIN_DEFAULTS

PICTURES_SECONDS = 2.0  # the loss curve and the preview change only once an epoch
LIVE_CODES = 500  # test images whose codes are drawn after every epoch

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
# the name in the box and what it is below it: in a third of a laptop's width the two together were cut off
architecture = left.selectbox("Architecture", IMAGE_MODELS, key="train_architecture")
left.caption(descriptions[architecture])
dataset_name = left.selectbox("Dataset", datasets, key="dataset")
data = models.dataset(dataset_name)
left.caption(f"{len(data.x_train):,} training images here: {source_in_words(data.source)}")
map_code = capabilities(architecture).feature_map_code  # conv: a code_units layer may follow its map
code_size = left.number_input("Code size (0 = the recipe's)", 0, 512, key="train_code_size",
                               help="for conv: the channels of the bottleneck map, whose code has 7 x 7 times as "
                                    "many values on 28 x 28 images")
code_units = left.number_input("Conv: dense code layer (0 = none)", 0, 512, key="train_code_units",
                               disabled=not map_code,
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
                       limits, code_sample=data.x_test[:LIVE_CODES], code_labels=data.y_test[:LIVE_CODES],
                       code_size=code_size or None, **compile_options,
                       **({"code_units": code_units or None} if map_code else {}))
        st.rerun()
    except ValueError as error:
        st.error(f"Cannot start: {error}")


def codes_figure(epoch, codes, labels, class_names):
    """The scatter of the codes after `epoch`, built once an epoch, not at every poll (a poll holds up Stop)."""
    kept = st.session_state.get("live_codes_figure")
    if kept is None or kept[0] is not codes or kept[1] != epoch:  # the job replaces its codes each epoch
        method = "code" if codes.shape[1] == 2 else "pca"
        # The projection on a second, smaller line: a third of the page cuts off a long title.
        projection = "" if method == "code" else f"<br><sup>PCA of {codes.shape[1]:,} values</sup>"
        figure = latent_scatter(project(codes, method, 2).points, labels, class_names,
                                title=f"{len(codes):,} test codes, epoch {epoch}{projection}")
        kept = (codes, epoch, figure.update_layout(height=400, margin_t=56))
        st.session_state["live_codes_figure"] = kept
    return kept[2]


@st.fragment(run_every=PICTURES_SECONDS if running and run.page == "train" else None)
def show_pictures():
    """The loss curve, the codes of test images and the live preview, which change once an epoch."""
    run = runs.current_run()
    if run is None or run.page != "train":  # a detector's run is the Anomaly page's to show
        return
    job = run.job
    left, middle, right = st.columns(3)
    epoch = len(job.history.get("loss", []))
    if job.history:
        left.plotly_chart(loss_curves(job.history), key="live_loss")
    else:
        left.caption("The loss curve appears after the first epoch.")
    codes = job.preview_codes
    if codes is not None and codes.shape[1] >= 2:
        middle.plotly_chart(codes_figure(epoch, codes, run.code_labels, job.dataset.class_names),
                            key="live_codes")
    if job.preview_outputs is not None and len(job.preview[0].shape) == 3:
        with right:
            if job.config.noise:
                rows = [list(run.preview_originals), list(job.preview), list(job.preview_outputs)]
                caption = f"after epoch {epoch}: originals, noisy inputs, their reconstructions"
            else:
                rows = [list(job.preview), list(job.preview_outputs)]
                caption = f"after epoch {epoch}: originals, reconstructions"
            common.show_mosaic(rows, caption=caption)


run_view.show_run(running, "Choose settings and press **Start training**. You can switch pages while it runs.",
                  page="train")
show_pictures()
