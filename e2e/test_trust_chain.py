"""Issue 13: a hub compromise must not become code on every media server. The release key lives offline, advisories
and the release list are signed by it, the media server pins the hub's keys at claim time and follows only endorsed
rotations, refuses plain http to a remote hub, never unclaims on a 401, and shows its claim code only on its own
machine. Each test is named after the attack it stops.

The hub-compromise drill runs a real hub; the tampering cases run against a hostile stand-in hub written here."""

import base64
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from nacl.signing import SigningKey

from hubkit import Hub, free_port, register, sign_in
from test_updates import MediaServer, ReleaseKey, claim, media_bin, update_reports, version_script, wait_until

PASSWORD = "cedar-prism-nomad-61"


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def compact(payload):
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


def iso(seconds_from_now):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds_from_now))


class OfflineKey(ReleaseKey):
    """The release key as the operator's offline machine holds it, with the documents it signs."""

    def advisory(self, advisory_id, affected, fixed):
        return self.sign({"id": advisory_id, "affected": affected, "fixed": fixed, "severity": "critical",
                          "summary": "", "date": iso(0)}, "advisory")

    def release_list(self, releases, advisories, expires_in=86400, sequence=None):
        def digest(signed, field):
            return hashlib.sha256(b64url_decode(signed[field])).hexdigest()

        def name(signed, field, key):
            return json.loads(b64url_decode(signed[field]))[key]
        return self.sign({
            "sequence": sequence or int(time.time()), "issued": iso(0), "expires": iso(expires_in),
            "releases": [{"name": name(r, "manifest", "version"), "sha256": digest(r, "manifest"), "channel": "stable"}
                         for r in releases],
            "advisories": [{"name": name(a, "advisory", "id"), "sha256": digest(a, "advisory")} for a in advisories],
        }, "list")


def media_token(signing_key, kid, server_id="srv-1"):
    now = int(time.time())
    payload = b64url(compact({"typ": "media", "kid": kid, "aud": server_id, "sub": "own-1", "dev": "d1", "iat": now,
                              "exp": now + 300, "jti": uuid.uuid4().hex, "own": True, "sec": []}))
    signed = f"v1.{payload}"
    return signed + "." + b64url(signing_key.sign(signed.encode()).signature)


# --- 1. The hub-compromise drill, end to end -------------------------------------------------------------------


