"""The exceptions of stockade_client: every failure is a StockadeError.

DaemonError carries the daemon's Error answer field for field (docs/control-protocol.md,
section 4): ``code`` is the code's name ("UNAVAILABLE", "PERMISSION_DENIED", ...) and
``code_number`` its number on the wire.
"""

CODE_NAMES = (
    "UNKNOWN", "CANCELLED", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "RESOURCE_EXHAUSTED", "UNAVAILABLE", "INTERNAL", "UNIMPLEMENTED", "PERMISSION_DENIED",
)
DELIVERY_NAMES = ("NOT_SENT", "UNKNOWN", "ANSWERED")


def code_name(number):
    return CODE_NAMES[number] if 0 <= number < len(CODE_NAMES) else "UNKNOWN(%d)" % number


class StockadeError(Exception):
    """Anything that went wrong talking to stockade serve."""


class ConnectError(StockadeError):
    """The control socket could not be opened (no daemon, or no permission)."""

    def __init__(self, path, reason, errno=None):
        super().__init__("%s: %s" % (path, reason))
        self.path = path
        self.reason = reason
        self.errno = errno


class ProtocolError(StockadeError):
    """The daemon's answer broke the control protocol, or the connection ended."""


class DaemonError(StockadeError):
    """The daemon answered a request with an Error."""

    def __init__(self, code, message="", delivery=0, plugin_exit=None, retryable=False,
                 hopeless=False, attempts=0):
        self.code_number = code
        self.code = code_name(code)
        self.message = message
        self.delivery = DELIVERY_NAMES[delivery] if 0 <= delivery < len(DELIVERY_NAMES) else "UNKNOWN"
        self.plugin_exit = plugin_exit
        self.retryable = retryable
        self.hopeless = hopeless
        self.attempts = attempts
        text = self.code + (": " + message if message else "")
        if attempts > 1:
            text += " (after %d attempts)" % attempts
        super().__init__(text)


class PermissionDenied(DaemonError):
    """The daemon's access list ("clients") does not let this client do that."""


class ReloadRefused(StockadeError):
    """The new config was refused whole; the running one serves on."""

    def __init__(self, problems):
        super().__init__("reload refused: " + "; ".join(problems))
        self.problems = list(problems)
