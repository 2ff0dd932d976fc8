"""Reconstructions: originals, noisy inputs and outputs side by side, with a live sigma slider and metrics."""

import numpy as np
import pandas as pd
import streamlit as st

from aecore.figures import loss_curves
from aecore.metrics import per_example, psnr_gain
from aecore.noise import Noise, add_noise
from studio import common, models
from studio.noise_controls import noise_controls

st.title("Reconstructions")
entry = common.require_model()

controls, view = st.columns([1, 3])
count = controls.slider("Images", 4, 32, 8, step=4, key="recon_count")
trained_noise = Noise.parse(entry.card.noise)  # start from the noise the model was trained with
trained = (trained_noise.kind, trained_noise.level) if trained_noise else ("none", 0.4)  # 0.4: if noise is picked
if st.session_state.setdefault("recon_noise_model", entry.key) != entry.key:  # another model: its own noise
    st.session_state.update(recon_noise_model=entry.key, noise=trained[0], sigma=trained[1])
noise, seed = noise_controls(controls, *trained)
images, labels, data = models.test_images(entry, count)
noisy = add_noise(images, noise, seed=seed)
outputs = entry.model.reconstruct(noisy)

with view:
    rows = [list(images), list(noisy), list(outputs)] if noise else [list(images), list(outputs)]
    common.show_mosaic(rows, caption="originals · " + ("noisy inputs · " if noise else "") + "reconstructions")
    scores = per_example(images, outputs, ["mse", "psnr", "ssim"])
    row = common.metric_row()
    row.metric("Mean MSE", f"{scores['mse'].mean():.4f}", width=common.METRIC_WIDTH)
    row.metric("Mean PSNR", f"{scores['psnr'].mean():.2f} dB", width=common.METRIC_WIDTH)
    row.metric("Mean SSIM", f"{scores['ssim'].mean():.3f}", width=common.METRIC_WIDTH)
    if noise:
        row.metric("Gain over noisy", f"{psnr_gain(images, noisy, outputs):+.2f} dB", width=common.METRIC_WIDTH,
                   help="PSNR gain over the noisy inputs: 10 log10 of their mean squared error over the "
                        "reconstructions'")
    table = pd.DataFrame({"label": [data.class_names[label] for label in labels],
                          **{name: np.round(values, 4) for name, values in scores.items()}})
    st.dataframe(table, height=240, key="recon_table")
    history = entry.card.history
    if history:
        st.plotly_chart(loss_curves(history, title="How this model trained"), key="recon_loss")
