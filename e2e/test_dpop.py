"""DPoP (RFC 9449) against a live hub and media server, with proofs made by an independent JOSE library (joserfc):
accepted when right; refused without a proof, as Bearer, replayed, or for another URL, method or key; and a media
token of a bound device refused by the media server without the key."""

import base64
import hashlib
import json
import os
import time
import uuid

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey

from hubkit import Hub, register, sign_in
from test_media_live import Media, make_library, wait_claimed

PASSWORD = "harbour-quill-meadow-58"


class Client:
    """A DPoP client: one key pair, proofs signed by joserfc."""

    def __init__(self, kind="ES256"):
        # EdDSA is JOSE's name for Ed25519 here; Ed25519 is its fully-specified name (RFC 9864).
        self.alg = kind
        if kind == "ES256":
            self.key = ECKey.generate_key("P-256")
        else:
            self.key = OKPKey.generate_key("Ed25519")
        self.jwk = self.key.as_dict(private=False)
        assert "d" not in self.jwk

    def thumbprint(self):
        return self.key.thumbprint()

    def proof(self, method, url, token=None, nonce=None, iat=None, jti=None):
        claims = {"jti": jti or str(uuid.uuid4()), "htm": method, "htu": url, "iat": int(iat or time.time())}
        if token is not None:
            claims["ath"] = base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()
        if nonce is not None:
            claims["nonce"] = nonce
        header = {"typ": "dpop+jwt", "alg": self.alg, "jwk": self.jwk}
        return jwt.encode(header, claims, self.key, algorithms=[self.alg])


def bound_sign_in(hub, client, username, password=PASSWORD, name="tv"):
    url = hub.url + "/api/v1/sessions"
    response = requests.post(url, json={"identifier": username, "password": password,
                                        "device": {"name": name, "product": "pytest", "platform": "Linux"}},
                             headers={"DPoP": client.proof("POST", url)}, timeout=30)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["token_type"] == "DPoP"
    return body["token"]


def dpop_get(hub, client, path, token, proof=None):
    url = hub.url + "/api/v1" + path
    return requests.get(url, headers={"Authorization": f"DPoP {token}",
                                      "DPoP": proof if proof is not None else client.proof("GET", url, token)}, timeout=30)


def error_code(response):
    return response.json()["error"]["code"]


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "Ed25519"])
def test_proofs_from_joserfc_are_accepted_and_everything_else_refused(hub, alg):
    register(hub, "dora", PASSWORD)
    client = Client(alg)
    token = bound_sign_in(hub, client, "dora")

    # Accepted, repeatedly, each with a fresh proof.
    for _ in range(3):
        ok = dpop_get(hub, client, "/account", token)
        assert ok.status_code == 200, ok.text
        assert ok.json()["username"] == "dora"

    # The same credential without a proof, or as a bearer token: refused.
    no_proof = requests.get(hub.url + "/api/v1/account", headers={"Authorization": f"DPoP {token}"}, timeout=30)
    assert no_proof.status_code == 401
    bearer = hub.api("GET", "/account", token=token)
    assert bearer.status_code == 401
    assert bearer.headers["WWW-Authenticate"].startswith("DPoP")
    assert error_code(bearer) == "invalid_token"

    # A replayed proof: refused the second time.
    url = hub.url + "/api/v1/account"
    proof = client.proof("GET", url, token)
    assert dpop_get(hub, client, "/account", token, proof).status_code == 200
    replay = dpop_get(hub, client, "/account", token, proof)
    assert replay.status_code == 401 and error_code(replay) == "invalid_dpop_proof"
    assert 'error="invalid_dpop_proof"' in replay.headers["WWW-Authenticate"]

    # A proof for another URL, another method, another key, a stale one, one without ath.
    bad = {
        "another URL": client.proof("GET", hub.url + "/api/v1/devices", token),
        "another host": client.proof("GET", "http://evil.example/api/v1/account", token),
        "another method": client.proof("POST", url, token),
        "another key": Client(alg).proof("GET", url, token),
        "stale iat": client.proof("GET", url, token, iat=time.time() - 300),
        "no ath": client.proof("GET", url),
        "ath of another token": client.proof("GET", url, "ghd_" + "A" * 43),
    }
    for name, proof in bad.items():
        response = dpop_get(hub, client, "/account", token, proof)
        assert response.status_code == 401, name
        assert error_code(response) == "invalid_dpop_proof", name

    # The query string is not part of htu: a proof for the path works with a query.
    devices_url = hub.url + "/api/v1/devices"
    listed = requests.get(devices_url + "?x=1", headers={"Authorization": f"DPoP {token}",
                                                         "DPoP": client.proof("GET", devices_url, token)}, timeout=30)
    assert listed.status_code == 200 and listed.json()[0]["dpop_bound"] is True


