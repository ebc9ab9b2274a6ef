"""The one renderer: a fragment's key is the id of the element its template renders, checked at every render."""
from __future__ import annotations

import pytest

from chessweb.live.fragments import fragment, root_id


def test_root_id_reads_the_first_element():
    assert root_id(' <section id="standings-7" hx-swap-oob="true">') == "standings-7"
    assert root_id('<p class="x" id="games-in-progress">') == "games-in-progress"
    assert root_id("<p>no id</p>") is None and root_id("text first <p id='x'>") is None


def test_a_key_that_differs_from_the_rendered_root_id_is_refused_at_render(app):
    with app.test_request_context("/"):
        made = fragment("tournaments:all", "games-in-progress", 1, "tournaments/_overview.html",
                        "games_in_progress", {"count": 2})
        assert made.key == "games-in-progress" and 'id="games-in-progress"' in made.html
        with pytest.raises(ValueError, match="id='games-in-progress'.*key is 'games-running'"):
            fragment("tournaments:all", "games-running", 1, "tournaments/_overview.html", "games_in_progress",
                     {"count": 2})
