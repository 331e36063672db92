"""Error codes that cross the wire, and the exception a handler raises."""

import enum


class Code(enum.IntEnum):
    """The values of the schema's ErrorCode (wire/stockade.fbs).

    Host policy keys off them: the circuit breaker counts UNAVAILABLE and
    INTERNAL against the plugin, INVALID_ARGUMENT and NOT_FOUND against the
    caller (PROTOCOL.md, section 11).
    """

    UNKNOWN = 0  # never on purpose: an unset code must not read as success
    CANCELLED = 1  # the caller gave up (Cancel) and the plugin stopped
    INVALID_ARGUMENT = 2  # the request is wrong; retrying it will not help
    DEADLINE_EXCEEDED = 3  # the call's deadline passed
    NOT_FOUND = 4  # unknown method or missing entity
    RESOURCE_EXHAUSTED = 5  # a bound was hit (queue full, quota)
    UNAVAILABLE = 6  # temporarily cannot serve (closing, a backend down)
    INTERNAL = 7  # a bug or broken invariant in the plugin
    UNIMPLEMENTED = 8  # the method exists in no version of this plugin


class Error(Exception):
    """Raised by a handler to fail its call: the code, the message and
    whether a retry may succeed cross the wire intact (the message is cut to
    the wire's 4096-byte string bound)."""

    def __init__(self, code, message="", retryable=False):
        self.code = Code(code)
        self.message = str(message)
        self.retryable = bool(retryable)
        super().__init__(f"{self.code.name}: {self.message}")


class ProtocolError(Exception):
    """The host broke the protocol (or the handshake failed): the SDK says
    why on stderr and exits 1."""
