"""Visitor text stays plain text in Streamlit's Markdown (the browser test checks no link is drawn)."""

from studio.text import counted, plain


def test_markup_in_a_name_is_escaped():
    assert plain("[ok](https://evil.example).png") == r"\[ok\]\(https\:\/\/evil\.example\)\.png"
    assert plain("a_b*c:material/home:") == r"a\_b\*c\:material\/home\:"


def test_counts_read_as_english():
    assert [counted(n, "photo") for n in (0, 1, 2, 1000)] == ["0 photos", "1 photo", "2 photos", "1,000 photos"]
    assert counted(1, "epoch") == "1 epoch" and counted(3, "match", "matches") == "3 matches"
