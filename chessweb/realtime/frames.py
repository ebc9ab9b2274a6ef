"""Server-to-client WebSocket frames (RFC 6455 §5.2): encoded once, written to many sockets."""
from __future__ import annotations

import struct

_FIN_TEXT = 0x81  # FIN bit + opcode 1 (text); servers never mask (§5.1)


def text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked text frame carrying `payload` (UTF-8 bytes)."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", _FIN_TEXT, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", _FIN_TEXT, 126, length)
    else:
        header = struct.pack("!BBQ", _FIN_TEXT, 127, length)
    return header + payload


def header_length(frame: bytes) -> int:
    """How many bytes of `frame` (made by text_frame) precede the payload."""
    marker = frame[1]
    return 2 if marker < 126 else 4 if marker == 126 else 10
