"""A new visitor's first steps, in a real browser: browse, register, log out, log in, open a tournament."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_site(app, runner, live_server):
    app.config["ENV"] = "development"  # seed-demo runs there only
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return live_server


def test_new_user_journey(demo_site, new_page):
    page = new_page()
    page.goto(demo_site.url + "/")
    expect(page.get_by_role("heading", name="Tournaments", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Running")).to_be_visible()

    page.get_by_role("button", name="Register").click()
    page.get_by_label("Email").fill("newcomer@example.org")
    page.get_by_label("Display name").fill("Nora Newcomer")
    page.get_by_label("Password", exact=True).fill("queen's-gambit-7")
    page.get_by_label("Repeat password").fill("queen's-gambit-7")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Welcome, Nora Newcomer!")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("newcomer@example.org")
    page.get_by_label("Password").fill("queen's-gambit-7")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Logged in as Nora Newcomer.")).to_be_visible()

    page.locator(".tournament-group").filter(has_text="Running").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(r"/tournaments/\d+$"))
    expect(page.locator("[id^=tournament-header-]")).to_be_visible()
    expect(page.locator("[id^=registrations-] tbody tr").first).to_be_visible()


def test_wrong_password_shows_message_in_browser(live_server, new_page, page_problems):
    page_problems.allowed += ["HTTP 400", "status of 400"]  # the failed login answers 400 by design
    page = new_page()
    page.goto(live_server.url + "/auth/login")
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_label("Password").fill("wrong-password-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Wrong email or password.")).to_be_visible()
