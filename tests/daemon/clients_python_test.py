"""The Python client (clients/python, stockade_client) against a real stockade serve.
Run by tests/daemon/clients_test.cpp:
    PYTHONPATH=<build>/clients/python/gen:<source>/clients/python \
        /usr/bin/python3 clients_python_test.py SOCKET
Exits non-zero at the first check that fails, naming it."""

import os
import sys
import threading

import stockade_client

socket_path = sys.argv[1]

# The three lines of clients/python/README.md.
os.environ["STOCKADE_SOCKET"] = socket_path
with stockade_client.connect() as client:
    assert client.call("echo", b"hello") == b"hello"

client = stockade_client.connect(socket_path, timeout=60)

assert client.call("echo", "text is sent as UTF-8") == b"text is sent as UTF-8"
assert client.call("echo", b"") == b""
big = bytes(range(256)) * 4096  # 1 MiB
assert client.call("echo", big) == big

try:
    client.call("no-such-plugin", b"x")
    raise AssertionError("a call to a missing plugin returned")
except stockade_client.DaemonError as e:
    assert e.code == "NOT_FOUND", e.code
    assert e.code_number == 4
    assert e.delivery == "NOT_SENT", e.delivery

try:
    client.call("slow", b"3000", timeout_ms=200)
    raise AssertionError("a call past its deadline returned")
except stockade_client.DaemonError as e:
    assert e.code == "DEADLINE_EXCEEDED", e.code

plugins = {p["name"]: p for p in client.status()}
assert plugins["echo"]["state"] == "ready", plugins["echo"]
assert plugins["echo"]["calls_sent"] >= 3, plugins["echo"]
assert plugins["echo"]["pid"] > 0

info = client.info("echo")
assert info["name"] == "echo", info
serving, _message = client.health("echo")
assert serving

text = client.metrics()
assert "# TYPE " in text, text[:200]

client.restart("echo")
assert {p["name"]: p for p in client.status()}["echo"]["restarts"] >= 1

reply = client.reload()
assert reply["applied"], reply

# Threads share one client: requests take turns, each gets its own answer.
errors = []


def caller(n):
    for i in range(10):
        text = ("thread %d call %d" % (n, i)).encode()
        if client.call("echo", text) != text:
            errors.append(n)


threads = [threading.Thread(target=caller, args=(n,)) for n in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert not errors, errors
client.close()

try:
    stockade_client.connect(os.path.dirname(socket_path) + "/nonexistent.sock")
    raise AssertionError("connected to a socket that does not exist")
except stockade_client.ConnectError as e:
    assert "no such socket: is stockade serve running?" in str(e), str(e)

print("python client: all checks passed")
