"""A command's process (`flask seed-demo`, `flask create-user`) serves no one: it samples no health and raises no
alert, however much CPU it uses."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from chessweb.extensions import db
from chessweb.models import MonitorAlert
from chessweb.realtime import realtime


@pytest.fixture
def app_config(app_config):
    # Every tick would raise the CPU alert (any use is over the threshold) if a command's process ticked at all.
    return {**app_config, "MONITOR_CPU_PERCENT": 1e-9, "MONITOR_INTERVAL_SECONDS": 0.2}


def test_seeding_the_demo_raises_no_alert(app, runner):
    """`make run` seeds the demo before serving: the seed used a whole core, and its own health tick put a CPU
    alert in the admins' notification centre before the site had served a page."""
    app.config["ENV"] = "development"  # as `make run`
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert realtime.flush(60)
    assert db.session.scalar(select(func.count()).select_from(MonitorAlert)) == 0
    assert app.extensions["monitoring"].tick() == []  # and no sample of its own in the shared store
