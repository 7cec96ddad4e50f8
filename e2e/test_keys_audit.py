"""Issue 13, items 8 and 9 (Must show 7): after `gatehouse keys rotate` and `gatehouse keys retire`, a token signed
by the retired key is refused by a live media server, even one forged afresh with a stolen copy of that key; and an
audit entry edited (with its chain recomputed) or deleted in the SQLite file is caught by
`gatehouse audit verify --checkpoint`, though the plain hash chain still passes."""

import hashlib
import json
import os
import sqlite3
import struct
import time
import uuid

import requests
from nacl.signing import SigningKey

from hubkit import Hub, register, sign_in
from test_trust_chain import OfflineKey, b64url, b64url_decode, compact, start_media
from test_updates import claim, wait_until

PASSWORD = "cedar-prism-nomad-61"


def forged_token(seed, kid, server_id, account_id):
    now = int(time.time())
    payload = b64url(compact({"typ": "media", "kid": kid, "aud": server_id, "sub": account_id, "dev": "d-stolen",
                              "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex, "own": True, "sec": []}))
    signed = f"v1.{payload}"
    return signed + "." + b64url(SigningKey(seed).sign(signed.encode()).signature)


def sections(media, token):
    return requests.get(media.url + "/api/library/sections", timeout=5, headers={"Authorization": "Bearer " + token})


def pinned_kids(media):
    with open(os.path.join(media.data, "hub-keys.json")) as f:
        return sorted(k["kid"] for k in json.load(f)["keys"])


def test_a_retired_signing_key_is_refused_by_a_live_media_server(tmp_path):
    hub = Hub().start()
    media = None
    try:
        register(hub, "owen", PASSWORD)
        owner = sign_in(hub, "owen", PASSWORD)
        account_id = hub.api("GET", "/account", token=owner).json()["id"]
        media = start_media(hub.url, OfflineKey("r1").pin)
        server_id = claim(hub, media, owner)
        wait_until(lambda: os.path.exists(os.path.join(media.data, "hub-keys.json")), what="the pin")
        assert pinned_kids(media) == ["s1"]
        old_token = hub.api("POST", f"/servers/{server_id}/token", token=owner).json()["token"]
        assert sections(media, old_token).status_code == 200
        # A backup of the keyring taken now: the attacker's copy of s1.
        with open(os.path.join(hub.data, "keys", "keyring.json")) as f:
            stolen = json.load(f)
        s1_seed = bytes(next(k for k in stolen["signingKeys"] if k["id"] == "s1")["material"])
        assert sections(media, forged_token(s1_seed, "s1", server_id, account_id)).status_code == 200

        # The ceremony: rotate, restart, let the media servers follow (they pin s2 through s1's endorsement).
        hub.stop()
        hub.cli("keys", "rotate")
        hub.start()

        def s2_token():
            token = hub.api("POST", f"/servers/{server_id}/token", token=owner).json()["token"]
            assert json.loads(b64url_decode(token.split(".")[1]))["kid"] == "s2"
            return token
        wait_until(lambda: sections(media, s2_token()).status_code == 200, what="a token signed by s2")
        wait_until(lambda: pinned_kids(media) == ["s1", "s2"], what="s2 pinned")

        # What must stay is refused, and says why.
        for key_id, reason in [("s2", "current"), ("p1", "first key"), ("s7", "no key")]:
            refused = hub.cli("keys", "retire", key_id, check=False)
            assert refused.returncode != 0 and "refused" in refused.stderr and reason in refused.stderr, refused.stderr

        hub.stop()
        retired = hub.cli("keys", "retire", "s1")
        assert "retired signing key s1" in retired.stdout
        assert "retired: s1" in hub.cli("keys", "list").stdout
        started = time.time()
        hub.start()
        keys = hub.api("GET", "/keys/media").json()["keys"]
        assert [k["kid"] for k in keys] == ["s2"]
        assert keys[0]["signed_by"] == "s1", "s2 keeps the endorsement s1 made before it was retired"

        # The media server reads the keys again when the restarted hub's revocation stream says hello.
        wait_until(lambda: pinned_kids(media) == ["s2"], what="s1 dropped from the pin")
        dropped_after = time.time() - started
        for token in [old_token, forged_token(s1_seed, "s1", server_id, account_id)]:
            response = sections(media, token)
            assert response.status_code == 401, response.text
            assert response.json()["error"]["code"] == "unknown_key"
        assert sections(media, s2_token()).status_code == 200
        assert "hub keys retired" in media.log()
        print(f"\nthe media server dropped the retired key {dropped_after:.2f} s after the hub restarted")
        assert not [a for a in media.status()["alerts"] if "key" in a]
        assert media.stop() == 0
    finally:
        if media:
            media.stop()
        hub.stop()


def chain_hash(chain, kind, ip, detail, created_at, previous):
    digest = hashlib.sha256()
    for field in [chain, kind, ip, detail, str(created_at), previous]:
        data = field.encode()
        digest.update(struct.pack(">I", len(data)) + data)
    return digest.hexdigest()


def test_an_edited_or_deleted_audit_row_is_caught_by_the_signed_checkpoint(tmp_path):
    hub = Hub(env={"GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL": "1"}).start()
    database = os.path.join(hub.data, "gatehouse.sqlite")
    try:
        for name in ["alice", "bob"]:
            register(hub, name, PASSWORD)
            sign_in(hub, name, PASSWORD)
            sign_in(hub, name, PASSWORD, name="phone")
        ids = {name: hub.api("GET", "/account", token=sign_in(hub, name, PASSWORD, name="tablet")).json()["id"]
               for name in ["alice", "bob"]}

        def stored_checkpoints():
            with sqlite3.connect(database) as db:
                return db.execute("SELECT count(*) FROM audit_checkpoints").fetchone()[0]
        wait_until(lambda: stored_checkpoints() >= 1, what="the hub's periodic checkpoint")
        hub.stop()

        checkpoint = str(tmp_path / "checkpoint.txt")
        hub.cli("audit", "checkpoint", "--out", checkpoint)
        with open(checkpoint) as f:
            note = f.read()
        assert note.startswith("gatehouse-audit-v1\n") and "\n\n\u2014 gatehouse-audit-s1 " in note
        assert "0 problems" in hub.cli("audit", "verify", "--checkpoint", checkpoint).stdout
        assert "0 problems" in hub.cli("audit", "verify", "--checkpoint", "latest").stdout

        # 1. Edit alice's first entry and recompute every later hash of her chain, as anyone with the file can.
        db = sqlite3.connect(database)
        rows = db.execute("SELECT id, chain, kind, ip_address, detail, created_at FROM audit_events WHERE chain = ? "
                          "ORDER BY id", (ids["alice"],)).fetchall()
        previous = "0" * 64
        for index, (row_id, chain, kind, ip, detail, created_at) in enumerate(rows):
            if index == 0:
                ip = "203.0.113.250"
            digest = chain_hash(chain, kind, ip, detail, created_at, previous)
            db.execute("UPDATE audit_events SET ip_address = ?, previous_hash = ?, hash = ? WHERE id = ?",
                       (ip, previous, digest, row_id))
            previous = digest
        db.commit()
        # New entries are keyed (HMAC under a keyring-derived key), so the recomputed chain fails on its own too.
        keyed = hub.cli("audit", "verify", check=False)
        assert keyed.returncode == 1
        assert f"BROKEN chain {ids['alice']}" in keyed.stdout and "unkeyed entry" in keyed.stdout
        edited = hub.cli("audit", "verify", "--checkpoint", checkpoint, check=False)
        assert edited.returncode == 1
        assert f"BROKEN chain {ids['alice']}" in edited.stdout

        # 2. Delete bob's newest entry: a truncation no chain rule can see, the checkpoint does.
        newest = db.execute("SELECT max(id) FROM audit_events WHERE chain = ?", (ids["bob"],)).fetchone()[0]
        db.execute("DELETE FROM audit_events WHERE id = ?", (newest,))
        db.commit()
        db.close()
        assert "BROKEN chain " + ids["bob"] not in hub.cli("audit", "verify", check=False).stdout
        deleted = hub.cli("audit", "verify", "--checkpoint", checkpoint, check=False)
        assert deleted.returncode == 1
        assert f"BROKEN chain {ids['bob']}" in deleted.stdout and "truncated" in deleted.stdout
        # The hub's own earlier checkpoint, stored in the database, catches it too.
        assert hub.cli("audit", "verify", "--checkpoint", "latest", check=False).returncode == 1

        # 3. A checkpoint edited to match the rewritten log does not verify.
        with open(checkpoint, "w") as f:
            lines = note.split("\n")
            head = next(i for i, line in enumerate(lines) if line.startswith(f"head {ids['alice']} "))
            lines[head] = lines[head][:-64] + previous
            f.write("\n".join(lines))
        forged = hub.cli("audit", "verify", "--checkpoint", checkpoint, check=False)
        assert forged.returncode == 1 and "BROKEN checkpoint" in forged.stdout
    finally:
        hub.stop()
