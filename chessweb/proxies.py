"""Who the client is behind a reverse proxy: the check that PROXY_FIX_X_FOR was thought about.

Without it, every request relayed by a proxy on the same host comes from 127.0.0.1: login throttling
(chessweb/auth/throttle.py) and the per-address request limits (chessweb/ratelimit.py) would then treat
all visitors as one, and one guesser would slow everybody down.
"""
from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from typing import Any

from flask import Flask, request

log = logging.getLogger(__name__)

ADVICE = ("Set CHESSWEB_PROXY_FIX_X_FOR to the number of proxies in front of ChessWeb (1 for one nginx) so that "
          "client addresses come from X-Forwarded-For, or to 0 if clients really connect directly.")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and `localhost`; False for anything else, names included."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refusal_for_binds(config: dict[str, Any], binds: Iterable[str]) -> str | None:
    """Why a production server listening on `binds` (gunicorn's "host:port" or "unix:path") must not start.

    Listening on loopback only, a production server is reached through a proxy on the same host; with
    PROXY_FIX_X_FOR never set, every visitor would be 127.0.0.1. None when there is nothing to refuse:
    development, tests, an explicit PROXY_FIX_X_FOR (0 included), or a bind reachable from other hosts."""
    if config.get("ENV") == "development" or config.get("TESTING") or config.get("PROXY_FIX_X_FOR") is not None:
        return None
    hosts = [bind.rsplit(":", 1)[0] for bind in binds if not bind.startswith(("unix:", "fd://"))]
    only_local = all(is_loopback(host) for host in hosts)  # a Unix socket is only reachable by a local proxy
    if not only_local:
        return None
    return (f"ChessWeb listens on {', '.join(binds)} only, so every request comes through a proxy on this "
            f"host, but PROXY_FIX_X_FOR is not set: every visitor would look like 127.0.0.1 and one "
            f"password guesser would slow down everyone's login. {ADVICE}")


def install(app: Flask) -> None:
    """Log an error (once per process) when a loopback peer forwards for someone while we trust no proxy."""
    if app.config.get("PROXY_FIX_X_FOR"):
        return
    warned: list[bool] = []

    @app.before_request
    def _warn_about_an_untrusted_proxy() -> None:
        if warned or "X-Forwarded-For" not in request.headers or not is_loopback(request.remote_addr or ""):
            return
        warned.append(True)
        log.error("A proxy on this host forwards requests (X-Forwarded-For: %s) but PROXY_FIX_X_FOR is %r: "
                  "every visitor looks like %s. %s", request.headers["X-Forwarded-For"][:100],
                  app.config.get("PROXY_FIX_X_FOR"), request.remote_addr, ADVICE)
