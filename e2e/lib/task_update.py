#!/usr/bin/env python3
"""containerd Tasks.Update over gRPC, python3 stdlib only (ctr 1.6 has no `task update` verb).

  task_update.py SOCKET NAMESPACE CONTAINER_ID RESOURCES_JSON

RESOURCES_JSON is an OCI LinuxResources object, e.g. '{"memory": {"limit": 134217728}}'; it travels
as a google.protobuf.Any with containerd's type URL and a JSON value (containerd's typeurl does the
same for non-protobuf types). Exit 0 when the call succeeded (a response message arrived), 1 when
containerd answered with an error (trailers only), 2 on a protocol or usage problem.

A minimal HTTP/2 client: prior-knowledge h2c over the unix socket, request headers as HPACK
literals without Huffman coding. Response headers are not decoded: a gRPC success carries a DATA
frame with the (empty) UpdateTaskResponse, an error is a trailers-only HEADERS frame.
"""
import json
import socket
import struct
import sys

TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources"
PATH = "/containerd.services.tasks.v1.Tasks/Update"


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_bytes(field, data):
    return varint(field << 3 | 2) + varint(len(data)) + data


def hpack_int(n, prefix_bits, first=0):
    limit = (1 << prefix_bits) - 1
    if n < limit:
        return bytes([first | n])
    out = bytearray([first | limit])
    n -= limit
    while n >= 128:
        out.append(n % 128 + 128)
        n //= 128
    out.append(n)
    return bytes(out)


def hpack_literal(name, value):
    name, value = name.encode(), value.encode()
    return b"\x00" + hpack_int(len(name), 7) + name + hpack_int(len(value), 7) + value


def frame(ftype, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed")
        buf += chunk
    return buf


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    sock_path, ns, cid, resources = sys.argv[1:]
    json.loads(resources)
    anyv = pb_bytes(1, TYPE_URL.encode()) + pb_bytes(2, resources.encode())
    msg = pb_bytes(1, cid.encode()) + pb_bytes(2, anyv)
    grpc_msg = b"\x00" + struct.pack(">I", len(msg)) + msg
    headers = b"".join(hpack_literal(k, v) for k, v in [
        (":method", "POST"), (":scheme", "http"), (":path", PATH), (":authority", "containerd"),
        ("content-type", "application/grpc"), ("te", "trailers"), ("containerd-namespace", ns)])
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(sock_path)
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, b"") +
              frame(1, 0x4, 1, headers) + frame(0, 0x1, 1, grpc_msg))
    got_data = False
    while True:
        hdr = read_exact(s, 9)
        length = int.from_bytes(hdr[:3], "big")
        ftype, flags = hdr[3], hdr[4]
        stream = struct.unpack(">I", hdr[5:9])[0] & 0x7FFFFFFF
        payload = read_exact(s, length)
        if ftype == 4 and not flags & 0x1:          # SETTINGS: acknowledge
            s.sendall(frame(4, 0x1, 0, b""))
        elif ftype == 6 and not flags & 0x1:        # PING: answer
            s.sendall(frame(6, 0x1, 0, payload))
        elif ftype == 7:                            # GOAWAY
            print("task_update: GOAWAY %r" % payload[8:], file=sys.stderr)
            return 2
        elif stream == 1 and ftype == 3:            # RST_STREAM
            print("task_update: stream reset, code %d" % struct.unpack(">I", payload)[0], file=sys.stderr)
            return 2
        elif stream == 1 and ftype == 0 and length >= 5:
            got_data = True
        if stream == 1 and ftype in (0, 1) and flags & 0x1:   # END_STREAM
            break
    s.close()
    if not got_data:
        print("task_update: containerd answered with an error (trailers-only response)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
