"""A Socket Mode WebSocket endpoint on 127.0.0.1: accepts the handshake and holds the line.

Enough of RFC 6455 for slack_sdk's built-in client: the upgrade, pong for each ping, and an
answer to a close. Slack's own messages are not sent; tests use it to see a connection
open and close.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import socket
import struct
import threading

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class FakeSocketMode:
    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self.opened = threading.Event()
        self.closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="fake-socket-mode", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link"

    def stop(self) -> None:
        self._listener.close()
        self._thread.join(5)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            headers = {}
            for line in request.decode("latin-1").split("\r\n")[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            accept = base64.b64encode(
                hashlib.sha1((headers["sec-websocket-key"] + _GUID).encode()).digest()
            ).decode()
            conn.sendall(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept.encode() + b"\r\n\r\n"
            )
            self.opened.set()
            with contextlib.suppress(OSError):  # the client went away: that is a close too
                self._frames(conn)
            self.closed.set()

    def _frames(self, conn: socket.socket) -> None:
        stream = conn.makefile("rb")
        while True:
            head = stream.read(2)
            if len(head) < 2:
                return
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = struct.unpack("!H", stream.read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", stream.read(8))[0]
            mask = stream.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(stream.read(length)))
            if opcode == 0x9:  # ping → pong with the same data (short: no extended length)
                conn.sendall(bytes([0x8A, len(data)]) + data)
            elif opcode == 0x8:  # close → close back, then the line is done
                conn.sendall(bytes([0x88, 0]))
                return
