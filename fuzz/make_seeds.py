#!/usr/bin/env python3
"""Writes hand-made seed inputs into corpus/<target>/seed-*: valid conversations built from the
libzmq 4.3 vectors, so that coverage-guided fuzzing starts past the greeting. The fuzzer adds
its own findings beside them; both are committed and replayed by `cargo test` on stable."""
import os, struct

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, "..", "zmtp-core", "tests", "vectors", "libzmq-4.3.txt")
v = {}
for line in open(VECTORS):
    if line.strip() and not line.startswith("#"):
        name, value = line.split()
        v[name] = bytes.fromhex(value)

def frame(flags, body):
    if len(body) <= 255:
        return bytes([flags, len(body)]) + body
    return bytes([flags | 2]) + struct.pack(">Q", len(body)) + body

def command(name, data=b""):
    return frame(4, bytes([len(name)]) + name + data)

greeting31 = v["greeting_full"]
greeting30 = v["in_signature"] + b"\x03" + v["in_greeting_rest_v30"]
messages = frame(1, b"") + frame(0, b"hello") + frame(0, b"x" * 300) + frame(1, b"a") + command(b"PING", b"\x00\x0actx") + frame(0, b"b")
subs = v["sub_subscribe_topic_v31"] + v["sub_cancel_topic_v31"] + v["sub_subscribe_topic_v30"] + command(b"PONG", b"ctx") + command(b"ERROR", b"\x03bye")

seeds = {
    "frame_decoder": [b"\x01" + messages, b"\x07" + subs, b"\x00" + frame(2, b"long") ],
    "greeting": [b"\x05" + greeting31, b"\x01" + greeting30, b"\x03" + v["greeting_signature_rid3"] + b"\x02"],
    "server_connection": [
        b"\x01" + greeting31 + v["ready_req"] + messages,
        b"\x09" + greeting30 + v["in_ready_req"] + messages,
        b"\x02" + greeting31 + v["ready_dealer_rid_abc"] + messages + v["in_ping_ttl0_ctx20"],
    ],
    "client_connection": [
        b"\x01" + greeting31 + v["ready_pub"] + messages,
        b"\x04" + greeting30 + v["ready_xpub"] + frame(0, b"topic data") + command(b"ERROR", b"\x02no"),
        b"\x06" + greeting31 + v["ready_pub"] + subs,
    ],
}
for target, inputs in seeds.items():
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    for i, data in enumerate(inputs):
        with open(os.path.join(d, f"seed-{i}"), "wb") as f:
            f.write(data)
