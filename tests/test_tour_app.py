"""AppTest for the Lecture tour page, run on the page file directly (see the AppTest trap in
STYLE.md: with st.navigation the entry file is dropped from the second widget change on, so the
page keeps everything it needs in its own code path). Cross-page flows (the Playground link) are
covered in tests/e2e/test_tour_browser.py."""
import os

import pytest
from streamlit.testing.v1 import AppTest

from tour import scenes as S

PAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pages", "tour.py")


def open_scene(n: int) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.query_params["scene"] = str(n)
    return at.run()


def measured_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


@pytest.mark.parametrize("n", [s.number for s in S.SCENES])
def test_every_scene_renders_with_its_claim_formula_figure_and_numbers(n):
    scene = S.get(n)
    at = open_scene(n)
    assert not at.exception
    assert at.subheader[0].value == f"{n}. {scene.title}"
    assert any(scene.latex in l.value for l in at.latex)
    assert any(scene.claim in i.value for i in at.info)
    text = measured_text(at)
    assert "✓" in text and "✗" not in text            # every claim holds under the default switches
    assert at.success and not at.warning
    charts = at.get("plotly_chart")
    assert len(charts) >= 1 + len(scene.plots)       # the map and the side plots
    # the Playground link (a link button here: without st.navigation there is no page to switch to)
    links = at.get("link_button")
    assert links and links[0].proto.url.startswith("./?") and f"surface={scene.surface}" in links[0].proto.url
    if scene.conventions:
        assert at.button_group(key=f"tour_conv_{n}").options == [
            {"torch": "PyTorch"}.get(c, c) for c in scene.conventions]


def test_next_and_previous_walk_the_scenes_in_order():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert at.subheader[0].value.startswith("1.")
    for n in range(2, 13):
        at.button(key="tour_next").click().run()
        assert not at.exception
        assert at.subheader[0].value.startswith(f"{n}."), at.subheader[0].value
        assert at.query_params["scene"] in (str(n), [str(n)])
    assert at.button(key="tour_next").disabled
    at.button(key="tour_prev").click().run()
    assert at.subheader[0].value.startswith("11.")


def test_a_bad_scene_in_the_url_opens_scene_one():
    for bad in ("0", "13", "x", "-1", "1_2", "１２", " 3", "+4"):   # int() took the last four
        at = AppTest.from_file(PAGE, default_timeout=120)
        at.query_params["scene"] = bad
        at.run()
        assert not at.exception and at.subheader[0].value.startswith("1.")
        assert any(f"scene: '{bad}' is not a scene number" in i.value for i in at.info)


@pytest.mark.parametrize("n,convention", [(3, "book"), (4, "book"), (4, "torch"), (5, "book"), (7, "torch"),
                                          (9, "torch")])
def test_the_convention_switch_changes_the_numbers_without_breaking(n, convention):
    at = open_scene(n)
    before = measured_text(at)
    at.button_group(key=f"tour_conv_{n}").set_value(convention).run()
    assert not at.exception
    after = measured_text(at)
    assert after != before
    if n in (3, 4, 5):  # the sum never shrinks: the lecture's claim does not hold, and the page says why
        assert "✗" in after and at.warning and "sum of squares" in at.warning[0].value
    else:
        assert "✗" not in after and at.success


def test_scene8_on_the_local_minimum():
    at = open_scene(8)
    at.button_group(key="tour_surface_8").set_value("local_minimum").run()
    assert not at.exception and at.success
    assert "surface=local_minimum" in at.get("link_button")[0].proto.url


def test_scene12_compose_your_own():
    at = open_scene(12)
    text = measured_text(at)     # the default: mean-Adagrad × η/√(t+1) against sum-Adagrad × constant η
    assert "max |composed − PyTorch's Adagrad (root of the sum, ε = 0)|" in text
    assert "(same parts: the wiring)" in text and at.success
    assert at.selectbox(key="tour_p_sched").value == "inverse_sqrt"
    at.selectbox(key="tour_p_mom").set_value("ema").run()
    at.selectbox(key="tour_p_rms").set_value("adam").run()
    assert not at.exception and at.success            # ema × adam is Adam: still equal to the named run
    assert "max |composed − Adam (PyTorch)|" in measured_text(at)
    at.selectbox(key="tour_p_rms").set_value("rmsprop_lecture").run()
    assert not at.exception
    assert any("your own" in i.value and "nearest named kin is Adam" in i.value for i in at.info) and not at.success
    at.selectbox(key="tour_p_mom").set_value("none").run()
    at.selectbox(key="tour_p_rms").set_value("none").run()
    at.select_slider(key="tour_p_lr").set_value(1.0).run()  # GD with the largest η: bounces wildly, still equal
    assert not at.exception and at.success
    assert "max |composed − GD (PyTorch)|" in measured_text(at)
    # the parts by the names a reader uses, in the menus and the legend (not heavy_ball, adagrad_mean)
    assert at.selectbox(key="tour_p_rms").options[:3] == ["none (σ = 1)", "Adagrad, √ of the sum (PyTorch)",
                                                            "Adagrad, √ of the mean (lecture)"]
    assert "heavy ball (PyTorch)" in at.selectbox(key="tour_p_mom").options


def test_presentation_mode_renders_larger_without_breaking():
    """app.py's presentation switch lives in session state; the page reads it for bigger figures."""
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["presentation"] = True
    at.query_params["scene"] = "9"
    at.run()
    assert not at.exception and at.success
