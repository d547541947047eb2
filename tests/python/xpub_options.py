"""pyzmq's side of tests/tests/interop_xpub_options.rs: libzmq's XPUB with ZMQ_XPUB_MANUAL or
ZMQ_XPUB_NODROP, against our SUB.

python3 xpub_options.py manual  binds a manual XPUB, prints its endpoint, then the first
                                 subscription it receives (hex); subscribes that subscriber by
                                 hand to "A", whatever it asked for, and publishes "A-data" and
                                 "B-data" every 5 ms for ten seconds
python3 xpub_options.py nodrop N binds an XPUB with NODROP and SNDHWM 2, prints its endpoint,
                                 waits for a subscription, sends numbered 64 KiB messages without
                                 blocking until libzmq holds one back (EAGAIN for 200 ms), prints
                                 how many it sent, then sends the rest of N blocking, and prints
                                 "done"
"""
import sys
import time

import zmq

context = zmq.Context()
xpub = context.socket(zmq.XPUB)
xpub.setsockopt(zmq.LINGER, 1000)
xpub.setsockopt(zmq.RCVTIMEO, 10000)
xpub.setsockopt(zmq.SNDTIMEO, 10000)
if sys.argv[1] == "manual":
    xpub.setsockopt(zmq.XPUB_MANUAL, 1)
    xpub.bind("tcp://127.0.0.1:*")
    print(xpub.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
    notice = xpub.recv()
    print(notice.hex(), flush=True)
    # Applied to the pipe the notice just read came from (libzmq's _last_pipe): the
    # application's choice, not what the subscriber asked.
    xpub.setsockopt(zmq.SUBSCRIBE, b"A")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        xpub.send(b"A-data")
        xpub.send(b"B-data")
        time.sleep(0.005)
else:
    total = int(sys.argv[2])
    xpub.setsockopt(zmq.XPUB_NODROP, 1)
    xpub.setsockopt(zmq.SNDHWM, 2)
    xpub.bind("tcp://127.0.0.1:*")
    print(xpub.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
    xpub.recv()
    body = b"x" * 65536

    def send(i, flags):
        xpub.send_multipart([b"m%d" % i, body], flags)

    # Held back: EAGAIN for 200 ms on end, not for the moment libzmq's I/O thread takes.
    sent = 0
    refused_since = None
    while sent < total:
        try:
            send(sent, zmq.NOBLOCK)
            sent += 1
            refused_since = None
        except zmq.Again:
            now = time.monotonic()
            refused_since = refused_since or now
            if now - refused_since > 0.2:
                break
            time.sleep(0.002)
    print(sent, flush=True)
    for i in range(sent, total):
        send(i, 0)
    print("done", flush=True)
