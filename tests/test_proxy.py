"""The hosting setup for real: two `streamlit run` replicas behind Debian's nginx running the project's
own deploy/nginx.conf (scripts/proxy_stack.py), driven by headless Chromium.

Checks: nginx's affinity cookie spreads new browsers over both replicas; the page loads and reruns
through the proxy (websocket upgrade); a browser's requests all go to one replica (the access log
names the replica of each request); when that replica is killed, the page reconnects to the other
one, renders and reruns again.

The replicas are recognised by the websocket messages themselves: every rerun ends with a
`script_finished` ForwardMsg, decoded with Streamlit's own protobuf classes (scripts/ws_client.py).
"""
from __future__ import annotations

import os
import shutil
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import ws_client  # noqa: E402
from proxy_stack import NGINX, ProxyStack  # noqa: E402

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
APP = "app.py"
# The control the test changes: the first visible number input (the Playground's sidebar has its
# sliders in collapsed expanders; "start x" is in plain view).
CONTROL = "[data-testid='stNumberInput'] input"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


class StreamWatch:
    """Decodes the ForwardMsgs of every websocket the page opens."""

    def __init__(self, page):
        self.sockets: list[dict] = []  # per websocket: url, finished runs, exceptions shown
        page.on("websocket", self._on_ws)

    def _on_ws(self, ws) -> None:
        rec = {"url": ws.url, "finished": 0, "exceptions": 0}
        self.sockets.append(rec)
        ws.on("framereceived", lambda payload: self._on_frame(rec, payload))

    def _on_frame(self, rec: dict, payload) -> None:
        outcome = ws_client.frame_outcome(payload)
        if outcome:
            rec["finished" if outcome[0] == "finished" else "exceptions"] += 1


