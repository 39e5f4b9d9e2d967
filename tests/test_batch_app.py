"""AppTest of the "Batch size & noise" page, run directly (see the AppTest trap in STYLE.md)."""
import os

import pytest
from streamlit.testing.v1 import AppTest

PAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pages", "batch.py")


@pytest.fixture(scope="module")
def at():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    return at


def _metric(at, label):
    return [m.value for m in at.metric if m.label == label]


def test_page_runs_and_shows_updates_per_epoch(at):
    assert not at.error
    assert _metric(at, "Updates/epoch") == ["1", "20"]          # full batch | batch size 1
    at.slider(key="batch_size").set_value(6).run()
    assert not at.exception
    assert _metric(at, "Updates/epoch") == ["1", "4"]           # ⌈20/6⌉
    assert _metric(at, "Updates")[1] == str(4 * at.slider(key="epochs").value)


def test_controls_change_the_runs_without_errors(at):
    at.checkbox(key="shuffle").uncheck().run()
    at.selectbox(key="optimizer").set_value("adam").run()
    at.toggle(key="normalize").set_value(True).run()
    at.selectbox(key="convention").set_value("lecture").run()
    assert not at.exception and not at.error
    assert len(at.get("plotly_chart")) >= 7


def test_a_diverging_rate_is_shown_as_such(at):
    at.selectbox(key="optimizer").set_value("gd").run()
    at.toggle(key="normalize").set_value(False).run()
    at.number_input(key="lr_gd").set_value(5.0).run()
    assert not at.exception
    assert "diverged" in _metric(at, "Final loss")


def test_timing_runs_on_demand(at):
    at.multiselect(key="timing_sizes").set_value([1, 10]).run()
    at.button(key="measure").click().run()
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    assert any("time per update (ms)" in df.columns for df in frames)
    cap = " ".join(c.value for c in at.caption)
    # a CPU server cannot show the lecture's flat curve: the page says so (CI and this project's machines
    # have no GPU, so only this branch runs there; the other checks a GPU server does not say it)
    if "Device: cpu" in cap:
        assert any("*without* parallel computation" in i.value and "needs a GPU" in i.value for i in at.info)
    else:
        assert not any("needs a GPU" in i.value for i in at.info)


def test_measure_now_works_again_and_in_another_session():
    """A second click (and a second session's first click) measured through a cache hit that replayed
    the first click's progress bar: CacheReplayClosureError, and the rest of the page was gone."""
    for _ in range(2):                                     # two sessions, the same batch sizes
        at = AppTest.from_file(PAGE, default_timeout=240).run()
        at.multiselect(key="timing_sizes").set_value([1, 10]).run()
        for _ in range(2):
            at.button(key="measure").click().run()
            assert not at.exception, [e.value for e in at.exception]
            assert any("time per update (ms)" in d.value.columns for d in at.dataframe)
        assert any("Sharp and flat minima" in h.value for h in at.subheader)   # the page went on


def test_divergence_names_its_step_in_both_sections():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.number_input(key="lr_gd").set_value(10.0).run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert any("Full batch" in w and "diverged at step" in w for w in warnings), warnings
    assert any("raw x" in w and "diverged at step" in w for w in warnings), warnings   # the normalisation section


def test_the_texts_state_what_the_lecture_and_the_numbers_support(at):
    """The page's words match the lecture (004) and the measurements: per-update cost is the same on
    parallel hardware (so B = 1's epoch is slower there), the escape noise is a Gaussian model, and
    sharp-vs-flat is one possible explanation, shown on a data set built for it, where only B ≤ 2 leaves
    the canyon: the sharp-minimum share (page default seed 0, 100 runs) is measured 0 % at B = 1 and
    B = 2 and 37 % at B = 4, the same as the full batch's 37 %."""
    from optimizers import noise

    text = " ".join([m.value for m in at.markdown] + [c.value for c in at.caption])
    assert "on a GPU each costs about the same, so an epoch at B = 1 takes longer" in text
    assert "in the time the full batch makes one" not in text
    assert "modelled as the full gradient plus Gaussian noise" in text
    assert "only one possible explanation" in text and "Wu, Ma & E, 2018" in text
    assert "only the smallest batches (B = 1 and 2) leave it" in text
    f = noise.sharp_vs_flat((1, 2, 4, 20), runs=100, seed=0).fractions
    assert f[1]["sharp"] < 0.1 and f[2]["sharp"] < 0.1
    assert f[4]["sharp"] > 0.2 and abs(f[4]["sharp"] - f[20]["sharp"]) < 0.05


