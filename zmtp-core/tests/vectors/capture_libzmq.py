#!/usr/bin/env python3
"""Capture byte-exact ZMTP 3.x test vectors from a real libzmq.

What it does
------------
For every libzmq socket type (REQ, REP, DEALER, ROUTER, PUB, SUB, PUSH, PULL,
PAIR, XPUB, XSUB) the script binds a libzmq socket on
``tcp://127.0.0.1:*`` (the OS picks a free port; the port never appears in the
captured bytes) and connects a *raw* Python TCP socket to it.  The raw socket
plays a ZMTP 3.1 peer by hand, one stage at a time, so the staging of
libzmq's greeting can be observed:

  1. read what libzmq sends before we send anything (expected: the 10-byte
     signature ``ff <8 padding bytes> 7f``), then wait a little to check that
     nothing else follows;
  2. send our signature ``ff 00 00 00 00 00 00 00 01 7f`` and read what
     arrives (expected: the single major-version byte ``03``);
  3. send our major ``03`` and read the remaining 53 bytes of libzmq's 64-byte
     greeting (minor, mechanism, as-server, filler);
  4. send the rest of a ZMTP 3.1 NULL greeting (minor ``01``, ``NULL`` padded
     to 20 bytes, as-server ``00``, 31 zero bytes), note whether libzmq's
     READY arrives before we send ours, send a hand-built READY command with a
     compatible Socket-Type, and capture libzmq's READY frame.

Additionally:

  * SUB subscriptions: after the handshake, ``ZMQ_SUBSCRIBE``/
    ``ZMQ_UNSUBSCRIBE`` are set on the libzmq SUB and the bytes it sends are
    captured, once with a peer announcing ZMTP 3.1 (minor 1) and once with a
    peer announcing ZMTP 3.0 (minor 0).
  * Heartbeats: a DEALER with ZMQ_HEARTBEAT_IVL=100 ms and
    ZMQ_HEARTBEAT_TTL=1000 ms; its first PING is captured, then we send it
    PINGs (TTL 0) with 20-, 4- and 0-byte contexts and capture each PONG.
    (ZMQ_HEARTBEAT_TIMEOUT is set to 5000 ms only so a slow test machine does
    not get disconnected; it does not change any bytes on the wire.)
  * Routing id: a DEALER with ZMQ_ROUTING_ID=b"abc" (signature and READY).

Every stage is read with socket timeouts, so nothing can hang.

Output
------
The vectors are printed and written to ``libzmq-<major>.<minor>.txt`` next to
this script: one vector per line, ``name hex`` (lowercase, no spaces inside
the hex).  Lines starting with ``#`` are comments (library version, capture
date, observations).  Vectors named ``in_*`` are bytes *we* sent and libzmq
accepted; every other vector is bytes produced by libzmq.  The byte content
is deterministic; only the date comment changes between runs.

Rerunning
---------
From the repository root::

    python3 zmtp-core/tests/vectors/capture_libzmq.py

By default the system libzmq (``libzmq.so.5``, e.g. Debian's 4.3.4) is driven
through ctypes; if it cannot be loaded, pyzmq's libzmq is used.  Force a
backend with ``--backend ctypes|pyzmq``, a library with ``--lib PATH``, and an
output file with ``--out PATH``.  Requires only Python 3 stdlib (+ pyzmq for
the fallback backend).
"""

import argparse
import ctypes
import ctypes.util
import datetime
import os
import socket
import struct
import sys
import time

# ---------------------------------------------------------------------------
# libzmq constants (zmq.h)
# ---------------------------------------------------------------------------
ZMQ_PAIR, ZMQ_PUB, ZMQ_SUB, ZMQ_REQ, ZMQ_REP = 0, 1, 2, 3, 4
ZMQ_DEALER, ZMQ_ROUTER, ZMQ_PULL, ZMQ_PUSH = 5, 6, 7, 8
ZMQ_XPUB, ZMQ_XSUB = 9, 10

ZMQ_ROUTING_ID = 5
ZMQ_SUBSCRIBE = 6
ZMQ_UNSUBSCRIBE = 7
ZMQ_EVENTS = 15
ZMQ_LINGER = 17
ZMQ_LAST_ENDPOINT = 32
ZMQ_HEARTBEAT_IVL = 75
ZMQ_HEARTBEAT_TTL = 76
ZMQ_HEARTBEAT_TIMEOUT = 77

