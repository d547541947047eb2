#!/usr/bin/env python3
"""Prints the CURVE vectors that zmtp-core's tests hold, computed by the C libraries libzmq 4.3
really uses: libzmq.so.5 (Z85, key derivation) and libsodium.so.23 (NaCl boxes). Needs only the
Debian packages libzmq3-dev (which pulls in libsodium) and python3; run from anywhere:

    python3 zmtp-core/tests/vectors/capture_curve.py

The tests that use each value name it: zmtp-core/tests/keys.rs (Z85 and key pairs) and
zmtp-core/src/mechanism/curve/crypto.rs (boxes)."""
import ctypes

zmq = ctypes.CDLL("libzmq.so.5")
sodium = ctypes.CDLL("libsodium.so.23")
assert sodium.sodium_init() >= 0

def z85_encode(data):
    out = ctypes.create_string_buffer(len(data) * 5 // 4 + 1)
    assert zmq.zmq_z85_encode(out, data, ctypes.c_size_t(len(data)))
    return out.value.decode()

def curve_public(secret_z85):
    out = ctypes.create_string_buffer(41)
    assert zmq.zmq_curve_public(out, secret_z85.encode()) == 0
    return out.value.decode()

print("# Z85 (RFC 32), zmq_z85_encode")
print("z85 864fd26fb559f75b", z85_encode(bytes.fromhex("864fd26fb559f75b")))
counting = bytes(range(32))
print("z85 00..1f", z85_encode(counting))

print("# zmq_curve_public(secret) for a fixed secret: bytes 0x01, 0x02, ... 0x20")
secret = z85_encode(bytes(range(1, 33)))
print("secret", secret, "public", curve_public(secret))
print("# libzmq's documented test keys (zmq_curve(7))")
for secret in ["JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6", "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"]:
    print("secret", secret, "public", curve_public(secret))

print("# libsodium crypto_box_easy / crypto_secretbox_easy (tag then ciphertext)")
alice_secret = bytes.fromhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
bob_secret = bytes.fromhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
bob_public = ctypes.create_string_buffer(32)
sodium.crypto_scalarmult_base(bob_public, bob_secret)
nonce = bytes.fromhex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37")
message = b"CurveZMQ test message for the NaCl box vector."
sealed = ctypes.create_string_buffer(len(message) + 16)
assert sodium.crypto_box_easy(sealed, message, ctypes.c_ulonglong(len(message)), nonce,
                              bob_public.raw, alice_secret) == 0
print("bob_public", bob_public.raw.hex())
print("box", sealed.raw.hex())
sealed = ctypes.create_string_buffer(len(message) + 16)
assert sodium.crypto_secretbox_easy(sealed, message, ctypes.c_ulonglong(len(message)), nonce,
                                    bytes(range(32))) == 0
print("secretbox", sealed.raw.hex())
