"""AppTest of the Sweep page, run directly (see the AppTest trap in STYLE.md). The click that opens
the Playground is covered in Chromium (tests/e2e/test_sweep_browser.py)."""
import os

import pytest
from streamlit.testing.v1 import AppTest

PAGE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pages", "sweep.py")


@pytest.fixture
def at():
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    return at


def test_default_sweep_shows_a_heatmap(at):
    assert not at.error
    assert len(at.get("plotly_chart")) == 1
    assert any("runs of 300 steps" in c.value for c in at.caption)


def test_every_optimizer_param_and_metric(at):
    at.slider(key="sw_n_lr").set_value(5).run()
    at.slider(key="sw_n_values").set_value(4).run()
    at.number_input(key="sw_steps").set_value(50).run()
    for opt, param in (("rmsprop", "alpha"), ("momentum", "momentum"), ("adam", "warmup_steps")):
        at.selectbox(key="sw_optimizer").set_value(opt).run()
        at.selectbox(key=f"sw_param_{opt}").set_value(param).run()
        for metric in ("final loss", "steps to tolerance", "diverged"):
            at.selectbox(key="sw_metric").set_value(metric).run()
            assert not at.exception and not at.error, (opt, param, metric)
    assert any("20 runs of 50 steps" in c.value for c in at.caption)


def test_bad_ranges_give_a_message_not_a_crash(at):
    at.number_input(key="sw_lr_lo").set_value(1.0).run()
    at.number_input(key="sw_lr_hi").set_value(0.01).run()
    assert not at.exception
    assert any("lowest must be below" in e.value for e in at.error)


def test_a_long_sweep_runs_in_chunks_with_a_progress_bar(at):
    at.number_input(key="sw_steps").set_value(1000).run()
    at.slider(key="sw_n_lr").set_value(40).run()
    at.slider(key="sw_n_values").set_value(20).run()                # 800 cells × 1000 steps: split
    assert not at.exception and not at.error
    assert any("batches)" in c.value for c in at.caption)
    from optimizers import sweep as sw
    from ui import runs

    calls = []
    real = sw.sweep
    sw.sweep = lambda *a, **k: calls.append(1) or real(*a, **k)
    try:
        at.selectbox(key="sw_metric").set_value("diverged").run()    # the same sweep, from the cache
    finally:
        sw.sweep = real
    assert not at.exception, [e.value for e in at.exception]
    assert calls == [] and len(runs.SWEEPS._items) >= 1
    fresh = AppTest.from_file(PAGE, default_timeout=120).run()      # another session, the same sweep
    fresh.number_input(key="sw_steps").set_value(1000).run()
    fresh.slider(key="sw_n_lr").set_value(40).run()
    fresh.slider(key="sw_n_values").set_value(20).run()
    assert not fresh.exception, [e.value for e in fresh.exception]


def test_eta_bounds_are_the_playgrounds_slider(at):
    """A cell opens the Playground with its η: the boxes offer exactly the slider's range."""
    from ui import limits

    for key in ("sw_lr_lo", "sw_lr_hi"):
        box = at.number_input(key=key)
        assert (box.min, box.max) == limits.LR
    at.number_input(key="sw_lr_hi").set_value(1000.0).run()
    assert not at.exception and not at.error
    assert at.number_input(key="sw_lr_hi").value == 10.0 and "clamped to 10" in at.info[0].value


@pytest.mark.parametrize("optimizer, param", [("adam", "beta1"), ("momentum", "momentum"), ("rmsprop", "alpha")])
def test_second_hyperparameter_bounds_are_the_playgrounds(at, optimizer, param):
    from ui import limits

    at.selectbox(key="sw_optimizer").set_value(optimizer).run()
    at.selectbox(key=f"sw_param_{optimizer}").set_value(param).run()
    for key in (f"sw_lo_{param}", f"sw_hi_{param}"):
        box = at.number_input(key=key)
        assert (box.min, box.max) == limits.HYPER[param]


