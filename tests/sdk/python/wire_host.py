"""The supervisor's side of the wire, by hand, for the Python SDK's tests: a
plugin script started with a socketpair as its fd 3, frames built with the
classes the build generated from wire/stockade.fbs."""

import os
import socket
import struct
import subprocess

import flatbuffers
from stockade.wire.fb import (Cancel, CloseRequest, Envelope, Error, ExecuteRequest, ExecuteResponse,
                              HealthRequest, HealthResponse, Hello, HelloAck, InfoRequest, InfoResponse)
from stockade.wire.fb.Body import Body


def _finish(builder, call_id, body_type, body):
    Envelope.EnvelopeStart(builder)
    Envelope.EnvelopeAddId(builder, call_id)
    Envelope.EnvelopeAddBodyType(builder, body_type)
    Envelope.EnvelopeAddBody(builder, body)
    builder.Finish(Envelope.EnvelopeEnd(builder), file_identifier=b"STKD")
    out = builder.Output()
    return struct.pack("<I", len(out)) + out


def hello_ack(version=1, max_frame=1 << 20, max_concurrency=4):
    b = flatbuffers.Builder(64)
    HelloAck.HelloAckStart(b)
    HelloAck.HelloAckAddVersion(b, version)
    HelloAck.HelloAckAddMaxFrame(b, max_frame)
    HelloAck.HelloAckAddMaxConcurrency(b, max_concurrency)
    return _finish(b, 0, Body.HelloAck, HelloAck.HelloAckEnd(b))


def refusal(code, message):
    b = flatbuffers.Builder(64)
    text = b.CreateString(message)
    Error.ErrorStart(b)
    Error.ErrorAddCode(b, code)
    Error.ErrorAddMessage(b, text)
    return _finish(b, 0, Body.Error, Error.ErrorEnd(b))


def execute(call_id, method, payload=b"", deadline_ms=0):
    b = flatbuffers.Builder(64 + len(payload))
    name, data = b.CreateString(method), b.CreateByteVector(payload)
    ExecuteRequest.ExecuteRequestStart(b)
    ExecuteRequest.ExecuteRequestAddMethod(b, name)
    ExecuteRequest.ExecuteRequestAddPayload(b, data)
    ExecuteRequest.ExecuteRequestAddDeadlineMs(b, deadline_ms)
    ExecuteRequest.ExecuteRequestAddAttempt(b, 1)
    return _finish(b, call_id, Body.ExecuteRequest, ExecuteRequest.ExecuteRequestEnd(b))


def cancel(call_id):
    b = flatbuffers.Builder(32)
    Cancel.CancelStart(b)
    Cancel.CancelAddId(b, call_id)
    return _finish(b, 0, Body.Cancel, Cancel.CancelEnd(b))


def close(grace_ms):
    b = flatbuffers.Builder(32)
    CloseRequest.CloseRequestStart(b)
    CloseRequest.CloseRequestAddGraceMs(b, grace_ms)
    return _finish(b, 0, Body.CloseRequest, CloseRequest.CloseRequestEnd(b))


def health(call_id):
    b = flatbuffers.Builder(32)
    HealthRequest.HealthRequestStart(b)
    return _finish(b, call_id, Body.HealthRequest, HealthRequest.HealthRequestEnd(b))


def info(call_id):
    b = flatbuffers.Builder(32)
    InfoRequest.InfoRequestStart(b)
    return _finish(b, call_id, Body.InfoRequest, InfoRequest.InfoRequestEnd(b))


class Answer:
    """A decoded frame from the plugin."""

    def __init__(self, body):
        envelope = Envelope.Envelope.GetRootAs(body, 0)
        self.id, self.type, self.error = envelope.Id(), envelope.BodyType(), None
        table = envelope.Body()
        if self.type == Body.Hello:
            h = Hello.Hello()
            h.Init(table.Bytes, table.Pos)
            self.name, self.cookie = h.Name().decode(), h.Cookie().decode()
            self.versions = [h.Versions(i) for i in range(h.VersionsLength())]
        elif self.type == Body.ExecuteResponse:
            r = ExecuteResponse.ExecuteResponse()
            r.Init(table.Bytes, table.Pos)
            self.payload = bytes(r.Payload(i) for i in range(r.PayloadLength()))
            e = r.Error()
            if e is not None:
                self.error = (e.Code(), e.Message().decode(), e.Retryable())
        elif self.type == Body.HealthResponse:
            r = HealthResponse.HealthResponse()
            r.Init(table.Bytes, table.Pos)
            self.serving, self.message = r.Status() == 0, (r.Message() or b"").decode()
        elif self.type == Body.InfoResponse:
            r = InfoResponse.InfoResponse()
            r.Init(table.Bytes, table.Pos)
            self.name = r.Name().decode()
            self.methods = [r.Methods(i).decode() for i in range(r.MethodsLength())]
        elif self.type == Body.Error:
            e = Error.Error()
            e.Init(table.Bytes, table.Pos)
            self.error = (e.Code(), e.Message().decode(), e.Retryable())


class Plugin:
    """A plugin script running with one end of a socketpair as its fd 3."""

    def __init__(self, script, cookie="test-cookie", env=None):
        ours, theirs = socket.socketpair()
        child_end = theirs.fileno()
        environment = {"STOCKADE_PLUGIN_COOKIE": cookie} if cookie is not None else {}
        environment.update(env or {})
        self.process = subprocess.Popen(
            ["/usr/bin/python3", "-I", "-B", script], pass_fds=[3], env=environment,
            stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=lambda: os.dup2(child_end, 3))
        theirs.close()
        self.sock = ours
        self.sock.settimeout(20)
        self.buffer = bytearray()

    def send(self, *frames):
        self.sock.sendall(b"".join(frames))

    def next(self):
        """The next frame's Answer, or None at end of stream."""
        while True:
            if len(self.buffer) >= 4:
                (length,) = struct.unpack_from("<I", self.buffer)
                if len(self.buffer) >= 4 + length:
                    body = bytes(self.buffer[4:4 + length])
                    del self.buffer[:4 + length]
                    return Answer(body)
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return None
            self.buffer += chunk

    def answers(self, count):
        got = {}
        for _ in range(count):
            answer = self.next()
            assert answer is not None, "end of stream before every answer arrived"
            got[answer.id] = answer
        return got

    def wait(self, timeout=20):
        """The exit code and what the plugin wrote on stderr."""
        self.sock.close()
        code = self.process.wait(timeout)
        err = self.process.stderr.read().decode()
        self.process.stderr.close()
        return code, err
