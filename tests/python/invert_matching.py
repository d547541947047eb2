"""pyzmq's side of tests/tests/interop_invert_matching.rs (ZMQ_INVERT_MATCHING on both sides).

python3 invert_matching.py pub          binds a PUB, prints its endpoint, publishes "a..." and
                                         "b..." for ten seconds
python3 invert_matching.py sub ENDPOINT  connects a SUB subscribed to "a", prints the first three
                                         messages it receives
"""
import sys
import time

import zmq

context = zmq.Context()
if sys.argv[1] == "pub":
    publisher = context.socket(zmq.PUB)
    publisher.setsockopt(zmq.INVERT_MATCHING, 1)
    publisher.bind("tcp://127.0.0.1:*")
    print(publisher.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        publisher.send(b"a-topic")
        publisher.send(b"b-topic")
        time.sleep(0.005)
else:
    subscriber = context.socket(zmq.SUB)
    subscriber.setsockopt(zmq.INVERT_MATCHING, 1)
    subscriber.setsockopt(zmq.SUBSCRIBE, b"a")
    subscriber.setsockopt(zmq.RCVTIMEO, 10000)
    subscriber.connect(sys.argv[2])
    for _ in range(3):
        print(subscriber.recv().decode(), flush=True)
