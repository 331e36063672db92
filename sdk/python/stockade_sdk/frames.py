"""Frames of the stockade wire (PROTOCOL.md, sections 2 and 3): a 4-byte
little-endian length N, then one FlatBuffer finished with Finish (never
FinishSizePrefixed) whose identifier is STKD and whose root is an Envelope.

The FlatBuffers classes are generated from wire/stockade.fbs by the build
(flatc --python) into a package `stockade` beside this one."""

import struct

import flatbuffers

from stockade.wire.fb import (Cancel, CloseRequest, Envelope, Error, ExecuteRequest,
                              ExecuteResponse, HealthResponse, Hello, HelloAck, InfoResponse,
                              KeyValue)
from stockade.wire.fb.Body import Body

from .errors import ProtocolError

PROTOCOL_VERSION = 1
FILE_IDENTIFIER = b"STKD"
DEFAULT_MAX_FRAME = 4 << 20  # what HelloAck.max_frame 0 means
MAX_FRAME_CEILING = 256 << 20
MAX_STRING = 4096  # bytes of any string the decoders accept
MAX_LIST = 256  # items of capabilities, methods, metadata
_PREFIX = struct.Struct("<I")

BODY_NAMES = {value: name for name, value in vars(Body).items() if not name.startswith("_")}


def bounded(text, limit=MAX_STRING):
    """`text` as UTF-8, cut to `limit` bytes at a character boundary."""
    data = str(text).encode("utf-8", "replace")
    if len(data) <= limit:
        return data
    return data[:limit].decode("utf-8", "ignore").encode("utf-8")


def _finish(builder, call_id, body_type, body):
    Envelope.EnvelopeStart(builder)
    Envelope.EnvelopeAddId(builder, call_id)
    Envelope.EnvelopeAddBodyType(builder, body_type)
    Envelope.EnvelopeAddBody(builder, body)
    root = Envelope.EnvelopeEnd(builder)
    # Pad every body to a multiple of 8 so back-to-back frames stay aligned
    # for the receiver (section 2: "senders SHOULD").
    builder.minalign = max(builder.minalign, 8)
    builder.Finish(root, file_identifier=FILE_IDENTIFIER)
    body_bytes = builder.Output()
    return _PREFIX.pack(len(body_bytes)) + body_bytes


def _strings(builder, items, start_vector):
    offsets = [builder.CreateString(bounded(item)) for item in items]
    start_vector(builder, len(offsets))
    for offset in reversed(offsets):
        builder.PrependUOffsetTRelative(offset)
    return builder.EndVector()


def hello(name, version, cookie, memfd_payloads=True):
    b = flatbuffers.Builder(256)
    name_o, version_o, cookie_o = (b.CreateString(bounded(s)) for s in (name, version, cookie))
    Hello.HelloStartVersionsVector(b, 1)
    b.PrependUint32(PROTOCOL_VERSION)
    versions = b.EndVector()
    Hello.HelloStart(b)
    Hello.HelloAddVersions(b, versions)
    Hello.HelloAddName(b, name_o)
    Hello.HelloAddVersion(b, version_o)
    Hello.HelloAddCookie(b, cookie_o)
    Hello.HelloAddMemfdPayloads(b, bool(memfd_payloads))
    return _finish(b, 0, Body.Hello, Hello.HelloEnd(b))


def _error_table(b, code, message, retryable):
    message_o = b.CreateString(bounded(message))
    Error.ErrorStart(b)
    Error.ErrorAddCode(b, int(code))
    Error.ErrorAddMessage(b, message_o)
    Error.ErrorAddRetryable(b, bool(retryable))
    return Error.ErrorEnd(b)


def execute_ok(call_id, payload):
    b = flatbuffers.Builder(len(payload) + 64)
    payload_o = b.CreateByteVector(bytes(payload))
    ExecuteResponse.ExecuteResponseStart(b)
    ExecuteResponse.ExecuteResponseAddPayload(b, payload_o)
    return _finish(b, call_id, Body.ExecuteResponse, ExecuteResponse.ExecuteResponseEnd(b))


def execute_ok_memfd(call_id, size):
    """A success whose payload of `size` bytes is in the memfd sent with it."""
    b = flatbuffers.Builder(64)
    ExecuteResponse.ExecuteResponseStart(b)
    ExecuteResponse.ExecuteResponseAddPayloadMemfd(b, size)
    return _finish(b, call_id, Body.ExecuteResponse, ExecuteResponse.ExecuteResponseEnd(b))


def execute_error(call_id, code, message, retryable=False):
    b = flatbuffers.Builder(256)
    error_o = _error_table(b, code, message, retryable)
    ExecuteResponse.ExecuteResponseStart(b)
    ExecuteResponse.ExecuteResponseAddError(b, error_o)
    return _finish(b, call_id, Body.ExecuteResponse, ExecuteResponse.ExecuteResponseEnd(b))


def error(call_id, code, message):
    b = flatbuffers.Builder(256)
    return _finish(b, call_id, Body.Error, _error_table(b, code, message, False))


def health(call_id, serving, message):
    b = flatbuffers.Builder(256)
    message_o = b.CreateString(bounded(message))
    HealthResponse.HealthResponseStart(b)
    HealthResponse.HealthResponseAddStatus(b, 0 if serving else 1)
    HealthResponse.HealthResponseAddMessage(b, message_o)
    return _finish(b, call_id, Body.HealthResponse, HealthResponse.HealthResponseEnd(b))


