"""A process that enters a result and is SIGKILLed at the worst moment: after the live consumer claimed the
result's events (committed) and before it published anything.

    python -m tests.live.crash_after_claim DATABASE_URL TOURNAMENT_ID GAME_ID ORGANIZER_ID

Prints "claimed <server id>" just before it kills itself, so the test knows which process held the claim.
"""
from __future__ import annotations

import os
import signal
import sys


def main(database_url: str, tournament_id: int, game_id: int, organizer_id: int) -> None:
    import chessweb.live
    from chessweb import create_app
    from chessweb.realtime import realtime
    from chessweb.tournaments import results

    app = create_app({"TESTING": True, "SECRET_KEY": "crash", "SQLALCHEMY_DATABASE_URI": database_url,
                      "BROKER_URL": "memory://"})

    def die_instead_of_publishing(router, events) -> None:  # the live consumer's handler
        print("claimed", app.extensions["realtime"].server_id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    chessweb.live._publish_events = die_instead_of_publishing
    with app.app_context():
        results.set_result(tournament_id, game_id, "1-0", organizer_id)
        realtime.flush(30)  # the worker claims, then the process dies: this never returns
    print("survived", flush=True)
    sys.exit(3)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