def test_malformed_proofs_never_cause_a_server_error(hub):
    register(hub, "eli", PASSWORD)
    client = Client()
    token = bound_sign_in(hub, client, "eli")
    url = hub.url + "/api/v1/account"
    good = client.proof("GET", url, token)
    head, body, sig = good.split(".")
    b64 = lambda obj: base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()  # noqa: E731
    private = dict(client.key.as_dict(private=True))
    for proof in ["", "x", "a.b", "a.b.c.d", good + "=", "." * 5000,
                  b64({"typ": "dpop+jwt", "alg": "none", "jwk": client.jwk}) + "." + body + ".",
                  b64({"typ": "dpop+jwt", "alg": "HS256", "jwk": client.jwk}) + "." + body + "." + sig,
                  b64({"typ": "dpop+jwt", "alg": "ES256", "jwk": private}) + "." + body + "." + sig,
                  b64({"typ": "JWT", "alg": "ES256", "jwk": client.jwk}) + "." + body + "." + sig,
                  head + "." + b64({"iat": "now"}) + "." + sig,
                  head + "." + body + "." + sig[:-4] + "AAAA"]:
        response = dpop_get(hub, client, "/account", token, proof)
        assert response.status_code == 401, proof[:40]
        assert response.json()["error"]["code"] in ("invalid_dpop_proof", "invalid_token")
    # A bad proof at sign-in: 400, before the password is looked at.
    sessions = hub.url + "/api/v1/sessions"
    response = requests.post(sessions, json={"identifier": "eli", "password": PASSWORD},
                             headers={"DPoP": client.proof("POST", hub.url + "/api/v1/devices")}, timeout=30)
    assert response.status_code == 400 and error_code(response) == "invalid_dpop_proof"


def test_required_nonce_is_asked_for_then_accepted():
    hub = Hub(env={"GATEHOUSE_DPOP_REQUIRE_NONCE": "1"}).start()
    try:
        register(hub, "fern", PASSWORD)
        client = Client("EdDSA")
        url = hub.url + "/api/v1/sessions"
        body = {"identifier": "fern", "password": PASSWORD}
        first = requests.post(url, json=body, headers={"DPoP": client.proof("POST", url)}, timeout=30)
        assert first.status_code == 400 and error_code(first) == "use_dpop_nonce"
        nonce = first.headers["DPoP-Nonce"]
        second = requests.post(url, json=body, headers={"DPoP": client.proof("POST", url, nonce=nonce)}, timeout=30)
        assert second.status_code == 201, second.text
        token = second.json()["token"]
        account = hub.url + "/api/v1/account"
        without = dpop_get(hub, client, "/account", token, client.proof("GET", account, token))
        assert without.status_code == 401 and error_code(without) == "use_dpop_nonce"
        assert 'error="use_dpop_nonce"' in without.headers["WWW-Authenticate"]
        ok = dpop_get(hub, client, "/account", token, client.proof("GET", account, token, nonce=without.headers["DPoP-Nonce"]))
        assert ok.status_code == 200 and ok.headers.get("DPoP-Nonce")
    finally:
        hub.stop()


@pytest.fixture
def media_setup():
    hub = Hub().start()
    root, files = make_library()
    media = Media(hub, {"Movies": os.path.join(root, "Movies")})
    yield hub, media, files
    media.stop()
    hub.stop()


