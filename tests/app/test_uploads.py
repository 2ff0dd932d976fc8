"""The one upload path (studio.uploads): one budget per request, problems named as plain text, limits from aecore.

The page tests drive every page that takes uploads with the same over-budget zip and check that each
decodes no more than the one cap allows.
"""

import functools
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from aecore import images
from aecore.images import MAX_UPLOAD_BYTES, MB, RequestBudget
from studio import uploads
from studio.text import plain
from tests.app.test_pages import as_shown, assert_clean, open_app
from tests.bad_uploads import zip_of
from tests.conftest import png_bytes

ROOT = Path(__file__).resolve().parents[2]


def digits(mnist, count, prefix="digit"):
    return [(f"{prefix}_{number}.png", png_bytes(1 - mnist.x_test[number, ..., 0])) for number in range(count)]


def test_one_budget_covers_every_file_of_a_request(mnist):
    """Two zips that each fit the cap but not together: the second one's extra image is refused by name."""
    reading = uploads.Reading([("a.zip", zip_of(digits(mnist, 2, "a"))), ("b.zip", zip_of(digits(mnist, 2, "b")))])
    reading.budget.images = 3
    assert [item.name for item in reading] == ["a.zip/a_0.png", "a.zip/a_1.png", "b.zip/b_0.png"]
    assert reading.problems == ["b.zip: only the first 1 of its 2 images were read: one upload reads at most 3 images"]


def test_the_budget_is_aecores_and_a_page_may_only_lower_the_pixels():
    assert uploads.Reading([]).budget == RequestBudget()
    lowered = uploads.Reading([], request_pixels=1000).budget
    assert lowered.pixels == 1000 and lowered.images == images.MAX_REQUEST_IMAGES
    assert uploads.Reading([], request_pixels=10 * images.REQUEST_PIXELS).budget.pixels == images.REQUEST_PIXELS


def test_a_file_over_the_limit_is_named_and_nothing_else_is_lost(mnist):
    big = b"PK\x03\x04" + bytes(MAX_UPLOAD_BYTES)
    reading = uploads.Reading([("first.png", digits(mnist, 1)[0][1]), ("big.zip", big), ("after.png", b"not an image"),
                               ("last.png", digits(mnist, 2)[1][1])])
    assert [item.name for item in reading] == ["first.png", "last.png"]
    assert reading.problems[0] == "big.zip: the file is 50.0 MB; one upload may be at most 50 MB"
    assert reading.problems[1].startswith("after.png: not an image this app reads")


def test_keyed_images_carry_their_files_digest_and_place(mnist):
    archive = zip_of(digits(mnist, 2))
    keyed = list(uploads.Reading([("x.zip", archive), ("y.zip", archive)]).keyed())
    assert [(index, item.name) for _, index, item in keyed] == [
        (0, "x.zip/digit_0.png"), (1, "x.zip/digit_1.png"), (0, "y.zip/digit_0.png"), (1, "y.zip/digit_1.png")]
    assert len({source for source, _, _ in keyed}) == 1  # the same bytes, whatever the file is called


def test_first_decodes_nothing_after_the_first_image(mnist, monkeypatch):
    decoded = counting_decodes(monkeypatch)
    reading = uploads.Reading([("q.zip", zip_of([("notes.txt", b"hi")] + digits(mnist, 5)))])
    assert reading.first().name == "q.zip/digit_0.png" and len(decoded) == 1
    assert reading.problems == ["q.zip/notes.txt: not an image file"]
    assert uploads.Reading([]).first() is None


def test_the_limits_in_words_are_aecores_constants():
    words = uploads.limits_in_words()
    assert f"up to {MAX_UPLOAD_BYTES // MB} MB a file or zip" in words
    assert f"{images.MAX_REQUEST_IMAGES:,} images" in words and f"{images.REQUEST_PIXELS / 1e6:.0f} megapixels" in words
    assert all(name in words.upper() for name in images.FORMATS if name != "HEIF") and "HEIC" in words


