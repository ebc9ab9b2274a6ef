"""Server-to-client WebSocket frames (RFC 6455 §5.2): encoded once, written to many sockets.

A big payload is also compressed once (RFC 7692, permessage-deflate): each compressed message is a deflate
stream of its own (no context takeover), so the same bytes are valid for every socket that negotiated the
extension, whatever it was sent before.
"""
from __future__ import annotations

import struct
import zlib

_FIN_TEXT = 0x81  # FIN bit + opcode 1 (text); servers never mask (§5.1)
_FIN_RSV1_TEXT = 0xC1  # the same with RSV1: "this message is compressed" (RFC 7692 §6)
_SYNC_TAIL = b"\x00\x00\xff\xff"  # removed from a compressed message's end (RFC 7692 §7.2.1)

#: payloads shorter than this are sent plain to everyone: compressing them saves little and costs a zlib stream
DEFLATE_MIN_BYTES = 1024
#: the LZ77 window the shared compressed frames use; a peer that limits the server's window below it gets plain
#: frames (uncompressed messages are always allowed, RFC 7692 §6)
DEFLATE_WINDOW_BITS = 15


def _frame(first: int, payload: bytes) -> bytes:
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", first, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", first, 126, length)
    else:
        header = struct.pack("!BBQ", first, 127, length)
    return header + payload


def text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked text frame carrying `payload` (UTF-8 bytes)."""
    return _frame(_FIN_TEXT, payload)


def deflated_text_frame(payload: bytes) -> bytes | None:
    """The same message as one compressed frame (permessage-deflate, RFC 7692 §7.2.1), or None when `payload`
    is under DEFLATE_MIN_BYTES or does not shrink. A fresh compressor each time: no context takeover, so the
    frame may go to any socket that negotiated the extension, in any order."""
    if len(payload) < DEFLATE_MIN_BYTES:
        return None
    compressor = zlib.compressobj(6, zlib.DEFLATED, -DEFLATE_WINDOW_BITS)
    data = compressor.compress(payload) + compressor.flush(zlib.Z_SYNC_FLUSH)
    if data.endswith(_SYNC_TAIL):
        data = data[:-len(_SYNC_TAIL)]
    return _frame(_FIN_RSV1_TEXT, data) if len(data) < len(payload) else None


def header_length(frame: bytes) -> int:
    """How many bytes of `frame` (made by text_frame) precede the payload."""
    marker = frame[1]
    return 2 if marker < 126 else 4 if marker == 126 else 10