def test_each_optimizer_keeps_its_own_learning_rate():
    """Streamlit drops a hidden widget's state: Adam's η came back at its default after a visit to GD."""
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    at.selectbox(key="optimizer").set_value("adam").run()
    at.number_input(key="lr_adam").set_value(0.05).run()
    at.selectbox(key="optimizer").set_value("gd").run()
    at.selectbox(key="optimizer").set_value("adam").run()
    assert at.number_input(key="lr_adam").value == 0.05
    assert not at.exception and not at.warning


def test_the_lectures_table_of_small_and_large_batches(at):
    """The expander gives the lecture's table (004, quoted from Keskar et al.) as the lecture has it:
    six networks, large batches test worse on every one although they train about as well."""
    exp = next(e for e in at.expander if "Keskar" in e.label)
    rows = exp.table[0].value
    assert len(rows) == 6 and list(rows.columns) == ["network", "data", "train SB", "train LB", "test SB", "test LB"]
    pct = lambda c: rows[c].str.rstrip(" %").astype(float)  # noqa: E731
    assert (pct("test SB") > pct("test LB")).all() and (abs(pct("train SB") - pct("train LB")) < 2).all()
    assert rows.iloc[1]["test SB"] == "64.02 %" and rows.iloc[1]["test LB"] == "59.45 %"


def test_presentation_mode_sets_the_projectors_font_on_every_figure():
    """The Batch page's figures kept 12-13 px text on a projector (the tables were 13 px and cut off a
    column at 1024 px; they are st.table now, which takes the page's font)."""
    import json

    from viz.figures import FONT_PX

    at = AppTest.from_file(PAGE, default_timeout=240)
    at.session_state["presentation"] = True
    at.run()
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(specs) >= 6 and all(s["layout"]["font"]["size"] == FONT_PX[True] for s in specs)
    assert all(s["layout"]["xaxis"]["tickfont"]["size"] == FONT_PX[True] - 2 for s in specs)
    assert len(at.table) == 3  # escapes, minima, and the lecture's table of six networks
    plain = AppTest.from_file(PAGE, default_timeout=240).run()
    assert all(json.loads(c.proto.spec)["layout"].get("font", {}).get("size") != FONT_PX[True]
               for c in plain.get("plotly_chart"))


def test_names_are_shown_as_words_not_code():
    """"GD" and "local minimum" (the Playground's words) in the optimizer list and the escape table."""
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert at.selectbox(key="optimizer").options[0] == "GD" and at.selectbox(key="optimizer").value == "gd"
    assert any("local minimum" in str(t.value) for t in at.table) and not any("local_minimum" in str(t.value) for t in at.table)


def test_presentation_mode_gives_the_numbers_as_a_line_and_controls_two_to_a_row():
    """At a projector's font the metric tiles cut "Updates/epoch" and the toggle "Standardise x": the
    numbers become one wrapping line, the controls two to a row."""
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["presentation"] = True
    at.run()
    assert not at.exception and not _metric(at, "Updates/epoch")
    lines = [m.value for m in at.markdown if "Updates/epoch" in m.value]
    assert len(lines) == 2 and lines[0].startswith("Updates/epoch: **1** · Updates: **10** · Final loss: **")
    assert lines[1].startswith("Updates/epoch: **20** · Updates: **200**")
