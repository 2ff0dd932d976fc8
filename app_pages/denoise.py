"""Denoise your images: photos at full resolution in colour with a photo model, digits the MNIST way."""

import numpy as np
import streamlit as st

from aecore.denoise import is_photo_model, prepare, run_prepared
from aecore.images import safe_file_name, to_png, to_zip
from aecore.metrics import summarize
from studio import common, photo_view, uploads
from studio.noise_controls import noise_controls
from studio.text import counted, plain

SHOWN = 24  # result rows drawn on the page; the zip download holds every result

st.title("Denoise your images")
entry = common.require_model(photos=True)
if is_photo_model(entry.model):
    photo_view.render(entry)
    st.stop()
st.session_state[photo_view.UPLOADER_VIEW] = "digit"

controls, view = st.columns([1, 3])
files = uploads.uploader(controls, "Images or a zip of images", key="denoise_upload")
digit_style = controls.toggle("MNIST-style", value=entry.dataset_name in ("mnist", "digits", None),
                              key="denoise_digit_style",
                              help="prepare each upload like an MNIST digit: invert dark-on-light, crop to the ink, fit into 20x20, "
                                   "centre by mass")
add_noise_first = controls.toggle("Add noise", value=False, key="denoise_add_noise",
                                  help="to see how the model copes; metrics compare with the clean prepared image")
noise, seed = noise_controls(controls) if add_noise_first else (None, 0)
photo_view.offer_photo_switch(controls)

if not files:
    view.info("Upload one or more images (or a zip) to denoise them with the picked model.")
    st.stop()

ready, photos = [], []  # ready: (name, Prepared)
reading = uploads.Reading(files, max_pixels=uploads.DIGIT_PIXELS)
with view:
    bar = st.progress(0.0, text="Reading uploads…")
    # One image decoded at a time, under one budget for the whole request; only the small prepared
    # result of each is kept.
    for number, item in enumerate(reading, start=1):
        if photo_view.looks_like_photo(item.image):
            photos.append(item.name)
        try:  # prepared one at a time (a few KB each); the model then takes them all in one call
            ready.append((item.name, prepare(entry.model, item.image, noise=noise, seed=seed,
                                             digit_style=digit_style)))
        except ValueError as error:  # includes ImageError: a blank picture, say
            reading.refuse(item.name, error)
        if number % 10 == 0:
            bar.progress(min(1.0, number / reading.budget.images), text=f"Read {number} images")
    results = list(zip([name for name, _ in ready], run_prepared(entry.model, [item for _, item in ready])))
    bar.empty()
    reading.show_problems()
    if not results:
        st.error("None of the uploads could be used as an image.")
        st.stop()

    if photos:
        photo_view.offer_photo_model(photos)
    prepared = np.stack([result.reference for _, result in results])
    outputs = np.stack([result.output for _, result in results])
    overall = summarize(prepared, outputs, ["mse", "psnr", "ssim"])
    st.success(f"Denoised {counted(len(results), 'image')}. Mean PSNR {overall['psnr']:.2f} dB, "
               f"SSIM {overall['ssim']:.3f} against each upload as prepared for the model.")
    stems = [safe_file_name(name).rsplit(".", 1)[0] for name, _ in results]
    st.download_button("Download all denoised images (.zip)",
                       to_zip((f"{number:03d}_{stem}_denoised.png", output)
                              for number, (stem, output) in enumerate(zip(stems, outputs), start=1)),
                       "denoised.zip", mime="application/zip", key="download_all")
    if len(results) > SHOWN:
        st.info(f"Showing the first {SHOWN} of {len(results)} results; the zip above holds all of them.")
    for number, (name, result) in enumerate(results[:SHOWN], start=1):
        picture, numbers = st.columns([3, 1])
        row = [result.reference, result.noisy, result.output] if noise else [result.reference, result.output]
        with picture:
            common.show_mosaic([row], caption=plain(name) + ": prepared · " + ("noisy · " if noise else "") + "denoised")
        scores = summarize(result.reference[np.newaxis], result.output[np.newaxis], ["mse", "psnr", "ssim"])
        numbers.caption(f"MSE {scores['mse']:.4f}  \nPSNR {scores['psnr']:.2f} dB  \nSSIM {scores['ssim']:.3f}")
        numbers.download_button("PNG", to_png(result.output), f"{stems[number - 1]}_denoised.png", mime="image/png",
                                key=f"download_{number}")
