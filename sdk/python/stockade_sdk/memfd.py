"""Large payloads in sealed memfds (PROTOCOL.md, section 6.1): one
descriptor beside the frame that announces it (SCM_RIGHTS), checked before a
byte is read, and the plugin's own answers written and sealed likewise."""

import array
import fcntl
import os
import socket
import stat

from .errors import ProtocolError

_REQUIRED_SEALS = fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW
_MFD_NOEXEC_SEAL = 0x0008  # Linux 6.3; older kernels refuse it with EINVAL
_FD_SPACE = socket.CMSG_SPACE(array.array("i").itemsize)


def recv_with_fd(sock, size):
    """One recvmsg: (bytes, descriptor or None). More than one descriptor in
    one message is a protocol error (the kernel closed the others)."""
    data, ancillary, flags, _ = sock.recvmsg(size, _FD_SPACE, socket.MSG_CMSG_CLOEXEC)
    fds = array.array("i")
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
    if flags & socket.MSG_CTRUNC or len(fds) > 1:
        for fd in fds:
            os.close(fd)
        raise ProtocolError("the host sent more than one descriptor with one message")
    return data, (fds[0] if fds else None)


def read_payload(fd, size):
    """The `size` bytes of a host's payload memfd, after the checks of section
    6.1: a regular file sealed against writes and resizing, of exactly that
    size. Read with pread, not mapped, so no fault can raise SIGBUS here."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise ProtocolError("the descriptor sent is not a regular file (a memfd)")
    try:
        seals = fcntl.fcntl(fd, fcntl.F_GET_SEALS)
    except OSError:
        raise ProtocolError("the descriptor sent cannot be sealed (not a memfd made with "
                            "MFD_ALLOW_SEALING)") from None
    if seals & _REQUIRED_SEALS != _REQUIRED_SEALS:
        raise ProtocolError(f"the memfd is not sealed against writes and resizing (it has seals "
                            f"{seals:#x}; F_SEAL_WRITE, F_SEAL_SHRINK and F_SEAL_GROW are required)")
    if size == 0 or st.st_size != size:
        raise ProtocolError(f"the memfd holds {st.st_size} bytes, the frame announced {size}")
    data = bytearray(size)
    view, done = memoryview(data), 0
    while done < size:
        n = os.preadv(fd, [view[done:]], done)
        if n <= 0:
            raise ProtocolError("the memfd ended before its announced size")
        done += n
    return bytes(data)


def make_payload_memfd(payload):
    """A new memfd holding `payload`, sealed against any change: its
    descriptor (the caller closes it once sent)."""
    try:
        fd = os.memfd_create("stockade-payload", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING | _MFD_NOEXEC_SEAL)
    except OSError:
        fd = os.memfd_create("stockade-payload", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    try:
        view, done = memoryview(payload), 0
        while done < len(view):
            done += os.write(fd, view[done:])
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, _REQUIRED_SEALS | fcntl.F_SEAL_SEAL)
        return fd
    except BaseException:
        os.close(fd)
        raise


def send_with_fd(sock, frame, fd):
    """All of `frame`, the descriptor passed with its first byte."""
    sent = sock.sendmsg([frame], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])
    if sent < len(frame):
        sock.sendall(memoryview(frame)[sent:])
