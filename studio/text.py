"""Text from visitors (file names, zip members, link parameters) shown as plain text inside Markdown.

Streamlit renders Markdown in messages, so a file named `[ok](https://evil.example).png` would show
as a link that looks like part of the app. `plain` backslash-escapes every ASCII punctuation mark,
which CommonMark then prints as itself. Escapes alone do not stop GitHub's autolinks, which are found
in the text after escapes are undone (`www.evil.example.png`, `http://...`, `a@evil.example`), so
`plain` also puts an invisible word joiner (U+2060) after `www` and before each `:` and `@`, where
the autolink patterns need two characters side by side. A copied name carries those joiners.
"""

import re
import string

_ESCAPES = {ord(mark): "\\" + mark for mark in string.punctuation}
_JOINER = "\u2060"
_AUTOLINK_JOINTS = re.compile(r"(?i)(?<=www)(?=\\\.)|(?=\\[:@])")


def plain(text):
    """`text` escaped so Streamlit's Markdown shows it exactly as written: no links, emphasis, icons, HTML or math."""
    escaped = str(text).translate(_ESCAPES).replace("\n", " ").replace("\r", " ")
    return _AUTOLINK_JOINTS.sub(_JOINER, escaped)


def counted(number, noun, plural=None):
    """`number` with `noun` in the right number: "1 photo", "2 photos", "3 epochs"."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