def test_streamlits_upload_cap_is_the_apps():
    """One number for the visitor: the server's cap, each uploader's own and the app's check agree."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * MB == MAX_UPLOAD_BYTES


def uploader_script():
    import streamlit as st

    from studio import uploads

    files = uploads.uploader(st, "Files", key="files", note="A note")
    reading = uploads.Reading(files)
    st.write(f"read {len(list(reading))}")
    reading.show_problems(shown=2)


def test_the_uploader_shows_the_limit_and_problems_as_plain_text():
    at = AppTest.from_function(uploader_script).run()
    widget = at.file_uploader(key="files")
    assert widget.proto.max_upload_size_mb == MAX_UPLOAD_BYTES // MB
    assert widget.help.startswith(uploads.limits_in_words()) and widget.help.endswith("A note")
    widget.set_value([("[ok](https://evil.example).png", b"x", "image/png"), ("b.png", b"", "image/png"),
                      ("c.png", b"", "image/png")]).run()
    shown = [warning.value for warning in at.warning]
    assert len(shown) == 3 and shown[-1] == "… and 1 more files that could not be used."
    assert shown[0].startswith(plain("[ok](https://evil.example).png:")) and "](" not in shown[0]
    assert all(warning.proto.icon == "" for warning in at.warning)  # text, not a broken-image box


def counting_decodes(monkeypatch):
    """The names of the images `aecore.images` decodes from now on, in order."""
    decoded = []
    original = images.load_image

    def load_image(data, *args, **kwargs):
        decoded.append(len(data))
        return original(data, *args, **kwargs)

    monkeypatch.setattr(images, "load_image", load_image)
    return decoded


CAP = 3  # images a request may read in these tests: the real cap, 1,000, would take a page minutes


@pytest.fixture
def small_cap(monkeypatch):
    """Every page's request budget, as made by studio.uploads, lowered to `CAP` images."""
    monkeypatch.setattr(uploads, "RequestBudget", functools.partial(RequestBudget, images=CAP))


@pytest.mark.parametrize("page, key, takes", [("app_pages/denoise.py", "denoise_upload", "many"),
                                              ("app_pages/anomaly.py", "anomaly_upload", "many"),
                                              ("app_pages/search.py", "search_upload", "one"),
                                              ("app_pages/completion.py", "completion_upload", "one")])
def test_every_upload_page_holds_the_same_per_request_cap(app_env, mnist, monkeypatch, small_cap, page, key, takes):
    """The same zip of more images than the cap: a page of many uploads reads the cap, a query page one."""
    over_budget = ("over.zip", zip_of(digits(mnist, CAP + 2)), "application/zip")
    at = open_app(page)
    decoded = counting_decodes(monkeypatch)
    at.file_uploader(key=key).set_value([over_budget] if takes == "many" else over_budget).run()
    assert_clean(at)
    warnings = [as_shown(warning.value) for warning in at.warning]
    if takes == "many":
        assert len(decoded) == CAP
        assert f"over.zip: only the first {CAP} of its {CAP + 2} images were read: one upload reads at most {CAP} " \
               "images" in warnings
    else:
        assert len(decoded) == 1 and not any("over.zip" in warning for warning in warnings)


def test_the_anomaly_page_shares_one_budget_over_all_its_files(app_env, mnist, monkeypatch, small_cap):
    """It gave each file a fresh budget, so the per-request cap did not hold there (issue 29)."""
    at = open_app("app_pages/anomaly.py")
    decoded = counting_decodes(monkeypatch)
    at.file_uploader(key="anomaly_upload").set_value(
        [("two.zip", zip_of(digits(mnist, 2)), "application/zip")]
        + [(name, data, "image/png") for name, data in digits(mnist, 2, "loose")]).run()
    assert_clean(at)
    assert len(decoded) == CAP
    warnings = [as_shown(warning.value) for warning in at.warning]
    assert f"loose_1.png: not read: one upload reads at most {CAP} images" in warnings
