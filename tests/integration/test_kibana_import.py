"""`guardstream kibana import` speaks Kibana's saved objects import API (a real HTTP server on 127.0.0.1
stands in for Kibana and answers as its documentation says)."""
from __future__ import annotations

import json
import threading
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline.cli import main
from pipeline.kibana import KibanaError, build_saved_objects, import_saved_objects

pytestmark = pytest.mark.integration


class FakeKibana(BaseHTTPRequestHandler):
    received: list[dict] = []
    answer: tuple[int, dict] = (200, {})

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + body)
        parts = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
        ndjson = parts["file"].get_payload(decode=True).decode()
        self.received.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                              "filename": parts["file"].get_filename(),
                              "objects": [json.loads(line) for line in ndjson.splitlines()]})
        status, doc = self.answer
        payload = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def kibana():
    FakeKibana.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeKibana)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_import_posts_every_object_as_multipart_ndjson(kibana, monkeypatch, capsys):
    objects = build_saved_objects()
    FakeKibana.answer = (200, {"success": True, "successCount": len(objects)})
    monkeypatch.setenv("GUARDSTREAM_KIBANA_API_KEY", "k-123")
    assert main(["kibana", "import", "--url", kibana + "/"]) == 0
    assert f"imported {len(objects)} saved objects" in capsys.readouterr().out
    [request] = FakeKibana.received
    assert request["path"] == "/api/saved_objects/_import?overwrite=true"
    assert request["headers"]["kbn-xsrf"] and request["headers"]["authorization"] == "ApiKey k-123"
    assert request["filename"].endswith(".ndjson")
    assert request["objects"] == objects


def test_import_errors_are_reported_not_swallowed(kibana):
    FakeKibana.answer = (200, {"success": False, "successCount": 3, "errors": [
        {"type": "lens", "id": "guardstream-top-apps", "error": {"type": "missing_references"}}]})
    with pytest.raises(KibanaError, match="guardstream-top-apps: missing_references"):
        import_saved_objects(kibana)
    FakeKibana.answer = (403, {"message": "forbidden"})
    with pytest.raises(KibanaError, match="HTTP 403"):
        import_saved_objects(kibana)
    with pytest.raises(KibanaError, match="cannot reach Kibana"):
        import_saved_objects("http://127.0.0.1:9")
