# pycalc: the seeds' calculator. add/subtract/multiply/divide take {"a": 6, "b": 7}; calculate also "operation".
import json, operator, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the script's folder out
import stockade_sdk as sdk
OPS = {"add": operator.add, "subtract": operator.sub, "multiply": operator.mul, "divide": operator.truediv}

def execute(ctx, payload):
    if ctx.method not in (*OPS, "calculate"):
        raise sdk.Error(sdk.Code.NOT_FOUND, f'no method "{ctx.method}" (add, subtract, multiply, divide, calculate)')
    try:
        request = json.loads(payload)
        op, a, b = request["operation"] if ctx.method == "calculate" else ctx.method, float(request["a"]), float(request["b"])
    except (TypeError, ValueError, KeyError):
        raise sdk.Error(sdk.Code.INVALID_ARGUMENT, 'expected JSON {"a": number, "b": number}') from None
    if op not in OPS or (op == "divide" and b == 0):
        raise sdk.Error(sdk.Code.INVALID_ARGUMENT, "division by zero" if op == "divide" else f"unknown operation: {op}")
    return json.dumps({"result": OPS[op](a, b)})

sys.exit(sdk.serve(execute=execute, info=sdk.Info(name="pycalc", version="1.0.0", methods=[*OPS, "calculate"],
    description="Simple calculator plugin for arithmetic operations", capabilities=["arithmetic", "basic-operations"])))
