"""Take docs/screenshot.png: the Playground in headless Chromium (the README's picture).

    .venv/bin/python bench/screenshot.py [query] [out.png] [--present] [--size=WxH]

A query that starts with "/" is a page path with its query (e.g. "/tour?scene=1"); otherwise it is
the Playground's query. The default size is 1440x1700.

Starts `streamlit run app.py` on 127.0.0.1 (free port), opens the page, waits for the rerun and
the chart, saves the PNG, stops the server.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from conftest import CHROMIUM, CHROMIUM_ARGS, IDLE, free_port, start_streamlit, stop, wait_healthy  # noqa: E402

DEFAULT_QUERY = ("surface=crescent&steps=1000&opt=gd,lr%3D0.005&opt=momentum,lr%3D0.005&opt=adagrad,lr%3D1"
                 "&opt=rmsprop,lr%3D0.03&opt=adam,lr%3D0.1")


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    query = args[0] if args else DEFAULT_QUERY
    out = args[1] if len(args) > 1 else os.path.join(ROOT, "docs", "screenshot.png")
    if "--present" in argv:
        query += "&present=1"
    size = next((a.split("=", 1)[1] for a in argv if a.startswith("--size=")), "1440x1700")
    width, height = (int(v) for v in size.split("x"))
    target = query if query.startswith("/") else f"/?{query}"
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = start_streamlit(port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
            page.goto(f"{url}{target}", timeout=120_000)
            page.wait_for_timeout(500)
            page.wait_for_selector(IDLE, timeout=120_000)
            page.wait_for_selector(".js-plotly-plot .scatterlayer", state="attached", timeout=120_000)
            page.wait_for_timeout(2500)  # fonts, KaTeX and plotly settle
            page.screenshot(path=out)
            browser.close()
        print(out)
    finally:
        stop(proc)


if __name__ == "__main__":
    main(sys.argv[1:])
