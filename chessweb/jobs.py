"""CPU-heavy work in a child process, so that the process holding the sockets keeps serving them.

A gevent worker holds thousands of WebSockets on one OS thread: a pairing that computes for 10 s there freezes
every socket and request of the worker for 10 s (and one past gunicorn's timeout gets the worker killed). So a
big pairing runs in a fresh `python -m chessweb.jobs` child. The parent writes one JSON request to its stdin and
reads JSON lines back: `{"progress": 0.4}` any number of times, then `{"result": ...}` or `{"error": "..."}`.
Waiting on the child's pipe is cooperative under gevent (gunicorn's gevent worker patches `subprocess`), and
only blocks the calling thread elsewhere; a fresh process also hands back all the memory a 2,000-player pairing
took. The request that asked still waits for the answer, but if its page is closed the wait goes on and the
draft is written all the same. A big TRF import (`import_trf`) runs the same way: the child builds the app on
the same database (`create_app`, imported there only: the pairing child stays light), imports and commits, and
answers the new tournament's id. (On SQLite the child's write transaction still holds the only write lock,
which the parent's writes wait for, blocking: the importer keeps that transaction to its bulk INSERTs.)

Only the tasks in `TASKS` can be asked for; their arguments and answers are plain JSON.
"""
from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import secrets
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from .fide.dutch import Engine, gacrux_pairs
from .fide.pairing import PairingError

log = logging.getLogger(__name__)

_PROJECT_ROOT = str(Path(__file__).resolve().parents[1])

Progress = Callable[[float], None]



def _import_trf(database_url: str, data: str, organizer_id: int, is_public: bool, planned_rounds: int | None,
                progress: Progress) -> dict[str, Any]:
    """The child's side of `chessweb.tournaments.import_jobs.import_trf_job`: import the TRF file (`data`:
    its bytes in base64) into the database at `database_url` for `organizer_id`, and commit.

    Answers `{"tournament_id": int, "warnings": [str], "pid": int}`, or `{"refused": {"message", "field",
    "status"}}` for a file the importer refuses (a ServiceError; nothing was written)."""
    from . import create_app  # here, not above: the pairing child needs neither Flask nor the database
    from .extensions import db
    from .tournaments import interchange
    from .tournaments.service import ServiceError

    # Only the database is used: no secret is ever signed here, and nothing is published (an import records no
    # live event), so neither the parent's key nor its broker is needed.
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secrets.token_hex(32),
                      "BROKER_URL": "memory://"})
    with app.app_context():
        try:
            progress(0.0)
            imported = interchange.import_trf(base64.b64decode(data), organizer_id, is_public=is_public,
                                              planned_rounds=planned_rounds)
        except ServiceError as error:
            return {"refused": {"message": error.message, "field": error.field, "status": error.status}}
        finally:
            db.session.remove()
            db.engine.dispose()
    progress(1.0)
    return {"tournament_id": imported.tournament_id, "warnings": list(imported.warnings), "pid": os.getpid()}


# Task name → what the child runs: keyword arguments from the request, plus `progress`.
TASKS: dict[str, Callable[..., Any]] = {
    "dutch": lambda trf, round_no, planned_rounds, top_colour, progress: gacrux_pairs(
        trf, round_no, planned_rounds, top_colour, progress),
    "import_trf": _import_trf,
}
# Exceptions a task raises on purpose: the child reports their message, the parent raises them again.
EXPECTED = {"PairingError": PairingError}


class JobFailed(RuntimeError):
    """The child process died or broke the protocol: a fault of ours, not of the input."""


# A child runs at a lower CPU priority (nice(2)) than the process holding the sockets: on a busy box the kernel
# gives the sockets' process the CPU first, so a pairing or an import slows down instead of the live pages. The
# render process of big tournaments, whose output is itself a live update, is lowered less.
JOB_NICENESS = 10
_NICENESS_VARIABLE = "CHESSWEB_CHILD_NICENESS"


