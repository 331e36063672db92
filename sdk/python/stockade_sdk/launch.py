"""The launch check: a stockade plugin started by hand says so and exits 1
instead of reading a terminal (PROTOCOL.md, section 5, step 1; the same
check and message as the C++ SDK's sdk/launch_check.cpp)."""

import os
import stat


def not_started_by_stockade(fd, cookie_env):
    """None when fd is a socket and the cookie is set, else the reason."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return f"fd {fd} is not open"
    if not stat.S_ISSOCK(mode):
        return f"fd {fd} is not a socket"
    if os.environ.get(cookie_env) is None:
        return f"{cookie_env} is not set"
    return None


def started_by_hand_message(plugin_name, reason):
    return (f"{plugin_name}: this is a stockade plugin; it is started by the stockade supervisor "
            f"(see `stockade call --help`), not by hand. ({reason})\n")
