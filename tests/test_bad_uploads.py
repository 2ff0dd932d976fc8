"""Hostile and odd uploads: each decodes correctly or gives one clear message naming the file and why.

The corpus comes from tests/bad_uploads.py. Bounds: the whole corpus is also read in a fresh
process capped at 1.5 GB of address space and 120 s, where a bomb that got through would fail, and
so is a zip of big images in colour (3.2 GB if they were all held at once).
"""

import json
import os
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aecore import images
from aecore.images import MAX_REQUEST_IMAGES, ImageError, load_image, read_upload, read_uploads
from tests.bad_uploads import corpus, png_with_a_bar, zip_of

ROOT = Path(__file__).resolve().parent.parent
CASES = corpus()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_upload_decodes_or_is_reported_by_name(case):
    decoded, problems = 0, []
    for upload in read_upload(case.name, case.data):  # one image at a time: none is kept here
        assert upload.name.startswith(case.name) and "\\" not in upload.name
        assert (upload.image is None) != (upload.error is None)
        if upload.image is not None:
            assert upload.image.ndim == 2 and 0 <= upload.image.min() and upload.image.max() <= 1
            decoded += 1
        else:
            problems.append(upload)
    assert decoded == case.images and len(problems) == case.errors
    if case.reason:
        assert any(case.reason.lower() in f"{problem.name} {problem.error}".lower() for problem in problems)


def test_corpus_is_read_within_bounded_memory_and_time():
    script = (
        "import json, resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({3 << 29}, {3 << 29}))\n"
        "from tests.bad_uploads import corpus\n"
        "from aecore.images import read_upload\n"
        "counts = {c.name: sum(1 for _ in read_upload(c.name, c.data)) for c in corpus()}\n"
        "print(json.dumps({'tensorflow': 'tensorflow' in sys.modules, 'counts': counts,\n"
        "    'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))\n"
    )
    completed = run_script(script)
    report = json.loads(completed.stdout)
    assert not report["tensorflow"], "reading uploads must not need TensorFlow"
    assert set(report["counts"]) == {case.name for case in CASES}
    print(f"corpus peak RSS {report['peak_rss_mb']} MB")


def test_a_zip_of_big_images_is_decoded_one_at_a_time_within_bounded_memory():
    # 16 colour images of 16.8 megapixels are 3.2 GB as float32 together, 200 MB one at a time.
    script = (
        "import resource\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({3 << 29}, {3 << 29}))\n"
        "from tests.bad_uploads import png_with_a_bar, zip_of\n"
        "from aecore.images import read_upload\n"
        "big = zip_of([(f'{i}.png', png_with_a_bar(4096, 4096)) for i in range(16)])\n"
        "items = ((item.image is not None, item.error) for item in read_upload('big.zip', big, color=True))\n"
        "print(sum(decoded for decoded, _ in items))\n"
    )
    completed = run_script(script)
    assert completed.stdout.split() == ["16"]


def test_caps_add_up_over_the_files_and_zips_of_one_request():
    tiny = png_with_a_bar(8, 8)
    files = [(f"part_{n}.zip", zip_of([(f"{i}.png", tiny) for i in range(600)])) for n in range(3)]
    files.append(("last.png", tiny))
    uploads = list(read_uploads(files))
    assert sum(upload.image is not None for upload in uploads) == MAX_REQUEST_IMAGES
    refused = [upload for upload in uploads if upload.error]
    assert [upload.name for upload in refused] == ["part_1.zip", "part_2.zip", "last.png"]
    assert all(f"at most {MAX_REQUEST_IMAGES:,} images" in upload.error for upload in refused)


def test_megapixels_add_up_over_the_files_of_one_request():
    big = png_with_a_bar(4096, 4096)
    budget = images.RequestBudget(pixels=3 * 4096 * 4096)
    uploads = list(read_uploads([("a.zip", zip_of([("1.png", big), ("2.png", big)])), ("b.png", big), ("c.png", big)],
                                max_pixels=1 << 16, budget=budget))
    assert [upload.image is not None for upload in uploads] == [True, True, True, False]
    assert uploads[-1].name == "c.png" and "already decoded 50 megapixels" in uploads[-1].error


def test_the_process_decodes_few_big_images_at_a_time_on_threads_that_yield_the_cpu(monkeypatch):
    decoding, most, niceness = [0], [0], set()
    lock = threading.Lock()
    real_decode = images._decode

    def counting_decode(*args):
        with lock:
            decoding[0] += 1
            most[0] = max(most[0], decoding[0])
            niceness.add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        time.sleep(0.05)
        try:
            return real_decode(*args)
        finally:
            with lock:
                decoding[0] -= 1

    monkeypatch.setattr(images, "_decode", counting_decode)
    big = png_with_a_bar(1100, 1000)  # over a megapixel
    threads = [threading.Thread(target=load_image, args=(big,), kwargs={"max_pixels": 1 << 16}) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == images.LARGE_DECODES_AT_ONCE
    assert min(niceness) >= images.LARGE_DECODE_NICENESS  # (or the test's own, when it runs under a higher nice)


def test_downloads_and_names_of_zip_members_lose_their_folders():
    assert images.member_name("a.zip", "..\\..\\win\\x.png") == "a.zip/x.png"
    data = images.to_zip([("..\\evil\\x.png", load_image(png_with_a_bar(8, 8))), ("../up/y.png", load_image(png_with_a_bar(8, 8)))])
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as archive:
        assert archive.namelist() == ["x.png", "y.png"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_give_an_image_or_an_image_error(data):
    try:
        image = load_image(data)
    except ImageError as error:
        assert str(error)
    else:
        assert image.ndim == 2 and image.size > 0


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0", b"GIF89a", b"BM", b"II*\x00", b"RIFF", b"PK\x03\x04"]),
       st.binary(max_size=2048))
def test_random_bytes_behind_real_magic_numbers_never_escape(magic, tail):
    for upload in read_upload("fuzz.bin", magic + tail):
        assert (upload.image is None) != (upload.error is None)


def run_script(script):
    """Run `script` in a fresh Python at the repository root; it must succeed."""
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                               timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed
