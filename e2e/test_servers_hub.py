"""The hub's side of media servers, driven by a stand-in server written here (issues 8 and 9): claiming, tokens,
sharing, the revocation stream, signed releases, advisories and alerts."""

import base64
import hashlib
import json
import os
import queue
import secrets
import tempfile
import threading
import time

import requests
from nacl.signing import VerifyKey

from hubkit import Hub, register, sign_in

PASSWORD = "cedar-prism-nomad-61"
# How long a revocation event may take to reach the stream: it comes in milliseconds, but a loaded CI machine can
# stall for seconds, and nothing here is about how fast (test_media_live.py times revocations).
EVENT_WAIT = 30


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FakeServer:
    """Just the protocol of docs/media-protocol.md, nothing else."""

    def __init__(self, hub, name="den"):
        self.hub = hub
        self.credential = "ghs_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        response = hub.api("POST", "/servers/claims", json={
            "name": name, "version": "1.0.0", "platform": "linux-x86_64", "url": "http://127.0.0.1:1",
            "credential_digest": hashlib.sha256(self.credential.encode()).hexdigest()})
        assert response.status_code == 201, response.text
        self.code = response.json()["code"]

    def api(self, method, path, **kwargs):
        return self.hub.api(method, path, headers={"Authorization": f"Bearer {self.credential}"}, **kwargs)

    def stream(self):
        """Reads the revocation stream on a thread; events land in a queue."""
        events = queue.Queue()
        response = requests.get(self.hub.url + "/api/v1/servers/me/revocations",
                                headers={"Authorization": f"Bearer {self.credential}"}, stream=True, timeout=60)
        assert response.status_code == 200

        def read():
            kind = None
            try:
                for line in response.iter_lines(decode_unicode=True):
                    if line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        events.put((kind, json.loads(line[6:])))
                events.put(("closed", None))
            except Exception:
                events.put(("closed", None))

        threading.Thread(target=read, daemon=True).start()
        kind, data = events.get(timeout=10)
        assert kind == "hello"
        return events


def verify_token(hub, token):
    keys = {k["kid"]: k["public_key"] for k in hub.api("GET", "/keys/media").json()["keys"]}
    version, payload, signature = token.split(".")
    assert version == "v1"
    claims = json.loads(b64url_decode(payload))
    VerifyKey(b64url_decode(keys[claims["kid"]])).verify(f"v1.{payload}".encode(), b64url_decode(signature))
    return claims


