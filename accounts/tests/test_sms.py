"""SMS backends. The HTTP gateway is exercised against a real local HTTP server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from accounts.sms import FileSMSBackend, HTTPGatewaySMSBackend, SMSPermanentError, SMSTransientError


class _Gateway(BaseHTTPRequestHandler):
    status = 200
    received: list[dict] = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        self.received.append({"auth": self.headers["Authorization"], "json": json.loads(self.rfile.read(length))})
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "gw-1"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    _Gateway.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/messages"
    settings.SMS_GATEWAY_TOKEN = "t0ken"
    yield _Gateway
    server.shutdown()
    server.server_close()


def test_gateway_success_posts_json_with_bearer_token(gateway):
    gateway.status = 200
    assert HTTPGatewaySMSBackend().send(to="+31612345678", body="Hi") == "gw-1"
    assert gateway.received == [
        {"auth": "Bearer t0ken", "json": {"to": "+31612345678", "from": "StockDesk", "body": "Hi"}}
    ]


@pytest.mark.parametrize(
    ("status", "error"), [(503, SMSTransientError), (429, SMSTransientError), (400, SMSPermanentError)]
)
def test_gateway_errors_are_classified(gateway, status, error):
    gateway.status = status
    with pytest.raises(error, match=str(status)):
        HTTPGatewaySMSBackend().send(to="+31612345678", body="Hi")


def test_unreachable_gateway_is_transient(settings):
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:1/messages"
    with pytest.raises(SMSTransientError, match="unreachable"):
        HTTPGatewaySMSBackend().send(to="+31612345678", body="Hi")


def test_file_backend_appends_json_lines(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    FileSMSBackend().send(to="+31600000001", body="one")
    FileSMSBackend().send(to="+31600000002", body="two")
    lines = [json.loads(line) for line in (tmp_path / "sms.log").read_text().splitlines()]
    assert [(line["to"], line["body"]) for line in lines] == [("+31600000001", "one"), ("+31600000002", "two")]
