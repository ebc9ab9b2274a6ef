"""An app served by real gunicorn with the repository's gunicorn.conf.py, for tests that need production's
process shape: the gevent worker, its hooks, several processes."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener, urlopen

from .conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
WAIT = 15.0  # a generous bound for "arrives"; never a speed assertion


METRICS_TOKEN = "test-metrics-token"


class AppProcess:
    """`gunicorn app:app` (or another `app` spec) with the repository's gunicorn.conf.py, `workers` gevent
    workers (one by default); ready when `ready_path` answers 200."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, *, app: str = "app:app",
                 ready_path: str = "/healthz", workers: int = 1) -> None:
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.ready_path = ready_path
        self.log = log_dir / f"gunicorn-{name}.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", app], cwd=ROOT,
            # Tests connect directly, on loopback: say so, or production mode refuses to start (chessweb/proxies.py).
            env={**os.environ, "CHESSWEB_PROXY_FIX_X_FOR": "0", "CHESSWEB_METRICS_TOKEN": METRICS_TOKEN, **env,
                 "PYTHONPATH": str(ROOT), "BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(workers),
                 "WORKER_CONNECTIONS": "200"},
            stdout=self._log_file, stderr=subprocess.STDOUT)

    def wait_ready(self) -> None:
        # A bound for "it starts", not a speed: a worker's boot imports the whole app, which took over 30 s once
        # on a loaded CI machine.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"process {self.name} exited:\n{self.tail()}")
            try:
                with urlopen(f"{self.url}{self.ready_path}", timeout=2):
                    return  # 200; urlopen raises for anything else
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"process {self.name} did not start:\n{self.tail()}")

    def worker_pid(self) -> int:
        """The gunicorn worker's pid (the master forks it; it holds the sockets and the broker)."""
        children = self.worker_pids()
        assert len(children) == 1, f"expected one worker under {self.process.pid}, found {children}"
        return children[0]

    def worker_pids(self) -> list[int]:
        """The pids of the master's workers."""
        return [int(entry.name) for entry in Path("/proc").iterdir()
                if entry.name.isdigit() and _parent_pid(entry) == self.process.pid]

    def get_json(self, path: str) -> dict:
        with urlopen(f"{self.url}{path}", timeout=WAIT) as response:
            return json.loads(response.read())

    def metric(self, name: str) -> float:
        """One sample of this instance's Prometheus metrics, all workers together (`name` may carry labels)."""
        request = Request(f"{self.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        with urlopen(request, timeout=WAIT) as response:
            text = response.read().decode()
        match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
        assert match, f"{name} not in /metrics of {self.name}"
        return float(match.group(1))

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        try:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(20)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(5)
        finally:
            self._log_file.close()


def _parent_pid(proc_entry: Path) -> int | None:
    try:
        stat = (proc_entry / "stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 303 is the answer we check, not something to follow


class Browser:
    """Plain HTTP with a cookie jar, as a browser without JavaScript submits forms to a real server process."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._opener = build_opener(HTTPCookieProcessor(CookieJar()), _NoRedirect())

    def get(self, path: str) -> str:
        with self._opener.open(self.base_url + path, timeout=WAIT) as response:
            return response.read().decode()

    def token(self, path: str) -> str:
        """The CSRF token of the form on the page at `path`."""
        match = CSRF_INPUT.search(self.get(path))
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def post(self, path: str, body: bytes, content_type: str = "application/x-www-form-urlencoded",
             timeout: float = WAIT) -> int:
        """POST `body`; returns the status (a 303 is not followed)."""
        request = Request(self.base_url + path, data=body, method="POST", headers={"Content-Type": content_type})
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return response.status
        except HTTPError as error:  # 303 lands here (no redirect handler follows it), like 4xx
            error.close()
            return error.code

    def submit(self, path: str, fields: dict[str, str], *, form_path: str) -> int:
        """POST a form with the CSRF token read from the page that shows it; returns the status."""
        return self.post(path, urlencode({"csrf_token": self.token(form_path), **fields}).encode())
