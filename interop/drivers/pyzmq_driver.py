"""Interop driver for libzmq as pyzmq ships it (see interop/PROTOCOL.md): one command a line
on stdin, one verdict a line on stdout."""
import sys
import zmq

KEYS = {  # libzmq's test keys (tests/testutil_security.hpp), known to every driver and the runner
    "server_public": b"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
    "server_secret": b"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6",
    "client_public": b"Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID",
    "client_secret": b"D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs",
}
ctx = zmq.Context()
zap = None


def start_zap():
    global zap
    if zap is None:
        from zmq.auth.thread import ThreadAuthenticator
        zap = ThreadAuthenticator(ctx)
        zap.start()
        zap.configure_plain(domain="*", passwords={"admin": "secret"})
        # Once a ZAP handler runs, libzmq asks it about CURVE clients too: let them all in.
        zap.configure_curve(domain="*", location=zmq.auth.CURVE_ALLOW_ANY)


def open_socket(kind, mode, endpoint, opts):
    s = ctx.socket(getattr(zmq, kind))
    s.rcvtimeo = 20000
    s.sndtimeo = 20000
    s.linger = 5000
    for o in opts:
        if o == "plain-server":
            start_zap()  # libzmq's PLAIN server refuses every client without a ZAP handler
            s.plain_server = True
        elif o == "plain-client":
            s.plain_username, s.plain_password = b"admin", b"secret"
        elif o == "curve-server":
            s.curve_server, s.curve_secretkey = True, KEYS["server_secret"]
        elif o == "curve-client":
            s.curve_serverkey = KEYS["server_public"]
            s.curve_publickey, s.curve_secretkey = KEYS["client_public"], KEYS["client_secret"]
        elif o == "hb":
            s.heartbeat_ivl, s.heartbeat_timeout = 100, 1000
        elif o.startswith("sub=") and kind == "SUB":
            s.setsockopt(zmq.SUBSCRIBE, o[4:].encode())
    (s.bind if mode == "bind" else s.connect)(endpoint)
    return s


def run(words):
    cmd, rest = words[0], words[1:]
    if cmd == "client":  # kind mode endpoint n opts...
        s = open_socket(rest[0], rest[1], rest[2], rest[4:])
        n = int(rest[3])
        for i in range(n):
            msg = [str(i).encode(), b"", b"END" if i == n - 1 else b"m"]
            s.send_multipart(msg)
            reply = s.recv_multipart()
            if reply != msg:
                return f"fail reply {i} was {reply[:3]!r}"
        s.close()
        return f"ok {n}"
    if cmd == "echo":  # kind mode endpoint opts...
        src = dst = open_socket(rest[0], rest[1], rest[2], rest[3:])
    else:  # relay: kind mode endpoint kind2 mode2 endpoint2 opts...
        src = open_socket(rest[0], rest[1], rest[2], rest[6:])
        dst = open_socket(rest[3], rest[4], rest[5], rest[6:])
    count = 0
    while True:
        msg = src.recv_multipart()
        dst.send_multipart(msg)
        count += 1
        if msg[-1] == b"END":
            break
    src.close()
    dst.close()
    return f"ok {count}"


print(f"hello libzmq {zmq.zmq_version()} (pyzmq {zmq.__version__})", flush=True)
for line in sys.stdin:
    try:
        verdict = run(line.split())
    except zmq.Again:
        verdict = "fail timed out (20 s) in a send or receive"
    except Exception as e:  # every other failure is a verdict too, never a crash
        verdict = f"fail {type(e).__name__}: {e}"
    print(verdict, flush=True)
