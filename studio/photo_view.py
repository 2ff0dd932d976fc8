"""The Denoise page's photo mode: full-resolution colour photos, one at a time, with views to compare.

Each upload is decoded one at a time (up to `photo_pixels`; bigger ones are shrunk with a message),
sent to the photo model that matches it (gray photos to the gray model, colour ones to the colour
model) and kept as 8-bit arrays in the session, so moving a slider does not denoise again. An upload
of more photos than one view holds (more than `kept`, or over `request_pixels`) goes to a background
job instead (`studio.photo_jobs`): one photo at a time into a zip, with progress and thumbnails. The
sizes, the results kept and the photos denoised at once on the server are `studio.limits.photo_limits()`.
"""

import hashlib
import time

import numpy as np
import streamlit as st

from aecore.cards import best_photo_models
from aecore.denoise import blend, denoise, is_photo_model, noise_in_words
from aecore.figures import before_after, crop_locator, fit_for_display, zoom_crop
from aecore.images import Upload, as_8_bit, is_gray, safe_file_name, survey, to_jpeg, to_png, to_zip
from aecore.noise import Noise
from studio import models, settings, visitors
from studio.common import METRIC_WIDTH, inline_jpeg, metric_row
from studio import uploads as upload_path
from studio.limits import photo_denoising_slots, photo_limits
from studio.links import query_default, share
from studio.photo_jobs import PhotoJob
from studio.settings import PHOTO_DEFAULTS
from studio.text import counted, plain

SAMPLE_SIGMA = 25  # noise added to the (clean) sample photo when Add noise is off
ZOOM_SIDE = 320  # screen pixels of each crop in the 1:1 zoom
MIN_SIDE = 16  # smaller uploads are refused with a note: there is nothing to denoise in them
UPLOADER_VIEW = "denoise_upload_view"  # which view of the Denoise page drew its uploader last: "photo" or "digit"
LAST_SHOWN = "photo_last_shown"  # store keys of the photos last shown, to show again after a page switch


def photo_models(kind="upload"):
    """`{channels: picker key}` of the photo models on offer (1: gray, 3: colour), the best for `kind` of photo."""
    return best_photo_models({key: entry.card for key, entry in models.available_models().items()}, kind)


def model_for(item, picked, noise_added=False):
    """The picker entry to denoise upload `item` with: the photo model made for photos like it, else `picked`.

    Gray photos go to the gray model. Colour ones go to the model for their noise
    (`aecore.cards.PHOTO_PREFERENCE`): noise added here (`noise_added`) is white, whatever the file;
    an upload's is of any kind.
    """
    wanted = 1 if is_gray(item.image) else 3
    kind = "white" if noise_added else "subsampled" if wanted == 3 and item.subsampled else "upload"
    key = photo_models(kind).get(wanted)
    entry = models.model_entry(key) if key else None
    return entry if entry is not None and is_photo_model(entry.model) else picked


def sample_photo():
    """A photo to try the page with: scikit-learn's bundled 'china.jpg' (Creative Commons, see its README)."""
    from sklearn.datasets import load_sample_image

    return Upload("sample: china.jpg (scikit-learn)", image=load_sample_image("china.jpg").astype(np.float32) / 255)


def results_store():
    return st.session_state.setdefault("photo_results", {})


def denoised(item, picked, sigma, seed, ensemble, key, bar):
    """The result for `item`, from the session's store or computed now (with `bar` showing progress)."""
    store, limits = results_store(), photo_limits()
    if key not in store:
        entry = model_for(item, picked, noise_added=bool(sigma))
        slots = photo_denoising_slots(limits.denoising_at_once)
        if not slots.acquire(blocking=False):
            bar.progress(0.0, text=f"Waiting for other visitors' photos to finish before {plain(item.name)}…")
            slots.acquire()
        try:
            bar.progress(0.0, text=f"Denoising {plain(item.name)} with {entry.key}…")
            result = denoise(entry.model, item.image, noise=Noise.from_sigma(sigma), seed=seed, ensemble=ensemble,
                             on_progress=lambda done: bar.progress(done, text=f"Denoising {plain(item.name)}: {done:.0%}"))
        finally:
            slots.release()
        noisy, output = as_8_bit(result.noisy), as_8_bit(result.output)
        # What the views need, no more: a kept 12-megapixel result is two 36 MB arrays and two display copies.
        store[key] = dict(name=item.name, model=entry.key, noisy=noisy, output=output, metadata=item.metadata, removed=result.removed,
                          display=(fit_for_display(noisy), fit_for_display(output)),
                          notes=[note for note in (item.note, None if sigma else jpeg_note(item, entry), *result.notes) if note],
                          scaled=item.note is not None, seconds=result.seconds,
                          scores=result.scores() if sigma else None, added=sigma, ensemble=ensemble)
        while len(store) > limits.kept:
            store.pop(next(iter(store)))
    return store[key]


