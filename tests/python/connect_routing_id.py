"""pyzmq's side of tests/tests/interop_router_options.rs (ZMQ_CONNECT_ROUTING_ID).

python3 connect_routing_id.py ENDPOINT   connects a ROUTER (announcing "py") to ENDPOINT under
                                          the routing id "assigned-to-ours", sends "hello" to
                                          that id at once, and prints the routing id and body
                                          of the first message it receives
"""
import sys

import zmq

context = zmq.Context()
router = context.socket(zmq.ROUTER)
router.setsockopt(zmq.ROUTING_ID, b"py")
router.setsockopt(zmq.RCVTIMEO, 10000)
router.setsockopt(zmq.LINGER, 1000)
router.setsockopt(zmq.CONNECT_ROUTING_ID, b"assigned-to-ours")
router.connect(sys.argv[1])
# No wait for the connection: the assigned id routes from the connect on.
router.send_multipart([b"assigned-to-ours", b"hello"])
routing_id, body = router.recv_multipart()
print(routing_id.decode(), body.decode(), flush=True)
