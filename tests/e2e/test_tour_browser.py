"""The Lecture tour in real headless Chromium: walk through all twelve scenes with the Next button,
then open one scene in the Playground through its link and see the scene's setup there.
Uses the server and page fixtures of tests/e2e/conftest.py."""
import time
import urllib.parse

import pytest

import surfaces
from tour import scenes as S

pytestmark = pytest.mark.browser

EXCEPTION = "[data-testid='stException']"


def open_app(page, app_url, wait_idle):
    # Enter through the app's front page, as a student does: until app.py has run once in the server
    # process, Streamlit serves a deep link like /tour with its legacy pages/ navigation instead.
    page.goto(app_url + "/")
    wait_idle(page)
    page.get_by_role("link", name="Lecture tour").first.click()
    page.wait_for_function("location.pathname.endsWith('/tour')")  # client-side navigation: no load event
    wait_idle(page)


def scene_heading(page) -> str:
    return page.locator("[data-testid='stHeading'] h3").first.inner_text()


def test_walk_through_every_scene(page, app_url, wait_idle):
    open_app(page, app_url, wait_idle)
    for scene in S.SCENES:
        heading = scene_heading(page)
        assert heading.startswith(f"{scene.number}. "), heading
        assert page.locator(EXCEPTION).count() == 0
        main = page.locator("[data-testid='stMain']")
        assert "Measured" in main.inner_text() and "✓" in main.inner_text()
        # the map and the side plots are drawn by plotly in the browser
        n_svg = 2 + len(scene.plots)
        page.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {n_svg}")
        assert page.get_by_text("Open in Playground").count() >= 1
        assert f"scene={scene.number}" in page.url
        if scene.number < len(S.SCENES):
            page.get_by_role("button", name="Next ▶").click()
            wait_scene(page, wait_idle, scene.number + 1)
    assert page.get_by_role("button", name="Next ▶").is_disabled()


def test_open_a_scene_in_the_playground(page, app_url, wait_idle):
    open_app(page, app_url, wait_idle)
    page.goto(app_url + "/tour?scene=7")
    wait_idle(page)
    assert scene_heading(page).startswith("7. ")
    page.get_by_role("link", name="Open in Playground").click()
    # the Playground is the app's default page: its address is "/" plus the query
    page.wait_for_function("location.search.includes('surface=crescent') && !location.pathname.endsWith('/tour')")
    wait_idle(page)
    assert page.locator(EXCEPTION).count() == 0
    q = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert q["surface"] == ["crescent"] and q["conv"] == ["lecture"] and q["steps"] == ["600"]
    assert q["start"] == ["-3,6"]
    assert q["opt"] == ["rmsprop,alpha=0.5,lr=0.03", "rmsprop,alpha=0.9,lr=0.03", "adagrad,lr=0.03"]
    text = page.locator("[data-testid='stMain']").inner_text()
    for label in ("RMSProp η=0.03", "Adagrad η=0.03"):
        assert label in text, label
    assert page.locator("[data-testid='stHeading'] h2").first.inner_text() == "Playground"
    assert surfaces.get("crescent").description in text


def wait_scene(page, wait_idle, number: int):
    """Wait until scene `number` is shown (a click's rerun may not have started yet when the app
    reports idle: wait for its URL, then its heading)."""
    page.wait_for_url(f"**scene={number}**", timeout=60_000)
    wait_idle(page)
    deadline = time.monotonic() + 60
    while not scene_heading(page).startswith(f"{number}. ") and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert scene_heading(page).startswith(f"{number}. ")


def test_a_presenters_clicker_steps_through_the_scenes_in_presentation_mode(page, app_url, wait_idle):
    """Clickers send PageDown / PageUp: in presentation mode they are Next / Previous; elsewhere they
    only scroll, as a student reading the tour expects."""
    page.goto(app_url + "/tour?scene=3")
    wait_scene(page, wait_idle, 3)
    page.locator("[data-testid='stHeading'] h3").first.click()   # focus the page, not a widget
    page.keyboard.press("PageDown")
    page.wait_for_timeout(1500)
    wait_idle(page)
    assert "scene=3" in page.url and scene_heading(page).startswith("3. ")
    # switched on at the top, with the keyboard focus left on the switch: a toggle (a checkbox <input>)
    # kept it, and Streamlit ignores shortcuts while an input has the focus
    page.locator("button", has_text="Presentation mode").click()
    page.wait_for_function("() => parseFloat(getComputedStyle(document.documentElement).fontSize) >= 20",
                           timeout=60_000)
    wait_idle(page)
    page.keyboard.press("PageDown")
    wait_scene(page, wait_idle, 4)
    page.keyboard.press("PageDown")
    wait_scene(page, wait_idle, 5)
    page.keyboard.press("PageUp")
    wait_scene(page, wait_idle, 4)