def jpeg_note(item, entry):
    """What to say about a JPEG with subsampled colour: which model took it, or that none is made for it."""
    if not item.subsampled or is_gray(item.image):
        return None
    if entry.card.trained_for != "white":
        return (f"This file stores its colour at half resolution, as cameras and phones do; {entry.key} is "
                "trained for the blotchy colour noise such files carry.")
    return ("This file stores its colour at half resolution, as cameras and phones do; the colour model here "
            "was trained on white noise and leaves much of the blotchy colour noise of such files.")


def strengths(number):
    """This photo's two strength sliders (luminance, colour), as shares 0-1 (their values live in the session)."""
    luminance = st.session_state.get(f"photo_strength_{number}", 100) / 100
    return luminance, st.session_state.get(f"photo_colour_strength_{number}", 100) / 100


def blended(result, strength, noisy=None, output=None):
    """`output` (the result's by default) with `strength` (luminance, colour) applied, as floats in [0, 1]."""
    noisy = result["noisy"] if noisy is None else noisy
    output = result["output"] if output is None else output
    return blend(np.asarray(noisy, np.float32) / 255, np.asarray(output, np.float32) / 255, *strength)


@st.fragment
def show(result, number):
    """One result: what happened, its strength, the views to compare, and the downloads.

    A fragment: moving a slider here redraws this photo alone, from copies made once when it was denoised.
    """
    height, width = result["output"].shape[:2]
    st.subheader(plain(result["name"]), divider="gray", anchor=False)
    luminance, colour = result["removed"]
    line = (f"{width} x {height} px · {result['model']}{' · best quality' if result['ensemble'] else ''} · "
            f"noise removed: {noise_in_words(max(luminance, colour))} (luminance sigma {luminance:.1f}, "
            f"colour sigma {colour:.1f} of 255) · {result['seconds']:.1f} s")
    st.caption(line)
    for note in result["notes"]:
        st.info(note, icon=":material/info:")
    if result["scores"]:
        scores = result["scores"]
        row = metric_row()  # (`width` above is the photo's, named in the download button)
        row.metric("Noise added", f"sigma {result['added']}", width=METRIC_WIDTH)
        row.metric("PSNR", f"{scores['psnr']:.2f} dB", f"{scores['psnr'] - scores['noisy_psnr']:+.2f} dB vs noisy",
                   width=METRIC_WIDTH)
        row.metric("SSIM", f"{scores['ssim']:.3f}", f"{scores['ssim'] - scores['noisy_ssim']:+.3f} vs noisy",
                   width=METRIC_WIDTH)
    left, right = st.columns(2)
    left.slider("Luminance noise removed (%)", 0, 100, 100, 5, key=f"photo_strength_{number}",
                help="grain: less keeps some of it, for a natural look; the model's full removal is 100")
    right.slider("Colour noise removed (%)", 0, 100, 100, 5, key=f"photo_colour_strength_{number}",
                 help="coloured blotches; they rarely look good, so most people keep this at 100",
                 disabled=result["output"].shape[-1] == 1)
    strength = strengths(number)
    before, after = result["display"]
    after = blended(result, strength, before, after)
    side, wipe, zoom = st.tabs(["Side by side", "Before / after", "1:1 zoom"])
    with side:
        left, right = st.columns(2)
        left.image(inline_jpeg(before), caption="input" + (" with the added noise" if result["added"] else ""))
        right.image(inline_jpeg(after), caption="denoised")
    with wipe:
        position = st.slider("Divider (left: input, right: denoised)", 0, 100, 50, key=f"photo_wipe_{number}")
        st.image(inline_jpeg(before_after(before / 255, after, position / 100)))
    with zoom:
        across, down, magnify = st.columns([2, 2, 1])
        x = across.slider("Across", 0, 100, 50, key=f"photo_zoom_x_{number}", help="where the crop is, % of the width")
        y = down.slider("Down", 0, 100, 50, key=f"photo_zoom_y_{number}", help="% of the height")
        scale = magnify.radio("Pixels shown", [1, 2, 4], key=f"photo_zoom_scale_{number}", format_func=lambda s: f"{s}x",
                              horizontal=True)
        size = ZOOM_SIDE // scale
        crops = [zoom_crop(result[part], x / 100, y / 100, size, scale) for part in ("noisy", "output")]
        shown = st.container(horizontal=True)  # at their true size: side by side where they fit, else one above the other
        shown.image(inline_jpeg(crops[0]), caption=f"input, {size} x {size} px at {scale}x", width=ZOOM_SIDE)
        shown.image(inline_jpeg(blended(result, strength, *crops)), caption=f"denoised, {size} x {size} px at {scale}x",
                    width=ZOOM_SIDE)
        shown.image(inline_jpeg(crop_locator(result["output"], x / 100, y / 100, size)), caption="where the crop is",
                    width="content")
    stem = safe_file_name(result["name"]).rsplit(".", 1)[0]
    png, jpeg = st.columns(2)
    png.download_button(f"Download PNG ({width} x {height})", lambda: to_png(blended(result, strength), result["metadata"]),
                        f"{stem}_denoised.png", mime="image/png", key=f"photo_download_{number}",
                        help="lossless, with the upload's colour profile and EXIF (GPS position left out)")
    jpeg.download_button("Download JPEG (quality 95)", lambda: to_jpeg(blended(result, strength), result["metadata"]),
                         f"{stem}_denoised.jpg", mime="image/jpeg", key=f"photo_download_jpeg_{number}",
                         help="a smaller file, with the upload's colour profile and EXIF (GPS position left out)")


