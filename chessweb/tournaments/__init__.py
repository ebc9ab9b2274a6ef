"""Tournament pages: the list, one tournament, and running it."""
from flask import Blueprint
from flask.blueprints import BlueprintSetupState

bp = Blueprint("tournaments", __name__)


@bp.record_once
def _register_games(state: BlueprintSetupState) -> None:
    # The game pages belong with the tournaments; until create_app registers them itself, do it here.
    from ..games import bp as games_bp
    if "games" not in state.app.blueprints:
        state.app.register_blueprint(games_bp)


from . import manage, views  # noqa: E402,F401  (routes attach themselves to bp)
