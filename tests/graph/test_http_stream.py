"""The query-answer client: against a real `oxigraph serve`, and against a loopback server that
answers with scripted bytes (the framings and failures a real server rarely shows on demand)."""

from __future__ import annotations

import http.client
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from graph.http_stream import StreamConnection

QUERY = "SELECT ?n { VALUES ?n { 1 2 3 4 5 6 7 8 9 10 } }"
HEADERS = {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}


class ScriptedServer:
    """Accepts connections on 127.0.0.1; to each request (read whole) it sends the next of
    ``answers`` and closes the connection after those marked to close."""

    def __init__(self, answers: list[tuple[bytes, bool]],
                 tls: ssl.SSLContext | None = None) -> None:
        self.answers = list(answers)
        self._tls = tls
        self.requests: list[bytes] = []
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(10)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self._listener.getsockname()[1]}/query"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while self.answers:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            if self._tls is not None:
                try:
                    conn = self._tls.wrap_socket(conn, server_side=True)
                except ssl.SSLError:  # a client that does not trust us: the next one may
                    conn.close()
                    continue
            with conn:
                conn.settimeout(10)
                while self.answers:
                    try:
                        request = self._read_request(conn)
                        if request is None:
                            break
                        self.requests.append(request)
                        answer, close = self.answers.pop(0)
                        conn.sendall(answer)
                    except ConnectionError:  # a client gone with an answer unread
                        break
                    if close:
                        break

    @staticmethod
    def _read_request(conn: socket.socket) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            more = conn.recv(65536)
            if not more:
                return None
            data += more
        head, _, body = data.partition(b"\r\n\r\n")
        if b"transfer-encoding: chunked" in head.lower():
            while not body.endswith(b"0\r\n\r\n"):
                body += conn.recv(65536)
        else:
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(body) < length:
                body += conn.recv(65536)
        return head + b"\r\n\r\n" + body

    def close(self) -> None:
        self._listener.close()
        self._thread.join(10)


@pytest.fixture
def scripted() -> Iterator[type[ScriptedServer]]:
    started: list[ScriptedServer] = []

    class Tracked(ScriptedServer):
        def __init__(self, answers: list[tuple[bytes, bool]],
                     tls: ssl.SSLContext | None = None) -> None:
            super().__init__(answers, tls)
            started.append(self)

    yield Tracked
    for server in started:
        server.close()


def test_answers_match_http_client_byte_for_byte_and_the_connection_is_reused(
        oxigraph_server: str) -> None:
    target = "/query?" + urlencode({"union-default-graph": ""})
    reference = http.client.HTTPConnection(oxigraph_server.removeprefix("http://"), timeout=30)
    reference.request("POST", target, body=QUERY.encode(), headers=HEADERS)
    expected = reference.getresponse().read()
    reference.close()
    connection = StreamConnection(oxigraph_server + "/query", timeout=30)
    try:
        for _ in range(3):
            connection.request("POST", target, QUERY.encode(), HEADERS)
            first_socket = connection.sock
            response = connection.getresponse()
            assert response.status == 200
            assert response.getheader("content-type", "").startswith(
                "application/sparql-results+json")
            assert response.read() == expected
            assert not response.will_close
            assert connection.sock is first_socket
    finally:
        connection.close()


def test_framings_by_length_by_chunks_and_by_close(scripted: type[ScriptedServer]) -> None:
    server = scripted([
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", False),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n", False),
        (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", True),
    ])
    connection = StreamConnection(server.url, timeout=10)
    try:
        bodies, closes = [], []
        for _ in range(3):
            connection.request("POST", "/query", b"ASK {}", HEADERS)
            response = connection.getresponse()
            bodies.append(response.read())
            closes.append(response.will_close)
    finally:
        connection.close()
    assert bodies == [b"hello", b"abcdefg", b"until the end"]
    assert closes == [False, False, True]
    assert server.connections == 1
    assert all(r.startswith(b"POST /query HTTP/1.1\r\nHost: 127.0.0.1:") for r in server.requests)
    assert all(r.endswith(b"Content-Length: 6\r\n\r\nASK {}") for r in server.requests)