def render(picked):
    """The page body when the picked model is a photo model."""
    limits = photo_limits()
    # A link sets the noise first (its own parameter names: the digit pages' sigma is on a 0-1 scale)
    query_default("photo_add_noise", lambda raw: raw == "1", False)
    query_default("photo_sigma", lambda raw: min(50, max(0, int(raw))), PHOTO_DEFAULTS["photo_sigma"])
    query_default("photo_seed", lambda raw: min(10**6, max(0, int(raw))), PHOTO_DEFAULTS["photo_seed"])
    settings.restore(PHOTO_DEFAULTS)  # what this visitor set before visiting other pages
    # Streamlit forgets an uploader's files when the page is left; its state is gone on the way back. The
    # digit view draws an uploader of the same key (so photos sent to a digit model come along to the photo
    # model), so a visit that passed through it is a return too.
    returning = "denoise_upload" not in st.session_state or st.session_state.get(UPLOADER_VIEW) != "photo"
    st.session_state[UPLOADER_VIEW] = "photo"
    controls, view = st.columns([1, 3])
    uploads = upload_path.uploader(
        controls, "Photos, or a zip of photos", key="denoise_upload",
        note=f"At full resolution and in colour; photos over {limits.photo_pixels / 1e6:.0f} megapixels are scaled down",
    )
    add_noise_first = controls.toggle("Add noise", key="photo_add_noise",
                                      help="add Gaussian noise to a clean photo first, to measure PSNR and SSIM against it")
    sigma = controls.slider("Noise sigma (0-255 scale)", 0, 50, key="photo_sigma", disabled=not add_noise_first)
    seed = controls.number_input("Noise seed", 0, 10**6, key="photo_seed", disabled=not add_noise_first)
    sigma = sigma if add_noise_first else 0
    ensemble = controls.toggle("Best quality", key="photo_best",
                               help="8x slower: denoise the photo in all eight flips and quarter turns and average them, "
                                    "0.1-0.2 dB better (see the README's benchmark)")
    sample = not uploads and controls.toggle("Sample photo", key="photo_sample")  # no help icon: it would cut the label
    settings.save(list(PHOTO_DEFAULTS))
    share(photo_add_noise=1 if add_noise_first else None, photo_sigma=sigma if add_noise_first else None,
          photo_seed=int(seed) if add_noise_first else None)
    files = [(upload.name, upload.getvalue()) for upload in uploads]
    job = visitors.current_visitor().photo_job
    if files:
        count, pixels = survey(files)
        if count > limits.kept or pixels > limits.request_pixels:
            with view:
                show_job(batch_job(files, picked, count, limits))
            return
    elif job is not None and returning:
        view.info("Your last batch, kept while you were on other pages.", icon=":material/history:")
        with view:
            show_job(job)
        return
    store = results_store()
    last = [store[key] for key in st.session_state.get(LAST_SHOWN, []) if key in store]
    if not uploads and not sample and returning and last:
        view.info("Your last results, kept while you were on other pages. Upload the photos again to denoise "
                  "them with other settings.", icon=":material/history:")
        with view:
            show_results(last)
        return
    st.session_state[LAST_SHOWN] = []
    if not uploads and not sample:
        store.clear()  # the visitor removed the photos: their results (about 80 MB each at 12 MP) go with them
        view.info(f"Upload a noisy photo to denoise it at full resolution, or turn on **Sample photo** "
                  f"(scikit-learn's china.jpg, with noise of sigma {SAMPLE_SIGMA} added, or of the sigma you set "
                  "with **Add noise**). To see how well it works, upload a clean photo and turn on **Add noise**.")
        return
    if not uploads and not add_noise_first:
        sigma = SAMPLE_SIGMA  # the sample photo is clean: without noise there would be nothing to see
    with view:
        results = []
        reading = upload_path.Reading(files, color=True, max_pixels=limits.photo_pixels,
                                      request_pixels=limits.request_pixels)
        bar = st.progress(0.0, text="Reading uploads…")
        for source, index, item in reading.keyed() if files else [("sample", 0, sample_photo())]:
            if min(item.image.shape[:2]) < MIN_SIDE:
                reading.refuse(item.name, f"{item.image.shape[1]} x {item.image.shape[0]} pixels is too small to "
                                          f"denoise; a photo needs at least {MIN_SIDE} pixels on each side")
                continue
            key = (source, index, picked.key, sigma, int(seed), ensemble)
            results.append(denoised(item, picked, sigma, int(seed), ensemble, key, bar))
            st.session_state[LAST_SHOWN].append(key)
        bar.empty()
        reading.show_problems()
        if not results:
            st.error("None of the uploads could be used as a photo.")
            return
        show_results(results)


