"""Load test with real browsers (run by hand, not in CI): N headless Chromium sessions move the app's
sliders and number inputs for a fixed time, against one `streamlit run` on 127.0.0.1 ("direct") and/or two replicas
behind nginx running deploy/nginx.conf ("proxy"). Reports rerun latency p50/p95/max, errors and the
servers' memory (RSS).

    .venv/bin/python scripts/loadtest.py --sessions 10 --duration 60 --mode both [--path /playground]

A rerun's latency is the time from the key press that changes a control to the `script_finished`
message on that page's websocket (decoded with Streamlit's own protobuf classes), i.e. what a
student waits for. Errors: an exception shown on the page, a rerun that does not finish within
--timeout seconds, a JavaScript error, a websocket that closes. Each session pauses 0.2-1.0 s
between moves, like a person dragging.

The browsers run on the same machine as the servers, so on a small machine they take a large share
of the CPU. `--mode ws` loads the server alone: websocket sessions without a browser, as
../shared/tools/wsload.py does, but sending each slider's value in the type the browser sends
(wsload sends a double for a select_slider, whose value is a string, which the Playground's
select_sliders answer with an exception: an error of the tool, not of the app).

    .venv/bin/python scripts/loadtest.py --sessions 30 --duration 60 --mode ws

Bounded: at most 60 sessions and 600 s per mode.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import ws_client  # noqa: E402
from proxy_stack import ProxyStack  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]
CONTROLS = ("[data-testid='stSlider'] input[type='range'], "
            "[data-testid='stNumberInput'] input")
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
MAX_SESSIONS, MAX_DURATION = 60, 600


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (MB)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for t in Path(f"/proc/{p}/task").iterdir():
                kids = Path(f"/proc/{p}/task/{t.name}/children").read_text().split()
                todo.extend(int(k) for k in kids)
        except (OSError, ValueError):
            pass
    return total / 2**20


def pct(xs: list[float], f: float) -> float:
    q = sorted(xs)
    return q[min(len(q) - 1, int(f * len(q)))] if q else float("nan")


class Session:
    """One browser context (its own cookies, so its own affinity and Streamlit session)."""

    def __init__(self, k: int, browser, url: str, timeout: float):
        self.k, self.browser, self.url, self.timeout = k, browser, url, timeout
        self.lat: list[float] = []
        self.errors: list[str] = []
        self.notes: list[str] = []     # the harness's own trouble, not the app's
        self.finished = asyncio.Event()
        self.closing = False

    def _on_ws(self, ws) -> None:
        ws.on("framereceived", self._on_frame)
        ws.on("close", lambda _ws: self.errors.append(f"s{self.k}: websocket closed")
              if not self.closing else None)

    def _on_frame(self, payload) -> None:
        outcome = ws_client.frame_outcome(payload)
        if outcome and outcome[0] == "finished":
            self.finished.set()
        elif outcome:
            self.errors.append(f"s{self.k}: exception shown: {outcome[1][:100]}")

    async def run(self, duration: float, start_delay: float) -> None:
        await asyncio.sleep(start_delay)  # students arrive over a few seconds, not all at once
        ctx = await self.browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = await ctx.new_page()
            page.on("websocket", self._on_ws)
            page.on("pageerror", lambda e: self.errors.append(f"s{self.k}: page error: {str(e)[:100]}"))
            self.finished.clear()
            await page.goto(self.url, timeout=self.timeout * 1000)
            await asyncio.wait_for(self.finished.wait(), self.timeout)
            await page.wait_for_selector(IDLE, timeout=self.timeout * 1000)
            # The controls a student moves: sliders (the sidebar's expanders opened first) and
            # number inputs, whichever are visible.
            try:
                await page.wait_for_selector(CONTROLS, state="attached", timeout=self.timeout * 1000)
            except Exception:  # noqa: BLE001
                self.errors.append(f"s{self.k}: no slider or number input on {self.url}")
                return
            closed = page.locator("[data-testid='stSidebar'] details:not([open]) > summary")
            for _ in range(await closed.count()):
                try:
                    await closed.first.click(timeout=10_000)
                except Exception:  # noqa: BLE001 - a busy machine: move what is visible already
                    self.notes.append(f"s{self.k}: could not open an expander")
                    break
            controls = [c for c in await page.locator(CONTROLS).all()
                        if await c.is_visible() and await c.is_enabled()]
            rnd = random.Random(self.k)
            end = time.monotonic() + duration
            while time.monotonic() < end:
                c = rnd.choice(controls)
                value, lo, hi = await c.input_value(), await c.get_attribute("min"), await c.get_attribute("max")
                up = not (hi is not None and float(value) >= float(hi)) and (
                    (lo is not None and float(value) <= float(lo)) or rnd.random() < 0.5)
                self.finished.clear()
                t0 = time.monotonic()
                await c.focus()
                if await c.get_attribute("type") == "range":
                    await c.press("ArrowRight" if up else "ArrowLeft")
                else:  # a number input commits on Enter
                    await c.press("ArrowUp" if up else "ArrowDown")
                    if await c.input_value() == value:  # a step past its min/max: the input refuses
                        continue
                    await c.press("Enter")
                try:
                    await asyncio.wait_for(self.finished.wait(), self.timeout)
                except asyncio.TimeoutError:
                    label = await c.get_attribute("aria-label")
                    self.errors.append(f"s{self.k}: no rerun finished within {self.timeout:.0f} s "
                                       f"after {'raising' if up else 'lowering'} {label!r} from {value}")
                    continue
                self.lat.append(time.monotonic() - t0)
                await page.wait_for_selector(IDLE, timeout=self.timeout * 1000)
                await asyncio.sleep(rnd.uniform(0.2, 1.0))  # a person's pause between drags
            shown = await page.locator("[data-testid='stException']").count()
            if shown:
                self.errors.append(f"s{self.k}: {shown} exception(s) on the page at the end")
        except Exception as ex:  # noqa: BLE001 - any failure of a session is a reported error
            self.errors.append(f"s{self.k}: {type(ex).__name__}: {str(ex).splitlines()[0][:120]}")
        finally:
            self.closing = True
            await ctx.close()


def rss_watcher(pids: list[int]):
    """(samples, coroutine function): the coroutine samples each server's RSS once a second."""
    rss: dict[int, list[float]] = {p: [] for p in pids}

    async def watch() -> None:
        while True:
            for p in pids:
                rss[p].append(rss_mb(p))
            await asyncio.sleep(1)

    return rss, watch


