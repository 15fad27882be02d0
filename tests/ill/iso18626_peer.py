"""Another library's ILL system for tests: a real HTTP server on 127.0.0.1 (the only
network there is) that reads what the portal sends it and answers a Confirmation."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.utils import timezone

from ill.iso18626 import build, xml


class Peer:
    """Another library's ILL system: records each message and confirms it (OK by default)."""

    def __init__(self) -> None:
        self.received: list[xml.Message] = []
        self.bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []
        self.answer = "ok"  # ok, error, 500, garbage
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                peer.bodies.append(body)
                peer.headers.append(dict(self.headers.items()))
                message = xml.parse(body)  # what the portal sends is valid against the XSD
                peer.received.append(message)
                if peer.answer == "500":
                    self.send_response(500)
                    self.end_headers()
                    return
                if peer.answer == "garbage":
                    out = b"<html>hello</html>"
                else:
                    out = build.confirmation(
                        kind=message.kind, message=message, received_at=timezone.now(),
                        **({"error_type": "UnrecognisedDataValue", "error_value": "nope"}
                           if peer.answer == "error" else {}),
                    )  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/iso18626"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():
            self.server.shutdown()
            self.server.server_close()
