"""The Playground in real headless Chromium against `streamlit run app.py` (fixtures in conftest.py).

Few and robust: generous timeouts, waits on the script state and on the chart's own data rather
than fixed sleeps (two shared cores)."""
from __future__ import annotations

import time

import urllib.parse

import pytest

pytestmark = pytest.mark.browser

# JS helpers: the map is the plotly graph whose data holds the "levels" trace
MAP = """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
            .find(gd => gd.data && gd.data.some(t => t.meta === 'levels'))"""
ROLE = "(gd, role) => gd.data.findIndex(t => t.meta === role)"


def map_state(page) -> dict:
    return page.evaluate(f"""() => {{
        const gd = ({MAP})(); if (!gd) return null;
        const idx = {ROLE};
        const heads = gd._fullData[idx(gd, 'heads')];
        const paths = gd.data.filter(t => t.meta === 'path');
        const levels = idx(gd, 'levels');
        const lines = gd.querySelectorAll('.scatterlayer .trace')[levels];
        const d = lines ? Array.from(lines.querySelectorAll('path.js-line')).map(p => p.getAttribute('d') || '').join('') : '';
        const start = gd.data[idx(gd, 'start')];
        return {{heads_x: Array.from(heads.x), heads_y: Array.from(heads.y), n_paths: paths.length,
                 path0_x1: paths.length ? Number(gd._fullData[idx(gd, 'path')].x[1]) : null,
                 levels_present: levels >= 0 && gd._fullData[levels].visible !== false,
                 levels_path_len: d.length, start: start ? [start.x[0], start.y[0]] : null,
                 images: (gd._fullLayout.images || []).length,
                 image_in_dom: gd.querySelectorAll('.layer-below image, image').length}};
    }}""")


def toolbar_over_legend(page) -> float:
    """px² of the map's legend under plotly's toolbar (which shows on hover, and stays after a tap)."""
    return page.evaluate(f"""() => {{
        const gd = ({MAP})(); const mb = gd.closest("[data-testid='stPlotlyChart']").querySelector('.modebar');
        const a = mb.getBoundingClientRect(), b = gd.querySelector('.legend').getBoundingClientRect();
        return Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) *
               Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top)); }}""")


def wait_map(page, wait_idle, timeout_ms=90_000):
    wait_idle(page, timeout_ms)
    page.wait_for_function(f"() => !!({MAP})()", timeout=timeout_ms)
    return map_state(page)


def test_load_and_change_a_slider(app_url, page, wait_idle):
    page.goto(app_url + "/")
    before = wait_map(page, wait_idle)
    assert before["n_paths"] == 4 and before["levels_present"] and before["levels_path_len"] > 1000
    assert urllib.parse.urlparse(page.url).path == "/"                      # the Playground is the default page
    assert before["images"] == 1 and before["image_in_dom"] >= 1
    assert toolbar_over_legend(page) == 0
    assert page.get_by_role("link", name="Playground").count() >= 1 or page.get_by_text("Playground").count() >= 1
    # open the first optimizer (GD) and move its η slider two notches right
    page.locator("[data-testid='stExpander'] summary", has_text="1. GD").click()
    slider = page.locator("[data-testid='stSlider']", has_text="learning rate").first
    thumb = slider.locator("input[type='range']")
    thumb.focus()
    thumb.press("ArrowRight")
    page.wait_for_function(f"""(old) => {{ const gd = ({MAP})(); if (!gd) return false;
        const i = gd.data.findIndex(t => t.meta === 'path');
        return Math.abs(Number(gd._fullData[i].x[1]) - old) > 1e-9; }}""", arg=before["path0_x1"], timeout=90_000)
    wait_idle(page)
    shown = slider.get_by_test_id("stSliderThumbValue").inner_text().strip()
    assert float(shown) > 0.01
    # the link follows the slider
    page.wait_for_function("(v) => decodeURIComponent(location.search).includes('opt=gd,lr=' + v)", arg=shown,
                           timeout=30_000)