def show_results(results):
    """The banner, a zip of them all when there are several, and each photo's views and download."""
    scaled = sum(r["scaled"] for r in results)
    st.success(f"Denoised {counted(len(results), 'photo')} at full resolution." if not scaled else
               f"Denoised {counted(len(results), 'photo')}: {len(results) - scaled} at full resolution, "
               f"{scaled} scaled down to the pixel limit first (see the note under each).")
    if len(results) > 1:
        chosen = [strengths(number) for number in range(1, len(results) + 1)]
        st.download_button("Download all denoised photos (.zip)",
                           lambda: to_zip((f"{n:03d}_{safe_file_name(r['name']).rsplit('.', 1)[0]}_denoised.png",
                                           blended(r, chosen[n - 1])) for n, r in enumerate(results, start=1)),
                           "denoised.zip", mime="application/zip", key="photo_download_all")
    for number, result in enumerate(results, start=1):
        show(result, number)


def batch_job(files, picked, count, limits):
    """This visitor's batch job for `files`: the one already under way for them, or a new one started now."""
    visitor = visitors.current_visitor()
    digest = hashlib.sha1()
    for name, data in files:
        digest.update(name.encode() + hashlib.sha1(data).digest())
    key = (digest.hexdigest(), picked.key)
    job = visitor.photo_job
    if job is not None and job.key == key:
        return job
    if job is not None:
        job.stop()
    key_for_uploads = photo_models("upload").get(3)  # gray photos go on to the gray model in aecore.denoise
    chosen = models.model_entry(key_for_uploads) if key_for_uploads else picked
    stamp = time.strftime("%H%M%S")
    visitor.photo_job = PhotoJob(files, chosen.model, chosen.key, visitor.directory / f"denoised-{stamp}.zip", count,
                                 photo_denoising_slots(limits.denoising_at_once), limits.photo_pixels, key,
                                 megapixels=survey(files, limits.photo_pixels)[1] / 1e6).start()
    return visitor.photo_job


POLL_SECONDS = 2.0  # how often a running job's progress line is redrawn; a photo takes seconds to minutes


def show_job(job):
    """A batch job: its progress polled while it runs, drawn once when it is over; then its thumbnails.

    The thumbnails are drawn by the page, outside the polling fragment: the fragment redraws the page
    once a photo finishes, so that a thumbnail goes to the browser once, not every poll. (Polled with
    them every second, ten thumbnails cost Chromium 10-13 CPU seconds a minute against 3-4 now, and the
    job's model got 9-13% less CPU: `bench/job_overhead.py`.)
    """
    if job.over:
        draw_progress(job)
    else:
        poll_job(len(job.finished))
    draw_thumbnails(job)


@st.fragment(run_every=POLL_SECONDS)
def poll_job(finished):
    """The progress of the visitor's job; the whole page once more when a photo has finished since it was drawn
    (`finished`, from the page's run) or the job is over."""
    job = visitors.current_visitor().photo_job
    if job is None:
        return
    if job.over or len(job.finished) != finished:
        st.rerun()
    draw_progress(job)