INT_OPTIONS = {ZMQ_LINGER, ZMQ_HEARTBEAT_IVL, ZMQ_HEARTBEAT_TTL, ZMQ_HEARTBEAT_TIMEOUT}

# (libzmq type, name, compatible peer type name announced by our raw peer)
SOCKET_TYPES = [
    (ZMQ_REQ, "REQ", "REP"),
    (ZMQ_REP, "REP", "REQ"),
    (ZMQ_DEALER, "DEALER", "DEALER"),
    (ZMQ_ROUTER, "ROUTER", "DEALER"),
    (ZMQ_PUB, "PUB", "SUB"),
    (ZMQ_SUB, "SUB", "PUB"),
    (ZMQ_PUSH, "PUSH", "PULL"),
    (ZMQ_PULL, "PULL", "PUSH"),
    (ZMQ_PAIR, "PAIR", "PAIR"),
    (ZMQ_XPUB, "XPUB", "SUB"),
    (ZMQ_XSUB, "XSUB", "PUB"),
]

TIMEOUT = 2.0  # seconds to wait for an expected byte
QUIET = 0.3  # seconds of silence that mean "libzmq sent nothing more"


# ---------------------------------------------------------------------------
# libzmq backends
# ---------------------------------------------------------------------------
class CtypesLibzmq:
    """Drive a system libzmq (default libzmq.so.5) directly through ctypes."""

    def __init__(self, path=None):
        path = path or "libzmq.so.5"
        try:
            self.lib = ctypes.CDLL(path)
        except OSError:
            found = ctypes.util.find_library("zmq")
            if not found:
                raise
            path = found
            self.lib = ctypes.CDLL(path)
        self.path = path
        L = self.lib
        L.zmq_ctx_new.restype = ctypes.c_void_p
        L.zmq_ctx_term.argtypes = [ctypes.c_void_p]
        L.zmq_socket.restype = ctypes.c_void_p
        L.zmq_socket.argtypes = [ctypes.c_void_p, ctypes.c_int]
        L.zmq_close.argtypes = [ctypes.c_void_p]
        L.zmq_bind.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        L.zmq_setsockopt.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
        L.zmq_getsockopt.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                                     ctypes.POINTER(ctypes.c_size_t)]
        L.zmq_strerror.restype = ctypes.c_char_p
        L.zmq_strerror.argtypes = [ctypes.c_int]
        self.ctx = L.zmq_ctx_new()
        if not self.ctx:
            self._fail("zmq_ctx_new")

    def _fail(self, what):
        err = self.lib.zmq_errno()
        raise OSError(err, "%s: %s" % (what, self.lib.zmq_strerror(err).decode()))

    def version(self):
        a, b, c = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        self.lib.zmq_version(ctypes.byref(a), ctypes.byref(b), ctypes.byref(c))
        return (a.value, b.value, c.value)

    def describe(self):
        real = self.path
        try:  # resolve the soname to the file actually mapped (Linux only)
            with open("/proc/self/maps") as maps:
                for line in maps:
                    if "libzmq" in line and "/" in line:
                        real = os.path.realpath(line[line.index("/"):].strip())
                        break
        except OSError:
            pass
        return "ctypes on %s" % real

    def socket(self, stype):
        s = self.lib.zmq_socket(self.ctx, stype)
        if not s:
            self._fail("zmq_socket")
        return s

    def setsockopt(self, s, opt, value):
        if opt in INT_OPTIONS:
            v = ctypes.c_int(value)
            rc = self.lib.zmq_setsockopt(s, opt, ctypes.byref(v), ctypes.sizeof(v))
        else:
            buf = ctypes.create_string_buffer(value, len(value))
            rc = self.lib.zmq_setsockopt(s, opt, buf, len(value))
        if rc != 0:
            self._fail("zmq_setsockopt(%d)" % opt)

    def bind_any(self, s):
        if self.lib.zmq_bind(s, b"tcp://127.0.0.1:*") != 0:
            self._fail("zmq_bind")
        buf = ctypes.create_string_buffer(256)
        size = ctypes.c_size_t(256)
        if self.lib.zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, buf, ctypes.byref(size)) != 0:
            self._fail("zmq_getsockopt(LAST_ENDPOINT)")
        return buf.value.decode()

    def events(self, s):
        v = ctypes.c_int()
        size = ctypes.c_size_t(ctypes.sizeof(v))
        if self.lib.zmq_getsockopt(s, ZMQ_EVENTS, ctypes.byref(v), ctypes.byref(size)) != 0:
            self._fail("zmq_getsockopt(EVENTS)")
        return v.value

    def close(self, s):
        self.lib.zmq_close(s)

    def term(self):
        self.lib.zmq_ctx_term(self.ctx)


