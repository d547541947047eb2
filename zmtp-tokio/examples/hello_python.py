"""The Python side of zmtp-tokio's `hello_python` example (pip install pyzmq).

python3 hello_python.py [rep-port] [pub-port]     ("*" for any free port)

A REP service answering three greetings, then a PUB feed of weather and news updates for ten
seconds (a subscriber only gets what is published after its subscription reached us).
"""
import sys
import time

import zmq

rep_port = sys.argv[1] if len(sys.argv) > 1 else "5555"
pub_port = sys.argv[2] if len(sys.argv) > 2 else "5556"

context = zmq.Context()
rep = context.socket(zmq.REP)
rep.bind(f"tcp://127.0.0.1:{rep_port}")
publisher = context.socket(zmq.PUB)
publisher.bind(f"tcp://127.0.0.1:{pub_port}")
# Where we listen, for whoever started us with "*".
print(rep.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
print(publisher.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)

for _ in range(3):
    name = rep.recv_string()
    rep.send_string(f"Hello, {name}, from Python")

deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    publisher.send_multipart([b"weather.london", b"12C"])
    publisher.send_multipart([b"news.sport", b"not for a weather subscriber"])
    time.sleep(0.01)