def test_hub_compromise_drill_a_copied_data_folder_cannot_make_a_media_server_install_anything(tmp_path):
    hub = Hub().start()
    media = None
    try:
        register(hub, "owen", PASSWORD)
        owner = sign_in(hub, "owen", PASSWORD)
        offline = tmp_path / "offline-machine"
        offline.mkdir()
        key_file = str(offline / "release-key.json")
        # The ceremony, step 1: keygen on the offline machine, no hub needed; the pin goes to the media servers.
        pin = hub.cli("releases", "keygen", "--out", key_file, with_data=False).stdout.strip()
        hub.cli("releases", "upload", "--key-list", key_file + ".pub")
        media = MediaServer(hub.url, pin, policy="security").start()
        server_id = claim(hub, media, owner)

        # The attacker has a full copy of the hub's data folder, keyring and database included.
        copy = str(tmp_path / "stolen-data")
        shutil.copytree(hub.data, copy, ignore=shutil.ignore_patterns("*.log"))
        assert os.path.exists(os.path.join(copy, "keys", "keyring.json"))
        assert not [name for name in os.listdir(os.path.join(copy, "keys")) if "release" in name], \
            "no release key was ever kept in the data folder"
        evil = version_script(str(tmp_path), "9.0.0", body="echo pwned > /tmp/gatehouse-pwned-$$\n")

        # The old path: a key in the data folder, published with an advisory >=0.0.0. Every step is refused.
        stolen_key = os.path.join(copy, "keys", "release-key.json")
        attacker = SigningKey.generate()
        with open(stolen_key, "w") as f:
            json.dump({"id": "r1", "private_key": b64url(bytes(attacker))}, f)
        os.chmod(stolen_key, 0o600)
        for args in [
            ["releases", "publish", "--data", copy, "--version", "9.0.0", "--artifact", evil, "--key", stolen_key],
            ["releases", "publish", "--data", hub.data, "--version", "9.0.0", "--artifact", evil, "--key", stolen_key],
            ["releases", "sign", "--key", stolen_key, "--version", "9.0.0", "--artifact", evil,
             "--out", str(tmp_path / "evil.json")],
            ["advisories", "add", "--data", hub.data, "--id", "EVIL-1", "--affected", ">=0.0.0", "--fixed", "9.0.0",
             "--severity", "critical", "--summary", "x", "--key", stolen_key],
            ["releases", "keygen", "--out", os.path.join(copy, "keys", "another-key.json")],
        ]:
            result = hub.cli(*args, check=False, with_data=False)
            assert result.returncode != 0 and "refused" in result.stderr, (args, result.stderr, result.stdout)
        # A key of the attacker's own, kept elsewhere, does not chain to the registered root: the hub refuses too.
        own_key = str(tmp_path / "attacker-key.json")
        hub.cli("releases", "keygen", "--out", own_key, "--id", "r1", with_data=False)
        refused = hub.cli("releases", "publish", "--version", "9.0.0", "--artifact", evil, "--key", own_key, check=False)
        assert refused.returncode != 0

        # Past the command line: the attacker writes straight into the live hub's database what the media server
        # reads (a release, a key list moving trust to their key, advisories >=0.0.0 unsigned and self-signed, a
        # release list) and puts the artifact beside the others.
        forger = ReleaseKey("r1")
        forger.key = attacker
        with open(evil, "rb") as f:
            evil_bytes = f.read()
        forged_release = forger.manifest("9.0.0", evil_bytes, date=iso(0))
        os.makedirs(os.path.join(hub.data, "releases"), exist_ok=True)
        shutil.copy(evil, os.path.join(hub.data, "releases", "gatehouse-9.0.0.artifact"))
        forged_advisory = OfflineKey.advisory(forger, "EVIL-2", ">=0.0.0", "9.0.0")
        db = sqlite3.connect(os.path.join(hub.data, "gatehouse.sqlite"), timeout=30)
        with db:
            db.execute("INSERT INTO releases (version, channel, manifest, signature, published_at) VALUES (?,?,?,?,?)",
                       ("9.0.0", "stable", json.dumps(forged_release), forged_release["signature"], int(time.time())))
            db.execute("INSERT INTO release_key_lists (sequence, document) VALUES (?, ?)",
                       (1, json.dumps(forger.sign({"sequence": 1, "keys": [
                           {"id": "r1", "public_key": b64url(bytes(attacker.verify_key))}]}, "list"))))
            for advisory_id, signed in [("EVIL-1", ""), ("EVIL-2", json.dumps(forged_advisory))]:
                db.execute("INSERT INTO advisories (id, affected, fixed, severity, summary, created_at, signed) "
                           "VALUES (?, '>=0.0.0', '9.0.0', 'critical', 'Update now', ?, ?)",
                           (advisory_id, int(time.time()), signed))
            db.execute("INSERT INTO release_lists (sequence, document) VALUES (?, ?)",
                       (int(time.time()) + 10**9, json.dumps(OfflineKey.release_list(forger, [forged_release], []))))
        db.close()

        def refused_reports():
            return [r for r in update_reports(hub, owner) if ": refused " in r]
        wait_until(lambda: any("refused 9.0.0" in r for r in refused_reports()), timeout=30,
                   what="the forged release to be refused")
        reports = refused_reports()
        assert any("refused advisory EVIL-1" in r and "unsigned" in r for r in reports), reports
        assert any("refused advisory EVIL-2" in r for r in reports), reports
        assert any("refused key list 1" in r for r in reports), reports
        assert any("refused release-list" in r for r in reports), reports
        time.sleep(3)
        media.assert_running_a()
        assert not os.path.exists(media.versions("9.0.0"))
        assert any("release list" in alert for alert in media.status()["alerts"])

        # The operator's offline path still works: sign on the offline machine, upload only signed files.
        good = version_script(str(tmp_path), "1.1.0")
        manifest = str(offline / "1.1.0.json")
        advisory = str(offline / "GH-17.json")
        release_list = str(offline / "list.json")
        hub.cli("releases", "sign", "--key", key_file, "--version", "1.1.0", "--artifact", good, "--out", manifest,
                with_data=False)
        hub.cli("advisories", "sign", "--key", key_file, "--id", "GH-17", "--affected", ">=1.0.0, <1.1.0",
                "--fixed", "1.1.0", "--severity", "high", "--summary", "Fixed in 1.1.0", "--out", advisory,
                with_data=False)
        hub.cli("releases", "sign-list", "--key", key_file, "--release", manifest, "--advisory", advisory,
                "--out", release_list, with_data=False)
        # The attacker's rows stay in the database (a far-future release list among them): they hide nothing.
        hub.cli("releases", "upload", "--manifest", manifest, "--artifact", good, "--advisory", advisory,
                "--list", release_list)
        wait_until(lambda: media.status()["version"] == "1.1.0", timeout=60, what="the offline-signed 1.1.0")
        assert os.readlink(media.versions("current")) == "1.1.0"
        assert media.status()["claimed"]
        assert media.stop() == 0
        assert server_id
    finally:
        if media:
            media.stop()
        hub.stop()


