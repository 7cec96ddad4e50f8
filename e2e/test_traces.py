"""Issue 18, must-show 2: with an OTLP/HTTP collector stand-in, one sign-in yields a trace with a request span and,
under it, the store transaction and password hashing spans; mail delivery has its own span. The stand-in decodes
what the hub sends with the OpenTelemetry project's own protobuf definitions (opentelemetry-proto), and no span
attribute holds a secret the test handed over or received.
"""

import gzip
import http.server
import threading
import time

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from hubkit import Hub, SECRETS, register, verify


class Collector:
    """A small OTLP/HTTP receiver: POST /v1/traces with an ExportTraceServiceRequest in protobuf."""

    def __init__(self):
        self.spans = []
        self.requests = 0
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                assert self.path == "/v1/traces", self.path
                assert self.headers.get("Content-Type", "").startswith("application/x-protobuf")
                request = trace_service_pb2.ExportTraceServiceRequest()
                request.ParseFromString(body)
                for resource in request.resource_spans:
                    service = {a.key: a.value.string_value for a in resource.resource.attributes}.get("service.name")
                    for scope in resource.scope_spans:
                        for span in scope.spans:
                            collector.spans.append({
                                "service": service, "name": span.name, "trace": span.trace_id.hex(),
                                "id": span.span_id.hex(), "parent": span.parent_span_id.hex(),
                                "attributes": {a.key: a.value for a in span.attributes},
                            })
                collector.requests += 1
                reply = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, predicate, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate(self.spans):
                return
            time.sleep(0.2)
        raise AssertionError("spans seen: " + ", ".join(sorted({s["name"] for s in self.spans})))


def test_one_sign_in_yields_a_trace_with_request_store_and_hash_spans():
    collector = Collector()
    hub = Hub(env={"GATEHOUSE_OTLP_ENDPOINT": collector.url}).start()
    try:
        password = "lilac-orbit-seventy-5"
        register(hub, "tess", password)
        verify(hub, "tess@example.com")
        signed_in = hub.api("POST", "/sessions", json={"identifier": "tess", "password": password})
        assert signed_in.status_code == 201, signed_in.text
        request_id = signed_in.headers["X-Request-Id"]

        def sign_in_trace(spans):
            roots = [s for s in spans if s["name"] == "POST /api/v1/sessions"]
            if not roots:
                return None
            trace = [s for s in spans if s["trace"] == roots[-1]["trace"]]
            names = {s["name"] for s in trace}
            return trace if {"store.transaction", "password.verify"} <= names else None

        collector.wait_for(lambda spans: sign_in_trace(spans) is not None
                           and any(s["name"] == "mail.send" for s in spans))
        trace = sign_in_trace(collector.spans)
        root = next(s for s in trace if s["name"] == "POST /api/v1/sessions")
        assert root["service"] == "gatehouse-hub"
        assert root["parent"] == ""
        assert root["attributes"]["http.response.status_code"].int_value == 201
        assert root["attributes"]["http.route"].string_value == "/api/v1/sessions"
        assert root["attributes"]["gatehouse.request_id"].string_value == request_id
        # The store and hashing spans of this sign-in hang under its request span.
        for name in ("store.transaction", "password.verify"):
            child = next(s for s in trace if s["name"] == name)
            assert child["parent"] == root["id"], (name, child["parent"], root["id"])
        assert next(s for s in trace if s["name"] == "store.transaction")["attributes"]["db.system"].string_value \
            == "sqlite"
        mail = [s for s in collector.spans if s["name"] == "mail.send"]
        assert {s["attributes"]["gatehouse.mail.kind"].string_value for s in mail} >= {"verify_email"}

        # No secret and no token in any attribute: not the password, not the credential, not the mailed link.
        secrets = {password, signed_in.json()["token"], signed_in.json()["known_device_token"]} | set(SECRETS)
        for span in collector.spans:
            assert span["name"].count("?") == 0 and "token" not in span["name"]
            for key, value in span["attributes"].items():
                text = str(value)
                for secret in secrets:
                    assert secret not in text, (span["name"], key)
    finally:
        hub.stop()
        collector.server.shutdown()
