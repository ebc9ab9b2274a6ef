"""The one fragment renderer: the full page, the htmx response and the WebSocket push all call `render`,
so the same state gives the same bytes on all three paths.

Templates use it through the `live_macros` global: `{% set fragments = live_macros("tournaments/_fragments.html") %}`
then `{{ fragments.standings(...) }}`, exactly like an `{% import %}`, but rendered by `render`.
"""
from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app, get_template_attribute, has_request_context
from markupsafe import Markup

from ..realtime import Fragment

# Fragments hold no <pre> or <textarea>, so any run of whitespace means the same as one space; the
# indentation would otherwise be a fifth of every frame sent to every socket.
_WHITESPACE = re.compile(r"\s{2,}")


def render(template: str, macro: str, *args: Any, **context: Any) -> Markup:
    """The HTML of one Jinja macro of `template`, whitespace collapsed: one spelling for every path.

    The macro sees only its arguments (never the viewer), so one render serves every viewer."""
    return Markup(_WHITESPACE.sub(" ", str(get_template_attribute(template, macro)(*args, **context))))


_ROOT_ID = re.compile(r'\s*<[a-zA-Z][\w-]*\s[^>]*?\bid="([^"]+)"')


def root_id(html: str) -> str | None:
    """The id of the first element of `html` (the element htmx swaps by id), or None."""
    match = _ROOT_ID.match(html)
    return match.group(1) if match else None


def fragment(channel: str, key: str, version: int, template: str, macro: str, context: dict[str, Any],
             data: dict[str, Any] | None = None) -> Fragment:
    """A Fragment whose html is `render(template, macro, **context)`.

    Its root element's id is the key htmx swaps by; the template spells it, and a `key` that differs from it
    (the two spellings drifted apart) raises ValueError here, at the first render, instead of a page that
    silently stops updating."""
    html = str(render(template, macro, **context))
    shown = root_id(html)
    if shown != key:
        raise ValueError(f"{template}:{macro} renders a root with id={shown!r}, but the fragment key is {key!r}")
    return Fragment(channel=channel, key=key, version=version, html=html, data=data)


class Macros:
    """A template's macros, each rendered by `render`: what `live_macros(template)` gives a template."""

    def __init__(self, template: str) -> None:
        self._template = template

    def __getattr__(self, macro: str) -> Any:
        if macro.startswith("_"):
            raise AttributeError(macro)
        return lambda *args, **kwargs: render(self._template, macro, *args, **kwargs)


class url_context:
    """url_for needs a request; the background worker has none, so lend it one for the site root."""

    def __enter__(self) -> None:
        self._ctx = None if has_request_context() else current_app.test_request_context("/")
        if self._ctx is not None:
            self._ctx.push()

    def __exit__(self, *exc: object) -> None:
        if self._ctx is not None:
            self._ctx.pop()


def register(app: Flask) -> None:
    """Make `live_macros(template)` available to every template."""
    app.jinja_env.globals["live_macros"] = Macros
