"""AppTest for app.py itself: the presentation switch that every page reads (see the AppTest trap in
STYLE.md: with st.navigation the entry file is dropped from the second widget change on, so only the
first change is checked here; the browser tests switch it back and forth)."""
import os

from streamlit.testing.v1 import AppTest


APP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app.py")


def entry(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({"steps": "50", **(query or {})})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_present_link_opens_in_presentation_mode_and_the_switch_is_a_pill():
    """?present=1 switches the mode on; the switch is a pill (a <button>: a clicker's PageDown works
    right after a click, which a toggle's checkbox <input> blocked) and pages read a plain bool."""
    at = entry({"present": "1"})
    assert at.session_state["presentation"] is True
    assert at.button_group(key="present_pick").value == "Presentation mode"
    at = entry()
    assert at.session_state["presentation"] is False
    assert at.button_group(key="present_pick").value is None


def test_the_switch_turns_the_mode_on_and_off_and_the_address_says_so():
    """The address keeps present=1 on every page (only the Playground wrote it: a reload of the tour
    lost the mode)."""
    at = entry()
    assert "present" not in at.query_params
    at.button_group(key="present_pick").set_value("Presentation mode").run()
    assert not at.exception and at.session_state["presentation"] is True
    assert at.query_params["present"] == "1"
    at = entry({"present": "1"})
    at.button_group(key="present_pick").set_value(None).run()
    assert not at.exception and at.session_state["presentation"] is False
    assert "present" not in at.query_params
