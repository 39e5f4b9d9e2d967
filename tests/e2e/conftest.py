"""Shared fixtures for the end-to-end tests in real headless Chromium.

    def test_x(app_url, page, wait_idle):
        page.goto(app_url + "/?steps=500")
        wait_idle(page)              # the script has finished its rerun

`app_server` starts `streamlit run app.py` once per test session on 127.0.0.1 and a free port, and
stops it at the end (`fresh_app_url`: a new server for one test); `page` is a fresh Playwright page (viewport 1400x1000) in a shared Chromium
started with the flags this machine needs (Debian's /usr/bin/chromium; Playwright's own browser
download is not used). Every test here is marked `browser`.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
START_TIMEOUT_S = 90      # 2 shared cores: the first import of torch alone can take several seconds
RERUN_TIMEOUT_MS = 60_000


def pytest_collection_modifyitems(items):
    here = os.path.dirname(os.path.abspath(__file__))
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_streamlit(port: int, script: str = "app.py", extra_args=()) -> subprocess.Popen:
    """`streamlit run script` on 127.0.0.1:port, headless, no file watcher (the caller stops it)."""
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none",
           "--browser.gatherUsageStats", "false", *extra_args]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def wait_healthy(url: str, proc: subprocess.Popen | None = None, timeout: float = START_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{out}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{url} not healthy after {timeout} s")


def stop(proc: subprocess.Popen):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def running_app():
    """A `streamlit run app.py` on 127.0.0.1 and a free port, healthy; yields its base URL."""
    port = free_port()
    proc = start_streamlit(port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc)
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def app_server():
    """Base URL of a `streamlit run app.py` started for this test session."""
    with running_app() as url:
        yield url


@pytest.fixture(scope="session")
def app_url(app_server):
    return app_server


@pytest.fixture
def fresh_app_url():
    """Base URL of a brand-new `streamlit run app.py` (for what happens on a server's first request)."""
    with running_app() as url:
        yield url


@pytest.fixture(scope="session")
def browser(playwright_sync):
    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    b = playwright_sync.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
                                        args=CHROMIUM_ARGS, headless=True)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(RERUN_TIMEOUT_MS)
    pg = context.new_page()
    yield pg
    context.close()


def _wait_idle(page, timeout_ms: int = RERUN_TIMEOUT_MS):
    """Wait until Streamlit has finished the current rerun (as Streamlit's own e2e tests do)."""
    page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    # a rerun may start just after an interaction: give it a moment to flip to "running"
    page.wait_for_timeout(150)
    page.wait_for_selector(IDLE, timeout=timeout_ms)


@pytest.fixture
def wait_idle():
    """`wait_idle(page)` returns once the app's script is not running (call after each interaction)."""
    return _wait_idle


OVERFLOWING_FORMULAS = """() => [...document.querySelectorAll('[data-testid=stMain] .katex-display')]
    .filter(e => e.clientWidth > 0 && e.querySelector('.katex').scrollWidth > e.clientWidth + 2)
    .map(e => e.innerText.slice(0, 40))"""


def _overflowing_formulas(page) -> list[str]:
    """The display formulas on the page that are wider than their column (the start of each). The style
    sheet may land just after the formulas: give it a moment, then report what overflows."""
    page.wait_for_selector("[data-testid=stMain] .katex-display")
    try:
        page.wait_for_function(f"({OVERFLOWING_FORMULAS})().length === 0", timeout=10_000)
    except Exception:
        pass
    return page.evaluate(OVERFLOWING_FORMULAS)


@pytest.fixture
def overflowing_formulas():
    """`overflowing_formulas(page)`: the display formulas that scroll sideways (expected: none)."""
    return _overflowing_formulas
