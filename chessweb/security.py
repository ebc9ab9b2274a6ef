"""Request hygiene and browser protections that every route gets without asking for them."""
from __future__ import annotations

import secrets

from flask import Flask, Response, abort, current_app, g, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from . import proxies, slowbody

# PostgreSQL's integer columns stop here; a larger id in a URL can only be "not found".
MAX_ID = 2**31 - 1

# Every page loads its scripts, styles and the live socket from this site only (static/, /ws); Pico's form
# icons are data: images. No inline script or handler exists (htmx 4 needs 'unsafe-eval' only for hx-on/js:
# values, which the templates do not use), so an injected <script> or onclick= does not run.
# A page that needs an inline <style> marks it with `nonce="{{ csp_nonce() }}"`.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'{style_nonce}", "img-src 'self' data:",
    "connect-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'",
    "frame-ancestors {frame_ancestors}"))
# RFC 6797: browsers remember for this long (two years) to use HTTPS only; sent when the cookies are Secure,
# i.e. the site is meant to be HTTPS-only (browsers ignore it on plain HTTP, section 8.1).
STRICT_TRANSPORT_SECURITY = "max-age=63072000"


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: an id beyond what the database stores is a 404, not an overflow error.

    One spelling per id: ASCII digits without leading zeros. Werkzeug's `\\d+` also took "007" and Unicode digits
    ("١", "１") for 7 and 1, so one page had many addresses (and many cache keys)."""

    regex = r"[1-9][0-9]{0,9}"

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002, ANN001 - werkzeug's signature
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def install(app: Flask) -> None:
    """Call before any blueprint is registered (the converter applies to the routes added after it)."""
    app.url_map.converters["int"] = IdConverter
    slowbody.install(app)  # inside ProxyFix: it counts the client's address
    hops = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    if hops:
        # Behind N trusted proxies: the client's address (login throttling, connection rows), scheme and
        # host (the WebSocket Origin check) come from their X-Forwarded-* headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    proxies.install(app)
    app.before_request(_refuse_nul)
    app.after_request(_protective_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce


def content_security_policy(frame_ancestors: str = "'none'") -> str:
    """This response's Content-Security-Policy (CSP Level 3): scripts, styles, images and the socket from this
    site only, inline <style> with this response's nonce, and framing by `frame_ancestors` (a CSP source list;
    none but for the embeddable widget)."""
    nonce = g.get("csp_nonce")
    return CONTENT_SECURITY_POLICY.format(style_nonce=f" 'nonce-{nonce}'" if nonce else "",
                                          frame_ancestors=frame_ancestors)


def csp_nonce() -> str:
    """This response's nonce for inline <style> elements (made on first use; the CSP then allows it)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _refuse_nul() -> None:
    # PostgreSQL cannot store NUL in text, and no legitimate form or query needs it.
    for values in (request.args, request.form):
        for _key, value in values.items(multi=True):  # every value of a repeated key, not just the first
            if "\x00" in value:
                abort(400, description="The request contains a NUL character; nothing was changed.")


def _protective_headers(response: Response) -> Response:
    # No page may be framed by another site (one-click POST buttons could be clickjacked).
    if "frame-ancestors" not in response.headers.get("Content-Security-Policy", ""):  # unless a view opted in
        response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    if request.is_secure or current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