def draw_progress(job):
    """Progress, Stop, the zip of what is done, and what was refused (as text)."""
    st.info(f"{counted(job.total, 'photo')} are more than one view holds, so they are denoised one at a time in "
            f"the background with {job.model_name}, each as it is (Add noise and Best quality are for photos "
            "viewed one at a time). You can leave this page and come back.", icon=":material/dynamic_feed:")
    handled = len(job.finished) + len(job.problems)
    st.progress(1.0 if job.over else min(1.0, handled / max(1, job.total)), text=job.progress_line())
    stop, download = st.columns(2)
    if not job.over:
        stop.button("Stop", key="photo_job_stop", icon=":material/stop:", on_click=job.stop,
                    disabled=job.status == "stopping")
    download.download_button(f"Download the {counted(len(job.finished), 'denoised photo')} (.zip)", job.zip_bytes,
                             "denoised.zip", mime="application/zip", key="photo_job_download",
                             disabled=not job.finished, help="PNGs with each upload's colour profile and EXIF")
    upload_path.show_problems(job.problems, icon=":material/block:")


def draw_thumbnails(job):
    """A thumbnail of each photo the job has finished, with the noise removed in words."""
    columns = st.columns(4)
    for number, item in enumerate(list(job.finished)):
        luminance, colour = item.removed
        columns[number % 4].image(inline_jpeg(item.thumbnail), caption=f"{plain(item.name)} · noise removed: "
                                                          f"{noise_in_words(max(luminance, colour))}")


def offer_photo_switch(where):
    """Under a digit model, before any upload: a button to the photo model, for people who came with photos."""
    models = photo_models()
    key = models.get(3) or models.get(1)
    if key is not None:
        where.button("Photo model", key="switch_to_photo_model_early", icon=":material/photo_camera:",
                     help=f"photos? switch to {key}: this model only knows 28 x 28 digits and clothes; the photo model "
                          "denoises photos at full resolution, in colour or in gray",
                     on_click=lambda: st.session_state.update(model=key))


def offer_photo_model(names):
    """Under a digit model, for uploads that look like photos: say what happened and offer the photo model."""
    models = photo_models()
    key = models.get(3) or models.get(1)
    shown = ", ".join(plain(name) for name in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    message = (f"{shown} look{'s' if len(names) == 1 else ''} like a photo, but the picked model only knows "
               "28 x 28 digits and clothes, so it saw a small gray copy.")
    if key is None:
        st.info(message + " No photo model is installed here.", icon=":material/photo_camera:")
        return
    st.info(message + f" The photo model {plain(key)} denoises photos at full resolution, in colour or in gray.",
            icon=":material/photo_camera:")
    st.button(f"Switch to {key}", key="switch_to_photo_model", type="primary",
              on_click=lambda: st.session_state.update(model=key))


def looks_like_photo(image):
    """A colour picture, or a big gray one with many mid tones (digits are mostly paper and ink)."""
    if not is_gray(image):
        return True
    gray = image if image.ndim == 2 else image[..., 0]
    mid_tones = np.mean((gray > 0.15) & (gray < 0.85))
    return min(gray.shape[:2]) >= 128 and mid_tones > 0.3



@st.cache_data(show_spinner="Denoising the sample photo…", max_entries=4)
def sample_crop(key, sigma=25, size=256):
    """The centre of the sample photo: clean, with noise of `sigma`, and denoised by the picker's `key` model."""
    entry = models.model_entry(key)
    image = sample_photo().image
    top, left = (image.shape[0] - size) // 2, (image.shape[1] - size) // 2
    result = denoise(entry.model, image[top : top + size, left : left + size], noise=Noise.from_sigma(sigma), seed=0)
    return result.reference, result.noisy, result.output, result.scores()


def show_sample(entry, sigma=25):
    """Home for a photo model: a noisy crop of the sample photo beside what the model makes of it."""
    clean, noisy, output, scores = sample_crop(entry.key, sigma)
    st.subheader(f"A photo with noise of sigma {sigma}, denoised by {entry.key.removeprefix(models.SESSION_PREFIX)}")
    columns = st.columns(3)
    for column, image, caption in zip(columns, (noisy, output, clean), (
            f"noisy: {scores['noisy_psnr']:.2f} dB", f"denoised: {scores['psnr']:.2f} dB", "clean")):
        column.image(inline_jpeg(zoom_crop(image, 0.5, 0.5, size=image.shape[0], scale=2)), caption=caption)
    st.caption("The centre of scikit-learn's sample photo 'china.jpg', shown 2x; PSNR against the clean crop.")
    st.page_link("app_pages/denoise.py", label="Denoise your own photos", icon=":material/auto_fix_high:")