async def load(url: str, pids: list[int], sessions: int, duration: float, timeout: float) -> dict:
    from playwright.async_api import async_playwright

    rss, watch = rss_watcher(pids)

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        w = asyncio.create_task(watch())
        t0 = time.monotonic()
        ss = [Session(k, browser, url, timeout) for k in range(sessions)]
        await asyncio.gather(*(s.run(duration, start_delay=k * 0.3) for k, s in enumerate(ss)))
        wall = time.monotonic() - t0
        w.cancel()
        await browser.close()
    lat = [x for s in ss for x in s.lat]
    errors = [e for s in ss for e in s.errors]
    notes = [e for s in ss for e in s.notes]
    return {"notes": notes[:10],"sessions": sessions, "duration_s": duration, "wall_s": round(wall, 1), "reruns": len(lat),
            "p50_s": round(pct(lat, 0.5), 3), "p95_s": round(pct(lat, 0.95), 3),
            "max_s": round(pct(lat, 1.0), 3), "errors": len(errors), "error_samples": errors[:10],
            "rss_mb": {str(p): {"start": round(v[0]), "max": round(max(v)), "end": round(v[-1])}
                       for p, v in rss.items() if v}}


async def ws_session(k: int, hostport: str, duration: float, timeout: float, lat: list, errors: list,
                     sizes: list) -> None:
    """One protocol-level session (no browser): like ../shared/tools/wsload.py, but it sends each
    slider's value in the type the browser sends (a select_slider's value is its option's label,
    a string; a numeric slider's is a double), so a malformed message is never what is measured."""
    from streamlit.proto.Slider_pb2 import Slider

    sliders: dict[str, tuple] = {}   # id -> (kind, min, max, step, options)
    values: dict[str, object] = {}

    async def rerun(ws) -> float:
        t0 = time.monotonic()
        run = await ws_client.rerun(ws, values, timeout)
        seconds = time.monotonic() - t0
        sizes.extend(run.sizes)
        for el in run.of_type("exception"):
            errors.append(f"w{k}: exception shown: {el.exception.message[:100]}")
        for sl in (el.slider for el in run.of_type("slider")):
            if sl.id:
                sliders[sl.id] = (sl.type, sl.min, sl.max, sl.step or (sl.max - sl.min) / 100, list(sl.options))
        return seconds

    try:
        async with ws_client.connect(hostport) as ws:
            await rerun(ws)
            if not sliders:
                errors.append(f"w{k}: no slider on the page")
                return
            rnd = random.Random(k)
            end = time.monotonic() + duration
            while time.monotonic() < end:
                sid = rnd.choice(sorted(sliders))
                kind, lo, hi, step, options = sliders[sid]
                if kind == Slider.SELECT_SLIDER:
                    values[sid] = rnd.choice(options)
                else:
                    values[sid] = lo + step * rnd.randint(0, max(1, int(round((hi - lo) / step))))
                lat.append(await rerun(ws))
                await asyncio.sleep(rnd.uniform(0.2, 1.0))  # a person's pause between drags
    except Exception as ex:  # noqa: BLE001 - any failure of a session is a reported error
        errors.append(f"w{k}: {type(ex).__name__}: {str(ex)[:120]}")