def start_child(module: str, stderr: Any = None, *, what: str,
                niceness: int = JOB_NICENESS) -> subprocess.Popen[bytes]:
    """`python -m <module>` with this project importable, stdin and stdout as pipes, stderr to `stderr` (a file;
    None: this process's), to run `niceness` steps below this process's priority (the child calls
    `lower_priority`). Raises JobFailed, naming `what`, when it cannot start."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PROJECT_ROOT, env.get("PYTHONPATH")]))
    env[_NICENESS_VARIABLE] = str(max(0, niceness))
    try:
        return subprocess.Popen([sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=stderr, env=env, cwd=_PROJECT_ROOT)
    except OSError as error:
        raise JobFailed(f"{what}: the child process could not start ({error})") from None


def database_url_for_child(config: Mapping[str, Any]) -> str | None:
    """The app's database URL, password included, for a child that opens the same database; None for an
    in-memory SQLite database, which a child cannot open (the work then stays in this process)."""
    from sqlalchemy.engine import make_url  # here: the pairing child needs no SQLAlchemy

    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


def lower_priority() -> None:
    """The child's side: step down to the priority its parent asked for (`start_child`'s niceness)."""
    with contextlib.suppress(ValueError, OSError):
        os.nice(int(os.environ.pop(_NICENESS_VARIABLE, "0")))


def protocol_stdout() -> TextIO:
    """The child's side: a line-buffered text stream on the real stdout for the protocol; `sys.stdout` becomes
    stderr, so whatever a task prints cannot corrupt it. Also lowers the child's priority (`lower_priority`)."""
    lower_priority()
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr
    return protocol


def run(task: str, arguments: dict[str, Any], *, progress: Progress | None = None,
        timeout: float = 600.0) -> Any:
    """Run `TASKS[task](**arguments)` in a fresh child process and return its answer (plain JSON data).

    `progress` hears each progress report (a share 0..1). An expected error (`EXPECTED`) is raised again here
    with the child's message; a child that dies, is killed after `timeout` seconds or answers nonsense raises
    JobFailed.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}")
    with tempfile.TemporaryFile() as stderr:  # a file, not a pipe: a chatty child cannot fill it and stall
        child = start_child("chessweb.jobs", stderr, what=f"job {task}")
        watchdog = threading.Timer(timeout, child.kill)  # a greenlet under gevent
        watchdog.start()
        answer: dict[str, Any] | None = None
        try:
            assert child.stdin is not None and child.stdout is not None
            child.stdin.write(json.dumps({"task": task, "arguments": arguments}).encode())
            child.stdin.close()
            for line in child.stdout:
                message = json.loads(line)
                if "progress" in message:
                    if progress is not None:
                        progress(float(message["progress"]))
                else:
                    answer = message
            code = child.wait()
        except (OSError, ValueError) as error:
            child.kill()
            child.wait()
            raise JobFailed(f"job {task}: the child process broke the protocol ({error})") from None
        finally:
            watchdog.cancel()
            for pipe in (child.stdin, child.stdout):  # stdin too: a write to a child already gone left it open
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
        stderr.seek(0)
        errors = stderr.read().decode(errors="replace")
    if answer is not None and "result" in answer:
        return answer["result"]
    if answer is not None and answer.get("kind") in EXPECTED:
        raise EXPECTED[answer["kind"]](answer["error"])
    log.error("job %s: child exited with %s: %s", task, code, errors[-4000:])
    raise JobFailed(f"job {task}: the child process stopped with exit code {code}")


def dutch_engine_for(players: int, config: Mapping[str, Any], progress: Progress | None = None) -> Engine | None:
    """The engine to pair a field of `players`: a child process from `PAIRING_CHILD_MIN_PLAYERS` players on
    (None = in this process: a small field pairs in milliseconds, less than a child takes to start)."""
    if players < int(config.get("PAIRING_CHILD_MIN_PLAYERS", 50)):
        return None
    return dutch_engine(progress, float(config.get("PAIRING_TIMEOUT_SECONDS", 3600)))


def dutch_engine(progress: Progress | None = None, timeout: float = 600.0) -> Engine:
    """A `chessweb.fide.dutch` engine that runs gacrux in a child process (see `run`).

    A child that fails becomes a PairingError saying so: nothing was changed, and the arbiter can try again.
    """
    def engine(trf: str, round_no: int, planned_rounds: int, top_colour: str) -> list[tuple[int, int, int]]:
        try:
            pairs = run("dutch", {"trf": trf, "round_no": round_no, "planned_rounds": planned_rounds,
                                  "top_colour": top_colour}, progress=progress, timeout=timeout)
        except JobFailed as error:
            log.error("%s", error)
            raise PairingError("the pairing process stopped unexpectedly; nothing was changed, try again") from None
        return [(board, white, black) for board, white, black in pairs]
    return engine


def _serve_one() -> int:
    """The child's side: one request from stdin, progress and the answer as JSON lines on stdout."""
    protocol = protocol_stdout()
    request = json.loads(sys.stdin.read())

    def progress(share: float) -> None:
        protocol.write(json.dumps({"progress": round(share, 3)}) + "\n")

    try:
        result = TASKS[request["task"]](**request["arguments"], progress=progress)
    except tuple(EXPECTED.values()) as error:
        protocol.write(json.dumps({"error": str(error), "kind": type(error).__name__}) + "\n")
        return 0
    protocol.write(json.dumps({"result": result}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(_serve_one())
