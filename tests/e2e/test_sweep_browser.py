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
    page.screenshot(path="/tmp/sweep_to_playground.png")
