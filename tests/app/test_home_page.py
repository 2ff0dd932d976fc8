"""AppTest: Home's diagram gives the picked model's real sizes."""

from tests.app.test_pages import assert_clean, open_app


def diagram(at):
    return at.get("graphviz_chart")[0].proto.spec


def test_the_diagram_says_how_many_numbers_the_code_holds(app_env):
    at = open_app()  # a_conv_gaussian: a 7 x 7 x 32 feature map
    assert_clean(at)
    assert "code\\n1,568 numbers" in diagram(at) and "784 pixels" in diagram(at)
    at.sidebar.selectbox(key="model").set_value("b_vae").run()
    assert "code\\n2 numbers" in diagram(at) and "a few numbers" not in diagram(at)
    at.sidebar.selectbox(key="model").set_value("c_points_linear").run()  # a model of 3-D points
    assert_clean(at)
    assert "input point\\n3 coordinates" in diagram(at) and "pixels" not in diagram(at)
    card = "\n".join(caption.value for caption in at.sidebar.caption)
    assert "training points" in card and "training images" not in card
