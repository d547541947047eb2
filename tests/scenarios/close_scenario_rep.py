"""A libzmq REP (pyzmq) for tests/scenarios/close_scenario.sh: binds or connects, answers every
request with `ack`, and prints how many requests arrived once `count` did or none came for
`idle` seconds. Usage: close_scenario_rep.py bind|connect ENDPOINT COUNT [IDLE_MS]"""
import sys

import zmq

mode, endpoint, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
idle = int(sys.argv[4]) if len(sys.argv) > 4 else 3000
ctx = zmq.Context()
rep = ctx.socket(zmq.REP)
rep.linger = 0
rep.rcvtimeo = idle
if mode == "bind":
    port = rep.bind_to_random_port("tcp://127.0.0.1") if endpoint == "-" else None
    if port is None:
        rep.bind(endpoint)
    print(f"tcp://127.0.0.1:{port}" if port else endpoint, flush=True)
else:
    rep.connect(endpoint)
    print(endpoint, flush=True)
received = 0
try:
    while received < count:
        rep.recv_multipart()
        received += 1
        rep.send(b"ack")
except zmq.Again:
    pass
print(f"received {received}", flush=True)