def test_play_moves_the_heads_and_the_level_lines_stay(app_url, page, wait_idle):
    page.goto(app_url + "/?steps=300")
    wait_map(page, wait_idle)
    page.evaluate(f"""() => {{ const gd = ({MAP})(); window.__frames = 0;
        gd.on('plotly_animatingframe', () => window.__frames++); }}""")
    page.locator(".updatemenu-button", has_text="Replay").click()
    t0 = time.monotonic()
    page.wait_for_function("() => window.__frames >= 5", timeout=30_000)
    samples = []
    for _ in range(6):
        s = map_state(page)
        samples.append(s)
        assert s["levels_present"] and s["levels_path_len"] > 1000, "level lines vanished during playback"
        assert s["image_in_dom"] >= 1, "shading vanished during playback"
        page.wait_for_timeout(250)
    frames = page.evaluate("window.__frames")
    fps = frames / (time.monotonic() - t0)
    print(f"\nplayback: {frames} frames in {time.monotonic() - t0:.2f} s = {fps:.1f} frames/s (headless Chromium)")
    xs = {tuple(s["heads_x"]) for s in samples}
    assert len(xs) >= 3, "the head markers did not move"
    assert fps > 5
    # the fastest speed: frames as fast as this browser draws them
    page.locator(".updatemenu-button", has_text="Pause").click()
    page.evaluate("window.__frames = 0")
    page.locator(".updatemenu-button", has_text="Replay").click()
    page.locator(".updatemenu-button", has_text="max").click()
    t1 = time.monotonic()
    page.wait_for_timeout(2000)
    fast = page.evaluate("window.__frames") / (time.monotonic() - t1)
    print(f"playback at 'max' speed: {fast:.1f} frames/s")
    assert map_state(page)["levels_path_len"] > 1000
    # pause holds the heads still
    page.locator(".updatemenu-button", has_text="Pause").click()
    page.wait_for_timeout(300)
    a = map_state(page)["heads_x"]
    page.wait_for_timeout(600)
    assert map_state(page)["heads_x"] == a


def test_click_on_the_map_moves_the_start(app_url, page, wait_idle):
    page.goto(app_url + "/")
    state = wait_map(page, wait_idle)
    assert state["start"] == [-8, 2]
    # the page pixel of the data point (5, -1)
    xy = page.evaluate(f"""() => {{ const gd = ({MAP})(); const L = gd._fullLayout;
        const r = gd.getBoundingClientRect();
        return [r.left + L._size.l + L.xaxis.l2p(5.0), r.top + L._size.t + L.yaxis.l2p(-1.0)]; }}""")
    page.mouse.move(xy[0], xy[1])
    page.wait_for_timeout(200)
    page.mouse.click(xy[0], xy[1])
    page.wait_for_function(f"""() => {{ const gd = ({MAP})(); if (!gd) return false;
        const s = gd.data[gd.data.findIndex(t => t.meta === 'start')]; return Math.abs(s.x[0] - 5) < 0.3; }}""",
                           timeout=90_000)
    wait_idle(page)
    s = map_state(page)["start"]
    assert abs(s[0] - 5) < 0.3 and abs(s[1] + 1) < 0.2
    x_input = page.get_by_label("start x")
    assert abs(float(x_input.input_value()) - s[0]) < 1e-3
    assert "start=5" in page.url


def test_one_tap_on_a_touch_screen_moves_the_start_where_tapped(app_url, browser, wait_idle):
    # plotly selects the point of its last hover; a phone hovers only after a tap: the first tap used to
    # show only the hover box, and the next one moved the start to the first tap's point (app.py's TOUCH)
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    context.set_default_timeout(90_000)
    page = context.new_page()
    try:
        page.goto(app_url + "/")
        assert wait_map(page, wait_idle)["start"] == [-8, 2]
        # points of the click grid (bowl: x in steps of 0.5, y of 0.15): the tap must land on that point,
        # not beside it (with 14 px click discs on a ~7 px grid, a tap moved the start one step to the right)
        for x, y in ((5.0, -1.95), (-4.0, 1.35), (2.0, 0.6)):
            xy = page.evaluate(f"""() => {{ const gd = ({MAP})(); const L = gd._fullLayout;
                gd.scrollIntoView({{block: 'center'}}); const r = gd.getBoundingClientRect();
                return [r.left + L._size.l + L.xaxis.l2p({x}), r.top + L._size.t + L.yaxis.l2p({y})]; }}""")
            page.touchscreen.tap(xy[0], xy[1])
            page.wait_for_function(f"""() => {{ const gd = ({MAP})(); if (!gd) return false;
                const s = gd.data[gd.data.findIndex(t => t.meta === 'start')]; return Math.abs(s.x[0] - {x}) < 0.6; }}""")
            wait_idle(page)
            s = map_state(page)["start"]
            assert abs(s[0] - x) < 1e-9 and abs(s[1] - y) < 1e-9, (x, y, s)
    finally:
        context.close()


