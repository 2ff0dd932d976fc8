"""Hovering a point of a plotly scatter shows that point's image beside the pointer.

Plotly's hover labels hold text only, so a small script on the page (a Streamlit component without a
frame; its code is here, nothing is fetched) listens to the chart's hover events and draws the
point's image, cut from one sprite sheet of all the images sent with the page, on a floating canvas.
Each point's `customdata` is its index into the images.
"""

import base64
import hashlib

import numpy as np
import streamlit as st

from aecore.figures import mosaic
from aecore.images import to_png
from studio.progress import result_cache

SCALE = 3  # screen pixels per image pixel
SENT = "hover_sprites_sent"  # session state: ids of the sprite sheets this session's page holds

SCRIPT = """
export default function(component) {
    const { data, setTriggerValue } = component;
    const state = window.aestudioHover = window.aestudioHover || {};
    state.columns = data.columns; state.height = data.height; state.width = data.width;
    if (data.sprite) {  // sent once per session; later runs send only its id
        state.id = data.id;
        state.sprite = new Image();
        state.sprite.src = data.sprite;
    } else if (state.id !== data.id) {
        state.sprite = null;
        setTriggerValue('missing', data.id);  // this page never got it (a reload, another sheet since): ask again
        return () => {};
    }
    let tip = document.getElementById('aestudio-hover-image');
    if (!tip) {
        tip = document.createElement('canvas');
        tip.id = 'aestudio-hover-image';
        tip.style.cssText = 'position:fixed;display:none;pointer-events:none;z-index:100000;' +
                            'border:2px solid #444;background:#000;image-rendering:pixelated';
        document.body.appendChild(tip);
    }
    const show = event => {
        const point = event.points.find(p => p.customdata !== undefined && p.customdata !== null);
        const mouse = event.event;
        if (!point || !mouse || !state.sprite || !state.sprite.complete) return;
        const index = Number(point.customdata), w = state.width, h = state.height;
        tip.width = w * data.scale; tip.height = h * data.scale;
        const context = tip.getContext('2d');
        context.imageSmoothingEnabled = false;
        context.drawImage(state.sprite, (index % state.columns) * w, Math.floor(index / state.columns) * h, w, h,
                          0, 0, tip.width, tip.height);
        tip.dataset.index = String(index);
        tip.style.left = (mouse.clientX + 16) + 'px';
        tip.style.top = (mouse.clientY + 16) + 'px';
        tip.style.display = 'block';
    };
    const attach = () => {
        const plot = document.querySelector(`.st-key-${data.chart} .js-plotly-plot`);
        if (!plot || !plot.on || plot.aestudioHover) return;
        plot.aestudioHover = true;
        plot.on('plotly_hover', show);
        plot.on('plotly_unhover', () => { tip.style.display = 'none'; });
    };
    attach();
    const timer = setInterval(attach, 250);  // the chart is redrawn (a new element) when its figure changes
    return () => { clearInterval(timer); tip.style.display = 'none'; };
}
"""

_component = st.components.v2.component("aestudio.hover_images", js=SCRIPT)


def sprite_sheet(images):
    """All `images` (N x H x W [x 1]) in one PNG as a data URL, `columns` to a row, and that column count."""
    columns = int(np.ceil(np.sqrt(len(images))))
    rows = [list(images[start : start + columns]) for start in range(0, len(images), columns)]
    sheet = mosaic(rows, scale=1, gap=0, background=0.0)
    return "data:image/png;base64," + base64.b64encode(to_png(sheet)).decode("ascii"), columns


def hover_images(chart_key, images, cache_key):
    """Show `images[i]` when the pointer is over a point whose customdata is `i` in the chart keyed `chart_key`.

    The sprite sheet is kept per `cache_key` (it takes a moment to build for 10,000 images) and sent to
    a session once (2.3 MB for 10,000 digits): later runs send its id, and the page asks for the sheet
    again if it does not hold that one.
    """
    key = ("sprite", cache_key)
    sheet = result_cache().get(key)
    if sheet is None:
        sheet = sprite_sheet(images)
        result_cache().put(key, sheet)
    url, columns = sheet
    sprite_id = hashlib.sha1(repr(key).encode()).hexdigest()[:16]
    sent = st.session_state.setdefault(SENT, set())
    height, width = images.shape[1:3]
    _component(key=f"{chart_key}_hover", height=0, on_missing_change=lambda: sent.discard(sprite_id),
               data=dict(chart=chart_key, id=sprite_id, sprite="" if sprite_id in sent else url, columns=columns,
                         height=int(height), width=int(width), scale=SCALE))
    sent.add(sprite_id)
