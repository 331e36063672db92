# pyecho: the echo plugin in Python. Every method returns its payload, but the
# conformance suite's two (PROTOCOL.md, section 18): "sleep" waits the payload's
# milliseconds unless cancelled, "conformance.unknown" is an unknown method.
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves it out
import stockade_sdk as sdk

def execute(ctx, payload):
    if ctx.method == "conformance.unknown":
        raise sdk.Error(sdk.Code.NOT_FOUND, f"no method {ctx.method!r}")
    if ctx.method == "sleep" and not ctx.sleep(int(payload or b"0") / 1000):
        code = sdk.Code.CANCELLED if ctx.cancel_requested else sdk.Code.DEADLINE_EXCEEDED
        raise sdk.Error(code, "stopped before the sleep ended")
    return payload

info = sdk.Info(name="pyecho", version="1.0.0", description="returns the payload unchanged",
                capabilities=["echo"], methods=["echo", "sleep"])
sys.exit(sdk.serve(execute=execute, info=info))
