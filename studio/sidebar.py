"""The shared sidebar: the model picker and the picked model's card in plain words."""

import streamlit as st

from aecore.datasets import source_in_words
from studio.links import query_default, share
from studio.models import DEFAULT_MODEL, KEPT_MODELS, SESSION_PREFIX, available_models
from studio.text import plain


def sidebar():
    """The shared sidebar: the model picker and the picked model's card. Returns the `ModelEntry` (model not loaded)."""
    entries = available_models()
    with st.sidebar:
        st.header("Model")
        if not entries:
            st.info("No models yet: train one on the Train page, or use Quick start on Home.")
            return None
        keys = list(entries)
        default = DEFAULT_MODEL if DEFAULT_MODEL in entries else keys[0]
        query_default("model", str, default)
        if st.session_state["model"] not in entries:
            wanted = st.session_state["model"]
            why = ("was trained in someone else's session, and models trained here are seen only by the person "
                   "who trained them" if wanted.startswith(SESSION_PREFIX) else "is not here")
            st.warning(f"The model {plain(wanted.removeprefix(SESSION_PREFIX))} in this link {why}; showing {default}.")
            st.session_state["model"] = default
        key = st.selectbox("Model", keys, key="model", format_func=lambda k: entries[k].label,
                           label_visibility="collapsed")
        share(model=key)
        entry = entries[key]  # its card: the model loads where a page needs it
        show_card(entry.card, entry.trained_here)
        if any(entries[name].trained_here for name in keys):
            st.caption(f"Models you train stay on this server while it runs, through reloads and new tabs of this "
                       f"browser (your newest {KEPT_MODELS}). Nobody else sees them, not even with your link.")
    return entry


def show_card(card, trained_here=False):
    """A short summary of an `aecore.cards.ModelCard` in plain words: origin, data, noise, epochs, test metrics."""
    if not card:
        st.caption("This model has no card.")
        return
    scores = card.model_scores
    if card.is_photo:
        origin = "trained in this session, seen only by you" if trained_here else "pretrained"
        lines = [f"**photo** · {'colour' if card.channels == 3 else 'gray'} · any size · {origin}",
                 f"code: bottleneck map of {card.options.get('code_size', '?')} channels at 1/"
                 f"{2 ** (len(card.options.get('widths', [0])) - 1)} of the size",
                 f"trained on {len(card.training_photos)} photos, {card.patches_seen:,} patches",
                 f"noise: {card.noise or 'not recorded'}"]
        if scores:
            named = {"psnr_camera_jpeg": "camera noise as JPEG"}
            lines.append("PSNR on held-out wallpapers: " + " · ".join(
                f"{named.get(name, 'sigma ' + name.removeprefix('psnr_sigma'))}: {value:.2f} dB"
                for name, value in scores.items()))
        st.caption("  \n".join(lines))
        return
    origin = "trained in this session, seen only by you" if trained_here else "pretrained"
    examples = "points" if len(card.input_shape or (28, 28, 1)) == 1 else "images"
    images = f", {card.train_examples:,} training {examples}" if card.train_examples else ""
    if images and card.classes is not None:  # a detector's: not the whole data set the source line names
        images += " of its normal classes"
    source = source_in_words(card.data_source or "unknown source", trained=True)  # where it was trained
    lines = [
        f"**{card.architecture or '?'}** · code {card.code_in_words} · {origin}",
        f"data: {card.dataset or '?'}{images}; {source}",
        f"noise: {card.noise or 'none'} · epochs: {'?' if card.epochs is None else card.epochs}",
    ]
    if card.changed_options:
        lines.append("recipe changes: " + ", ".join(f"{key}={value}" for key, value in card.changed_options.items()))
    if scores:
        lines.append(" · ".join(f"{name} {scores[name]:.4g}" for name in ("bce", "psnr", "ssim") if name in scores))
    if card.classes is not None:
        detected = card.anomaly.get("auroc")
        lines.append(f"anomaly detector: normal classes {', '.join(map(str, card.classes))}"
                     + (f" · AUROC {detected:.3f} against the other classes" if detected is not None else ""))
    st.caption("  \n".join(lines))
