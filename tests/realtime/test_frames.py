"""Server text frames must be byte-identical to what wsproto (simple-websocket's engine) would write."""
import pytest
from wsproto.events import TextMessage
from wsproto.frame_protocol import FrameProtocol

from chessweb.realtime.frames import header_length, text_frame


def wsproto_server_frame(text: str) -> bytes:
    return bytes(FrameProtocol(client=False, extensions=[]).send_data(text, fin=True))


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_text_frame_matches_wsproto_at_every_length_boundary(length):
    text = "x" * length
    assert text_frame(text.encode()) == wsproto_server_frame(text)


def test_text_frame_carries_multibyte_utf8_by_byte_length():
    text = "½–½ Černý " * 20  # 150 characters, more bytes
    frame = text_frame(text.encode())
    assert frame == wsproto_server_frame(text)
    assert frame[header_length(frame):].decode() == text


@pytest.mark.parametrize("length, expected", [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)])
def test_header_length(length, expected):
    assert header_length(text_frame(b"a" * length)) == expected


def test_a_wsproto_client_decodes_the_frame():
    from wsproto import ConnectionType
    from wsproto.connection import Connection

    client = Connection(ConnectionType.CLIENT)
    client.receive_data(text_frame(b"hello, board 3"))
    events = list(client.events())
    assert len(events) == 1 and isinstance(events[0], TextMessage)
    assert events[0].data == "hello, board 3" and events[0].message_finished
