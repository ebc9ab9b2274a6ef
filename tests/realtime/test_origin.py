"""The handshake's Origin rule, case by case (the socket tests check the 403 itself)."""
import pytest

from chessweb.realtime.endpoint import origin_allowed


@pytest.mark.parametrize("origin, host, scheme, allowed, ok", [
    ("http://127.0.0.1:5000", "127.0.0.1:5000", "http", [], True),
    ("https://chess.example", "chess.example", "https", [], True),
    ("https://Chess.Example/", "chess.example", "https", [], True),
    ("https://chess.example:443", "chess.example", "https", [], True),  # default port written out
    ("http://chess.example", "chess.example:80", "http", [], True),
    ("https://chess.example", "chess.example", "http", [], True),  # TLS ends at a proxy: host decides
    ("http://[::1]:8000", "[::1]:8000", "http", [], True),
    ("http://chess.example:8000", "chess.example", "http", [], False),  # another port is another site
    ("https://evil.example", "chess.example", "https", [], False),
    ("https://chess.example.evil.example", "chess.example", "https", [], False),
    ("null", "chess.example", "https", [], False),
    ("file://", "chess.example", "https", [], False),
    ("", "chess.example", "https", [], False),
    ("https://partner.example", "chess.example", "https", ["https://partner.example/"], True),
    ("http://partner.example", "chess.example", "https", ["https://partner.example"], False),
])
def test_origin_allowed(origin, host, scheme, allowed, ok):
    assert origin_allowed(origin, host, scheme, allowed) is ok
