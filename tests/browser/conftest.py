"""A real browser (Debian's Chromium driven by Playwright) against the app on a local port.

Every page a test opens is watched: a console error or a 4xx/5xx response fails the test, so a broken
script, a missing static file or a failing fragment request cannot hide behind a passing assertion.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (make test installs Debian's chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright
    # A bound for "arrives", never a speed assertion: the suite runs several workers on two cores.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class PageProblems:
    """Console errors and failed responses seen by the pages of one test."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.allowed: list[str] = []  # substrings of problems a test expects (e.g. a deliberate 403)

    def watch(self, page) -> None:
        page.on("console", lambda msg: msg.type == "error" and self.items.append(
            f"console: {msg.text} (at {msg.location.get('url')}:{msg.location.get('lineNumber')}, page {page.url})"))
        page.on("pageerror", lambda exc: self.items.append(f"page error: {exc}"))
        page.on("response", lambda r: r.status >= 400 and self.items.append(f"HTTP {r.status} {r.url}"))

    def unexpected(self) -> list[str]:
        return [p for p in self.items if not any(a in p for a in self.allowed)]


@pytest.fixture
def page_problems() -> Iterator[PageProblems]:
    problems = PageProblems()
    yield problems
    assert not problems.unexpected(), "the browser saw problems:\n" + "\n".join(problems.unexpected())


@pytest.fixture
def new_page(browser, page_problems):
    """Open a fresh, isolated browser context (its own cookies) and return a watched page in it."""
    contexts = []

    def open_page(**context_options):
        context = browser.new_context(**context_options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page_problems.watch(page)
        return page

    yield open_page
    for context in contexts:
        context.close()
