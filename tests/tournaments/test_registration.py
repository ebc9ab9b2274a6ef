"""Registration: players themselves while it is open; organizers add, number, rate, give byes, withdraw."""
from __future__ import annotations

from sqlalchemy import select

from chessweb.extensions import db
from chessweb.models import (AuditEntry, ByeRequest, EventType, RealtimeEvent, Registration, RegistrationStatus,
                             Role, Tournament, TournamentFormat)
from chessweb.tournaments import registration, rounds

from ..conftest import make_user, post_form
from .conftest import setup_tournament, start_round
from .helpers import add_player, db_state, games_of, manage_action
from .test_lost_updates import post_shown


def registrations(tid: int) -> list[Registration]:
    db.session.expire_all()
    return list(db.session.scalars(select(Registration).where(Registration.tournament_id == tid)
                                   .order_by(Registration.id)))


def test_player_registers_and_withdraws_while_open(org_client, organizer, login, players):
    tid = setup_tournament(organizer, 0)
    assert manage_action(org_client, tid, "registration/open").status_code == 303
    pia = login(players[0])
    page = pia.get(f"/tournaments/{tid}").get_data(as_text=True)
    assert "Register for this tournament" in page
    response = post_form(pia, f"/tournaments/{tid}/register", {}, form_url=f"/tournaments/{tid}")
    assert response.status_code == 303
    (entry,) = registrations(tid)
    assert (entry.user_id, entry.name, entry.status) == (players[0].id, "Pia Player", RegistrationStatus.ACTIVE)
    assert db.session.scalar(select(RealtimeEvent.type).order_by(RealtimeEvent.id.desc())) == \
        EventType.PARTICIPANT_REGISTERED
    page = pia.get(f"/tournaments/{tid}").get_data(as_text=True)
    assert "You are registered" in page and f'data-user="{players[0].id}"' in page

    response = post_form(pia, f"/tournaments/{tid}/unregister", {}, form_url=f"/tournaments/{tid}")
    assert response.status_code == 303
    assert registrations(tid) == []


def test_registering_twice_changes_nothing(organizer, login, players):
    tid = setup_tournament(organizer, 0)
    registration.open_registration(tid, organizer.id)
    registration.register_self(tid, players[0].id)
    pia = login(players[0])
    before = db_state()
    token_page = f"/tournaments/{tid}"
    response = pia.post(f"/tournaments/{tid}/register", data={"csrf_token": _token(pia, token_page)})
    assert response.status_code == 409
    assert "already registered" in response.get_data(as_text=True)
    assert db_state() == before


def _token(client, url):
    from ..conftest import csrf_token
    return csrf_token(client, url)


def test_registering_when_closed_or_started_is_refused(organizer, login, players):
    tid = setup_tournament(organizer, 4)
    quentin = login(players[1])
    before = db_state()
    response = post_form(quentin, f"/tournaments/{tid}/register", {}, form_url="/")
    assert response.status_code == 409 and "not open yet" in response.get_data(as_text=True)
    assert db_state() == before

    registration.open_registration(tid, organizer.id)
    start_round(tid, organizer)
    before = db_state()
    response = post_form(quentin, f"/tournaments/{tid}/register", {}, form_url="/")
    assert response.status_code == 409 and "the tournament has started" in response.get_data(as_text=True)
    assert db_state() == before


def test_viewers_and_guests_cannot_register(client, organizer, login):
    tid = setup_tournament(organizer, 0)
    registration.open_registration(tid, organizer.id)
    guest = post_form(client, f"/tournaments/{tid}/register", {}, form_url="/auth/login")
    assert guest.status_code == 302 and "/auth/login" in guest.headers["Location"]
    viewer = login(make_user(Role.VIEWER, name="Vera Viewer"))
    assert post_form(viewer, f"/tournaments/{tid}/register", {}, form_url="/").status_code == 403
    assert registrations(tid) == []