def test_a_warmup_longer_than_the_run_is_clamped_with_a_note(at):
    at.slider(key="sw_n_lr").set_value(3).run()
    at.slider(key="sw_n_values").set_value(3).run()
    at.selectbox(key="sw_param_adam").set_value("warmup_steps").run()
    assert at.number_input(key="sw_w_hi").value == 200
    at.number_input(key="sw_steps").set_value(50).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.number_input(key="sw_w_hi").value == 50 and at.number_input(key="sw_w_hi").max == 50
    assert "Longest warm-up: 200 is more than the 50 steps per run; clamped to 50" in at.info[0].value
    assert len(at.get("plotly_chart")) == 1


def test_settings_survive_a_visit_to_another_optimizer_parameter_or_metric():
    """Streamlit drops the state of a widget a run does not draw: the β₁ range, the chosen second
    hyperparameter, the warm-up range and the tolerance came back at their defaults after a visit
    elsewhere. They come back as they were left."""
    at = AppTest.from_file(PAGE, default_timeout=240).run()
    at.number_input(key="sw_lo_beta1").set_value(0.2).run()
    at.selectbox(key="sw_param_adam").set_value("warmup_steps").run()
    at.number_input(key="sw_w_hi").set_value(40).run()
    at.selectbox(key="sw_optimizer").set_value("rmsprop").run()
    at.selectbox(key="sw_optimizer").set_value("adam").run()
    assert at.selectbox(key="sw_param_adam").value == "warmup_steps" and at.number_input(key="sw_w_hi").value == 40
    at.selectbox(key="sw_param_adam").set_value("beta1").run()
    assert at.number_input(key="sw_lo_beta1").value == 0.2
    at.selectbox(key="sw_metric").set_value("steps to tolerance").run()
    at.number_input(key="sw_tol").set_value(0.5).run()
    at.selectbox(key="sw_metric").set_value("final loss").run()
    at.selectbox(key="sw_metric").set_value("steps to tolerance").run()
    assert at.number_input(key="sw_tol").value == 0.5
    assert not at.exception and not at.error and not at.warning


def test_only_the_chosen_formulas_hyperparameters_are_offered(at):
    """RMSProp × momentum under the lecture's or the book's formulas always ended in an error (their
    RMSProp has no momentum): the choice is not offered there, and a chosen one falls back to α."""
    at.slider(key="sw_n_lr").set_value(4).run()
    at.slider(key="sw_n_values").set_value(3).run()
    at.number_input(key="sw_steps").set_value(30).run()
    at.selectbox(key="sw_optimizer").set_value("rmsprop").run()
    at.selectbox(key="sw_param_rmsprop").set_value("momentum").run()
    assert not at.exception and not at.error
    for conv in ("lecture", "book"):
        at.selectbox(key="sw_convention").set_value(conv).run()
        assert not at.exception and not at.error, conv
        assert at.selectbox(key="sw_param_rmsprop").options == ["α", "warm-up length (steps)"]
        assert at.selectbox(key="sw_param_rmsprop").value == "alpha"
        assert len(at.get("plotly_chart")) == 1


def test_nesterovs_momentum_range_stays_above_zero(at):
    """Nesterov needs μ > 0: a lowest μ of 0 made the whole map an error."""
    at.slider(key="sw_n_lr").set_value(4).run()
    at.slider(key="sw_n_values").set_value(3).run()
    at.selectbox(key="sw_optimizer").set_value("nesterov").run()
    lo = at.number_input(key="sw_lo_nesterov_momentum")
    assert lo.min == 0.001
    lo.set_value(0.0).run()   # as a bypassed browser could send it
    assert not at.exception and not at.error
    assert at.number_input(key="sw_lo_nesterov_momentum").value == 0.001
    shown = [e.value for e in list(at.warning) + list(at.info)]
    assert any("clamped to 0.001" in v for v in shown), shown
    assert len(at.get("plotly_chart")) == 1


def test_names_are_shown_as_words_not_code():
    """Students read "Adam" and "local minimum", as on the Playground, not "adam" and "local_minimum"."""
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert "Adam" in at.selectbox(key="sw_optimizer").options and "adam" not in at.selectbox(key="sw_optimizer").options
    assert "local minimum" in at.selectbox(key="sw_surface").options
    assert at.selectbox(key="sw_optimizer").value == "adam"  # the value stays the library's name