def info(call_id, described):
    b = flatbuffers.Builder(1024)
    name_o, version_o, description_o = (
        b.CreateString(bounded(s)) for s in (described.name, described.version, described.description))
    capabilities = _strings(b, described.capabilities[:MAX_LIST], InfoResponse.InfoResponseStartCapabilitiesVector)
    methods = _strings(b, [bounded(m, 256).decode() for m in described.methods[:MAX_LIST]],
                       InfoResponse.InfoResponseStartMethodsVector)
    pairs = []
    for key, value in list(described.metadata.items())[:MAX_LIST]:
        key_o, value_o = b.CreateString(bounded(key)), b.CreateString(bounded(value))
        KeyValue.KeyValueStart(b)
        KeyValue.KeyValueAddKey(b, key_o)
        KeyValue.KeyValueAddValue(b, value_o)
        pairs.append(KeyValue.KeyValueEnd(b))
    InfoResponse.InfoResponseStartMetadataVector(b, len(pairs))
    for pair in reversed(pairs):
        b.PrependUOffsetTRelative(pair)
    metadata = b.EndVector()
    InfoResponse.InfoResponseStart(b)
    InfoResponse.InfoResponseAddName(b, name_o)
    InfoResponse.InfoResponseAddVersion(b, version_o)
    InfoResponse.InfoResponseAddDescription(b, description_o)
    InfoResponse.InfoResponseAddCapabilities(b, capabilities)
    InfoResponse.InfoResponseAddMethods(b, methods)
    InfoResponse.InfoResponseAddMetadata(b, metadata)
    return _finish(b, call_id, Body.InfoResponse, InfoResponse.InfoResponseEnd(b))


class Message:
    """A decoded frame from the host: its envelope id, its body type and the
    fields the SDK reads (copied out of the buffer)."""

    __slots__ = ("id", "kind", "method", "payload", "payload_memfd", "deadline_ms", "attempt",
                 "cancel_id", "grace_ms", "version", "max_frame", "max_concurrency",
                 "memfd_threshold", "max_payload", "code", "message")

    def __init__(self, call_id, kind):
        self.id, self.kind = call_id, kind


def _table(envelope, cls):
    table = envelope.Body()
    obj = cls()
    obj.Init(table.Bytes, table.Pos)
    return obj


def _byte_vector(obj, slot, buf):
    tab = obj._tab  # the generated classes read bytes one call per byte
    offset = tab.Offset(slot)
    if offset == 0:
        return b""
    start, length = tab.Vector(offset), tab.VectorLen(offset)
    if start + length > len(buf):
        raise ProtocolError("a byte vector runs past the end of the frame")
    return bytes(buf[start:start + length])


def _string(raw, field, limit=MAX_STRING):
    if raw is None:
        return ""
    if len(raw) > limit:
        raise ProtocolError(f"{field} is {len(raw)} bytes, above the bound of {limit}")
    return raw.decode("utf-8", "replace")


def decode(body):
    """Decodes one frame body (bytes). Raises ProtocolError naming what is wrong.

    Python's FlatBuffers has no Verifier: every read is bounds-checked by
    Python itself, and any failure is a protocol error, never a crash."""
    try:
        if len(body) < 8 or body[4:8] != FILE_IDENTIFIER:
            raise ProtocolError("the frame body lacks the file identifier STKD")
        envelope = Envelope.Envelope.GetRootAs(body, 0)
        message = Message(envelope.Id(), envelope.BodyType())
        kind = message.kind
        if kind == Body.NONE or envelope.Body() is None:
            raise ProtocolError("Envelope.body is missing")
        if kind == Body.ExecuteRequest:
            request = _table(envelope, ExecuteRequest.ExecuteRequest)
            message.method = _string(request.Method(), "ExecuteRequest.method", 256)
            if not message.method:
                raise ProtocolError("ExecuteRequest.method is missing or empty")
            message.payload = _byte_vector(request, 6, body)
            message.deadline_ms = request.DeadlineMs()
            message.attempt = request.Attempt()
            message.payload_memfd = request.PayloadMemfd()
            if message.payload_memfd and message.payload:
                raise ProtocolError("ExecuteRequest has both a payload and a payload_memfd")
        elif kind == Body.Cancel:
            message.cancel_id = _table(envelope, Cancel.Cancel).Id()
        elif kind == Body.CloseRequest:
            message.grace_ms = _table(envelope, CloseRequest.CloseRequest).GraceMs()
        elif kind == Body.HelloAck:
            ack = _table(envelope, HelloAck.HelloAck)
            message.version, message.max_frame, message.max_concurrency = (
                ack.Version(), ack.MaxFrame(), ack.MaxConcurrency())
            message.memfd_threshold, message.max_payload = ack.MemfdThreshold(), ack.MaxPayload()
        elif kind == Body.Error:
            refusal = _table(envelope, Error.Error)
            message.code, message.message = refusal.Code(), _string(refusal.Message(), "Error.message")
        elif kind not in BODY_NAMES:
            raise ProtocolError(f"unknown body type {kind}")
        return message
    except ProtocolError:
        raise
    except (IndexError, struct.error, ValueError, TypeError) as e:
        raise ProtocolError(f"the frame body is malformed ({e.__class__.__name__}: {e})") from None


def split(buffer, max_frame):
    """Takes every complete frame body off the front of `buffer` (a
    bytearray). A length of 0 or above max_frame is refused as soon as its 4
    bytes are in, before any body byte is buffered."""
    bodies = []
    while len(buffer) >= 4:
        (length,) = _PREFIX.unpack_from(buffer, 0)
        if length == 0 or length > max_frame:
            raise ProtocolError(f"a frame of {length} bytes (1..{max_frame} allowed)")
        if len(buffer) < 4 + length:
            break
        bodies.append(bytes(buffer[4:4 + length]))
        del buffer[:4 + length]
    return bodies
