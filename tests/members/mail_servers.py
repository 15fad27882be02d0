"""Mail delivery as an operator configures it: the settings EMAIL_URL gives, and a real
SMTP server on 127.0.0.1 that accepts every message and keeps it.

Python 3.11 has no non-deprecated SMTP server in the standard library (smtpd is going,
aiosmtpd is not a dependency); the few commands Django's SMTP backend sends are enough.
"""

from __future__ import annotations

import contextlib
import email
import json
import os
import socket
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def portal_email_settings(**environ: str) -> dict:
    """The EMAIL_* settings of a portal started with this environment (production settings,
    loaded in a fresh interpreter as a server process would)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    env.update(
        DJANGO_SETTINGS_MODULE="consortium.settings.production",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="portal.example.pk",
        DATABASE_URL="postgres://u:p@db.example/ish",
        REDIS_URL="redis://redis.example:6379/0",
        **environ,
    )
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps({k: getattr(settings, k) for k in dir(settings) if k.startswith('EMAIL_')}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def closed_port() -> int:
    """A local TCP port nothing listens on (until a test starts a server there)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Session)
        self.messages: list[Message] = []


class _Session(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 sink.test ESMTP")
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 sink.test")
            elif command == "DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                data = b"".join(iter(self.rfile.readline, b".\r\n"))
                self.server.messages.append(email.message_from_bytes(data.replace(b"\r\n..", b"\r\n.")))
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return
            else:  # MAIL FROM, RCPT TO, RSET, NOOP
                self.reply("250 ok")


@contextlib.contextmanager
def smtp_sink(port: int = 0) -> Iterator[_Server]:
    """An SMTP server on 127.0.0.1:port (0: any free port) while the block runs."""
    server = _Server(port)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