async def ws_load(hostport: str, pids: list[int], sessions: int, duration: float, timeout: float) -> dict:
    rss, watch = rss_watcher(pids)

    lat: list[float] = []
    errors: list[str] = []
    sizes: list[int] = []
    w = asyncio.create_task(watch())
    t0 = time.monotonic()
    await asyncio.gather(*(ws_session(k, hostport, duration, timeout, lat, errors, sizes)
                           for k in range(sessions)))
    wall = time.monotonic() - t0
    w.cancel()
    return {"sessions": sessions, "duration_s": duration, "wall_s": round(wall, 1), "reruns": len(lat),
            "p50_s": round(pct(lat, 0.5), 3), "p95_s": round(pct(lat, 0.95), 3),
            "max_s": round(pct(lat, 1.0), 3), "errors": len(errors), "error_samples": errors[:10],
            "largest_message_mb": round(max(sizes, default=0) / 1e6, 2),
            "rss_mb": {str(p): {"start": round(v[0]), "max": round(max(v)), "end": round(v[-1])}
                       for p, v in rss.items() if v}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=10, help=f"browser sessions (<= {MAX_SESSIONS})")
    ap.add_argument("--duration", type=float, default=60, help=f"seconds of slider moves per session (<= {MAX_DURATION})")
    ap.add_argument("--mode", choices=["direct", "proxy", "both", "ws", "ws-proxy"], default="both",
                    help="browsers against one replica / two behind nginx / both; ws, ws-proxy: "
                         "websocket sessions without a browser (start page only), against one "
                         "replica / two behind nginx")
    ap.add_argument("--app", default="app.py", help="Streamlit entry file (default: app.py)")
    ap.add_argument("--path", default="", help="page path to load, e.g. /playground (default: the start page)")
    ap.add_argument("--timeout", type=float, default=60, help="seconds a page load or a rerun may take")
    ap.add_argument("--json", help="also write the results to this file")
    a = ap.parse_args()
    if not 1 <= a.sessions <= MAX_SESSIONS or not 0 < a.duration <= MAX_DURATION:
        ap.error(f"--sessions must be 1..{MAX_SESSIONS} and --duration 0..{MAX_DURATION}")

    results = {}
    for mode in (["direct", "proxy"] if a.mode == "both" else [a.mode]):
        proxied = mode in ("proxy", "ws-proxy")
        with ProxyStack(replicas=2 if proxied else 1, app=a.app, nginx=proxied) as stack:
            url = stack.url + a.path.lstrip("/")
            pids = [r.process.pid for r in stack.replicas]
            print(f"[{mode}] {a.sessions} {'websocket' if mode.startswith('ws') else 'Chromium'} sessions x {a.duration:.0f} s against {url} "
                  f"(replica pids {pids})", flush=True)
            if mode.startswith("ws"):
                hostport = stack.url.split("//")[1].rstrip("/")
                r = asyncio.run(ws_load(hostport, pids, a.sessions, a.duration, a.timeout))
            else:
                r = asyncio.run(load(url, pids, a.sessions, a.duration, a.timeout))
            if proxied:
                used = {u for row in stack.access_log() if row["request"].startswith("GET /_stcore/stream")
                        for u in row["upstream"][-1:]}
                r["replicas_used_by_websockets"] = len(used)
        results[mode] = r
        mem = ", ".join(f"pid {p}: {m['start']}->{m['max']} (end {m['end']}) MB" for p, m in r["rss_mb"].items())
        print(f"[{mode}] reruns {r['reruns']}, p50 {r['p50_s']:.2f}s, p95 {r['p95_s']:.2f}s, "
              f"max {r['max_s']:.2f}s, errors {r['errors']}; RSS {mem}"
              + (f"; largest message {r['largest_message_mb']} MB" if "largest_message_mb" in r else "")
              + (f"; websockets spread over {r['replicas_used_by_websockets']} replicas"
                 if "replicas_used_by_websockets" in r else ""), flush=True)
        for e in r["error_samples"]:
            print(f"[{mode}] error: {e}")
        for e in r.get("notes", []):
            print(f"[{mode}] note: {e}")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