def test_the_widest_formulas_fit_a_phone(page, app_url, wait_idle, overflowing_formulas):
    """On a 390 px phone the scenes' display formulas fit the column (at KaTeX's usual 1.21 em those of
    scenes 4, 8 and 10 are 85-91 px too wide and scroll sideways); the desktop size is unchanged."""
    page.set_viewport_size({"width": 390, "height": 844})
    for number in (4, 8, 10):
        page.goto(f"{app_url}/tour?scene={number}")
        wait_scene(page, wait_idle, number)
        assert overflowing_formulas(page) == [], number
    page.set_viewport_size({"width": 1400, "height": 1000})
    size = page.evaluate("getComputedStyle(document.querySelector('[data-testid=stMain] .katex-display > .katex')).fontSize")
    assert size == "19.36px", size  # 1.21 em of 16 px, KaTeX's own


def test_the_tour_is_where_it_was_after_a_visit_to_another_page(page, app_url, wait_idle):
    """Back on the tour through the top navigation (a link without ?scene=), the scene and its
    convention are as they were left (Streamlit drops a widget's state while another page runs: it
    opened at scene 1 with the default convention); a link with ?scene= still wins."""
    open_app(page, app_url, wait_idle)
    for number in (2, 3, 4):
        page.get_by_role("button", name="Next ▶").click()
        wait_scene(page, wait_idle, number)
    page.locator("[data-testid='stMain']").get_by_role("radio", name="book", exact=True).click()
    wait_idle(page)
    page.get_by_role("link", name="Playground").first.click()
    page.wait_for_function("!location.pathname.endsWith('/tour')")
    wait_idle(page)
    page.get_by_role("link", name="Lecture tour").first.click()
    wait_scene(page, wait_idle, 4)
    book = page.locator("[data-testid='stMain']").get_by_role("radio", name="book", exact=True)
    assert book.get_attribute("aria-checked") == "true"
    page.goto(app_url + "/tour?scene=5")
    wait_scene(page, wait_idle, 5)


def test_the_toolbar_leaves_the_schedule_titles_readable_on_a_phone(page, app_url, wait_idle):
    """Scene 6's two schedule plots: plotly's toolbar (shown on hover, and after a tap on a phone)
    covered the right-hand title (1133 px² at 390 px, 2880 px² in presentation mode)."""
    page.set_viewport_size({"width": 390, "height": 844})
    for query in ("", "&present=1"):
        page.goto(f"{app_url}/tour?scene=6{query}")
        wait_scene(page, wait_idle, 6)
        plot = page.locator(".js-plotly-plot", has_text="ResNet").first
        plot.scroll_into_view_if_needed()
        plot.hover()
        page.wait_for_selector(".js-plotly-plot .modebar", state="attached")
        covered = plot.evaluate("""el => { const m = el.querySelector('.modebar').getBoundingClientRect();
            return [...el.querySelectorAll('.annotation')].map(a => { const r = a.getBoundingClientRect();
              return Math.max(0, Math.min(r.right, m.right) - Math.max(r.left, m.left))
                   * Math.max(0, Math.min(r.bottom, m.bottom) - Math.max(r.top, m.top)); }); }""")
        assert len(covered) == 2 and max(covered) == 0, (query, covered)


BIG_FONT = "() => parseFloat(getComputedStyle(document.documentElement).fontSize) >= 20"


def test_presentation_mode_survives_open_in_playground_and_a_reload(page, app_url, wait_idle):
    """"Open in Playground" (st.switch_page) dropped the switch's state: the class saw the mode go
    off, the sidebar open and the fonts shrink. Switched on in the tour, a reload lost it (only the
    Playground wrote present=1)."""
    page.goto(app_url + "/tour?scene=4&present=1")
    wait_scene(page, wait_idle, 4)
    page.get_by_role("link", name="Open in Playground").click()
    page.wait_for_function("!location.pathname.endsWith('/tour') && location.search.includes('opt=')")
    wait_idle(page)
    page.wait_for_function("() => new URLSearchParams(location.search).get('present') === '1'", timeout=60_000)
    assert page.evaluate(BIG_FONT)
    assert page.locator("button", has_text="Presentation mode").get_attribute("aria-checked") == "true"
    page.goto(app_url + "/tour?scene=2")
    wait_scene(page, wait_idle, 2)
    assert not page.evaluate(BIG_FONT)
    page.locator("button", has_text="Presentation mode").click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('present') === '1'", timeout=60_000)
    wait_idle(page)
    page.reload()
    wait_scene(page, wait_idle, 2)
    page.wait_for_function(BIG_FONT, timeout=60_000)
    page.locator("button", has_text="Presentation mode").click()   # off again: the link says so too
    page.wait_for_function("() => !location.search.includes('present')", timeout=60_000)


