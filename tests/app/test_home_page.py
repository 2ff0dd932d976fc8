"""AppTest: Home's diagram gives the picked model's real sizes."""

import base64
import html
import re

from tests.app.test_pages import assert_clean, open_app


def image_svg(element):
    """The SVG an st.image element shows, or None for a picture of pixels."""
    url = element.proto.imgs[0].url
    prefix = "data:image/svg+xml;base64,"
    return base64.b64decode(url.removeprefix(prefix)).decode() if url.startswith(prefix) else None


def diagram(at):
    """The lines of text in Home's diagram (an SVG), one per line, as a visitor reads them."""
    svg = next(image_svg(element) for element in at.get("image") if image_svg(element))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    return "\n".join(html.unescape(line) for line in re.findall(r"<text[^>]*>([^<]*)</text>", svg))


def test_the_diagram_says_how_many_numbers_the_code_holds(app_env):
    at = open_app()  # a_conv_gaussian: a 7 x 7 x 32 feature map
    assert_clean(at)
    assert "code\n1,568 numbers" in diagram(at) and "784 pixels" in diagram(at)
    at.sidebar.selectbox(key="model").set_value("b_vae").run()
    assert "code\n2 numbers" in diagram(at) and "a few numbers" not in diagram(at)
    at.sidebar.selectbox(key="model").set_value("c_points_linear").run()  # a model of 3-D points
    assert_clean(at)
    assert "input point\n3 coordinates" in diagram(at) and "pixels" not in diagram(at)
    card = "\n".join(caption.value for caption in at.sidebar.caption)
    assert "training points" in card and "training images" not in card
