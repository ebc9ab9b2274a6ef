"""`flask create-user`: admins and organizers are made from the command line."""
from sqlalchemy import select

from chessweb.extensions import db
from chessweb.models import Role, User


def test_create_admin(runner):
    result = runner.invoke(args=["create-user", "--email", "Root@Example.org", "--name", "Root",
                                 "--role", "admin", "--password", "long-enough-pw-1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User))
    assert (user.email, user.role) == ("root@example.org", Role.ADMIN)
    assert user.check_password("long-enough-pw-1")


def test_bad_role_short_password_and_duplicates_change_nothing(runner):
    base = ["create-user", "--email", "a@example.org", "--name", "Al"]
    assert runner.invoke(args=base + ["--role", "KING", "--password", "long-enough-pw-1"]).exit_code == 2
    short = runner.invoke(args=base + ["--password", "short"])
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    for bad, message in ((["--email", "not-an-email"], "Invalid email"), (["--name", ""], "2 to 64"),
                         (["--name", "x" * 100], "2 to 64"), (["--password", "aaaaaaaaaa"], "more different")):
        args = dict(zip(base[1::2], base[2::2])) | {"--password": "long-enough-pw-1"} | dict(zip(bad[::2], bad[1::2]))
        result = runner.invoke(args=["create-user", *[x for kv in args.items() for x in kv]])
        assert result.exit_code == 1 and message in result.output, (bad, result.output)
    assert db.session.scalar(select(User)) is None
    assert runner.invoke(args=base + ["--password", "long-enough-pw-1"]).exit_code == 0
    again = runner.invoke(args=["create-user", "--email", "A@example.org", "--name", "Bo",
                                "--password", "long-enough-pw-1"])
    assert again.exit_code == 1 and "already exists" in again.output
    assert len(db.session.scalars(select(User)).all()) == 1