def test_readinto_fills_small_buffers_across_pieces(scripted: type[ScriptedServer]) -> None:
    server = scripted([(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b"5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n", True)])
    connection = StreamConnection(server.url, timeout=10)
    try:
        connection.request("POST", "/query", b"ASK {}", HEADERS)
        response = connection.getresponse()
        buffer, got = bytearray(3), b""
        while count := response.readinto(buffer):
            got += bytes(buffer[:count])
    finally:
        connection.close()
    assert got == b"0123456789"


def test_a_body_cut_short_is_an_incomplete_read(scripted: type[ScriptedServer]) -> None:
    server = scripted([
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n01234\r\n", True),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", True),
    ])
    for _ in range(2):
        connection = StreamConnection(server.url, timeout=10)
        try:
            connection.request("POST", "/query", b"ASK {}", HEADERS)
            response = connection.getresponse()
            with pytest.raises(http.client.IncompleteRead):
                response.read()
        finally:
            connection.close()


def test_no_answer_and_no_http_are_told_apart(scripted: type[ScriptedServer]) -> None:
    server = scripted([(b"", True), (b"SPARQL!\r\n\r\n", True)])
    connection = StreamConnection(server.url, timeout=10)
    try:
        connection.request("POST", "/query", b"ASK {}", HEADERS)
        with pytest.raises(http.client.RemoteDisconnected):
            connection.getresponse()
    finally:
        connection.close()
    connection = StreamConnection(server.url, timeout=10)
    try:
        connection.request("POST", "/query", b"ASK {}", HEADERS)
        with pytest.raises(http.client.HTTPException, match="not HTTP"):
            connection.getresponse()
    finally:
        connection.close()


def test_a_server_that_is_not_there_is_an_os_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    connection = StreamConnection(f"http://127.0.0.1:{port}/query", timeout=5)
    with pytest.raises(ConnectionRefusedError):
        connection.request("POST", "/query", b"ASK {}", HEADERS)
    assert connection.sock is None


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https_with_the_systems_trust_store(scripted: type[ScriptedServer], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server = scripted([(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret", True)], tls)
    untrusting = StreamConnection(server.url, timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):
        untrusting.connect()
    # OpenSSL's default verify paths honour SSL_CERT_FILE: trust this certificate only.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    connection = StreamConnection(server.url, timeout=10)
    try:
        connection.request("POST", "/query", b"ASK {}", HEADERS)
        assert connection.getresponse().read() == b"secret"
    finally:
        connection.close()


def test_bodies_by_length_in_chunks_or_none(scripted: type[ScriptedServer]) -> None:
    ok = (b"HTTP/1.1 204 No Content\r\n\r\n", False)
    server = scripted([ok, ok, ok])
    connection = StreamConnection(server.url, timeout=10)
    try:
        for body in (b"<a> <b> <c> .\n", iter([b"<a> <b> ", b"", b"<c> .\n"]), None):
            connection.request("POST", "/store?default", body, {"Content-Type": "text/plain"})
            assert connection.getresponse().status == 204
    finally:
        connection.close()
    sized, chunked, empty = server.requests
    assert sized.endswith(b"Content-Length: 14\r\n\r\n<a> <b> <c> .\n")
    assert chunked.endswith(b"Transfer-Encoding: chunked\r\n\r\n"
                            b"8\r\n<a> <b> \r\n6\r\n<c> .\n\r\n0\r\n\r\n")
    assert empty.endswith(b"Content-Length: 0\r\n\r\n")
    assert server.connections == 1


def test_a_response_left_unread_is_not_mistaken_for_the_next(
        scripted: type[ScriptedServer]) -> None:
    # Longer than one read: its head is in, most of its body is not.
    unread = b"x" * 300_000
    server = scripted([(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%b" % (len(unread), unread),
                        False),
                       (b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext", True)])
    connection = StreamConnection(server.url, timeout=10)
    try:
        connection.request("GET", "/query", None, {})
        connection.getresponse()  # never read
        connection.request("GET", "/query", None, {})
        assert connection.getresponse().read() == b"next"
    finally:
        connection.close()
    assert server.connections == 2
    with pytest.raises(ValueError, match="HEAD"):
        connection.request("HEAD", "/query", None, {})