ROW_TOP = """() => document.querySelector('.st-key-tour_scene').closest('[data-testid=stHorizontalBlock]')
    .getBoundingClientRect().top"""
# how far the row's bottom is below the top bar's bottom (0: the row just hidden under the bar)
ROW_UNDER_BAR = """() => document.querySelector('.st-key-tour_scene').closest('[data-testid=stHorizontalBlock]')
    .getBoundingClientRect().bottom - document.querySelector('[data-testid=stHeader]').getBoundingClientRect().bottom"""


def test_a_new_scene_in_presentation_mode_opens_at_its_top(page, app_url, wait_idle):
    """A rerun keeps the scroll position: with the figures in view, PageDown showed the next scene from
    its middle, title and claim off the projector. In presentation mode a new scene scrolls its row
    (Previous, Scene, Next) just above the screen, so that its title opens the screen and the map (on
    the right of the words) starts in the screen's top half: every time (a script drawn per scene
    change ran only the first time, as the browser updated its element in place)."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(app_url + "/tour?scene=3&present=1")
    wait_scene(page, wait_idle, 3)
    page.locator("[data-testid='stHeading'] h3").first.click()
    for number in (4, 5, 6):
        page.locator("[data-testid='stPlotlyChart']").first.wait_for()   # the page at its full height
        page.wait_for_function(f"""() => {{ document.querySelector('[data-testid=stMain]').scrollTo(0, 1400);
                                           return ({ROW_TOP})() < 0; }}""", timeout=30_000)   # the row above the screen
        page.keyboard.press("PageDown")
        wait_scene(page, wait_idle, number)
        page.wait_for_function(f"Math.abs(({ROW_UNDER_BAR})()) < 3", timeout=10_000)
        title = page.locator("[data-testid='stHeading'] h3").first.bounding_box()
        assert 0 < title["y"] < 140, number                                # the scene's title at the top
        plot = page.locator("[data-testid='stPlotlyChart']").first.bounding_box()
        assert plot["y"] < 360 and plot["x"] > 500, (number, plot)        # the map: right half, top half
    # the words (text, claim, measured numbers) are longer than the map: reading on, the map stays in
    # view (sticky), where it had scrolled off and left the right half of the screen empty
    page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollBy(0, 900)")
    page.wait_for_timeout(300)
    plot = page.locator("[data-testid='stPlotlyChart']").first.bounding_box()
    title = page.locator("[data-testid='stHeading'] h3").first.bounding_box()
    assert title["y"] < -400 and 0 < plot["y"] < 200, (title, plot)


def test_next_at_the_end_of_a_scene_opens_the_next_one_at_its_top(page, app_url, wait_idle):
    """A scene is 3-4 screens on a phone, and Previous / Next were only at its top: the reader scrolled
    back up for every scene. Now Next is also at the end, and the new scene opens with the row of
    Previous / Scene / Next in view (a rerun keeps the scroll position: it showed the new scene's end)."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(app_url + "/tour?scene=3")
    wait_scene(page, wait_idle, 3)
    page.locator("[data-testid='stPlotlyChart']").first.wait_for()
    end = page.get_by_role("button", name=f"Next: 4. {S.get(4).title} ▶")
    end.scroll_into_view_if_needed()
    assert page.evaluate(f"({ROW_TOP})()") < 0                         # the top row out of sight
    end.click()
    wait_scene(page, wait_idle, 4)
    page.wait_for_function(f"({ROW_TOP})() >= 0 && ({ROW_TOP})() < 200", timeout=10_000)
    assert page.locator("[data-testid='stHeading'] h3").first.bounding_box()["y"] < 844
    assert page.get_by_role("button", name=f"Next: 5. {S.get(5).title} ▶").count() == 1
    page.get_by_role("button", name="◀ Previous scene").click()    # and back, from the end
    wait_scene(page, wait_idle, 3)