# --- 2. Tampering against a hostile stand-in hub -----------------------------------------------------------------


class HostileHub:
    """A stand-in hub the test steers: releases, key lists, the release list, advisories, published media keys, and
    whether it claims the server and accepts its credential."""

    def __init__(self, auto_claim=True):
        self.lock = threading.Lock()
        self.listing = {"releases": [], "key_lists": []}
        self.advisories = []
        self.keys = []
        self.artifacts = {}
        self.reports = []
        self.auto_claim = auto_claim
        self.claimed = False
        self.refuse_server = False
        hub = self

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

            def do_GET(self):
                path = self.path.split("?")[0]
                with hub.lock:
                    if path == "/api/v1/releases":
                        return self.reply(200, hub.listing)
                    if path == "/api/v1/advisories":
                        return self.reply(200, hub.advisories)
                    if path == "/api/v1/keys/media":
                        return self.reply(200, {"keys": hub.keys})
                    if path == "/api/v1/servers/me":
                        if not hub.claimed or hub.refuse_server:
                            return self.reply(401, {"error": {"code": "invalid_server_credential", "message": "no"}})
                        return self.reply(200, {"server_id": "srv-1", "owner_id": "own-1", "name": "den"})
                    if path.startswith("/api/v1/releases/") and path.endswith("/artifact"):
                        data = hub.artifacts.get(path.split("/")[4])
                        if data is not None:
                            return self.reply(200, data, "application/octet-stream")
                return self.reply(404, {"error": {"code": "not_found", "message": "no"}})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with hub.lock:
                    if self.path == "/api/v1/servers/claims":
                        hub.claimed = hub.auto_claim
                        return self.reply(201, {"code": "TEST-CODE", "expires_at": int(time.time()) + 3600})
                    if self.path == "/api/v1/servers/me/heartbeat":
                        return self.reply(401 if hub.refuse_server else 204)
                    if self.path == "/api/v1/servers/me/update-report":
                        hub.reports.append(body)
                        return self.reply(204)
                return self.reply(404, {"error": {"code": "not_found", "message": "no"}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def set(self, **values):
        with self.lock:
            for name, value in values.items():
                setattr(self, name, value)

    def refused(self, version, containing=""):
        with self.lock:
            return [r for r in self.reports
                    if r["outcome"] == "refused" and r["version"] == version and containing in r["reason"]]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def published_key(signing_key, kid, endorsed_by=None):
    entry = {"kid": kid, "public_key": b64url(bytes(signing_key.verify_key))}
    if endorsed_by:
        previous_kid, previous_key = endorsed_by
        message = f"gatehouse-media-key-v1\n{kid}\n{entry['public_key']}".encode()
        entry.update(signed_by=previous_kid, signature=b64url(previous_key.sign(message).signature))
    return entry


def start_media(hub_url, pin, policy="all"):
    media = MediaServer(hub_url, pin, policy=policy)
    media.args += ["--heartbeat-interval", "1", "--key-refetch-interval", "1"]
    return media.start()


def test_a_remote_hub_over_plain_http_is_refused_at_start_so_the_network_cannot_forge_keys(tmp_path):
    for url in ["http://hub.example:8080", "http://192.0.2.10:8080"]:
        result = subprocess.run(
            [media_bin(), "media", "--library", str(tmp_path), "--data", str(tmp_path / "data"), "--port",
             str(free_port()), "--hub", url], capture_output=True, text=True, timeout=60)
        assert result.returncode != 0
        assert "https://" in result.stderr and url in result.stderr, result.stderr
        assert not os.path.exists(tmp_path / "data" / "server-credential"), "refused before anything else"


def test_hostile_hub_keys_advisories_release_lists_and_bogus_releases_are_refused_and_reported(tmp_path):
    hub = HostileHub()
    key = OfflineKey("r1")
    genuine = SigningKey.generate()
    hub.set(keys=[published_key(genuine, "s1")])
    media = None
    try:
        media = start_media(hub.url, key.pin, policy="security")
        wait_until(lambda: media.status()["claimed"], what="the claim")
        pin_file = os.path.join(media.data, "hub-keys.json")
        wait_until(lambda: os.path.exists(pin_file), what="the hub keys pinned at claim time")
        with open(pin_file) as f:
            assert [k["kid"] for k in json.load(f)["keys"]] == ["s1"]
        assert oct(os.stat(pin_file).st_mode & 0o777) == "0o600"
        assert requests.get(media.url + "/api/library/sections", timeout=5,
                            headers={"Authorization": "Bearer " + media_token(genuine, "s1")}).status_code == 200

        # A key not chained to the pin (the network or the hub injects one): its tokens are refused, and the owner
        # is told on the status page.
        injected = SigningKey.generate()
        hub.set(keys=[published_key(genuine, "s1"), published_key(injected, "s2"),
                      published_key(SigningKey.generate(), "s3", endorsed_by=("s9", SigningKey.generate()))])
        for _ in range(3):
            forged = requests.get(media.url + "/api/library/sections", timeout=5,
                                  headers={"Authorization": "Bearer " + media_token(injected, "s2")})
            assert forged.status_code == 401 and forged.json()["error"]["code"] == "unknown_key"
            time.sleep(1.2)
        wait_until(lambda: any("not chained to the pin" in a for a in media.status()["alerts"]),
                   what="the alert about the unchained key")
        with open(pin_file) as f:
            assert [k["kid"] for k in json.load(f)["keys"]] == ["s1"]
        # A genuine rotation, endorsed by the pinned key, is followed.
        rotated = SigningKey.generate()
        hub.set(keys=[published_key(genuine, "s1"), published_key(rotated, "s2", endorsed_by=("s1", genuine))])
        wait_until(lambda: requests.get(media.url + "/api/library/sections", timeout=5, headers={
            "Authorization": "Bearer " + media_token(rotated, "s2")}).status_code == 200, what="the endorsed key")
        wait_until(lambda: not any("not chained" in a for a in media.status()["alerts"]), what="the alert to clear")

        # An unsigned advisory (and one signed by a stranger) covering every version: nothing is installed.
        artifact = open(version_script(str(tmp_path), "1.1.0"), "rb").read()
        release = key.manifest("1.1.0", artifact, date=iso(0))
        hub.artifacts["1.1.0"] = artifact
        stranger = OfflineKey("r1")
        hub.set(listing={"releases": [release], "key_lists": [key.root_list()],
                         "release_list": key.release_list([release], [])},
                advisories=[{"id": "EVIL-1", "affected": ">=0.0.0", "fixed": "1.1.0", "severity": "critical",
                             "summary": "Update now"},
                            {"id": "EVIL-2", "signed": stranger.advisory("EVIL-2", ">=0.0.0", "1.1.0")}])
        wait_until(lambda: hub.refused("advisory EVIL-1", "unsigned"), what="the unsigned advisory refused")
        wait_until(lambda: hub.refused("advisory EVIL-2", "signature"), what="the forged advisory refused")
        time.sleep(2)
        media.assert_running_a()

        # An expired release list (a frozen hub): reported to the owner and on the status page.
        hub.set(listing={"releases": [release], "key_lists": [key.root_list()],
                         "release_list": key.release_list([release], [], expires_in=-60,
                                                          sequence=int(time.time()) + 5)})
        wait_until(lambda: hub.refused("release-list", "expired"), what="the expired release list reported")
        assert any("expired" in a for a in media.status()["alerts"])
        media.assert_running_a()

        # A bogus newest release (unsigned 999.0.0, and one signed by a stranger) beside a genuine fix with its
        # signed advisory and a fresh list: the bogus ones are skipped and reported, the fix installs.
        bogus = key.manifest("999.0.0", b"x" * 10)
        bogus["signature"] = ""
        bogus_signed = stranger.manifest("999.0.1", b"y" * 10)
        fix = key.advisory("GH-17", ">=1.0.0, <1.1.0", "1.1.0")
        hub.set(listing={"releases": [bogus, bogus_signed, release], "key_lists": [key.root_list()],
                         "release_list": key.release_list([release], [fix], sequence=int(time.time()) + 10)},
                advisories=[{"id": "GH-17", "signed": fix}])
        wait_until(lambda: media.status()["version"] == "1.1.0", timeout=60, what="the genuine 1.1.0 installed")
        assert hub.refused("999.0.0", "signature") and hub.refused("999.0.1", "signature")
        assert not os.path.exists(media.versions("999.0.0"))

        # A 401 from the hub never unclaims: the server says so and keeps its claim.
        hub.set(refuse_server=True)
        wait_until(lambda: any("401" in a for a in media.status()["alerts"]), what="the 401 alert")
        time.sleep(2)
        status = media.status()
        assert status["claimed"] and status["server_id"] == "srv-1"
        assert os.path.exists(os.path.join(media.data, "server.json"))
        assert "401" in media.log()
        hub.set(refuse_server=False)
        wait_until(lambda: not any("401" in a for a in media.status()["alerts"]), what="the alert to clear")
        assert media.stop() == 0
    finally:
        if media:
            media.stop()
        hub.stop()


def test_a_hub_key_rotation_reaches_a_pinned_media_server_only_through_the_endorsement_chain(tmp_path):
    """The real hub's side of the chain: `gatehouse keys rotate` adds s2, the key endpoint endorses it with s1, and a
    media server that pinned s1 at claim time accepts tokens signed with s2."""
    hub = Hub().start()
    media = None
    try:
        register(hub, "owen", PASSWORD)
        owner = sign_in(hub, "owen", PASSWORD)
        media = start_media(hub.url, OfflineKey("r1").pin)
        server_id = claim(hub, media, owner)
        pin_file = os.path.join(media.data, "hub-keys.json")
        wait_until(lambda: os.path.exists(pin_file), what="the pin")
        with open(pin_file) as f:
            assert [k["kid"] for k in json.load(f)["keys"]] == ["s1"]

        hub.stop()
        hub.cli("keys", "rotate")
        hub.start()
        keys = hub.api("GET", "/keys/media").json()["keys"]
        assert [k["kid"] for k in keys] == ["s1", "s2"] and "signature" not in keys[0]
        assert keys[1]["signed_by"] == "s1"
        from nacl.signing import VerifyKey
        VerifyKey(b64url_decode(keys[0]["public_key"])).verify(
            f"gatehouse-media-key-v1\ns2\n{keys[1]['public_key']}".encode(), b64url_decode(keys[1]["signature"]))

        def sections_status():
            response = hub.api("POST", f"/servers/{server_id}/token", token=owner)
            token = response.json()["token"]
            assert json.loads(b64url_decode(token.split(".")[1]))["kid"] == "s2"
            return requests.get(media.url + "/api/library/sections", timeout=5,
                                headers={"Authorization": "Bearer " + token}).status_code
        wait_until(lambda: sections_status() == 200, what="a token signed by the rotated key")
        with open(pin_file) as f:
            assert sorted(k["kid"] for k in json.load(f)["keys"]) == ["s1", "s2"]
        assert not [a for a in media.status()["alerts"] if "key" in a]
        assert media.stop() == 0
    finally:
        if media:
            media.stop()
        hub.stop()


# --- 3. DNS rebinding ----------------------------------------------------------------------------------------


def test_dns_rebinding_a_foreign_host_gets_421_and_never_the_claim_code(tmp_path):
    hub = HostileHub(auto_claim=False)
    key = OfflineKey("r1")
    media = None
    try:
        media = start_media(hub.url, key.pin)
        wait_until(lambda: media.status().get("claim_code") == "TEST-CODE", what="the claim code on loopback")
        for path in ["/api/status", "/"]:
            for host in ["evil.example", f"evil.example:{media.port}", "localhost.evil.example"]:
                response = requests.get(media.url + path, headers={"Host": host}, timeout=5)
                assert response.status_code == 421, (path, host, response.status_code)
                assert response.json()["error"]["code"] == "misdirected_request"
                assert "TEST-CODE" not in response.text
        for host in [f"localhost:{media.port}", "127.0.0.1", f"127.0.0.1:{media.port}"]:
            assert requests.get(media.url + "/api/status", headers={"Host": host}, timeout=5).json()[
                "claim_code"] == "TEST-CODE"
        assert "TEST-CODE" in requests.get(media.url + "/", headers={"Host": "localhost"}, timeout=5).text
        # The console shows it too.
        assert "TEST-CODE" in media.log()
        media.stop()
    finally:
        if media:
            media.stop()
        hub.stop()
