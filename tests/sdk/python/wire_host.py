"""The supervisor's side of the wire, by hand, for the Python SDK's tests: a
plugin script started with a socketpair as its fd 3, frames built with the
classes the build generated from wire/stockade.fbs."""

import array
import fcntl
import mmap
import os
import resource
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


def hello_ack(version=1, max_frame=1 << 20, max_concurrency=4, memfd_threshold=0, max_payload=0):
    b = flatbuffers.Builder(64)
    HelloAck.HelloAckStart(b)
    HelloAck.HelloAckAddVersion(b, version)
    HelloAck.HelloAckAddMaxFrame(b, max_frame)
    HelloAck.HelloAckAddMaxConcurrency(b, max_concurrency)
    HelloAck.HelloAckAddMemfdThreshold(b, memfd_threshold)
    HelloAck.HelloAckAddMaxPayload(b, max_payload)
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


def execute_memfd(call_id, method, size):
    """An ExecuteRequest announcing a payload of `size` bytes in a memfd."""
    b = flatbuffers.Builder(64)
    name = b.CreateString(method)
    ExecuteRequest.ExecuteRequestStart(b)
    ExecuteRequest.ExecuteRequestAddMethod(b, name)
    ExecuteRequest.ExecuteRequestAddAttempt(b, 1)
    ExecuteRequest.ExecuteRequestAddPayloadMemfd(b, size)
    return _finish(b, call_id, Body.ExecuteRequest, ExecuteRequest.ExecuteRequestEnd(b))


def memfd_with(data, seal=True):
    fd = os.memfd_create("test-payload", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.write(fd, data)
    if seal:
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW)
    return fd


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
            self.memfd_payloads = h.MemfdPayloads()
        elif self.type == Body.ExecuteResponse:
            r = ExecuteResponse.ExecuteResponse()
            r.Init(table.Bytes, table.Pos)
            self.payload = bytes(r.Payload(i) for i in range(r.PayloadLength()))
            self.payload_memfd = r.PayloadMemfd()
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


def _prepare_child(child_end, address_space):
    os.dup2(child_end, 3)
    if address_space:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))


class Plugin:
    """A plugin script running with one end of a socketpair as its fd 3."""

    def __init__(self, script, cookie="test-cookie", env=None, address_space=0):
        """address_space: RLIMIT_AS for the plugin, as the sandbox sets it (0: none)."""
        ours, theirs = socket.socketpair()
        child_end = theirs.fileno()
        environment = {"STOCKADE_PLUGIN_COOKIE": cookie} if cookie is not None else {}
        environment.update(env or {})
        self.process = subprocess.Popen(
            ["/usr/bin/python3", "-I", "-B", script], pass_fds=[3], env=environment,
            stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=lambda: _prepare_child(child_end, address_space))
        theirs.close()
        self.sock = ours
        self.sock.settimeout(20)
        self.buffer = bytearray()
        self.fds = []  # descriptors received, oldest first

    def send(self, *frames):
        self.sock.sendall(b"".join(frames))

    def send_with_fd(self, frame, fd):
        self.sock.sendmsg([frame], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])

    def next(self):
        """The next frame's Answer, or None at end of stream."""
        while True:
            if len(self.buffer) >= 4:
                (length,) = struct.unpack_from("<I", self.buffer)
                if len(self.buffer) >= 4 + length:
                    body = bytes(self.buffer[4:4 + length])
                    del self.buffer[:4 + length]
                    return Answer(body)
            chunk, ancillary, _, _ = self.sock.recvmsg(1 << 20, socket.CMSG_SPACE(4))
            for level, kind, data in ancillary:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    self.fds.extend(array.array("i", data[:len(data) - len(data) % 4]))
            if not chunk:
                return None
            self.buffer += chunk

    def memfd_payload(self, answer):
        """The bytes of the memfd that came with `answer` (its seals checked)."""
        fd = self.fds.pop(0)
        try:
            seals = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
            required = fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW
            assert seals & required == required, f"seals {seals:#x}"
            assert os.fstat(fd).st_size == answer.payload_memfd
            with mmap.mmap(fd, answer.payload_memfd, prot=mmap.PROT_READ) as view:
                return bytes(view)
        finally:
            os.close(fd)

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