def test_media_token_of_a_bound_device_needs_the_key_at_the_media_server(media_setup):
    hub, media, files = media_setup
    register(hub, "gil", PASSWORD)
    owner = sign_in(hub, "gil", PASSWORD, "laptop")
    claimed = hub.api("POST", "/servers/claim", token=owner, json={"code": media.code})
    assert claimed.status_code == 201, claimed.text
    server_id = wait_claimed(media)

    client = Client()
    tv = bound_sign_in(hub, client, "gil", name="living-room tv")
    token_url = f"{hub.url}/api/v1/servers/{server_id}/token"
    minted = requests.post(token_url, headers={"Authorization": f"DPoP {tv}",
                                               "DPoP": client.proof("POST", token_url, tv)}, timeout=30)
    assert minted.status_code == 200, minted.text
    media_token = minted.json()["token"]
    payload = json.loads(base64.urlsafe_b64decode(media_token.split(".")[1] + "=="))
    # The hub's jkt is joserfc's RFC 7638 thumbprint of the client's key.
    assert payload["cnf"] == {"jkt": client.thumbprint()}

    sections = media.url + "/api/library/sections"
    # With the key: accepted.
    ok = requests.get(sections, headers={"Authorization": f"DPoP {media_token}",
                                         "DPoP": client.proof("GET", sections, media_token)}, timeout=30)
    assert ok.status_code == 200, ok.text
    assert [s["name"] for s in ok.json()["sections"]] == ["Movies"]
    # Without the key: as Bearer, in the query string, with no proof, with another key's proof, replayed.
    assert media.get("/api/library/sections", media_token).status_code == 401
    assert requests.get(sections, params={"token": media_token}, timeout=30).status_code == 401
    assert requests.get(sections, headers={"Authorization": f"DPoP {media_token}"}, timeout=30).status_code == 401
    thief = Client()
    stolen = requests.get(sections, headers={"Authorization": f"DPoP {media_token}",
                                             "DPoP": thief.proof("GET", sections, media_token)}, timeout=30)
    assert stolen.status_code == 401 and stolen.json()["error"]["code"] == "invalid_dpop_proof"
    proof = client.proof("GET", sections, media_token)
    headers = {"Authorization": f"DPoP {media_token}", "DPoP": proof}
    assert requests.get(sections, headers=headers, timeout=30).status_code == 200
    assert requests.get(sections, headers=headers, timeout=30).status_code == 401
    # A proof for another path of the media server.
    other = requests.get(sections, headers={"Authorization": f"DPoP {media_token}",
                                            "DPoP": client.proof("GET", media.url + "/api/library/items/x", media_token)},
                         timeout=30)
    assert other.status_code == 401

    # An unbound device's media token still works as Bearer, and is refused as DPoP.
    plain = hub.api("POST", f"/servers/{server_id}/token", token=owner).json()["token"]
    assert "cnf" not in json.loads(base64.urlsafe_b64decode(plain.split(".")[1] + "=="))
    assert media.get("/api/library/sections", plain).status_code == 200
    assert requests.get(sections, headers={"Authorization": f"DPoP {plain}",
                                           "DPoP": client.proof("GET", sections, plain)}, timeout=30).status_code == 401


def test_device_grant_token_endpoint_binds_the_credential(hub):
    """RFC 9449 section 5 at RFC 8628's token endpoint: a DPoP proof on the token request binds the TV's credential."""
    from test_device_flow import GRANT, TV, PageSession, verified_account

    verified_account(hub, "hugo")
    owner = PageSession(hub, "hugo", "juniper-lantern-orchard-58")
    codes = TV(hub).start().json()
    owner.decide(codes["user_code"])
    client = Client("ES256")
    token_url = hub.url + "/oauth/token"
    form = {"grant_type": GRANT, "device_code": codes["device_code"], "client_id": "gatehouse-cli"}
    # A proof for another URL is refused in OAuth's own form, before the code is looked at.
    bad = requests.post(token_url, data=form, headers={"DPoP": client.proof("POST", hub.url + "/api/v1/sessions")},
                        timeout=30)
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_dpop_proof", bad.text
    issued = requests.post(token_url, data=form, headers={"DPoP": client.proof("POST", token_url)}, timeout=30)
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert body["token_type"] == "DPoP"
    token = body["access_token"]
    assert dpop_get(hub, client, "/account", token).status_code == 200
    assert hub.api("GET", "/account", token=token).status_code == 401
    assert dpop_get(hub, Client("ES256"), "/account", token).status_code == 401
