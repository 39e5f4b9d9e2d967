"""Start N `streamlit run` replicas and Debian's nginx in front of them, on 127.0.0.1 only.

Shared by tests/test_proxy.py and scripts/loadtest.py. nginx runs on the project's own
deploy/nginx.conf: `render_nginx_conf` swaps only the marked upstream servers (keeping their
max_fails/fail_timeout), the listen line and the file paths, and checks that each of those is
found exactly once, so a change to deploy/nginx.conf is what the test exercises.

    with ProxyStack(replicas=2) as stack:
        stack.url            # http://127.0.0.1:<nginx port>/
        stack.replicas[0]    # Replica(port, process, log)
        stack.kill(0)        # SIGKILL one replica (a crash)
        stack.access_log()   # nginx's access log lines (log_format `sticky`)

Run as a script to keep a stack up by hand: `.venv/bin/python scripts/proxy_stack.py 2`.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# One torch/BLAS thread per rerun, as in the Dockerfile.
THREAD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "NUMBA_NUM_THREADS": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 3.0) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float, log: Path) -> None:
    """Poll `url` (a /_stcore/health address) until it answers `ok`."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if get(url)[1] == b"ok":
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"no healthy answer from {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def render_nginx_conf(upstreams: list[str], listen_port: int, workdir: Path,
                      template: Path = NGINX_CONF) -> str:
    """deploy/nginx.conf with its upstream servers replaced by `upstreams` ("host:port"), listening
    on 127.0.0.1:`listen_port`, with logs, temp files (and nothing else) under `workdir`."""
    text = template.read_text()

    def sub_once(pattern: str, repl, flags=0) -> None:
        nonlocal text
        text, n = re.subn(pattern, repl, text, flags=flags)
        if n != 1:
            raise ValueError(f"{template}: expected one match of {pattern!r}, found {n}")

    block = re.search(r"# upstream-servers:begin\n(.*?)\n\s*# upstream-servers:end", text, re.S)
    if not block:
        raise ValueError(f"{template}: no '# upstream-servers:begin/end' block")
    servers = re.findall(r"^\s*server\s+\S+(.*?);", block.group(1), re.M)
    if len(servers) != 1:
        raise ValueError(f"{template}: expected one server line in the upstream block")
    params = servers[0]  # e.g. " max_fails=1 fail_timeout=30s"
    lines = "".join(f"        server {u}{params};\n" for u in upstreams)
    sub_once(r"(# upstream-servers:begin\n).*?(\s*# upstream-servers:end)",
             lambda m: m.group(1) + lines.rstrip("\n") + m.group(2), re.S)
    sub_once(r"^(\s*)listen 80;", rf"\g<1>listen 127.0.0.1:{listen_port};", re.M)
    text, n = re.subn(r"/var/log/nginx/", f"{workdir}/", text)
    if n != 2:
        raise ValueError(f"{template}: expected the error and access logs under /var/log/nginx/")
    temp = "".join(f"    {kind}_temp_path {workdir}/{kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    sub_once(r"^http \{\n", lambda m: m.group(0) + temp, re.M)
    return text


@dataclass
class Replica:
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def addr(self) -> str:
        return f"127.0.0.1:{self.port}"


class ProxyStack:
    """`replicas` Streamlit servers running `app` (0 replicas: none), nginx in front when `nginx`."""

    def __init__(self, replicas: int = 2, app: str | Path = "app.py", nginx: bool = True,
                 cwd: Path = ROOT, startup_timeout: float = 120.0):
        self.n, self.app, self.use_nginx, self.cwd = replicas, str(app), nginx, Path(cwd)
        self.timeout = startup_timeout
        self.workdir = Path(tempfile.mkdtemp(prefix="proxy-stack-"))
        self.workdir.chmod(0o755)  # nginx's workers run as `nobody` when the test runs as root
        self.replicas: list[Replica] = []
        self.nginx: subprocess.Popen | None = None
        self.nginx_port: int | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> "ProxyStack":
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        for i in range(self.n):  # start all, then wait: they boot in parallel
            self.replicas.append(self._spawn_replica(i))
        for r in self.replicas:
            wait_healthy(f"http://{r.addr}/_stcore/health", r.process, self.timeout, r.log)
        if self.use_nginx:
            self._start_nginx()

    def _spawn_replica(self, i: int) -> Replica:
        port = free_port()
        log = self.workdir / f"replica{i}.log"
        cmd = [sys.executable, "-m", "streamlit", "run", self.app, f"--server.port={port}",
               "--server.address=127.0.0.1", "--server.headless=true"]
        env = {**os.environ, **THREAD_ENV, "PYTHONUNBUFFERED": "1"}
        with open(log, "wb") as out:
            proc = subprocess.Popen(cmd, cwd=self.cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        return Replica(port, proc, log)

    def _start_nginx(self) -> None:
        self.nginx_port = free_port()
        conf = self.workdir / "nginx.conf"
        conf.write_text(render_nginx_conf([r.addr for r in self.replicas], self.nginx_port, self.workdir))
        base = [NGINX, "-p", f"{self.workdir}/", "-c", str(conf),
                "-g", f"daemon off; pid {self.workdir}/nginx.pid;"]
        check = subprocess.run([*base, "-t", "-q"], capture_output=True, text=True)
        if check.returncode:
            raise RuntimeError(f"nginx -t failed:\n{check.stderr}")
        log = self.workdir / "nginx.stderr"
        with open(log, "wb") as out:
            self.nginx = subprocess.Popen(base, stdout=out, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        wait_healthy(f"{self.url}_stcore/health", self.nginx, 30, log)

    def stop(self) -> None:
        if self.nginx and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)  # graceful: finishes (and logs) open requests
            try:
                self.nginx.wait(5)
            except subprocess.TimeoutExpired:
                self.nginx.terminate()
                try:
                    self.nginx.wait(5)
                except subprocess.TimeoutExpired:
                    self.nginx.kill()
                    self.nginx.wait()
        for r in self.replicas:
            if r.process.poll() is None:
                r.process.terminate()
        for r in self.replicas:
            try:
                r.process.wait(10)
            except subprocess.TimeoutExpired:
                r.process.kill()
                r.process.wait()
        if os.environ.get("KEEP_PROXY_STACK") != "1":
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self.nginx_port is None:
            return f"http://{self.replicas[0].addr}/"
        return f"http://127.0.0.1:{self.nginx_port}/"

    def kill(self, i: int) -> None:
        """SIGKILL replica `i`, as a crash or an OOM kill would."""
        p = self.replicas[i].process
        p.kill()
        p.wait()

    def replica_index(self, addr: str) -> int:
        return [r.addr for r in self.replicas].index(addr)

    def access_log(self) -> list[dict]:
        """Parsed access-log lines: request, status, upstream (list of addresses tried), affinity."""
        path = self.workdir / "access.log"
        rows = []
        pat = re.compile(r'"(?P<request>[^"]*)" (?P<status>\d+) \d+ upstream=(?P<upstream>.*?) '
                         r'affinity=(?P<affinity>\S*) rt=')
        for line in path.read_text().splitlines() if path.exists() else []:
            m = pat.search(line)
            if m:
                ups = [u.strip() for u in re.split(r",\s*|\s+:\s+", m["upstream"]) if u.strip()]
                rows.append({"request": m["request"], "status": int(m["status"]),
                             "upstream": ups, "affinity": m["affinity"]})
        return rows


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    with ProxyStack(replicas=n) as s:
        print(f"nginx: {s.url}  replicas: {[r.addr for r in s.replicas]}  "
              f"pids: {[r.process.pid for r in s.replicas]}  workdir: {s.workdir}", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