def wait_for(page, cond, timeout: float, what: str) -> None:
    """Poll `cond` while letting Playwright deliver its events."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        page.wait_for_timeout(100)


def wait_rerun(page, watch: StreamWatch, sockets: int, before: int, what: str) -> None:
    """Wait until at least `sockets` websockets were opened and the latest finished a run more."""
    wait_for(page, lambda: len(watch.sockets) >= sockets and watch.sockets[-1]["finished"] > before,
             90, what)
    page.wait_for_selector(IDLE, timeout=90_000)


def nudge(page) -> str:
    """Step the first visible number input up (down at its maximum) and commit; return its value."""
    box = page.locator(CONTROL).filter(visible=True).first
    box.focus()
    at_max = box.get_attribute("max") is not None and float(box.input_value()) >= float(box.get_attribute("max"))
    box.press("ArrowDown" if at_max else "ArrowUp")
    box.press("Enter")
    return box.input_value()


def shown_value(page) -> str:
    return page.locator(CONTROL).filter(visible=True).first.input_value()


@pytest.mark.skipif(not (os.path.exists(CHROMIUM) and shutil.which(NGINX)),
                    reason="needs /usr/bin/chromium and nginx (CI installs both)")
def test_sticky_sessions_and_failover_through_nginx(playwright_sync):
    pw = playwright_sync
    with ProxyStack(replicas=2, app=APP) as stack:
        # 0. The affinity spreads browsers over the replicas and pins each one: 20 cookie-less
        #    requests (20 new browsers, one NAT address) reach both replicas; 5 requests with one
        #    cookie reach one. (All 20 on one replica by chance: probability 2**-19.)
        def affinity_cookies(r) -> list[str]:
            return [c.split(";")[0] for c in r.headers.get_all("Set-Cookie") or []
                    if c.startswith("srv_affinity=")]

        first_hops = []
        for _ in range(20):
            with urllib.request.urlopen(stack.url + "_stcore/health", timeout=10) as r:
                first_hops += affinity_cookies(r)
        assert len(set(first_hops)) == 20, "nginx must give each new browser its own affinity cookie"
        for _ in range(5):
            req = urllib.request.Request(stack.url + "_stcore/health", headers={"Cookie": first_hops[0]})
            with urllib.request.urlopen(req, timeout=10) as r:
                assert r.read() == b"ok" and not affinity_cookies(r)
        # nginx logs a request after it has answered it: on a busy machine the last line can come a
        # moment after the response (this read once found 5 of the 6 pinned requests)
        pinned = lambda rows: [r for r in rows if "srv_affinity=" + r["affinity"] == first_hops[0]]  # noqa: E731
        deadline = time.monotonic() + 10
        while len(pinned(rows := stack.access_log())) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        spread = {r["upstream"][-1] for r in rows if "srv_affinity=" + r["affinity"] in first_hops}
        assert spread == {r.addr for r in stack.replicas}, spread
        pinned0 = {r["upstream"][-1] for r in rows if "srv_affinity=" + r["affinity"] == first_hops[0]}
        assert len(pinned0) == 1 and len(pinned(rows)) == 6

        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = ctx.new_page()
            watch = StreamWatch(page)

            # 1. The page loads through nginx: the websocket is upgraded and the script runs.
            page.goto(stack.url, timeout=60_000)
            wait_rerun(page, watch, 1, 0, "the first run through nginx")
            assert watch.sockets[0]["url"].startswith(stack.url.replace("http", "ws"))
            cookie = {c["name"]: c["value"] for c in ctx.cookies()}.get("srv_affinity")
            assert cookie, "nginx set no affinity cookie"

            # 2. A widget change reruns the script over the same websocket.
            page.locator(CONTROL).filter(visible=True).first.wait_for(timeout=60_000)
            initial = shown_value(page)
            n = watch.sockets[0]["finished"]
            value = nudge(page)
            wait_rerun(page, watch, 1, n, "a rerun after a widget change")
            assert len(watch.sockets) == 1

            # 3. A reload (new page request, new websocket) keeps the browser on the same replica.
            page.reload(timeout=60_000)
            wait_rerun(page, watch, 2, 0, "the run after a reload")
            assert len(watch.sockets) == 2
            n = watch.sockets[1]["finished"]
            value = nudge(page)
            wait_rerun(page, watch, 2, n, "a rerun after the reload")
            # nginx writes a websocket's log line when it closes (the reload closed the first one)
            mine = lambda: [r for r in stack.access_log() if r["affinity"] == cookie]  # noqa: E731
            wait_for(page, lambda: any(r["request"].startswith("GET /_stcore/stream") for r in mine()),
                     10, "nginx to log the first websocket")
            mine = mine()
            assert len(mine) >= 5, mine
            assert all(r["status"] < 400 for r in mine), mine
            used = {r["upstream"][-1] for r in mine}
            assert len(used) == 1, f"one browser's requests went to {used}"
            pinned = stack.replica_index(used.pop())
            other = 1 - pinned

            # 4. Kill that replica. Streamlit's page notices, pings /_stcore/health until an answer
            #    comes (nginx passes it to the other replica) and opens a new websocket. The page
            #    keeps showing its last run; the next widget change reruns the script on the
            #    surviving replica, in a new session there that starts from the page's widget values
            #    (and URL), not from the app's defaults.
            stack.kill(pinned)
            wait_for(page, lambda: len(watch.sockets) >= 3, 60, "a new websocket after the kill")
            for _attempt in range(6):  # the socket may still be opening: retry the change
                nudge(page)
                try:
                    wait_for(page, lambda: watch.sockets[-1]["finished"] > 0, 10, "a rerun")
                    break
                except AssertionError:
                    continue
            else:
                raise AssertionError("no rerun after the reconnect")
            page.wait_for_selector(IDLE, timeout=90_000)
            assert float(shown_value(page)) >= float(value) > float(initial), (initial, value, shown_value(page))
            n = watch.sockets[-1]["finished"]
            value = nudge(page)
            wait_rerun(page, watch, 3, n, "a second rerun on the surviving replica")
            assert shown_value(page) == value
            assert page.locator("[data-testid='stException']").count() == 0
            assert sum(s["exceptions"] for s in watch.sockets) == 0
        finally:
            browser.close()
        time.sleep(0.5)
        log = stack.access_log()

    # The access log tells which replica served what (closing the browser logged the websockets).
    streams = [r for r in log if r["affinity"] == cookie and r["request"].startswith("GET /_stcore/stream")]
    survivor = stack.replicas[other].addr
    assert len(streams) >= 3, streams
    assert streams[0]["upstream"] == streams[1]["upstream"] == [stack.replicas[pinned].addr]
    assert streams[-1]["upstream"][-1] == survivor and streams[-1]["status"] == 101, streams[-1]
    after = [r for r in log[log.index(streams[1]) + 1:] if r["affinity"] == cookie]
    assert any(r["upstream"][-1] == survivor for r in after)
    # nginx itself moved the first request after the crash to the survivor (proxy_next_upstream):
    # the browser never saw an error status.
    assert any(r["upstream"] == [stack.replicas[pinned].addr, survivor] for r in after), after
    assert all(r["status"] < 500 for r in log if r["affinity"] == cookie)
