"""Linear autoencoder vs PCA: on a 3-D cloud, a linear autoencoder with a 2-D code finds PCA's plane."""

import numpy as np
import streamlit as st
from sklearn.decomposition import PCA

from aecore.figures import latent_scatter, points_and_planes
from aecore.latent import principal_subspace_angle
from aecore.training import TrainConfig, train
from studio import models
from studio.progress import result_cache


def pretrained_linear():
    """A pretrained linear autoencoder of the point cloud from the picker's folder, or `None`."""
    for key, entry in models.available_models().items():
        if not entry.trained_here and entry.capabilities.linear and entry.dataset_name == "points3d":
            return models.model_entry(key)
    return None


def train_linear(settings):
    """A `linear` model trained on the point cloud with a progress bar; kept for every visitor, read-only."""
    epochs, learning_rate, seed = settings
    model = result_cache().get(("linear_pca", settings))
    if model is None:
        bar = st.progress(0.0, text="Training a linear autoencoder on the 3-D points…")

        def report(progress):
            bar.progress(progress.fraction, text=f"Training a linear autoencoder: epoch {progress.epoch}/{progress.epochs}")

        model = train("linear", models.dataset("points3d"), TrainConfig(epochs=epochs, batch_size=32, seed=seed),
                      on_progress=report, code_size=2, learning_rate=learning_rate).model
        bar.empty()
        result_cache().put(("linear_pca", settings), model)
    return model


st.title("Linear autoencoder vs PCA")
st.markdown(
    "A linear autoencoder (no activations) squeezing 3-D points through a 2-D code must map them onto a "
    "plane. Trained to minimise squared error, the best plane is the one **PCA** finds: the span of the "
    "two directions of largest variance. The codes themselves may be rotated or stretched compared with "
    "PCA's coordinates, but the plane is the same, so the angle between the two subspaces goes to zero."
)
controls, view = st.columns([1, 3])
epochs = controls.slider("Epochs", 10, 300, 150, step=10, key="linear_epochs")
learning_rate = controls.select_slider("Learning rate", [0.001, 0.003, 0.01, 0.03], 0.01, key="linear_lr")
seed = controls.number_input("Seed", 0, 1000, 0, key="linear_seed")
settings = (int(epochs), float(learning_rate), int(seed))
pretrained = pretrained_linear()
if controls.button("Train", key="linear_train", type="primary") or pretrained is None:
    st.session_state["linear_shown"] = settings
shown = st.session_state.get("linear_shown")

data = models.dataset("points3d")
points = data.x_train
if shown is None:  # the first view: a model trained beforehand, no wait
    model = pretrained.model
    card = pretrained.card
    controls.caption(f"Shown: the pretrained {pretrained.label} ({'?' if card.epochs is None else card.epochs} epochs, learning rate "
                     f"{card.recipe.get('learning_rate', '?')}). Train one with the settings above to compare.")
else:
    with view:
        model = train_linear(shown)
    controls.caption(f"Shown: trained with {shown[0]} epochs, learning rate {shown[1]}, seed {shown[2]}.")
codes = model.encode(points)
reconstructions = model.reconstruct(points)
pca = PCA(n_components=2).fit(points)
pca_codes = pca.transform(points)
pca_reconstructions = pca.inverse_transform(pca_codes)
angle = principal_subspace_angle(points, model)

with view:
    first, second, third = st.columns(3)
    first.metric("Plane angle", f"{angle:.2f}°",  # short labels: a third of the view at 1280 px shows about 20
                 help="the angle between the two planes, their largest principal angle; 0 = identical")
    second.metric("Autoencoder MSE", f"{np.mean((points - reconstructions) ** 2):.4f}")
    third.metric("PCA MSE", f"{np.mean((points - pca_reconstructions) ** 2):.4f}",
                 help="the optimum: no linear code of this size reconstructs the points better")
    st.plotly_chart(points_and_planes(points, reconstructions, pca_reconstructions), key="linear_3d")
    left, right = st.columns(2)
    left.plotly_chart(latent_scatter(codes, data.y_train, data.class_names, title="Autoencoder codes (2-D)"),
                      key="linear_codes")
    right.plotly_chart(latent_scatter(pca_codes, data.y_train, data.class_names, title="PCA projection (2-D)"),
                       key="linear_pca")
