"""The serving loop after the handshake (PROTOCOL.md, sections 6 to 10): the
reader thread decodes frames and dispatches them; Execute calls run on a
bounded thread pool, Health and Info on a control thread of their own (so a
saturated pool never looks like a dead plugin); Close drains, calls close()
and ends with 0."""

import concurrent.futures
import os
import select
import socket
import sys
import threading
import time

from . import frames, memfd
from .context import Context
from .errors import Code, Error, ProtocolError
from .plugin import Health
from .writer import Writer

Body = frames.Body
CANCELLED_CALLS_WAIT = 1.0  # after the Close grace, or a protocol error
HOST_GONE_WAIT = 2.0  # after end of stream without a Close
READ_CHUNK = 64 * 1024
MAX_DEADLINE_MS = 10 * 365 * 24 * 3600 * 1000  # beyond: "none", and no overflow


class Session:
    def __init__(self, plugin, name, sock, negotiated, options):
        self._plugin = plugin
        self._name = name
        self._sock = sock
        self._max_frame = negotiated.max_frame
        self._workers = max(1, min(negotiated.max_concurrency, max(options["max_workers"], 1)))
        self._max_calls = self._workers + options["max_queued"]
        self._max_control = options["max_control_queued"]
        self._max_payload = negotiated.max_payload
        self._writer = Writer(sock, self._max_frame, negotiated.memfd_threshold, negotiated.max_payload)
        self._received_fds = []  # descriptors waiting for the frame that announces them
        self._calls = {}  # id -> Context, from arrival to the queued answer
        self._calls_changed = threading.Condition()
        self._control_pending = 0
        self._closing = False
        self._closed = False
        self._closer = None
        self._pool = concurrent.futures.ThreadPoolExecutor(self._workers, "stockade-execute")
        self._control = concurrent.futures.ThreadPoolExecutor(1, "stockade-control")

    def report(self, message):
        sys.stderr.write(f"{self._name}: {message}\n")
        sys.stderr.flush()

    def run(self):
        buffer = bytearray()
        # Waits in poll() for POLLIN, then reads: a reader asleep in recv()
        # on an AF_UNIX stream socket is also woken whenever the host takes
        # in what this side sent (the write-space wake-up shares the socket's
        # wait queue), a second wake-up per call for nothing.
        readable = select.poll()
        readable.register(self._sock, select.POLLIN)
        while True:
            try:
                readable.poll()
                if self._max_payload:
                    chunk, fd = memfd.recv_with_fd(self._sock, READ_CHUNK)
                    if fd is not None:
                        self._received_fds.append(fd)
                else:
                    chunk = self._sock.recv(READ_CHUNK)
            except ProtocolError as e:
                self.report(f"protocol error from the host: {e}")
                return self._abandon(1, CANCELLED_CALLS_WAIT)
            except OSError as e:
                if self._closed:
                    return 0
                self.report(f"reading the protocol socket (fd 3): {e}")
                return self._abandon(1, CANCELLED_CALLS_WAIT)
            if not chunk:
                if self._closer is not None:
                    # The closer shut the socket down to wake us, or the host
                    # left during a Close: the closer still finishes its drain.
                    self._closer.join()
                    return 0
                if buffer:
                    self.report("the host closed the socket in the middle of a frame")
                    return self._abandon(1, HOST_GONE_WAIT)
                return self._abandon(0, HOST_GONE_WAIT)
            buffer += chunk
            try:
                for body in frames.split(buffer, self._max_frame):
                    self._dispatch(frames.decode(body))
                # The kernel hands a descriptor over with the first byte of its send.
                if len(self._received_fds) > (1 if buffer else 0):
                    raise ProtocolError("the host sent a descriptor that no frame announces")
            except ProtocolError as e:
                self.report(f"protocol error from the host: {e}")
                return self._abandon(1, CANCELLED_CALLS_WAIT)

    def _dispatch(self, message):
        kind = message.kind
        if kind == Body.ExecuteRequest:
            self._on_execute(message)
        elif kind == Body.Cancel:
            with self._calls_changed:
                call = self._calls.get(message.cancel_id)
            if call is not None:  # unknown: a call that already finished
                call._mark_cancelled()
        elif kind == Body.HealthRequest:
            self._on_control(message.id, self._answer_health,
                             lambda: self._writer.health(message.id, False,
                                                         "health backlog: earlier checks have not returned"))
        elif kind == Body.InfoRequest:
            self._on_control(message.id, self._answer_info,
                             lambda: self._writer.error(message.id, Code.UNAVAILABLE,
                                                        "info backlog: earlier requests have not returned"))
        elif kind == Body.CloseRequest:
            self._on_close(message.grace_ms)
        elif kind == Body.Error:
            raise ProtocolError(f"the host sent an Error: {message.code}: {message.message}")
        else:
            raise ProtocolError(f"unexpected {frames.BODY_NAMES.get(kind, kind)} from the host")

    def _take_payload(self, message):
        """The payload of an ExecuteRequest, read out of its memfd when it
        announces one (section 6.1)."""
        if not message.payload_memfd:
            return message.payload
        if message.payload_memfd > self._max_payload:
            raise ProtocolError(f"ExecuteRequest.payload_memfd announces {message.payload_memfd} bytes, "
                                f"above the {self._max_payload} bytes granted in the handshake")
        if not self._received_fds:
            raise ProtocolError("an ExecuteRequest announces a payload memfd, but no descriptor came with it")
        fd = self._received_fds.pop(0)
        try:
            return memfd.read_payload(fd, message.payload_memfd)
        finally:
            os.close(fd)

    def _on_execute(self, message):
        message.payload = self._take_payload(message)
        call_id = message.id
        if self._closing:
            self._writer.execute_error(call_id, Code.UNAVAILABLE, "closing: the plugin is shutting down", True)
            return
        deadline = None
        if message.deadline_ms:
            deadline = time.monotonic() + min(message.deadline_ms, MAX_DEADLINE_MS) / 1000.0
        call = Context(call_id, message.method, message.attempt, deadline)
        with self._calls_changed:
            if call_id in self._calls:
                # A second call under a live id would make both answers ambiguous.
                raise ProtocolError(f"ExecuteRequest with id {call_id} already in flight")
            if len(self._calls) >= self._max_calls:
                full = True
            else:
                full = False
                self._calls[call_id] = call
        if full:
            self._writer.execute_error(call_id, Code.RESOURCE_EXHAUSTED,
                                       f"too many calls queued ({self._max_calls - self._workers} "
                                       f"waiting for {self._workers} workers)", True)
            return
        self._pool.submit(self._run_call, call, message.payload)

    def _run_call(self, call, payload):
        # An answer to a call the host cancelled is still sent: the host
        # drops answers to ids it no longer waits for.
        try:
            if call.cancel_requested:
                raise Error(Code.CANCELLED, "cancelled before it started")
            if call.deadline is not None and time.monotonic() >= call.deadline:
                raise Error(Code.DEADLINE_EXCEEDED, "the deadline passed before the call started")
            result = self._plugin.execute(call, payload)
            if result is None:
                result = b""
            elif isinstance(result, str):
                result = result.encode("utf-8")
            elif not isinstance(result, (bytes, bytearray, memoryview)):
                raise Error(Code.INTERNAL, f"execute() returned {type(result).__name__}, not bytes or str")
            self._writer.execute_reply(call.id, bytes(result))
        except Error as e:
            self._writer.execute_error(call.id, e.code, e.message, e.retryable)
        except Exception as e:  # a handler's bug is the call's INTERNAL error, not the plugin's end
            self._writer.execute_error(call.id, Code.INTERNAL, f"execute() raised {type(e).__name__}: {e}")
        finally:
            # Removed only after the answer is written, so a drain that sees
            # the table empty has every answer on the socket.
            with self._calls_changed:
                self._calls.pop(call.id, None)
                self._calls_changed.notify_all()

    def _on_control(self, call_id, answer, refuse):
        with self._calls_changed:
            if self._control_pending >= self._max_control:
                queued = False
            else:
                queued = True
                self._control_pending += 1
        if not queued:
            refuse()
            return

        def job():
            try:
                answer(call_id)
            finally:
                with self._calls_changed:
                    self._control_pending -= 1
                    self._calls_changed.notify_all()

        try:
            self._control.submit(job)
        except RuntimeError:
            # The pools are stopped: a Close is ending the process.
            with self._calls_changed:
                self._control_pending -= 1
            refuse()

    def _answer_health(self, call_id):
        try:
            health = self._plugin.health()
            if isinstance(health, bool):
                health = Health(health)
        except Exception as e:
            health = Health(False, f"health() raised {type(e).__name__}: {e}")
        self._writer.health(call_id, bool(health.serving), health.message)

    def _answer_info(self, call_id):
        try:
            self._writer.info(call_id, self._plugin.info())
        except Exception as e:
            self._writer.error(call_id, Code.INTERNAL, f"info() raised {type(e).__name__}: {e}")

    def _wait(self, predicate, seconds):
        with self._calls_changed:
            return self._calls_changed.wait_for(predicate, seconds)

    def _cancel_all(self):
        with self._calls_changed:
            calls = list(self._calls.values())
        for call in calls:
            call._mark_cancelled()

    def _on_close(self, grace_ms):
        if self._closing:
            return  # a second Close changes nothing
        self._closing = True
        self._closer = threading.Thread(target=self._close_sequence, args=(grace_ms,), name="stockade-close")
        self._closer.start()

    def _close_sequence(self, grace_ms):
        if not self._wait(lambda: not self._calls, grace_ms / 1000.0):
            self._cancel_all()
            if not self._wait(lambda: not self._calls, CANCELLED_CALLS_WAIT):
                self.report(f"{len(self._calls)} call(s) still running {grace_ms} ms after Close and "
                            "cancelled; exiting without close()")
                os._exit(0)
        self._stop_pools_or_exit(0)
        try:
            self._plugin.close()
        except Exception as e:
            self.report(f"close() raised {type(e).__name__}: {e}")
        self._closed = True
        try:
            # Wakes the reader blocked in recv(): it sees end of stream.
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _stop_pools_or_exit(self, code):
        if not self._wait(lambda: not self._calls and self._control_pending == 0, CANCELLED_CALLS_WAIT):
            self.report("a call to the plugin (execute, health or info) did not return; exiting")
            os._exit(code)
        self._pool.shutdown(wait=True)
        self._control.shutdown(wait=True)

    def _abandon(self, code, wait):
        self._closing = True
        self._cancel_all()
        if not self._wait(lambda: not self._calls, wait):
            self.report(f"{len(self._calls)} call(s) still running after cancellation; exiting")
            os._exit(code)
        if self._closer is not None:
            self._closer.join()
        self._stop_pools_or_exit(code)
        return code
