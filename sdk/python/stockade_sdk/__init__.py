"""stockade_sdk: the plugin side of stockade, in Python (the C++ SDK's
interface: info, execute, health, close).

    import stockade_sdk as sdk

    def execute(ctx, payload):
        return payload

    raise SystemExit(sdk.serve(execute=execute, info=sdk.Info(name="echo", version="1.0.0")))

Needs Python 3.11 and the flatbuffers package (Debian: python3-flatbuffers),
and the classes the build generates from wire/stockade.fbs (the package
`stockade`, beside this one). See sdk/python/README.md."""

from .context import Context
from .errors import Code, Error
from .plugin import Health, Info, Plugin
from .serve import serve

__all__ = ["Code", "Context", "Error", "Health", "Info", "Plugin", "serve"]