def test_claim_tokens_sharing_and_revocation_stream(hub):
    register(hub, "owen", PASSWORD)
    register(hub, "fern", PASSWORD)
    register(hub, "gus", PASSWORD)
    owner = sign_in(hub, "owen", PASSWORD, "owner-phone")
    friend = sign_in(hub, "fern", PASSWORD, "friend-tv")
    stranger = sign_in(hub, "gus", PASSWORD, "stranger")

    server = FakeServer(hub)
    assert server.api("GET", "/servers/me").status_code == 401  # not claimed yet
    assert hub.api("POST", "/servers/claim", token=owner, json={"code": "WRONG-CODE"}).status_code == 404
    claimed = hub.api("POST", "/servers/claim", token=owner, json={"code": server.code.lower()})
    assert claimed.status_code == 201, claimed.text
    server_id = claimed.json()["id"]
    assert hub.api("POST", "/servers/claim", token=friend, json={"code": server.code}).status_code == 404
    assert server.api("GET", "/servers/me").json()["server_id"] == server_id
    # A device credential is not a server credential, and a server credential is not a device credential.
    assert hub.api("GET", "/servers/me", token=owner).status_code == 401
    assert server.api("GET", "/account").status_code == 401

    claims = verify_token(hub, hub.api("POST", f"/servers/{server_id}/token", token=owner).json()["token"])
    assert claims["aud"] == server_id and claims["own"] is True and claims["typ"] == "media"
    assert claims["exp"] - claims["iat"] <= 300
    assert hub.api("POST", f"/servers/{server_id}/token", token=friend).status_code == 403
    assert hub.api("POST", f"/servers/{server_id}/shares", token=owner,
                   json={"account": "fern", "sections": ["Movies"]}).status_code == 204
    assert hub.api("POST", f"/servers/{server_id}/shares", token=friend,
                   json={"account": "gus", "sections": ["Movies"]}).status_code == 404
    # A share is an offer: nothing for the friend until accepted (issue 13), and the owner sees it pending.
    assert hub.api("POST", f"/servers/{server_id}/token", token=friend).status_code == 403
    pending = hub.api("GET", "/servers", token=friend).json()
    assert pending["shared"] == [] and [p["server_id"] for p in pending["pending"]] == [server_id]
    assert pending["pending"][0]["owner_username"] == "owen" and pending["pending"][0]["sections"] == ["Movies"]
    outgoing = hub.api("GET", "/servers", token=owner).json()["outgoing"]
    assert [(o["username"], o["section"], o["state"]) for o in outgoing] == [("fern", "Movies", "pending")]
    assert hub.api("POST", f"/servers/{server_id}/accept", token=stranger).status_code == 404
    assert hub.api("POST", f"/servers/{server_id}/accept", token=friend).status_code == 204
    assert hub.api("GET", "/servers", token=owner).json()["outgoing"][0]["state"] == "accepted"
    friend_claims = verify_token(hub, hub.api("POST", f"/servers/{server_id}/token", token=friend).json()["token"])
    assert friend_claims["own"] is False and friend_claims["sec"] == ["Movies"]
    assert hub.api("POST", f"/servers/{server_id}/token", token=stranger).status_code == 403
    listing = hub.api("GET", "/servers", token=friend).json()
    assert [s["id"] for s in listing["shared"]] == [server_id] and listing["owned"] == []

    events = server.stream()
    # The stranger's sign-out concerns no account of this server: the server never hears of it.
    hub.api("POST", "/devices/sign-out-all", token=stranger, json={"keep_current": False})
    friend_device = hub.api("GET", "/devices", token=friend).json()[0]["id"]
    hub.api("DELETE", f"/devices/{friend_device}", token=friend)
    kind, data = events.get(timeout=EVENT_WAIT)
    assert kind == "revocation" and data["device_ids"] == [friend_device] and not data["all_devices"]
    hub.api("POST", "/devices/sign-out-all", token=owner, json={"keep_current": False})
    kind, data = events.get(timeout=EVENT_WAIT)
    assert kind == "revocation" and data["all_devices"] and data["account_id"] == claims["sub"]
    assert events.empty()
    # Signing out every device of the owner does not disconnect the server.
    assert server.api("GET", "/servers/me").status_code == 200
    assert server.api("POST", "/servers/me/heartbeat", json={"version": "1.0.1", "platform": "linux"}).status_code == 204

    owner = sign_in(hub, "owen", PASSWORD, "owner-phone")
    # Unsharing with someone who never had a share sends nothing; a real unshare sends one revocation naming
    # this server (and only this server's stream carries it).
    assert hub.api("DELETE", f"/servers/{server_id}/shares/gus", token=owner).status_code == 204
    assert hub.api("DELETE", f"/servers/{server_id}/shares/fern", token=owner).status_code == 204
    kind, data = events.get(timeout=EVENT_WAIT)
    assert kind == "revocation" and data["server_id"] == server_id and data["all_devices"]
    assert data["account_id"] == friend_claims["sub"]
    time.sleep(0.5)
    assert events.empty()
    friend = sign_in(hub, "fern", PASSWORD, "friend-tv")  # its earlier device was signed out above
    assert hub.api("POST", f"/servers/{server_id}/token", token=friend).status_code == 403
    assert hub.api("DELETE", f"/servers/{server_id}", token=owner).status_code == 204
    assert server.api("GET", "/servers/me").status_code == 401
    deadline = time.time() + 10
    kind = None
    while time.time() < deadline:
        kind, _ = events.get(timeout=10)
        if kind == "closed":
            break
    assert kind == "closed", "removing the server ends its revocation stream"


