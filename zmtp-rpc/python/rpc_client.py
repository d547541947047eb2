"""A zmtp-rpc (ZRPC1, docs/RPC.md) client in pyzmq: a DEALER with several calls in flight.

Usage: rpc_client.py ENDPOINT. Sends every call at once, matches the replies by correlation id
(they may come in any order), prints one line per call in call order, then "done".

rpc_client.py ENDPOINT msgpack: calls "price" with MessagePack bodies (the msgpack package)
instead, a dict and then a body that is not MessagePack, and prints what came back.
"""
import struct
import sys
import time

import zmq
from zmq.utils import jsonapi  # what send_json/recv_json use

PROTOCOL = b"ZRPC1"
STATUS = {0: "ok", 1: "error", 2: "unknown", 3: "deadline", 4: "worker-lost"}

# The slow call goes first, so that its reply comes last: replies are matched by id, not order.
CALLS = [
    ("slow", b"200"),
    ("echo", b"hello from Python"),
    ("add", jsonapi.dumps({"a": 2, "b": 3})),
    ("fail", b"on purpose"),
    ("nope", b""),
]


def replies(dealer, count):
    """The next `count` replies as {call number: (status, body)}, or None after a timeout."""
    answers = {}
    while len(answers) < count:
        if not dealer.poll(10_000):
            print("timeout", flush=True)
            return None
        empty, protocol, call_id, status, body = dealer.recv_multipart()
        (number,) = struct.unpack(">Q", call_id)
        answers[number] = (STATUS[status[0]], body)
    return answers


def msgpack_calls():
    import msgpack  # only this mode needs it

    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.connect(sys.argv[1])
    deadline = struct.pack(">Q", int(time.time() * 1000) + 10_000)
    order = msgpack.packb({"item": "tea", "quantity": 3})
    not_msgpack = b"\xc1"  # the one byte MessagePack never uses
    for number, body in enumerate([order, not_msgpack]):
        dealer.send_multipart([b"", PROTOCOL, struct.pack(">Q", number), deadline, b"price", body])
    answers = replies(dealer, 2)
    if answers is None:
        return
    status, body = answers[0]
    receipt = msgpack.unpackb(body) if status == "ok" else body
    if isinstance(receipt, dict):
        print(f"price {status} dict {receipt['item']} {receipt['total_cents']}", flush=True)
    else:
        print(f"price {status} {type(receipt).__name__} {receipt!r}", flush=True)
    status, body = answers[1]
    print(f"bad {status} {body.decode()}", flush=True)
    print("done", flush=True)


def main():
    if sys.argv[2:] == ["msgpack"]:
        msgpack_calls()
        return
    dealer = zmq.Context.instance().socket(zmq.DEALER)
    dealer.connect(sys.argv[1])
    deadline = struct.pack(">Q", int(time.time() * 1000) + 10_000)
    # Already expired: the server must drop it without an answer.
    expired = struct.pack(">Q", 1)  # 1 ms after the epoch
    dealer.send_multipart([b"", PROTOCOL, struct.pack(">Q", 999), expired, b"echo", b"late"])
    for number, (method, body) in enumerate(CALLS):
        call_id = struct.pack(">Q", number)
        dealer.send_multipart([b"", PROTOCOL, call_id, deadline, method.encode(), body])
    answers = replies(dealer, len(CALLS))
    if answers is None:
        return
    for number, (method, _) in enumerate(CALLS):
        status, body = answers[number]
        if method == "add" and status == "ok":
            body = str(jsonapi.loads(body)["sum"]).encode()
        print(f"{method} {status} {body.decode()}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main()
