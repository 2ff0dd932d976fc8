"""Hostile and odd uploads: each decodes correctly or gives one clear message naming the file and why.

The corpus comes from tests/bad_uploads.py. Bounds: the whole corpus is also read in a fresh
process capped at 1.5 GB of address space and 120 s, where a bomb that got through would fail.
"""

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aecore.images import ImageError, load_image, read_upload
from tests.bad_uploads import corpus

ROOT = Path(__file__).resolve().parent.parent
CASES = corpus()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_upload_decodes_or_is_reported_by_name(case):
    uploads = read_upload(case.name, case.data)
    decoded = [upload for upload in uploads if upload.image is not None]
    problems = [upload for upload in uploads if upload.error]
    assert len(decoded) == case.images and len(problems) == case.errors
    assert all(upload.name.startswith(case.name) for upload in uploads)
    assert all(upload.image.ndim == 2 and 0 <= upload.image.min() and upload.image.max() <= 1 for upload in decoded)
    if case.reason:
        assert any(case.reason.lower() in f"{problem.name} {problem.error}".lower() for problem in problems)


def test_corpus_is_read_within_bounded_memory_and_time():
    script = (
        "import json, resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({3 << 29}, {3 << 29}))\n"
        "from tests.bad_uploads import corpus\n"
        "from aecore.images import read_upload\n"
        "counts = {c.name: len(read_upload(c.name, c.data)) for c in corpus()}\n"
        "print(json.dumps({'tensorflow': 'tensorflow' in sys.modules, 'counts': counts,\n"
        "    'peak_rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))\n"
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                               timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert completed.returncode == 0, completed.stderr[-2000:]
    report = json.loads(completed.stdout)
    assert not report["tensorflow"], "reading uploads must not need TensorFlow"
    assert set(report["counts"]) == {case.name for case in CASES}
    print(f"corpus peak RSS {report['peak_rss_mb']} MB")


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