def test_a_swipe_over_a_chart_on_a_phone_scrolls_the_page(app_url, browser, wait_idle):
    """plotly took every touch on a 2-D plot: a swipe zoomed or panned the chart and the page did not
    move, and the charts fill a phone's width (app.py's TOUCH keeps touches from plotly)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    context.set_default_timeout(90_000)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    try:
        page.goto(app_url + "/")
        wait_map(page, wait_idle)
        for which in (MAP, "() => document.querySelectorAll('[data-testid=stMain] .js-plotly-plot')[1]"):  # map, linked
            box = page.evaluate(f"""() => {{ const gd = ({which})(); gd.scrollIntoView({{block: 'center'}});
                const r = gd.querySelector('.nsewdrag').getBoundingClientRect(), L = gd._fullLayout;
                return {{x: r.left + r.width / 2, y: r.top + r.height / 2,
                         view: JSON.stringify([L.xaxis.range, L.yaxis.range])}}; }}""")
            page.wait_for_timeout(300)
            top = page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop")
            cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": box["x"], "y": box["y"] + 60}]})
            for k in range(1, 9):
                cdp.send("Input.dispatchTouchEvent", {"type": "touchMove",
                                                      "touchPoints": [{"x": box["x"], "y": box["y"] + 60 - 15 * k}]})
                page.wait_for_timeout(30)
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
            page.wait_for_timeout(800)
            assert page.evaluate("document.querySelector('[data-testid=stMain]').scrollTop") - top > 50
            assert page.evaluate(f"""() => {{ const L = ({which})()._fullLayout;
                return JSON.stringify([L.xaxis.range, L.yaxis.range]); }}""") == box["view"]   # not zoomed or panned
    finally:
        context.close()


def test_shared_link_opens_its_setup(app_url, page, wait_idle):
    page.goto(app_url + "/playground?surface=saddle&steps=120&opt=adam,lr%3D0.05&opt=momentum,lr%3D0.05"
                        "&conv=lecture&start=-1.5,1.5&bogus=1")
    state = wait_map(page, wait_idle)
    assert state["n_paths"] == 2 and state["start"] == [-1.5, 1.5]
    assert page.get_by_label("steps").input_value() == "120"
    assert page.get_by_role("combobox", name="surface").input_value() == "saddle"
    assert page.get_by_text("ignored unknown parameter").count() >= 1          # the visible note
    assert page.locator(".katex", has_text="M").count() >= 1                  # the lecture's momentum rule
    assert "surface=saddle" in page.url and "conv=lecture" in page.url
    assert "opt=adam" in page.url and "opt=momentum" in page.url               # repeated keys kept
    # /playground leads to "/" (app.py): no "Page not found" dialog, which Streamlit shows a moment
    # after the page has run (checked: it did before app.py's alias)
    page.wait_for_timeout(2000)
    assert page.get_by_text("Page not found").count() == 0


def test_deep_link_on_a_fresh_server_runs_through_the_entry_file(fresh_app_url, page, wait_idle):
    # the very first request of a new server is a shared Playground link (Streamlit would run the
    # page without app.py here: see ui/entry.py)
    page.goto(fresh_app_url + "/playground?surface=himmelblau&steps=50&opt=nesterov,lr%3D0.002&bogus=1")
    state = wait_map(page, wait_idle)
    assert state["n_paths"] == 1
    assert page.get_by_test_id("stTopNav").count() == 1                      # app.py's navigation
    assert page.get_by_text("Presentation mode").count() >= 1               # app.py's shared control
    assert page.get_by_text("ignored unknown parameter").count() >= 1
    assert "surface=himmelblau" in page.url
    page.wait_for_timeout(2000)
    assert page.get_by_text("Page not found").count() == 0


def test_setup_survives_a_visit_to_another_page(app_url, page, wait_idle):
    page.goto(app_url + "/?surface=cliff&steps=123&opt=rmsprop,lr%3D0.05")
    state = wait_map(page, wait_idle)
    assert state["n_paths"] == 1
    others = page.get_by_test_id("stTopNavLink").filter(has_not_text="Playground")
    assert others.count() == 3  # the tour, batch and sweep pages
    others.first.click()
    page.wait_for_function("() => !location.search.includes('steps=123')", timeout=60_000)
    wait_idle(page)
    page.get_by_test_id("stTopNavLink").filter(has_text="Playground").first.click()
    state = wait_map(page, wait_idle)
    assert state["n_paths"] == 1
    assert page.get_by_label("steps").input_value() == "123"
    assert page.get_by_role("combobox", name="surface").input_value() == "cliff"
    page.wait_for_function("() => location.search.includes('steps=123')", timeout=60_000)


def test_presentation_mode_folds_the_sidebar_and_the_teacher_can_still_change_a_setting(app_url, page, wait_idle):
    """A projector gets the full width, yet a setting can be changed without leaving the mode: the
    sidebar starts collapsed (not removed), its » button opens it, a change reruns the race in
    presentation mode, and the sidebar stays open for the next change."""
    sidebar = page.locator("section[data-testid='stSidebar']")
    page.goto(app_url + "/?present=1&steps=300")
    before = wait_map(page, wait_idle)
    assert sidebar.bounding_box()["width"] < 5                              # folded away
    assert toolbar_over_legend(page) == 0                                  # the toolbar is taller here
    big = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert big >= 20                                                       # the projector's fonts
    # the map starts in the top two thirds of a 720 px projector (it began at 580 px: page title,
    # description, formula and view switch each on a row of their own above it)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.wait_for_timeout(500)
    top = page.locator("[data-testid=stMain] [data-testid='stPlotlyChart']").first.bounding_box()["y"]
    assert top < 480, top
    page.get_by_test_id("stExpandSidebarButton").click()
    page.wait_for_function("() => document.querySelector(\"section[data-testid='stSidebar']\")"
                           ".getBoundingClientRect().width > 200", timeout=10_000)
    steps = sidebar.locator("[data-testid='stNumberInput']", has_text="steps").locator("input")
    steps.fill("500")
    steps.press("Enter")
    page.wait_for_function("() => new URLSearchParams(location.search).get('steps') === '500'", timeout=60_000)
    after = wait_map(page, wait_idle)
    assert after["n_paths"] == before["n_paths"] == 4
    assert page.evaluate("() => new URLSearchParams(location.search).get('present')") == "1"
    assert sidebar.bounding_box()["width"] > 200                            # still open for the next change
    # leaving presentation mode brings the sidebar back as usual
    page.locator("button", has_text="Presentation mode").click()
    page.wait_for_function("() => parseFloat(getComputedStyle(document.documentElement).fontSize) < 20",
                           timeout=60_000)
    wait_idle(page)
    assert sidebar.bounding_box()["width"] > 200


def test_every_update_rule_and_the_widest_surface_fit_a_phone(page, app_url, wait_idle, overflowing_formulas):
    """At 390 px the display formulas fit the column: Beale's surface (510 px) and NAdam's rule (525 px)
    scrolled sideways, RAdam's and centred RMSProp's would have (476 and 423 px in 358)."""
    page.set_viewport_size({"width": 390, "height": 844})
    for query in ("surface=beale&opt=radam&opt=nadam&opt=rmsprop,centered=1,momentum=0.5&opt=compose,mom=nesterov,rms=adam",
                  "conv=book&opt=nesterov&opt=adagrad&opt=rmsprop&opt=adam", "conv=lecture&opt=momentum&opt=rmsprop&opt=adam"):
        page.goto(f"{app_url}/?{query}&steps=30")
        wait_idle(page)
        assert overflowing_formulas(page) == [], query
