"""Visitor text stays plain text in Streamlit's Markdown (the browser test checks no link is drawn)."""

from studio.text import counted, plain


def test_markup_in_a_name_is_escaped():
    assert plain("[ok](https://evil.example).png") == "\\[ok\\]\\(https\u2060\\:\\/\\/evil\\.example\\)\\.png"
    assert plain("a_b*c:material/home:") == "a\\_b\\*c\u2060\\:material\\/home\u2060\\:"


def test_autolinks_are_broken_by_invisible_joiners():
    """GitHub's autolinks are found after escapes are undone: a word joiner sits where each pattern needs a join."""
    assert plain("www.evil.example") == "www\u2060\\.evil\\.example"
    assert plain("WWW.evil.example") == "WWW\u2060\\.evil\\.example"
    assert plain("http://x.example") == "http\u2060\\:\\/\\/x\\.example"
    assert plain("me@x.example") == "me\u2060\\@x\\.example"
    assert plain("line\nbreak\r") == "line break "


def test_counts_read_as_english():
    assert [counted(n, "photo") for n in (0, 1, 2, 1000)] == ["0 photos", "1 photo", "2 photos", "1,000 photos"]
    assert counted(1, "epoch") == "1 epoch" and counted(3, "match", "matches") == "3 matches"