def test_signed_releases_advisories_alerts_and_policy():
    hub = Hub(env={"GATEHOUSE_VULNERABLE_SERVERS": "owner-only"}).start()
    try:
        register(hub, "owen", PASSWORD)
        register(hub, "fern", PASSWORD)
        owner = sign_in(hub, "owen", PASSWORD)
        friend = sign_in(hub, "fern", PASSWORD)
        server = FakeServer(hub)
        server_id = hub.api("POST", "/servers/claim", token=owner, json={"code": server.code}).json()["id"]
        hub.api("POST", f"/servers/{server_id}/shares", token=owner, json={"account": "fern", "sections": ["Music"]})
        assert hub.api("POST", f"/servers/{server_id}/accept", token=friend).status_code == 204

        artifact = os.path.join(tempfile.mkdtemp(), "gatehouse-1.1.0")
        with open(artifact, "wb") as f:
            f.write(os.urandom(300_000))
        # The release key lives outside the hub's data folder (issue 13); inside it is refused.
        key_file = os.path.join(tempfile.mkdtemp(), "release-key.json")
        hub.cli("releases", "keygen", "--out", key_file, with_data=False)
        inside = hub.cli("releases", "publish", "--version", "1.1.0", "--artifact", artifact,
                         "--key", os.path.join(hub.data, "keys", "release-key.json"), check=False)
        assert inside.returncode != 0 and "refused" in inside.stderr
        published = hub.cli("releases", "publish", "--version", "1.1.0", "--artifact", artifact, "--notes", "Fixes GH-1",
                            "--key", key_file)
        pin = published.stdout.split("media servers pin: ")[1].strip()
        kid, public_key = pin.split(":")
        listing = hub.api("GET", "/releases?channel=stable").json()
        signed = listing["releases"][0]
        assert signed["key_id"] == kid
        manifest_bytes = b64url_decode(signed["manifest"])
        VerifyKey(b64url_decode(public_key)).verify(manifest_bytes, b64url_decode(signed["signature"]))
        manifest = json.loads(manifest_bytes)
        assert manifest["version"] == "1.1.0" and manifest["channel"] == "stable"
        body = hub.api("GET", "/releases/1.1.0/artifact").content
        assert len(body) == manifest["artifact"]["size"] == 300_000
        assert hashlib.sha256(body).hexdigest() == manifest["artifact"]["sha256"]
        assert hub.api("GET", "/releases/9.9.9/artifact").status_code == 404
        assert hub.api("GET", "/releases/..%2F..%2Fkeys/artifact").status_code == 404

        # An advisory covering the running version: vulnerable, owner mailed once, friend shut out.
        assert server.api("POST", "/servers/me/heartbeat", json={"version": "1.0.0", "platform": "linux"}).status_code == 204
        assert hub.api("POST", f"/servers/{server_id}/token", token=friend).status_code == 200
        hub.cli("advisories", "add", "--id", "GH-1", "--affected", ">=1.0.0, <1.1.0", "--fixed", "1.1.0",
                "--severity", "high", "--summary", "Path traversal in the library API.", "--key", key_file)
        # Served as signed: the advisory's signature verifies under the pinned release key.
        served = hub.api("GET", "/advisories").json()[0]["signed"]
        VerifyKey(b64url_decode(public_key)).verify(b64url_decode(served["advisory"]), b64url_decode(served["signature"]))
        assert json.loads(b64url_decode(served["advisory"]))["affected"] == ">=1.0.0, <1.1.0"
        assert hub.api("GET", "/releases?channel=stable").json()["release_list"]["key_id"] == kid
        status = hub.api("GET", "/servers", token=owner).json()["owned"][0]
        assert status["status"] == "vulnerable" and status["latest_version"] == "1.1.0"
        assert status["advisories"][0].startswith("GH-1 (high)")
        for _ in range(3):
            server.api("POST", "/servers/me/heartbeat", json={"version": "1.0.0", "platform": "linux"})
        hub.wait_for_mail(lambda m: m["Subject"] == "Update your media server den")
        time.sleep(1)
        alerts = [m for m in hub.messages() if m["Subject"] == "Update your media server den"]
        assert len(alerts) == 1, "the owner of a newly vulnerable server is mailed once, not at every check"
        # The owner sees it on the servers page too.
        from browser import fill, make_browser, shot, submit
        browser = make_browser()
        try:
            browser.get(hub.url + "/sign-in")
            fill(browser, "identifier", "owen")
            fill(browser, "password", PASSWORD)
            submit(browser, "/sign-in")
            browser.get(hub.url + "/account/servers")
            assert "vulnerable: update now" in browser.page_source and "GH-1 (high)" in browser.page_source
            shot(browser, "22-servers")
        finally:
            browser.quit()
        refused = hub.api("POST", f"/servers/{server_id}/token", token=friend)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "server_vulnerable"
        assert "GH-1" in refused.json()["error"]["message"]
        assert hub.api("POST", f"/servers/{server_id}/token", token=owner).status_code == 200

        # Updated: current again, open again.
        server.api("POST", "/servers/me/heartbeat", json={"version": "1.1.0", "platform": "linux"})
        assert hub.api("GET", "/servers", token=owner).json()["owned"][0]["status"] == "current"
        assert hub.api("POST", f"/servers/{server_id}/token", token=friend).status_code == 200
    finally:
        hub.stop()