class PyzmqLibzmq:
    """Fallback: pyzmq (and whatever libzmq it is linked against / bundles)."""

    def __init__(self):
        import zmq  # noqa: deferred import, optional dependency
        self.zmq = zmq
        self.ctx = zmq.Context()

    def version(self):
        return self.zmq.zmq_version_info()

    def describe(self):
        return "pyzmq %s (%s)" % (self.zmq.pyzmq_version(), os.path.dirname(self.zmq.__file__))

    def socket(self, stype):
        return self.ctx.socket(stype)

    def setsockopt(self, s, opt, value):
        s.setsockopt(opt, value)

    def bind_any(self, s):
        s.bind("tcp://127.0.0.1:*")
        ep = s.getsockopt(ZMQ_LAST_ENDPOINT)
        return ep.decode() if isinstance(ep, bytes) else ep

    def events(self, s):
        return s.getsockopt(ZMQ_EVENTS)

    def close(self, s):
        s.close(linger=0)

    def term(self):
        self.ctx.term()


# ---------------------------------------------------------------------------
# Raw ZMTP peer helpers
# ---------------------------------------------------------------------------
OUR_SIGNATURE = bytes([0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F])
OUR_MAJOR = b"\x03"


def our_greeting_rest(minor):
    """Bytes 11..63 of our greeting: minor, mechanism, as-server, filler."""
    rest = bytes([minor]) + b"NULL".ljust(20, b"\x00") + b"\x00" + b"\x00" * 31
    assert len(rest) == 53
    return rest


def command_frame(body):
    """Wrap a command body in a ZMTP command frame (short or long)."""
    if len(body) <= 255:
        return bytes([0x04, len(body)]) + body
    return bytes([0x06]) + struct.pack(">Q", len(body)) + body


def command_body(name, data=b""):
    return bytes([len(name)]) + name + data


def ready_command(props):
    data = b""
    for k, v in props:
        data += bytes([len(k)]) + k + struct.pack(">I", len(v)) + v
    return command_frame(command_body(b"READY", data))


def ping_command(ttl_ds, context):
    return command_frame(command_body(b"PING", struct.pack(">H", ttl_ds) + context))


class Peer:
    """A raw TCP connection with a receive buffer."""

    def __init__(self, endpoint):
        host, port = endpoint[len("tcp://"):].rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def _recv_some(self, timeout):
        self.sock.settimeout(timeout)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return None
        if not chunk:
            raise ConnectionError("libzmq closed the connection (buffer=%s)" % self.buf.hex())
        return chunk

    def _ensure(self, n, deadline):
        """Buffer at least n bytes (without consuming them) or raise TimeoutError."""
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            chunk = self._recv_some(left) if left > 0 else None
            if chunk is None:
                raise TimeoutError("wanted %d bytes, got %d: %s" % (n, len(self.buf), self.buf.hex()))
            self.buf += chunk

    def read_exact(self, n, timeout=TIMEOUT):
        self._ensure(n, time.monotonic() + timeout)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def fill_quiet(self, quiet=QUIET):
        """Buffer whatever arrives until `quiet` seconds pass with no data."""
        while True:
            chunk = self._recv_some(quiet)
            if chunk is None:
                return
            self.buf += chunk

    def take_all(self):
        out, self.buf = self.buf, b""
        return out

    def read_frame(self, timeout=TIMEOUT):
        """Return one raw ZMTP frame (header included); consumes nothing on timeout."""
        deadline = time.monotonic() + timeout
        self._ensure(1, deadline)
        if self.buf[0] & 0x02:
            self._ensure(9, deadline)
            hdr, size = 9, struct.unpack(">Q", self.buf[1:9])[0]
        else:
            self._ensure(2, deadline)
            hdr, size = 2, self.buf[1]
        return self.read_exact(hdr + size, max(0.0, deadline - time.monotonic()))

    def close(self):
        self.sock.close()


