"""docs/deploy/nginx.conf, run as written by Debian's nginx in front of real gunicorn.

The production recipe needs a buffering reverse proxy (case slow-body-connection-exhaustion): slow bodies
stay in nginx, one address gets a bounded number of connections, and the app still sees each client's own
address (login throttling) and serves WebSockets through it.
"""
from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest
from websockets.sync.client import connect

from ..conftest import free_port
from ..processes import ROOT, WAIT, AppProcess
from ..servers import require_program

pytestmark = pytest.mark.slow

CONF = ROOT / "docs" / "deploy" / "nginx.conf"


class Nginx:
    """nginx in the foreground with docs/deploy/nginx.conf pointed at `upstream_port`."""

    def __init__(self, upstream_port: int, workdir: Path) -> None:
        binary = require_program("nginx")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        site = CONF.read_text()
        site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};")
        site, listens = re.subn(r"^    listen 80;", f"    listen 127.0.0.1:{self.port};", site, flags=re.M)
        assert listens == 1, "docs/deploy/nginx.conf must keep its one 'listen 80;' line (the test rewrites it)"
        (workdir / "chessweb.conf").write_text(site)
        self.error_log = workdir / "nginx-error.log"
        user = "user root;" if os.geteuid() == 0 else ""  # workers must write the temp folders in workdir
        (workdir / "nginx.conf").write_text(f"""
            daemon off; worker_processes 1; {user} pid {workdir}/nginx.pid; error_log {self.error_log} info;
            events {{ worker_connections 1024; }}
            http {{
                access_log {workdir}/nginx-access.log;
                client_body_temp_path {workdir}/body; proxy_temp_path {workdir}/proxy;
                fastcgi_temp_path {workdir}/fastcgi; uwsgi_temp_path {workdir}/uwsgi; scgi_temp_path {workdir}/scgi;
                include {workdir}/chessweb.conf;
            }}""")
        self.process = subprocess.Popen([binary, "-p", str(workdir), "-c", str(workdir / "nginx.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + WAIT
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"nginx did not start:\n{self.error_log.read_text()[-3000:]}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def upstream(database_url: str, tmp_path: Path) -> Iterator[AppProcess]:
    process = AppProcess("behind-nginx", {
        "DATABASE_URL": database_url, "SECRET_KEY": uuid.uuid4().hex, "CHESSWEB_ENV": "production",
        "CHESSWEB_PROXY_FIX_X_FOR": "1", "CHESSWEB_SESSION_COOKIE_SECURE": "false",
        "CHESSWEB_REMEMBER_COOKIE_SECURE": "false"}, tmp_path)
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


@pytest.fixture
def nginx(upstream: AppProcess, tmp_path: Path) -> Iterator[Nginx]:
    proxy = Nginx(upstream.port, tmp_path)
    try:
        yield proxy
    finally:
        proxy.stop()


def slow_post(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    sock.sendall(f"POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                 "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\na".encode())
    return sock


def test_slow_bodies_stay_in_nginx_and_one_address_is_capped(upstream, nginx):
    limit = int(re.search(r"limit_conn perip (\d+);", CONF.read_text())[1])
    held, refused = [], 0
    try:
        for _ in range(limit + 20):
            sock = slow_post(nginx.port)
            held.append(sock)
        time.sleep(1)
        for sock in held:
            sock.settimeout(0.05)
            try:
                refused += sock.recv(100).startswith(b"HTTP/1.1 429")
            except TimeoutError:
                pass
        assert refused >= 20, f"{refused} refused of {limit + 20}"
        # Another address, and the upstream itself, are served meanwhile; no slow body reached gunicorn.
        with urlopen(f"{nginx.url}/healthz", timeout=5) as response:
            assert response.status == 200
        assert "POST /auth/login" not in upstream.tail()
    finally:
        for sock in held:
            sock.close()


def login_from(source: str, port: int, email: str, password: str) -> int:
    """Log in through the form from the loopback address `source`; the answer's status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT, source_address=(source, 0))
    connection.request("GET", "/auth/login")
    page = connection.getresponse()
    cookie = page.getheader("Set-Cookie").split(";", 1)[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.read().decode())[1]
    connection.request("POST", "/auth/login", body=urlencode({"csrf_token": token, "email": email,
                                                              "password": password}),
                       headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    status = connection.getresponse().status
    connection.close()
    return status


def test_the_app_sees_each_client_address_through_nginx(upstream, nginx):
    """Guesses from 127.0.0.2 make 127.0.0.2 wait, not 127.0.0.3 (PROXY_FIX_X_FOR=1 with this proxy)."""
    statuses = [login_from("127.0.0.2", nginx.port, "olga@example.org", f"guess-{i}-xx") for i in range(6)]
    assert statuses == [400] * 5 + [429]
    assert login_from("127.0.0.3", nginx.port, "olga@example.org", "guess-other-1") == 400


def test_live_updates_pass_through_nginx(upstream, nginx):
    with connect(f"ws://127.0.0.1:{nginx.port}/ws?channel=tournaments:all", open_timeout=WAIT,
                 origin=f"http://127.0.0.1:{nginx.port}", compression=None) as ws:
        ws.ping().wait(WAIT)
