"""Requests to members' URLs: over https the name is still the one TLS presents and checks,
though the connection goes to the address checked beforehand."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from consortium import outbound_http

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificate")


@pytest.fixture
def tls_peer(tmp_path):
    """An https server on 127.0.0.1 with a certificate for ill.peer.example only."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=ill.peer.example", "-addext", "subjectAltName=DNS:ill.peer.example",
        ],
        check=True, capture_output=True,
    )  # fmt: skip
    seen = {"server_names": [], "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            seen["requests"].append((self.path, self.headers["Host"]))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: seen["server_names"].append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    seen["port"], seen["cert"] = server.server_address[1], str(cert)
    yield seen
    server.shutdown()
    server.server_close()


def _post(url):
    endpoint = outbound_http.endpoint_resolve(url, allow_private=True)  # the peer is on 127.0.0.1
    return outbound_http.endpoint_post(endpoint, body=b"<x/>", headers={}, timeout=5, max_bytes=100)


def test_https_presents_and_checks_the_urls_name_at_the_checked_address(tls_peer, resolver, monkeypatch):
    # given the test certificate trusted, and the name resolving to the peer
    monkeypatch.setenv("SSL_CERT_FILE", tls_peer["cert"])
    resolver.answer("ill.peer.example", "127.0.0.1")
    # when the portal posts to the name
    answer = _post(f"https://ill.peer.example:{tls_peer['port']}/iso18626")
    # then TLS named the host (not the address), the certificate matched it, and Host too
    assert (answer.status, answer.body) == (200, b"OK")
    assert tls_peer["server_names"] == ["ill.peer.example"]
    assert tls_peer["requests"] == [("/iso18626", f"ill.peer.example:{tls_peer['port']}")]


def test_https_refuses_a_certificate_for_another_name(tls_peer, resolver, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", tls_peer["cert"])
    resolver.answer("ill.other.example", "127.0.0.1")  # same server, a name its certificate lacks
    with pytest.raises(outbound_http.EndpointUnreachable, match=r"ill\.other\.example"):
        _post(f"https://ill.other.example:{tls_peer['port']}/iso18626")
    assert tls_peer["requests"] == []


def test_https_refuses_an_untrusted_certificate(tls_peer, resolver):
    resolver.answer("ill.peer.example", "127.0.0.1")
    with pytest.raises(outbound_http.EndpointUnreachable):
        _post(f"https://ill.peer.example:{tls_peer['port']}/iso18626")
    assert tls_peer["requests"] == []