def frame_body(frame):
    return frame[9:] if frame[0] & 0x02 else frame[2:]


def command_name(frame):
    if not frame[0] & 0x04:
        return None
    body = frame_body(frame)
    return body[1:1 + body[0]]


def parse_ready(frame):
    body = frame_body(frame)
    assert command_name(frame) == b"READY", frame.hex()
    data = body[1 + body[0]:]
    props, i = [], 0
    while i < len(data):
        nl = data[i]
        name = data[i + 1:i + 1 + nl]
        i += 1 + nl
        vl = struct.unpack(">I", data[i:i + 4])[0]
        props.append((name.decode(), data[i + 4:i + 4 + vl]))
        i += 4 + vl
    return props


def handshake(lz, zsock, peer_type, minor=1):
    """Bind `zsock`, connect a raw peer, and run the greeting + READY stages."""
    endpoint = lz.bind_any(zsock)
    p = Peer(endpoint)
    r = {"peer": p}
    # Stage 1: libzmq speaks first.
    r["sig"] = p.read_exact(10)
    p.fill_quiet()
    r["sig_extra"] = p.take_all()
    # Stage 2: our signature -> libzmq's major.
    p.send(OUR_SIGNATURE)
    r["major"] = p.read_exact(1)
    p.fill_quiet()
    r["major_extra"] = p.take_all()
    # Stage 3: our major -> the rest of libzmq's greeting.
    p.send(OUR_MAJOR)
    r["rest"] = p.read_exact(53)
    p.fill_quiet()
    r["rest_extra"] = p.take_all()
    # Stage 4: rest of our greeting, then our READY.
    r["in_rest"] = our_greeting_rest(minor)
    p.send(r["in_rest"])
    p.fill_quiet()
    r["ready_before_ours"] = len(p.buf) > 0
    r["in_ready"] = ready_command([(b"Socket-Type", peer_type.encode())])
    p.send(r["in_ready"])
    r["ready"] = p.read_frame()
    return r


# ---------------------------------------------------------------------------
# Capture
# ---------------------------------------------------------------------------
class Output:
    def __init__(self):
        self.lines = []
        self.names = set()
        self.problems = []

    def comment(self, text):
        self.lines.append("# " + text if text else "#")

    def vec(self, name, data):
        assert name not in self.names, name
        self.names.add(name)
        self.lines.append("%s %s" % (name, data.hex()))

    def check(self, cond, what):
        if not cond:
            self.problems.append(what)
            self.comment("WARNING: unexpected: " + what)


def new_socket(lz, stype, opts=()):
    s = lz.socket(stype)
    lz.setsockopt(s, ZMQ_LINGER, 0)
    for opt, val in opts:
        lz.setsockopt(s, opt, val)
    return s


