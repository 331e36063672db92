"""Whole frames onto the socket, one writer at a time (section 1: the bytes
of two frames must not interleave)."""

import os
import threading

from . import frames, memfd
from .errors import Code


class Writer:
    def __init__(self, sock, max_frame, memfd_threshold=0, max_payload=0):
        self._sock = sock
        self._max_frame = max_frame
        self._memfd_threshold, self._max_payload = memfd_threshold, max_payload
        self._lock = threading.Lock()
        self.broken = False

    def send(self, frame, fallback=None):
        """Writes `frame`; one larger than max_frame is replaced by
        fallback() (an error frame) rather than sent."""
        if len(frame) - 4 > self._max_frame:
            if fallback is None:
                return
            frame = fallback()
        with self._lock:
            if self.broken:
                return
            try:
                self._sock.sendall(frame)
            except OSError:
                # The host is gone: the reader sees end of stream and ends.
                self.broken = True

    def execute_reply(self, call_id, payload):
        if self._memfd_threshold and len(payload) >= self._memfd_threshold:
            return self._memfd_reply(call_id, payload)
        self.send(frames.execute_ok(call_id, payload),
                  lambda: frames.execute_error(
                      call_id, Code.RESOURCE_EXHAUSTED,
                      f"the plugin's response cannot be sent: {len(payload)} payload bytes do not fit "
                      f"in the frame limit of {self._max_frame} bytes"))

    def _memfd_reply(self, call_id, payload):
        if len(payload) > self._max_payload:
            return self.execute_error(call_id, Code.RESOURCE_EXHAUSTED,
                                      f"the plugin's response ({len(payload)} bytes) exceeds the payload "
                                      f"limit of {self._max_payload} bytes (the manifest's "
                                      "execute.max_payload_mb)")
        try:
            fd = memfd.make_payload_memfd(payload)  # the copy, outside the lock
        except OSError as e:
            return self.execute_error(call_id, Code.RESOURCE_EXHAUSTED,
                                      f"the plugin's response cannot be put in a memfd: {e}", True)
        try:
            with self._lock:
                if self.broken:
                    return
                try:
                    memfd.send_with_fd(self._sock, frames.execute_ok_memfd(call_id, len(payload)), fd)
                except OSError:
                    self.broken = True
        finally:
            os.close(fd)

    def execute_error(self, call_id, code, message, retryable=False):
        self.send(frames.execute_error(call_id, code, message, retryable))

    def health(self, call_id, serving, message):
        self.send(frames.health(call_id, serving, message),
                  lambda: frames.health(call_id, serving, ""))

    def info(self, call_id, described):
        self.send(frames.info(call_id, described),
                  lambda: frames.error(call_id, Code.INTERNAL,
                                       "the plugin's Info cannot be sent: it is larger than max_frame"))

    def error(self, call_id, code, message):
        self.send(frames.error(call_id, code, message))
