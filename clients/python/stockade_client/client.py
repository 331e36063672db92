"""A blocking client of stockade serve's control socket, one request at a time per
connection (threads may share a Client: requests take turns)."""

import errno as errnos
import os
import socket
import struct
import threading

from . import codec
from .errors import ConnectError, DaemonError, ProtocolError, ReloadRefused

# The most plugins a status() accepts (the largest config's max_plugins).
MAX_PLUGINS = 1000000

DEFAULT_SOCKET = "/run/stockade/control.sock"
SOCKET_ENV = "STOCKADE_SOCKET"
_HOW_TO_FIND = "(the socket argument, $STOCKADE_SOCKET)"


def socket_path(path=None):
    """`path`, else $STOCKADE_SOCKET when set, else /run/stockade/control.sock."""
    return path or os.environ.get(SOCKET_ENV) or DEFAULT_SOCKET


def connect(path=None, timeout=None):
    """A Client connected to `path` (see socket_path); `timeout` bounds each request, in
    seconds (None: wait as long as the daemon takes; it applies each call's deadline)."""
    return Client(path, timeout)


class Client:
    def __init__(self, path=None, timeout=None):
        self.path = socket_path(path)
        self._lock = threading.Lock()
        self._next_id = 1
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.connect(self.path)
        except OSError as e:
            self._sock.close()
            raise _connect_error(self.path, e) from None
        self._sock.settimeout(timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._sock.close()

    # The requests (docs/control-protocol.md, section 4).

    def call(self, plugin, payload=b"", method="execute", timeout_ms=None, idempotent=None):
        """The plugin's answer payload (bytes); a DaemonError with its code otherwise."""
        if isinstance(payload, str):
            payload = payload.encode()
        return self._request(lambda i: codec.encode_call(i, plugin, method, payload, timeout_ms,
                                                         idempotent), "CallReply")

    def status(self):
        """A list of dicts, one a plugin: name, state, breaker, pid and the counters, in
        name order. Asked page by page (docs/control-protocol.md, Status)."""
        plugins, after = [], ""
        while True:
            page = self._request(lambda i: codec.encode_status(i, after), "StatusReply")
            for p in page["plugins"]:
                if p["name"] <= after or len(plugins) >= MAX_PLUGINS:
                    raise ProtocolError("the daemon's Status pages are not in name order, "
                                      "or list more than 1,000,000 plugins")
                after = p["name"]
                plugins.append(p)
            if not page["more"]:
                return plugins
            if not page["plugins"]:
                raise ProtocolError("the daemon sent an empty Status page with more to follow")

    def info(self, plugin):
        return self._simple("info", "InfoReply", plugin)

    def health(self, plugin):
        """(serving, message)."""
        return self._simple("health", "HealthReply", plugin)

    def reload(self):
        """The plugins restarted, stopped and added; ReloadRefused with the problems if the
        new config was refused (the running one serves on). Admin clients only."""
        reply = self._simple("reload", "ReloadReply")
        if not reply["applied"]:
            raise ReloadRefused(reply["problems"])
        return reply

    def restart(self, plugin):
        self._simple("restart", "RestartReply", plugin)

    def metrics(self):
        """The Prometheus text exposition. Admin clients only."""
        return self._simple("metrics", "MetricsReply")

    # The exchange.

    def _simple(self, kind, answer, plugin=None):
        return self._request(lambda i: codec.encode_request(i, kind, plugin), answer)

    def _request(self, encode, answer):
        with self._lock:
            request_id = self._next_id
            self._next_id += 1
            try:
                self._sock.sendall(encode(request_id))
                got_id, body_type, value = codec.decode_answer(self._read_frame())
            except socket.timeout:
                self.close()  # an answer may still come: this connection is done
                raise ProtocolError("%s: no answer in time" % self.path) from None
            except (BrokenPipeError, ConnectionResetError):
                self.close()
                raise ProtocolError("%s: the daemon closed the connection (did stockade serve "
                                    "stop?)" % self.path) from None
        if got_id == 0 and isinstance(value, DaemonError):
            self.close()
            raise value  # the daemon refused this client or a frame
        if got_id != request_id:
            self.close()
            raise ProtocolError("%s: the daemon answered id %d, the request was %d" %
                                (self.path, got_id, request_id))
        if isinstance(value, DaemonError):
            raise value
        if codec.Body.Body.__dict__.get(answer) != body_type:
            self.close()
            raise ProtocolError("%s: the daemon answered with body type %d, not a %s" %
                                (self.path, body_type, answer))
        return value

    def _read_frame(self):
        (length,) = struct.unpack("<I", self._read_exactly(4, at_boundary=True))
        if length == 0 or length > codec.MAX_FRAME:
            self.close()
            raise ProtocolError("%s: a frame of %d bytes (1 to %d)" %
                                (self.path, length, codec.MAX_FRAME))
        return self._read_exactly(length, at_boundary=False)

    def _read_exactly(self, n, at_boundary):
        chunks = []
        left = n
        while left:
            chunk = self._sock.recv(min(left, 1 << 16))
            if not chunk:
                self.close()
                if at_boundary and left == n:
                    raise ProtocolError("%s: the daemon closed the connection before answering"
                                        % self.path)
                raise ProtocolError("%s: the daemon closed the connection in the middle of a "
                                    "frame" % self.path)
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)


def _connect_error(path, e):
    if e.errno in (errnos.ENOENT, errnos.ENOTDIR):
        return ConnectError(path, "no such socket: is stockade serve running? " + _HOW_TO_FIND,
                            e.errno)
    if e.errno == errnos.ECONNREFUSED:
        return ConnectError(path, "connection refused, nothing listens there: is stockade serve "
                            "running? " + _HOW_TO_FIND, e.errno)
    if e.errno in (errnos.EACCES, errnos.EPERM):
        return ConnectError(path, "permission denied: this user may not open the control socket "
                            "(its control.mode and control.group decide who may)", e.errno)
    return ConnectError(path, "cannot connect: %s" % e.strerror, e.errno)