def capture_greetings_and_ready(lz, out):
    out.comment("")
    out.comment("--- greeting, staged (identical for all 11 socket types unless noted) ---")
    greetings = {}
    readies = []
    for stype, name, peer in SOCKET_TYPES:
        s = new_socket(lz, stype)
        try:
            r = handshake(lz, s, peer)
            r["peer"].fill_quiet()
            r["after"] = r["peer"].take_all()
            r["peer"].close()
        finally:
            lz.close(s)
        greetings[name] = r
        readies.append((name, peer, r))

    ref = greetings["REQ"]
    for name, r in greetings.items():
        for key in ("sig", "sig_extra", "major", "major_extra", "rest", "rest_extra"):
            out.check(r[key] == ref[key], "%s greeting %s differs: %s" % (name, key, r[key].hex()))
    out.vec("greeting_signature_stage", ref["sig"])
    out.check(ref["sig_extra"] == b"", "extra bytes after signature: " + ref["sig_extra"].hex())
    out.vec("greeting_major_stage", ref["major"])
    out.check(ref["major_extra"] == b"", "extra bytes after major: " + ref["major_extra"].hex())
    out.vec("greeting_rest_stage", ref["rest"])
    out.check(ref["rest_extra"] == b"", "extra bytes after greeting: " + ref["rest_extra"].hex())
    out.vec("greeting_full", ref["sig"] + ref["major"] + ref["rest"])
    out.check(ref["sig"][0] == 0xFF and ref["sig"][9] == 0x7F, "signature framing")
    out.check(ref["major"] == b"\x03", "major != 3")
    out.comment("signature padding bytes 1..8 = %s (libzmq writes routing-id length + 1 as a "
                "big-endian u64 there, ZMTP/1.0 compat)" % ref["sig"][1:9].hex())
    out.comment("minor=%02x mechanism=%r as-server=%02x filler-all-zero=%s" % (
        ref["rest"][0], ref["rest"][1:21].rstrip(b"\x00").decode(), ref["rest"][21],
        ref["rest"][22:] == b"\x00" * 31))
    out.vec("in_signature", OUR_SIGNATURE)
    out.vec("in_greeting_rest_v31", our_greeting_rest(1))
    out.vec("in_greeting_rest_v30", our_greeting_rest(0))

    out.comment("")
    out.comment("--- READY from each libzmq socket type (peer READY sent = in_ready_<peer>) ---")
    before = sorted({r["ready_before_ours"] for _, _, r in readies})
    out.comment("libzmq sent its READY before receiving ours: %s" % (
        "yes" if before == [True] else "no" if before == [False] else "mixed"))
    in_readies = {}
    for name, peer, r in readies:
        out.vec("ready_" + name.lower(), r["ready"])
        in_readies[peer] = r["in_ready"]
        props = parse_ready(r["ready"])
        out.comment("  %s READY properties: %s" % (
            name, ", ".join("%s=%r" % (k, v.decode()) for k, v in props)))
        out.check(props and props[0] == ("Socket-Type", name.encode()),
                  "%s READY Socket-Type: %r" % (name, props))
        out.check(r["after"] == b"", "%s sent more after READY: %s" % (name, r["after"].hex()))
    for peer in sorted(in_readies):
        out.vec("in_ready_" + peer.lower(), in_readies[peer])


def read_frame_pumping(lz, zsock, peer, timeout=TIMEOUT):
    """Read one frame while making libzmq's application thread process commands."""
    deadline = time.monotonic() + timeout
    while True:
        lz.events(zsock)
        try:
            return peer.read_frame(timeout=0.05)
        except TimeoutError:
            if time.monotonic() > deadline:
                raise


def capture_subscriptions(lz, out):
    out.comment("")
    out.comment("--- SUB subscription encoding (setsockopt after the handshake) ---")
    for minor, tag in ((1, "v31"), (0, "v30")):
        s = new_socket(lz, ZMQ_SUB)
        try:
            r = handshake(lz, s, "PUB", minor=minor)
            p = r["peer"]
            if minor == 0:
                out.vec("ready_sub_v30", r["ready"])
            # libzmq attaches the new connection's pipe to the socket only when
            # the application thread processes commands (zmq_setsockopt does
            # not, ZMQ_EVENTS does).  Let libzmq finish processing our READY,
            # then pump commands so the subscription goes straight out.
            p.fill_quiet()
            out.check(p.take_all() == b"", "SUB sent data before any subscription")
            lz.events(s)
            for opt, kind, topic in ((ZMQ_SUBSCRIBE, "subscribe", b"topic"),
                                     (ZMQ_UNSUBSCRIBE, "cancel", b"topic"),
                                     (ZMQ_SUBSCRIBE, "subscribe", b""),
                                     (ZMQ_UNSUBSCRIBE, "cancel", b"")):
                lz.setsockopt(s, opt, topic)
                frame = read_frame_pumping(lz, s, p)
                p.fill_quiet()
                extra = p.take_all()
                label = "topic" if topic else "empty"
                out.vec("sub_%s_%s_%s" % (kind, label, tag), frame)
                out.check(extra == b"", "extra bytes after %s %s: %s" % (kind, tag, extra.hex()))
            p.close()
        finally:
            lz.close(s)


