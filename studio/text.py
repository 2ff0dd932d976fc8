"""Text from visitors (file names, zip members, link parameters) shown as plain text inside Markdown.

Streamlit renders Markdown in messages, so a file named `[ok](https://evil.example).png` would show
as a link that looks like part of the app. `plain` backslash-escapes every ASCII punctuation mark,
which CommonMark then prints as itself.
"""

import string

_ESCAPES = {ord(mark): "\\" + mark for mark in string.punctuation}


def plain(text):
    """`text` escaped so Streamlit's Markdown shows it exactly as written: no links, emphasis, icons or HTML."""
    return str(text).translate(_ESCAPES).replace("\n", " ")


def counted(number, noun, plural=None):
    """`number` with `noun` in the right number: "1 photo", "2 photos", "3 epochs"."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
