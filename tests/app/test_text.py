"""Visitor text stays plain text in Streamlit's Markdown (the browser test checks no link is drawn)."""

from studio.text import plain


def test_markup_in_a_name_is_escaped():
    assert plain("[ok](https://evil.example).png") == r"\[ok\]\(https\:\/\/evil\.example\)\.png"
    assert plain("a_b*c:material/home:") == r"a\_b\*c\:material\/home\:"
