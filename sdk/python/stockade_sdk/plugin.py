"""What a plugin author writes: a Plugin subclass, or a few functions that
serve() wraps in one."""

import dataclasses


@dataclasses.dataclass
class Info:
    """Describes the plugin. name and version also go into Hello."""

    name: str = ""
    version: str = ""
    description: str = ""
    capabilities: list = dataclasses.field(default_factory=list)
    methods: list = dataclasses.field(default_factory=list)
    metadata: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Health:
    serving: bool = True
    message: str = ""


class Plugin:
    """The interface: execute() runs concurrently on up to max_concurrency
    worker threads; info() and health() on one control thread of their own;
    close() once, after the last execute() returned."""

    def info(self):
        """Called once before the handshake and on every InfoRequest."""
        return Info()

    def execute(self, ctx, payload):
        """One call: `ctx` a Context, `payload` bytes. Returns bytes (or str,
        sent as UTF-8; None is an empty success). Raise stockade_sdk.Error to
        fail with a code; any other exception becomes INTERNAL."""
        raise NotImplementedError("execute() is not implemented")

    def health(self):
        """A Health, or a bool (serving or not)."""
        return Health()

    def close(self):
        """The host asked the plugin to close and every call has finished."""


class FunctionPlugin(Plugin):
    """serve(execute=..., info=..., health=..., close=...) without a class."""

    def __init__(self, execute, info, health, close):
        self._execute, self._info, self._health, self._close = execute, info, health, close

    def info(self):
        return self._info() if callable(self._info) else (self._info or Info())

    def execute(self, ctx, payload):
        return self._execute(ctx, payload)

    def health(self):
        return self._health() if self._health else Health()

    def close(self):
        if self._close:
            self._close()
