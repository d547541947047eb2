"""A zmtp-rpc (ZRPC1, docs/RPC.md) server in pyzmq: a ROUTER answering echo, add (JSON) and fail.

Prints its endpoint, then serves until killed. Requests whose deadline has passed are dropped
unanswered, as the format says; anything malformed is dropped too.
"""
import struct
import time

import zmq
from zmq.utils import jsonapi  # what send_json/recv_json use

PROTOCOL = b"ZRPC1"
OK, ERROR, UNKNOWN_METHOD = b"\x00", b"\x01", b"\x02"


def handle(method, body):
    if method == b"echo":
        return OK, body
    if method == b"add":
        numbers = jsonapi.loads(body)
        return OK, jsonapi.dumps({"sum": numbers["a"] + numbers["b"]})
    if method == b"fail":
        return ERROR, b"failed in Python: " + body
    return UNKNOWN_METHOD, method


def main():
    router = zmq.Context.instance().socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    print(f"tcp://127.0.0.1:{port}", flush=True)
    while True:
        frames = router.recv_multipart()
        if b"" not in frames:
            continue
        split = frames.index(b"")
        envelope, fields = frames[:split], frames[split + 1:]
        # A sixth frame is the optional flags byte (docs/RPC.md); a server need not read it.
        if len(fields) not in (5, 6) or fields[0] != PROTOCOL:
            continue
        if len(fields[1]) != 8 or len(fields[2]) != 8:
            continue
        _, call_id, deadline, method, body = fields[:5]
        (deadline_ms,) = struct.unpack(">Q", deadline)
        if deadline_ms and deadline_ms <= time.time() * 1000:
            continue
        status, answer = handle(method, body)
        router.send_multipart(envelope + [b"", PROTOCOL, call_id, status, answer])


if __name__ == "__main__":
    main()
