"""One Execute call as its handler sees it: the method, the attempt, the
deadline and whether the host cancelled it."""

import threading
import time


class Context:
    """Made by the SDK for each call; safe to read from the handler while the
    reader thread delivers a Cancel.

    deadline is a time.monotonic() value (None: the call has no deadline),
    computed from the budget the request carried when it arrived.
    """

    def __init__(self, call_id, method, attempt, deadline):
        self.id = call_id
        self.method = method
        self.attempt = attempt  # 1 for the first try, 2 for the first retry...
        self.deadline = deadline
        self._cancel = threading.Event()

    def remaining(self):
        """Seconds left before the deadline (0.0 once passed; None without one)."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    @property
    def cancel_requested(self):
        """True only when the host sent Cancel (or the SDK is shutting down
        past its grace)."""
        return self._cancel.is_set()

    @property
    def cancelled(self):
        """True once the host cancelled the call or its deadline passed: long
        work polls it and returns early (what it returns then is not awaited)."""
        return self._cancel.is_set() or (self.deadline is not None and time.monotonic() >= self.deadline)

    def sleep(self, seconds):
        """Sleeps up to `seconds` or until the call is cancelled or its deadline
        passes, whichever is first. Returns True if the whole time passed
        uncancelled (like the C++ SDK's CallContext::sleep_for)."""
        wanted = time.monotonic() + seconds
        end = wanted if self.deadline is None else min(wanted, self.deadline)
        while not self._cancel.is_set():
            left = end - time.monotonic()
            if left <= 0:
                break
            self._cancel.wait(left)
        return not self._cancel.is_set() and end == wanted

    def _mark_cancelled(self):
        self._cancel.set()
