"""serve(): the launch check, the handshake, then the session."""

import os
import socket
import sys
import threading

from .errors import ProtocolError
from .handshake import handshake
from .launch import not_started_by_stockade, started_by_hand_message
from .malloc_arenas import limit_malloc_arenas
from .plugin import FunctionPlugin
from .session import Session


def serve(plugin=None, *, execute=None, info=None, health=None, close=None, max_workers=256,
          max_queued=1024, max_control_queued=16, thread_stack_bytes=1 << 20,
          handshake_timeout=10.0, socket_fd=3, cookie_env="STOCKADE_PLUGIN_COOKIE",
          cap_malloc_arenas=True):
    """Runs `plugin` (a stockade_sdk.Plugin), or the functions given, until the
    host closes it or goes away. Returns the exit code for sys.exit(): 0 after
    a clean Close (or when the host closed the socket between frames), 1 when
    started by hand, when the handshake fails, or on a protocol error (with one
    line on stderr saying why). Calls still running past the Close grace end
    the process with os._exit(0) rather than wait for a hung call.

    cap_malloc_arenas: under an address-space limit, cap glibc's malloc
    arenas to a quarter of it (see malloc_arenas.py); False if the plugin
    tunes malloc itself."""
    if plugin is None:
        if execute is None:
            raise TypeError("serve() needs a Plugin or execute=")
        plugin = FunctionPlugin(execute, info, health, close)
    try:
        described = plugin.info()
    except Exception as e:
        sys.stderr.write(f"stockade plugin: info() raised {type(e).__name__}: {e}\n")
        return 1
    name = described.name or "stockade plugin"
    reason = not_started_by_stockade(socket_fd, cookie_env)
    if reason is not None:
        sys.stderr.write(started_by_hand_message(name, reason))
        return 1
    # Small stacks, as the C++ SDK: the sandbox caps memory, and 8 MiB
    # default stacks for many workers would not fit.
    threading.stack_size(thread_stack_bytes)
    if cap_malloc_arenas:
        limit_malloc_arenas()
    sock = socket.socket(fileno=socket_fd)
    try:
        negotiated = handshake(sock, described.name, described.version, os.environ[cookie_env],
                               handshake_timeout)
    except (ProtocolError, OSError) as e:
        sys.stderr.write(f"{name}: handshake failed: {e}\n")
        return 1
    options = {"max_workers": max_workers, "max_queued": max_queued,
               "max_control_queued": max_control_queued}
    return Session(plugin, name, sock, negotiated, options).run()