def test_organizer_adds_player_linked_to_account(org_client, organizer, players):
    tid = setup_tournament(organizer, 0)
    response = add_player(org_client, tid, "Pia P.", 2105, title="FM", federation="nor", fide_id="1503014",
                          account_email=players[0].email.upper())
    assert response.status_code == 303
    (entry,) = registrations(tid)
    assert (entry.name, entry.rating, entry.title, entry.federation, entry.fide_id, entry.user_id) == (
        "Pia P.", 2105, "FM", "NOR", "1503014", players[0].id)


def test_add_player_bad_values(org_client, organizer, players):
    tid = setup_tournament(organizer, 0)
    registration.add_player(tid, registration.PlayerDetails("Pia"), organizer.id, account_email=players[0].email)
    before = db_state()
    for change, message in [({"name": ""}, "This field is required"),
                            ({"rating": "4000"}, "Number must be between 0 and 3500"),
                            ({"federation": "N0R"}, "three-letter code"),
                            ({"fide_id": "12ab"}, "FIDE ID is a number"),
                            ({"title": "XM"}, "Not a valid choice"),
                            ({"account_email": "nobody@example.org"}, "No account has this email"),
                            ({"account_email": players[0].email}, "already registered")]:
        response = add_player(org_client, tid, **{"name": "Somebody", **change})
        assert response.status_code in (400, 409), change
        assert message in response.get_data(as_text=True), change
    assert db_state() == before


def test_pairing_numbers_by_rating_then_name(org_client, organizer):
    tid = setup_tournament(organizer, 0)
    for name, rating in [("Carla", 1900), ("Bea", 2100), ("Adam", 1900), ("Dora", None), ("Emil", 2100)]:
        registration.add_player(tid, registration.PlayerDetails(name, rating), organizer.id)
    assert manage_action(org_client, tid, "players/numbers").status_code == 303
    numbered = sorted(registrations(tid), key=lambda r: r.pairing_number)
    assert [r.name for r in numbered] == ["Bea", "Emil", "Adam", "Carla", "Dora"]
    audit = db.session.scalar(select(AuditEntry.new_value).where(AuditEntry.action == "pairing_numbers")
                              .order_by(AuditEntry.id.desc()))
    assert audit == "by rating, then name: Bea –→1, Emil –→2, Adam –→3, Carla –→4, Dora –→5"


def test_pairing_numbers_are_fixed_once_round_1_is_paired(org_client, organizer):
    tid = setup_tournament(organizer, 4)
    registration.add_player(tid, registration.PlayerDetails("Strong Late", 2700), organizer.id)
    manage, numbers = f"/tournaments/{tid}/manage", f"/tournaments/{tid}/players/numbers"
    shown = org_client.get(manage).get_data(as_text=True)  # the button is offered until round 1 is paired
    rounds.pair_next_round(tid, organizer.id)
    before = db_state()
    draft = post_shown(org_client, shown, numbers)
    assert draft.status_code == 409 and "discard its draft first" in draft.get_data(as_text=True)
    assert db_state() == before
    rounds.publish_round(tid, 1, organizer.id)
    registration.add_player(tid, registration.PlayerDetails("Later Still", 2800), organizer.id)
    before = db_state()
    running = post_shown(org_client, shown, numbers)
    assert running.status_code == 409
    assert "Pairing numbers are fixed once round 1 is published" in running.get_data(as_text=True)
    assert db_state() == before
    assert "Number players by rating" not in org_client.get(f"/tournaments/{tid}/manage").get_data(as_text=True)


def test_set_rating_is_audited(org_client, organizer):
    tid = setup_tournament(organizer, 2)
    entry = registrations(tid)[1]
    url = f"/tournaments/{tid}/players/{entry.id}/edit"
    data = {"name": entry.name, "rating": "2222", "title": "CM", "federation": "ISL", "fide_id": ""}
    assert post_form(org_client, url, data).status_code == 303
    assert registrations(tid)[1].rating == 2222
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "player"))
    assert "rating: 2380 → 2222" in audit.new_value
    before = db_state()
    response = post_form(org_client, url, {**data, "rating": "-5"})
    assert response.status_code == 400 and "between 0 and 3500" in response.get_data(as_text=True)
    assert db_state() == before


