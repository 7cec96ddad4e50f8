"""The media server's updater (issue 9, "Must show" 1, 2 and 4; docs/update-protocol.md): a live update through a
real hub, tampering refused against a hostile stand-in hub, and a rollback the owner is told about.

The media server runs as `gatehouse media` (the supervisor). Versions A and B are the same build posing as 1.0.0 and
1.1.0 through GATEHOUSE_VERSION_OVERRIDE (a testing aid); B's artifact is a two-line shell script that runs the real
build with the override. GATEHOUSE_MEDIA_BIN may name another build for the media server (default GATEHOUSE_BIN)."""

import base64
import hashlib
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from nacl.signing import SigningKey

from hubkit import Hub, free_port, gatehouse_bin, register, sign_in

PASSWORD = "cedar-prism-nomad-61"


def media_bin():
    return os.path.abspath(os.environ.get("GATEHOUSE_MEDIA_BIN") or gatehouse_bin())


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def wait_until(predicate, timeout=30, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (requests.RequestException, KeyError, ValueError) as error:
            last = error
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def version_script(folder, version, body=None):
    """A build that reports `version`: the real one, run with the override (or any shell `body`)."""
    path = os.path.join(folder, f"gatehouse-{version}")
    with open(path, "w") as f:
        f.write("#!/bin/sh\n")
        f.write(body or f'exec env GATEHOUSE_VERSION_OVERRIDE={version} "{media_bin()}" "$@"\n')
    os.chmod(path, 0o755)
    return path


class MediaServer:
    """`gatehouse media` (the supervisor, which runs the server as its child) posing as version 1.0.0."""

    def __init__(self, hub_url, pin, policy="all", name="den"):
        self.folder = tempfile.mkdtemp(prefix="gh-media-")
        self.data = os.path.join(self.folder, "data")
        library = os.path.join(self.folder, "Movies")
        os.makedirs(library)
        with open(os.path.join(library, "clip.txt"), "w") as f:
            f.write("hello")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = os.path.join(self.folder, "media.log")
        self.args = [media_bin(), "media", "--library", "Movies=" + library, "--data", self.data,
                     "--port", str(self.port), "--hub", hub_url, "--public-url", self.url, "--name", name,
                     "--updates", policy, "--release-key", pin, "--update-interval", "1",
                     "--update-first-check", "0.5", "--health-timeout", "20"]
        self.process = None

    def start(self):
        env = dict(os.environ, GATEHOUSE_VERSION_OVERRIDE="1.0.0")
        self.process = subprocess.Popen(self.args, stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT, env=env)
        wait_until(lambda: self.status(), what="the media server to answer")
        return self

    def status(self):
        # A generous ceiling: the debug build on a loaded machine can take seconds to answer (no claim is timed here).
        return requests.get(self.url + "/api/status", timeout=10).json()

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def versions(self, *parts):
        return os.path.join(self.data, "versions", *parts)

    def assert_running_a(self):
        assert self.process.poll() is None, "the supervisor keeps running:\n" + self.log()
        assert self.status()["version"] == "1.0.0"
        assert requests.get(self.url + "/healthz", timeout=10).json()["version"] == "1.0.0"
        assert not os.path.lexists(self.versions("current")), "nothing was switched to"
        assert not os.path.exists(self.versions("pending"))

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # The child ends with the supervisor: nothing listens any more.
        with pytest.raises(requests.RequestException):
            requests.get(self.url + "/healthz", timeout=1)
        return self.process.returncode


def claim(hub, media, owner):
    code = wait_until(lambda: media.status().get("claim_code"), what="a claim code")
    response = hub.api("POST", "/servers/claim", token=owner, json={"code": code})
    assert response.status_code == 201, response.text
    # Claimed, and hearing revocations: tokens issued before the stream's first `hello` would be refused.
    wait_until(lambda: media.status()["claimed"] and media.status().get("revocations_live"), what="the claim")
    return response.json()["id"]


def hub_version(hub, owner, server_id):
    owned = hub.api("GET", "/servers", token=owner).json()["owned"]
    return next(s["version"] for s in owned if s["id"] == server_id)


def update_reports(hub, owner):
    """The media server's update reports, as the owner's security activity shows them."""
    events = hub.api("GET", "/security-activity", token=owner).json()
    return [e["detail"] for e in events if e["kind"] == "server.update"]


def test_live_update_from_a_to_b_through_the_hub(tmp_path):
    hub = Hub().start()
    media = None
    try:
        register(hub, "owen", PASSWORD)
        owner = sign_in(hub, "owen", PASSWORD)
        key_file = str(tmp_path / "release-key.json")
        pin = hub.cli("releases", "keygen", "--out", key_file, with_data=False).stdout.strip()
        media = MediaServer(hub.url, pin, policy="all").start()
        server_id = claim(hub, media, owner)
        wait_until(lambda: hub_version(hub, owner, server_id) == "1.0.0", what="the first heartbeat")
        supervisor = media.process.pid

        artifact = version_script(str(tmp_path), "1.1.0")
        hub.cli("releases", "publish", "--version", "1.1.0", "--artifact", artifact, "--key", key_file,
                "--notes", "B")
        wait_until(lambda: media.status()["version"] == "1.1.0", timeout=60, what="the switch to 1.1.0")
        assert media.process.pid == supervisor and media.process.poll() is None
        wait_until(lambda: hub_version(hub, owner, server_id) == "1.1.0", what="the hub to list 1.1.0")
        # Installed beside A, switched by the link, verified byte for byte.
        assert os.readlink(media.versions("current")) == "1.1.0"
        with open(media.versions("1.1.0", "gatehouse"), "rb") as installed, open(artifact, "rb") as published:
            assert installed.read() == published.read()
        assert os.access(media.versions("1.1.0", "gatehouse"), os.X_OK)
        # The new child answers before the supervisor has finished its health check and cleared `pending`.
        wait_until(lambda: not os.path.exists(media.versions("pending")), timeout=60, what="the health check")
        # The new version told the hub it was installed (the marker goes once the hub has it).
        wait_until(lambda: not os.path.exists(media.versions("installed")), what="the installed report")
        assert any(r.startswith("den: installed 1.1.0") for r in update_reports(hub, owner))
        assert media.status()["claimed"], "the claim survives the update"
        assert media.stop() == 0
    finally:
        if media:
            media.stop()
        hub.stop()


def test_rollback_of_an_unhealthy_version_and_the_owner_is_mailed(tmp_path):
    hub = Hub().start()
    media = None
    try:
        register(hub, "owen", PASSWORD)
        owner = sign_in(hub, "owen", PASSWORD)
        key_file = str(tmp_path / "release-key.json")
        pin = hub.cli("releases", "keygen", "--out", key_file, with_data=False).stdout.strip()
        media = MediaServer(hub.url, pin, policy="all").start()
        server_id = claim(hub, media, owner)

        broken = version_script(str(tmp_path), "1.1.0", body="echo 'broken build' >&2\nexit 3\n")
        hub.cli("releases", "publish", "--version", "1.1.0", "--artifact", broken, "--key", key_file)
        message = hub.wait_for_mail(lambda m: m["Subject"] == "An update of den was rolled back", timeout=60)
        assert "1.1.0" in message.get_body(preferencelist=("plain",)).get_content()
        media.assert_running_a()
        assert hub_version(hub, owner, server_id) == "1.0.0"
        wait_until(lambda: not os.path.exists(media.versions("rolled-back")), what="the rollback report")
        assert any(r.startswith("den: rolled_back 1.1.0") for r in update_reports(hub, owner))
        with open(os.path.join(media.data, "updates.json")) as f:
            assert "1.1.0" in json.load(f)["rejected"]
        # Never tried again: a few more checks pass without another switch or another mail.
        time.sleep(4)
        media.assert_running_a()
        assert media.log().count("failed its health check; switching back") == 1
        assert len([m for m in hub.messages() if "rolled back" in m["Subject"]]) == 1
    finally:
        if media:
            media.stop()
        hub.stop()


class FakeHub:
    """A hostile hub: serves whatever releases, key lists and artifacts the test sets, and records what the media
    server reports. Claims succeed at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.listing = {"releases": [], "key_lists": []}
        self.artifacts = {}  # version -> (bytes, mode): mode "whole", "cut" (half, then close) or "extra"
        self.reports = []
        self.versions = []  # as sent in the claim and in heartbeats
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", content_type="application/json"):
                if isinstance(body, (dict, list)):
                    body = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def do_GET(self):
                path = self.path.split("?")[0]
                with fake.lock:
                    if path == "/api/v1/releases":
                        return self.reply(200, fake.listing)
                    if path == "/api/v1/advisories":
                        return self.reply(200, [])
                    if path == "/api/v1/keys/media":
                        return self.reply(200, {"keys": []})
                    if path == "/api/v1/servers/me":
                        if not fake.versions:  # claimed once it asked for a code
                            return self.reply(401, {"error": {"code": "invalid_server_credential", "message": "no"}})
                        return self.reply(200, {"server_id": "srv-1", "owner_id": "own-1", "name": "den"})
                    if path.startswith("/api/v1/releases/") and path.endswith("/artifact"):
                        entry = fake.artifacts.get(path.split("/")[4])
                    else:
                        return self.reply(404, {"error": {"code": "not_found", "message": "no"}})
                if entry is None:
                    return self.reply(404, {"error": {"code": "not_found", "message": "no"}})
                data, mode = entry
                if mode == "cut":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if mode == "extra":
                    data = data + b"#" * 1000
                self.reply(200, data, "application/octet-stream")

            def do_POST(self):
                path = self.path
                body = self.body()
                with fake.lock:
                    if path == "/api/v1/servers/claims":
                        fake.versions.append(body["version"])
                        return self.reply(201, {"code": "TEST-CODE", "expires_at": int(time.time()) + 3600})
                    if path == "/api/v1/servers/me/heartbeat":
                        fake.versions.append(body["version"])
                        return self.reply(204)
                    if path == "/api/v1/servers/me/update-report":
                        fake.reports.append(body)
                        return self.reply(204)
                return self.reply(404, {"error": {"code": "not_found", "message": "no"}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, signed, keys):
        with self.lock:
            self.listing = {"releases": signed, "key_lists": keys}

    def refused(self, version):
        with self.lock:
            return [r for r in self.reports if r["outcome"] == "refused" and r["version"] == version]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class ReleaseKey:
    def __init__(self, kid="r1"):
        self.kid = kid
        self.key = SigningKey.generate()
        self.pin = f"{kid}:{b64url(bytes(self.key.verify_key))}"

    def sign(self, payload, field):
        data = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return {field: b64url(data), "key_id": self.kid, "signature": b64url(self.key.sign(data).signature)}

    def manifest(self, version, artifact, date="2025-06-01T10:00:00Z"):
        return self.sign({"version": version, "channel": "stable", "date": date, "notes": "",
                          "artifact": {"name": f"gatehouse-{version}", "size": len(artifact),
                                       "sha256": hashlib.sha256(artifact).hexdigest()}}, "manifest")

    def root_list(self):
        public = self.pin.split(":")[1]
        return self.sign({"sequence": 0, "keys": [{"id": self.kid, "public_key": public}]}, "list")


def test_tampering_is_refused_and_a_keeps_running(tmp_path):
    fake = FakeHub()
    key = ReleaseKey("r1")
    media = None

    def build(version):
        with open(version_script(str(tmp_path), version), "rb") as f:
            return f.read()

    def offer(version, signed, artifact=None, mode="whole"):
        if artifact is not None:
            fake.artifacts[version] = (artifact, mode)
        before = len(fake.refused(version))
        fake.publish([signed], [key.root_list()])
        wait_until(lambda: len(fake.refused(version)) > before, timeout=30, what=f"a refused report for {version}")
        media.assert_running_a()
        return fake.refused(version)[-1]["reason"]

    try:
        media = MediaServer(fake.url, key.pin, policy="all").start()
        wait_until(lambda: media.status()["claimed"], what="the claim")

        # A manifest changed after signing (its artifact made to match the change).
        good = build("1.1.0")
        tampered = key.manifest("1.1.0", good)
        evil = good + b"\n# more\n"
        raw = json.loads(base64.urlsafe_b64decode(tampered["manifest"] + "=="))
        raw["artifact"].update(size=len(evil), sha256=hashlib.sha256(evil).hexdigest())
        tampered["manifest"] = b64url(json.dumps(raw, sort_keys=True, separators=(",", ":")).encode())
        assert "signature" in offer("1.1.0", tampered, evil)

        # Signed by a key the server never trusted.
        assert "r9" in offer("1.1.1", ReleaseKey("r9").manifest("1.1.1", build("1.1.1")), build("1.1.1"))

        # A genuine, older release: no downgrades.
        older = build("0.9.0")
        assert "downgrade" in offer("0.9.0", key.manifest("0.9.0", older), older)

        # An artifact whose hash differs from its manifest (same size).
        artifact = build("1.1.2")
        forged = artifact.replace(b"1.1.2", b"6.6.6")
        assert len(forged) == len(artifact)
        assert "SHA-256" in offer("1.1.2", key.manifest("1.1.2", artifact), forged)

        # An artifact larger than its manifest says.
        artifact = build("1.1.3")
        assert "size" in offer("1.1.3", key.manifest("1.1.3", artifact), artifact, mode="extra")

        # A download cut short.
        artifact = build("1.1.4")
        assert "cut short" in offer("1.1.4", key.manifest("1.1.4", artifact), artifact, mode="cut")

        # A genuine manifest, older than one already seen (1.1.4), replayed with a working artifact.
        artifact = build("1.1.0")
        assert "replay" in offer("1.1.0", key.manifest("1.1.0", artifact), artifact)

        for version in ["1.1.0", "1.1.1", "1.1.2", "1.1.3", "1.1.4"]:
            assert not os.path.exists(media.versions(version, "gatehouse")), "nothing refused is installed"
            assert not os.path.exists(media.versions(version, "gatehouse.part"))
        assert set(fake.versions) == {"1.0.0"}
        assert media.stop() == 0
    finally:
        if media:
            media.stop()
        fake.stop()
