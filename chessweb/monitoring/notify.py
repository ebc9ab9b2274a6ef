"""The admins hear of the system health's alerts through the notification center: one notice (type ERROR,
priority HIGH, role ADMIN) when an alert is raised, one "resolved" notice (SUCCESS) when it clears.

Once per raise, whatever the number of processes: a MonitorAlert row per raised alert name, whose primary key
lets only one process announce it (the others get an IntegrityError and count it as announced). The process
that announced a raise announces its end; a row whose process is gone (not among the live samples) is
cleared by the leader once the alert is no longer raised. A notice is a committed event published by the
`notifications` consumer, so one raised while the broker is down is in the admins' inbox at once and reaches
their pages when the broker carries it again. Not CRITICAL: in the notification center that priority is the
emergency alert shown to everyone, anonymous visitors included (notifications/service.py).
"""
from __future__ import annotations

import logging

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import MonitorAlert, NotificationType, Priority
from ..notifications import service

log = logging.getLogger(__name__)


def raised(name: str, message: str, server: str) -> bool:
    """Announce alert `name` to the admins unless a process already did. True when it is announced (by this
    call or earlier), False when the database refused (retry on a later tick)."""
    try:
        row = MonitorAlert(name=name, server=server)
        db.session.add(row)
        db.session.flush()  # the key: IntegrityError if another process announced this raise
        notice = service.system_notice(f"Alert: {name}", message)
        row.notification_id = notice.id
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        return True
    except Exception:
        log.exception("monitoring: could not notify the admins of alert %s; retried on the next tick", name)
        db.session.rollback()
        return False


def cleared(name: str, server: str | None = None) -> bool:
    """Announce the end of alert `name` if it is still on record (only the row of `server`, if given). True when
    the record is settled, False when the database refused (retry on a later tick)."""
    try:
        query = delete(MonitorAlert).where(MonitorAlert.name == name)
        if server is not None:
            query = query.where(MonitorAlert.server == server)
        if db.session.execute(query).rowcount:
            service.system_notice(f"Resolved: {name}", f"The {name} alert has cleared.",
                                  type=NotificationType.SUCCESS, priority=Priority.NORMAL)
        db.session.commit()
        return True
    except Exception:
        log.exception("monitoring: could not notify the admins that alert %s cleared; retried", name)
        db.session.rollback()
        return False


def orphans(live_servers: set[str]) -> list[tuple[str, str]]:
    """(name, server) of the alerts on record that a process no longer alive announced; [] if the database
    does not answer."""
    try:
        rows = db.session.execute(select(MonitorAlert.name, MonitorAlert.server)).all()
        db.session.rollback()
    except Exception:
        db.session.rollback()
        return []
    return [(name, server) for name, server in rows if server not in live_servers]