def test_late_entry_in_a_running_swiss_gets_the_next_number(org_client, organizer):
    tid = setup_tournament(organizer, 6)
    start_round(tid, organizer)
    response = add_player(org_client, tid, "Late Larry", 2500)
    assert response.status_code == 303
    late = registrations(tid)[-1]
    assert late.pairing_number == 7
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "late_entry"))
    assert audit.new_value == "Late Larry" and "round 2" in audit.reason


def test_round_robin_field_is_fixed_after_start(org_client, organizer):
    tid = setup_tournament(organizer, 4, TournamentFormat.ROUND_ROBIN)
    start_round(tid, organizer)
    before = db_state()
    response = add_player(org_client, tid, "Too Late", 2000)
    assert response.status_code == 409 and "field is fixed" in response.get_data(as_text=True)
    assert db_state() == before


def test_requested_byes_only_for_rounds_not_paired(org_client, organizer):
    tid = setup_tournament(organizer, 6)
    entry = registrations(tid)[2]
    ok = manage_action(org_client, tid, "byes", {"registration_id": entry.id, "round_number": "2", "points": "zero"})
    assert ok.status_code == 303
    assert [(b.round_number, b.half_point) for b in db.session.scalars(select(ByeRequest))] == [(2, False)]
    start_round(tid, organizer)
    before = db_state()
    late = manage_action(org_client, tid, "byes", {"registration_id": entry.id, "round_number": "1", "points": "half"})
    assert late.status_code == 400 and "earlier rounds are already paired" in late.get_data(as_text=True)
    far = manage_action(org_client, tid, "byes", {"registration_id": entry.id, "round_number": "9", "points": "half"})
    assert far.status_code == 400 and "Choose a round from 2 to 5" in far.get_data(as_text=True)
    assert db_state() == before
    cancel = manage_action(org_client, tid, f"byes/{entry.id}/2/cancel")
    assert cancel.status_code == 303 and db.session.scalars(select(ByeRequest)).all() == []


def test_withdrawn_player_is_not_paired_again(org_client, organizer):
    tid = setup_tournament(organizer, 6)
    start_round(tid, organizer)
    leaving = registrations(tid)[0]
    shown = {"version": str(leaving.revision), "from_round": "2"}  # what the manage page's form carries
    response = manage_action(org_client, tid, f"players/{leaving.id}/withdraw", {"reason": "illness"})
    assert response.status_code == 303
    gone = registrations(tid)[0]
    assert (gone.status, gone.withdrawn_from_round) == (RegistrationStatus.WITHDRAWN, 2)
    for game in games_of(tid, 1):
        from chessweb.tournaments import results
        if game.black_id:
            results.set_result(tid, game.id, "1/2-1/2", organizer.id)
    start_round(tid, organizer)
    round2 = games_of(tid, 2)
    assert all(leaving.id not in (g.white_id, g.black_id) for g in round2)
    assert len([g for g in round2 if g.black_id is None]) == 1  # five players: one pairing-allocated bye
    before = db_state()
    again = manage_action(org_client, tid, f"players/{leaving.id}/withdraw", {"reason": "twice", **shown})
    assert again.status_code == 409 and "withdrawn from round 2" in again.get_data(as_text=True)
    no_reason = manage_action(org_client, tid, f"players/{registrations(tid)[1].id}/withdraw", {"reason": ""})
    assert no_reason.status_code == 400 and "Say why" in no_reason.get_data(as_text=True)
    assert db_state() == before


def test_withdrawal_before_the_start_removes_the_entry(org_client, organizer):
    tid = setup_tournament(organizer, 3, TournamentFormat.ROUND_ROBIN)
    assert db.session.get(Tournament, tid).planned_rounds == 3
    first = registrations(tid)[0]
    assert manage_action(org_client, tid, f"players/{first.id}/withdraw", {"reason": "cannot come"}).status_code == 303
    assert len(registrations(tid)) == 2
    db.session.expire_all()
    assert db.session.get(Tournament, tid).planned_rounds == 1
