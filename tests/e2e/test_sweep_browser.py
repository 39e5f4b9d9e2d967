"""Click a cell of the sweep heatmap in headless Chromium and land in the Playground with that
cell's surface, optimizer, η and β₁ (the query string the Playground reads, ui/share.py)."""
import math
import urllib.parse

import numpy as np
import pytest

from optimizers import sweep as sw
from ui import limits as L

pytestmark = pytest.mark.browser


def test_clicking_a_sweep_cell_opens_it_in_the_playground(app_url, page, wait_idle):
    page.goto(app_url + "/sweep")
    wait_idle(page)
    chart = page.locator("[data-testid='stPlotlyChart']").first
    chart.wait_for()
    drag = chart.locator(".nsewdrag").first                       # the plot area
    box = drag.bounding_box()
    fx, fy = 0.30, 0.65                                           # a cell left of centre, below the middle
    page.mouse.move(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    page.wait_for_timeout(300)
    page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    opened_cell(page, wait_idle, fx, fy)
    page.screenshot(path="/tmp/sweep_to_playground.png")


def test_one_tap_on_a_touch_screen_opens_the_tapped_cell(app_url, browser, wait_idle):
    """plotly selects the point of its last hover, and a touch screen hovers only after the tap: the
    first tap opened nothing and the second opened the first tap's cell (app.py's TOUCH)."""
    context = browser.new_context(viewport={"width": 820, "height": 1180}, is_mobile=True, has_touch=True)
    context.set_default_timeout(90_000)
    page = context.new_page()
    try:
        page.goto(app_url + "/sweep")
        wait_idle(page)
        drag = page.locator("[data-testid='stPlotlyChart']").first.locator(".nsewdrag").first
        drag.scroll_into_view_if_needed()
        box = drag.bounding_box()
        fx, fy = 0.70, 0.30
        page.touchscreen.tap(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
        opened_cell(page, wait_idle, fx, fy)
    finally:
        context.close()


def opened_cell(page, wait_idle, fx: float, fy: float) -> None:
    """The page went to the Playground with the cell at (fx, fy) of the plot area (fractions of its
    width from the left and of its height from the top)."""
    # the Playground is the default page: its address is "/", with the setup's query
    page.wait_for_url(lambda url: "/sweep" not in url and "opt=" in url, timeout=60_000)
    wait_idle(page)
    assert page.get_by_text("Playground").first.is_visible()
    assert not page.get_by_text("is not on the slider").count()    # the η arrived exactly
    q = urllib.parse.parse_qs(urllib.parse.urlparse(page.url).query)
    assert q["surface"] == ["bowl"] and q["steps"] == ["300"] and q["conv"] == ["torch"]
    opt = dict(kv.split("=") for kv in q["opt"][0].split(",")[1:])
    assert q["opt"][0].split(",")[0] == "adam"
    lr = float(opt["lr"])
    beta1 = float(opt.get("beta1", 0.9))
    # the page's default grid: 30 log-spaced rates from 1e-3 to 1 moved onto the Playground's η slider
    # (ui.limits.LR_GRID, repeats dropped), 30 values of β₁ from 0 to 0.99
    grid = np.asarray(L.LR_GRID)
    lrs = np.unique([grid[np.argmin(np.abs(np.log(grid) - np.log(v)))] for v in sw.lr_grid(1e-3, 1.0, 30)])
    b1s = sw.value_grid("beta1", 0.0, 0.99, 30, 300)
    n_lr = len(lrs)
    j = int(np.argmin(np.abs(np.log(lrs) - math.log(lr))))
    i = int(np.argmin(np.abs(b1s - beta1)))
    assert lr == pytest.approx(lrs[j], rel=1e-9) and beta1 == pytest.approx(b1s[i], abs=1e-9)
    # the clicked cell is the one under the mouse (plotly's axes span the cells' outer edges)
    assert abs((j + 0.5) / n_lr - fx) <= 1.5 / n_lr
    assert abs((1 - (i + 0.5) / 30) - fy) <= 1.5 / 30