def capture_heartbeats(lz, out):
    out.comment("")
    out.comment("--- heartbeats: DEALER HEARTBEAT_IVL=100ms HEARTBEAT_TTL=1000ms ---")
    s = new_socket(lz, ZMQ_DEALER, [(ZMQ_HEARTBEAT_IVL, 100), (ZMQ_HEARTBEAT_TTL, 1000),
                                    (ZMQ_HEARTBEAT_TIMEOUT, 5000)])
    try:
        r = handshake(lz, s, "DEALER")
        p = r["peer"]
        frame = p.read_frame()
        while command_name(frame) != b"PING":
            frame = p.read_frame()
        out.vec("ping_ivl100_ttl1000", frame)
        body = frame_body(frame)
        out.comment("PING: TTL field=%d (deciseconds), context=%d bytes" % (
            struct.unpack(">H", body[5:7])[0], len(body) - 7))
        for ctx in (b"ABCDEFGHIJKLMNOPQRST", b"WXYZ", b""):
            ping = ping_command(0, ctx)
            p.send(ping)
            while True:
                f = p.read_frame()
                if command_name(f) == b"PONG":
                    break
                out.check(command_name(f) == b"PING", "unexpected frame " + f.hex())
            out.vec("in_ping_ttl0_ctx%d" % len(ctx), ping)
            out.vec("pong_reply_ctx%d" % len(ctx), f)
            echoed = frame_body(f)[5:]
            out.comment("PONG to %d-byte context echoes %d bytes%s" % (
                len(ctx), len(echoed),
                " (truncated)" if len(echoed) < len(ctx) else ""))
            out.check(ctx.startswith(echoed), "PONG context is not a prefix of ours")
        p.close()
    finally:
        lz.close(s)


def capture_routing_id(lz, out):
    out.comment("")
    out.comment("--- DEALER with ZMQ_ROUTING_ID=b'abc' ---")
    s = new_socket(lz, ZMQ_DEALER, [(ZMQ_ROUTING_ID, b"abc")])
    try:
        r = handshake(lz, s, "ROUTER")
        out.vec("greeting_signature_rid3", r["sig"])
        out.check(r["major"] + r["rest"] == b"\x03" + r["rest"], "greeting")
        out.vec("ready_dealer_rid_abc", r["ready"])
        out.comment("  properties: %s" % ", ".join(
            "%s=%r" % (k, v.decode()) for k, v in parse_ready(r["ready"])))
        r["peer"].close()
    finally:
        lz.close(s)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=("auto", "ctypes", "pyzmq"), default="auto")
    ap.add_argument("--lib", help="path of libzmq shared library (ctypes backend)")
    ap.add_argument("--out", help="output file (default: libzmq-X.Y.txt next to this script)")
    args = ap.parse_args()

    lz = None
    if args.backend in ("auto", "ctypes"):
        try:
            lz = CtypesLibzmq(args.lib)
        except OSError as e:
            if args.backend == "ctypes":
                raise
            print("ctypes backend unavailable (%s), falling back to pyzmq" % e, file=sys.stderr)
    if lz is None:
        lz = PyzmqLibzmq()

    ver = lz.version()
    out = Output()
    out.comment("ZMTP test vectors captured from libzmq %d.%d.%d" % tuple(ver))
    out.comment("driven via %s" % lz.describe())
    out.comment("captured %s by zmtp-core/tests/vectors/capture_libzmq.py"
                % datetime.date.today().isoformat())
    out.comment("format: <name> <lowercase hex>; in_* = bytes our raw peer sent (accepted by "
                "libzmq), everything else = bytes libzmq sent")
    out.comment("frames include their header (flags + 1-byte or 8-byte size)")
    errors = []
    try:
        for step in (capture_greetings_and_ready, capture_subscriptions,
                     capture_heartbeats, capture_routing_id):
            try:
                step(lz, out)
            except Exception as e:  # keep going, but report
                errors.append("%s: %r" % (step.__name__, e))
                out.comment("ERROR in %s: %r" % (step.__name__, e))
    finally:
        lz.term()

    text = "\n".join(out.lines) + "\n"
    path = args.out or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "libzmq-%d.%d.txt" % (ver[0], ver[1]))
    with open(path, "w") as f:
        f.write(text)
    sys.stdout.write(text)
    print("wrote %s" % path, file=sys.stderr)
    for msg in out.problems + errors:
        print("PROBLEM: " + msg, file=sys.stderr)
    return 1 if (out.problems or errors) else 0


if __name__ == "__main__":
    sys.exit(main())
