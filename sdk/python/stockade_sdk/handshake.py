"""Hello and its answer (PROTOCOL.md, section 5)."""

import socket
import struct
import time

from . import frames
from .errors import Code, ProtocolError

# A HelloAck or Error is a few hundred bytes; a longer answer is not one.
MAX_HANDSHAKE_FRAME = 64 * 1024


class Negotiated:
    def __init__(self, version, max_frame, max_concurrency, memfd_threshold=0, max_payload=0):
        self.version, self.max_frame, self.max_concurrency = version, max_frame, max_concurrency
        # Payloads of memfd_threshold bytes or more go in sealed memfds, up to
        # max_payload; 0 and 0: frames only (PROTOCOL.md, section 6.1).
        self.memfd_threshold, self.max_payload = memfd_threshold, max_payload


def _read_exact(sock, count, until):
    """Exactly `count` bytes: nothing after the answer is consumed, since
    requests may follow HelloAck in the same read."""
    data = bytearray()
    while len(data) < count:
        left = until - time.monotonic()
        if left <= 0:
            raise ProtocolError("no answer to Hello in time")
        sock.settimeout(left)
        try:
            chunk = sock.recv(count - len(data))
        except socket.timeout:
            raise ProtocolError("no answer to Hello in time") from None
        if not chunk:
            raise ProtocolError("the host closed the socket before answering Hello "
                                "(a refused handshake: wrong cookie or protocol version)")
        data += chunk
    return bytes(data)


def handshake(sock, name, version, cookie, timeout):
    sock.sendall(frames.hello(name, version, cookie))
    until = time.monotonic() + timeout
    try:
        (length,) = struct.unpack("<I", _read_exact(sock, 4, until))
        if length == 0 or length > MAX_HANDSHAKE_FRAME:
            raise ProtocolError(f"the host's answer to Hello has a length of {length} bytes "
                                f"(1..{MAX_HANDSHAKE_FRAME} expected)")
        answer = frames.decode(_read_exact(sock, length, until))
    finally:
        sock.settimeout(None)
    if answer.kind == frames.Body.Error:
        code = Code(answer.code).name if answer.code in Code._value2member_map_ else str(answer.code)
        raise ProtocolError(f"the supervisor refused the handshake: {code}: {answer.message}")
    if answer.kind != frames.Body.HelloAck:
        raise ProtocolError("expected HelloAck or Error, got " + frames.BODY_NAMES.get(answer.kind, "?"))
    if answer.version != frames.PROTOCOL_VERSION:
        raise ProtocolError(f"the host chose protocol version {answer.version}, which this plugin "
                            f"does not speak (it speaks {frames.PROTOCOL_VERSION})")
    max_frame = answer.max_frame or frames.DEFAULT_MAX_FRAME
    if max_frame > frames.MAX_FRAME_CEILING:
        raise ProtocolError(f"the host granted max_frame {max_frame}, above the ceiling "
                            f"{frames.MAX_FRAME_CEILING}")
    threshold, max_payload = answer.memfd_threshold, answer.max_payload
    if (threshold == 0) != (max_payload == 0) or threshold > max_frame:
        raise ProtocolError(f"the host granted memfd_threshold {threshold} with max_payload {max_payload} "
                            "(both 0, or a threshold within max_frame and a bound, expected)")
    return Negotiated(answer.version, max_frame, answer.max_concurrency or 1, threshold, max_payload)
