"""The hub over real HTTP: registration, verification, devices, sign-out-all, password change (issue 3)."""

import glob
import os
import re
import sqlite3
import subprocess
import tempfile
import time

import requests

from hubkit import Hub, device, free_port, gatehouse_bin, register, sign_in, text_of, verify

PASSWORD = "violet-kestrel-harbour-42"
NEW_PASSWORD = "quiet-lantern-orchard-77"


def test_register_verify_devices_revoke_sign_out_all_change_password(hub):
    register(hub, "alice", PASSWORD)
    assert verify(hub, "alice@example.com")["email_verified"] is True

    laptop = sign_in(hub, "alice", PASSWORD, "laptop")
    phone = sign_in(hub, "ALICE@example.com", PASSWORD, "phone")
    tv = sign_in(hub, "alice", PASSWORD, "tv")
    assert len({laptop, phone, tv}) == 3
    assert all(re.fullmatch(r"ghd_[A-Za-z0-9_-]{43}", t) for t in (laptop, phone, tv))

    listed = hub.api("GET", "/devices", token=laptop).json()
    assert sorted(d["name"] for d in listed) == ["laptop", "phone", "tv"]
    assert [d["name"] for d in listed if d["current"]] == ["laptop"]
    assert not any(t in hub.api("GET", "/devices", token=laptop).text for t in (laptop, phone, tv))

    tv_id = next(d["id"] for d in listed if d["name"] == "tv")
    assert hub.api("GET", "/account", token=tv).status_code == 200
    assert hub.api("DELETE", f"/devices/{tv_id}", token=laptop).status_code == 204
    revoked = hub.api("GET", "/account", token=tv)
    assert revoked.status_code == 401
    assert revoked.json()["error"]["code"] == "invalid_token"
    assert hub.api("DELETE", f"/devices/{tv_id}", token=laptop).status_code == 404

    signed_out = hub.api("POST", "/devices/sign-out-all", token=laptop, json={"keep_current": True})
    assert signed_out.json() == {"signed_out": 1}
    assert hub.api("GET", "/account", token=phone).status_code == 401
    assert hub.api("GET", "/account", token=laptop).status_code == 200

    phone = sign_in(hub, "alice", PASSWORD, "phone")
    changed = hub.api("POST", "/account/password", token=laptop,
                      json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert hub.api("GET", "/account", token=phone).status_code == 401
    assert hub.api("GET", "/account", token=laptop).status_code == 200
    old = hub.api("POST", "/sessions", json={"identifier": "alice", "password": PASSWORD})
    assert old.status_code == 401
    sign_in(hub, "alice", NEW_PASSWORD, "phone")
    hub.wait_for_mail(lambda m: "password was changed" in m["Subject"])

    activity = [e["kind"] for e in hub.api("GET", "/security-activity", token=laptop).json()]
    for kind in ("account.created", "email.verified", "signin.succeeded", "device.revoked",
                 "devices.signed_out_all", "password.changed", "signin.failed"):
        assert kind in activity

    # Nothing secret is on disk in a usable form: no credential, no password, no mailed token, and the password
    # hashes are keyed.
    mailed = re.findall(r"token=(gh[a-z]_[A-Za-z0-9_-]+)", " ".join(text_of(m) for m in hub.messages()))
    assert mailed
    hub.stop()
    db_files = glob.glob(os.path.join(hub.data, "gatehouse.sqlite*"))
    raw = b"".join(open(p, "rb").read() for p in db_files)
    for secret in (laptop, phone, tv, PASSWORD, NEW_PASSWORD, *mailed):
        assert secret.encode() not in raw
    connection = sqlite3.connect(os.path.join(hub.data, "gatehouse.sqlite"))
    hashes = [row[0] for row in connection.execute("SELECT password_hash FROM credentials")]
    hashes += [row[0] for row in connection.execute("SELECT password_hash FROM password_history")]
    assert hashes and all(h.startswith("$argon2id$v=19$m=") and ",keyid=" in h for h in hashes)
    # Without the keyring's pepper, the stored hash does not verify the right password.
    from argon2 import PasswordHasher
    from argon2.exceptions import VerificationError
    for stored in hashes:
        unkeyed = re.sub(r",keyid=[^$]*", "", stored)
        for guess in (PASSWORD, NEW_PASSWORD):
            try:
                PasswordHasher().verify(unkeyed, guess)
                raise AssertionError("a password hash verified without the pepper")
            except VerificationError:
                pass
    keyring = os.path.join(hub.data, "keys", "keyring.json")
    assert os.stat(keyring).st_mode & 0o777 == 0o600
    assert open(keyring, "rb").read() not in raw


def test_new_device_mail_and_email_change_tells_old_address(hub):
    register(hub, "bob", PASSWORD)
    verify(hub, "bob@example.com")
    first = sign_in(hub, "bob", PASSWORD, "laptop", client="bob-laptop", full=True)
    token = first["token"]
    hub.wait_for_mail(lambda m: m["To"] == "bob@example.com" and m["Subject"] == "New sign-in to your account")
    # The hub knows the device by the secret it issued, not by the identifier the client chose.
    sign_in(hub, "bob", PASSWORD, "laptop again", known=first["known_device_token"])
    count = sum(1 for m in hub.messages() if m["Subject"] == "New sign-in to your account")
    assert count == 1, "a known device must not trigger a new-device mail"
    sign_in(hub, "bob", PASSWORD, "copycat", client="bob-laptop")
    hub.wait_for_mail(lambda m: sum(1 for x in hub.messages() if x["Subject"] == "New sign-in to your account") == 2)
    wrong = hub.api("POST", "/account/email", token=token, json={"password": "nope", "new_email": "b2@example.com"})
    assert wrong.status_code == 403
    changed = hub.api("POST", "/account/email", token=token, json={"password": PASSWORD, "new_email": "b2@example.com"})
    assert changed.status_code == 202, changed.text
    # Nothing changes until the new address confirms; the old address is told at once.
    assert hub.api("GET", "/account", token=token).json()["email"] == "bob@example.com"
    hub.wait_for_mail(lambda m: m["To"] == "bob@example.com" and "change of your email" in m["Subject"])
    verify(hub, "b2@example.com")
    notice = hub.wait_for_mail(lambda m: m["To"] == "bob@example.com" and "email address was changed" in m["Subject"])
    assert "b2***@example.com" in text_of(notice) and "b2@example.com" not in text_of(notice)
    assert hub.api("GET", "/account", token=token).json()["email"] == "b2@example.com"


def test_unknown_account_and_wrong_password_look_the_same(hub):
    register(hub, "carol", PASSWORD)
    unknown = hub.api("POST", "/sessions", json={"identifier": "nobody", "password": "whatever-password"})
    wrong = hub.api("POST", "/sessions", json={"identifier": "carol", "password": "whatever-password"})
    assert unknown.status_code == wrong.status_code == 401
    # Alike but for the request id, which is random for every request (and so tells nothing).
    unknown_error, wrong_error = unknown.json()["error"], wrong.json()["error"]
    assert unknown_error.pop("request_id") == unknown.headers["X-Request-Id"]
    assert wrong_error.pop("request_id") == wrong.headers["X-Request-Id"]
    assert unknown_error == wrong_error


def test_failures_slow_down_but_a_known_device_still_signs_in(hub):
    register(hub, "dora", PASSWORD)
    home = sign_in(hub, "dora", PASSWORD, "home", client="dora-home", full=True)

    def guess():
        return hub.api("POST", "/sessions", json={"identifier": "dora", "password": "bad-guess-123",
                                                  "device": device("attacker", "attacker")})

    # Five free attempts.
    assert [guess().status_code for _ in range(5)] == [401] * 5
    # Then each further one waits 1 s, 2 s, 4 s, 8 s... The hub keeps failure times in whole seconds, so a wait can
    # be up to a second shorter: the first ones (at most 1 s, 2 s, 4 s) are shorter than a stall on a loaded machine
    # can be, and a check made inside them could pass or fail for the wrong reason (the last CI run got 201 where the
    # delay had run out). So nothing is checked inside them: each wait the hub names is sat out and one more wrong
    # guess counted, until eight failures have grown the delay to 8 s (at least 7 s left right after the eighth).
    failures = 5
    for _ in range(12):
        if failures == 8:
            break
        answer = guess()
        if answer.status_code == 429:
            time.sleep(int(answer.headers["Retry-After"]))
            continue
        assert answer.status_code == 401, answer.text
        failures += 1
    assert failures == 8
    # Held up now, even with the right password, and the hub says for how long (never more than the 8 s delay).
    throttled = hub.api("POST", "/sessions", json={"identifier": "dora", "password": PASSWORD,
                                                   "device": device("attacker", "attacker")})
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers, throttled.text
    assert 1 <= int(throttled.headers["Retry-After"]) <= 8, throttled.headers["Retry-After"]
    # The owner's known device is exempt from the per-account delay: no stranger can lock the owner out.
    # Copying the owner's client identifier does not help the attacker...
    copied = hub.api("POST", "/sessions", json={"identifier": "dora", "password": PASSWORD,
                                                "device": device("home", "dora-home")})
    assert copied.status_code == 429, copied.text
    # ...the secret the hub issued to the owner's device does.
    owner = hub.api("POST", "/sessions", json={"identifier": "dora", "password": PASSWORD,
                                               "device": device("home", known=home["known_device_token"])})
    assert owner.status_code == 201, owner.text


def test_password_rules_explain_refusals(hub):
    cases = {"short": "too_short", "password123": "common", "erin-the-great-2024": "contains_user_info"}
    for password, code in cases.items():
        response = hub.api("POST", "/accounts", json={"username": "erin", "email": "erin@example.com",
                                                      "password": password})
        assert response.status_code == 422, response.text
        assert code in response.json()["error"]["details"], response.text
    long_ok = "correct horse battery staple " * 8
    assert hub.api("POST", "/accounts", json={"username": "erin", "email": "erin@example.com",
                                              "password": long_ok}).status_code == 202


def test_bad_input_gets_4xx_json_never_5xx(hub):
    register(hub, "frank", PASSWORD)
    token = sign_in(hub, "frank", PASSWORD)
    url = hub.url + "/api/v1"
    json_header = {"Content-Type": "application/json"}
    corpus = [
        ("POST", "/accounts", b"{not json", json_header),
        ("POST", "/accounts", b"", json_header),
        ("POST", "/accounts", b"[]", json_header),
        ("POST", "/accounts", b'{"username": 5, "email": "x@example.com", "password": "abcdefghij"}', json_header),
        ("POST", "/accounts", b'{"username": "x"}', json_header),
        ("POST", "/accounts", b'{"username": "\xff\xfe", "email": "a@b.c", "password": "abc"}', json_header),
        ("POST", "/accounts", b'{"username": "u", "email": "a@b.c", "password": "p"}', {"Content-Type": "text/plain"}),
        ("POST", "/accounts", b'{"username": "' + b"a" * 200_000 + b'"}', json_header),
        ("POST", "/accounts", ('{"username": "longpw", "email": "l@example.com", "password": "'
                               + "x" * 10_000 + '"}').encode(), json_header),
        ("POST", "/sessions", ('{"identifier": "frank", "password": "' + "y" * 10_000 + '"}').encode(), json_header),
        ("POST", "/sessions", b'{"identifier": null, "password": "x"}', json_header),
        ("POST", "/sessions", b'{"identifier": "frank", "password": "x", "device": "phone"}', json_header),
        ("POST", "/sessions/second-factor", b'{"challenge": "nope", "code": "123456"}', json_header),
        ("POST", "/account/verify-email", b'{"token": "ghv_forged"}', json_header),
        ("POST", "/password-reset/confirm", b'{"token": "x", "new_password": "y"}', json_header),
        ("GET", "/no/such/route", b"", {}),
        ("PATCH", "/accounts", b"{}", json_header),
        ("GET", "/account", b"", {"Authorization": "Bearer ghd_" + "A" * 43}),
        ("GET", "/account", b"", {"Authorization": "Bearer " + "\u00e9".encode("utf-8").decode("latin-1")}),
        ("GET", "/account", b"", {"Authorization": "Basic Zm9vOmJhcg=="}),
        ("DELETE", "/devices/" + "x" * 5000, b"", {"Authorization": f"Bearer {token}"}),
        ("POST", "/devices/sign-out-all", b'{"keep_current": "yes"}', {"Authorization": f"Bearer {token}", **json_header}),
        ("POST", "/account/password", b'{"current_password": 1}', {"Authorization": f"Bearer {token}", **json_header}),
    ]
    for method, path, body, headers in corpus:
        response = requests.request(method, url + path, data=body, headers=headers, timeout=30)
        assert 400 <= response.status_code < 500, (method, path[:40], response.status_code, response.text[:200])
        assert response.json()["error"]["code"], (method, path[:40])
    assert hub.api("GET", "/account", token=token).status_code == 200
    assert hub.process.poll() is None


def test_operator_sign_out_reaches_a_running_hub_within_a_second(hub):
    register(hub, "gwen", PASSWORD)
    token = sign_in(hub, "gwen", PASSWORD)
    assert hub.api("GET", "/account", token=token).status_code == 200  # now cached in the hub
    hub.cli("admin", "sign-out", "gwen")  # another process, same database
    # The second is counted to when each request was sent, not answered: a stall of this test (or a slow answer)
    # on a loaded machine must not use it up. A request sent more than a second after the command finished must
    # be refused; earlier ones may still be served from the cache. The polling itself may take longer.
    done = time.monotonic()
    while True:
        sent = time.monotonic() - done
        status = hub.api("GET", "/account", token=token).status_code
        if status != 200:
            break
        assert sent < 1.0, f"still signed in {sent:.2f} s after the operator's sign-out"
        time.sleep(0.05)
    assert status == 401


def test_planted_and_unkeyed_hashes_are_refused_quickly():
    """A hash written into the database without the pepper, or with an enormous cost, never signs anyone in and
    costs no hashing; the refusal is logged once per account and reason, without the hash (issue 12)."""
    from argon2 import PasswordHasher

    hub = Hub().start()
    try:
        register(hub, "victim", PASSWORD)
        sign_in(hub, "victim", PASSWORD)
        database = sqlite3.connect(os.path.join(hub.data, "gatehouse.sqlite"))
        ((account_id, stored),) = database.execute("SELECT account_id, password_hash FROM credentials").fetchall()

        def plant(value):
            with database:
                database.execute("UPDATE credentials SET password_hash = ? WHERE account_id = ?", (value, account_id))

        def attempt():
            started = time.monotonic()
            response = hub.api("POST", "/sessions", json={"identifier": "victim", "password": PASSWORD,
                                                          "device": device("laptop")})
            return response.status_code, time.monotonic() - started

        # Someone who can write the database but not read the keyring sets a password they know.
        unkeyed = PasswordHasher(memory_cost=19456, time_cost=2, parallelism=1).hash(PASSWORD)
        plant(unkeyed)
        assert attempt()[0] == 401
        # A planted cost that would pin a hashing thread for ever is refused before any hashing.
        planted = re.sub(r"m=\d+,t=\d+", "m=1048576,t=4294967295", stored)
        plant(planted)
        for _ in range(2):
            status, seconds = attempt()
            assert status == 401 and seconds < 2, (status, seconds)
        assert requests.get(hub.url + "/healthz", timeout=5).ok

        plant(stored)
        assert attempt()[0] == 201
        log = open(hub.log_path).read()
        refusals = [line for line in log.splitlines() if "stored password hash refused" in line]
        assert len(refusals) == 2, refusals
        assert any("unkeyed" in line for line in refusals) and any("cost_too_high" in line for line in refusals)
        assert all(account_id in line for line in refusals)
        for secret in (PASSWORD, stored, unkeyed, planted, unkeyed.split("$")[-1], stored.split("$")[-1]):
            assert secret not in log
    finally:
        hub.stop()


def test_weak_argon2_settings_refused_at_start():
    """Below OWASP's minimum the hub does not start, unless the loudly logged test/dev override is set."""
    weak = {"GATEHOUSE_ARGON2_MEMORY_KIB": "1024", "GATEHOUSE_ARGON2_ITERATIONS": "2"}
    env = dict(os.environ, **weak)
    env.pop("GATEHOUSE_ARGON2_ALLOW_WEAK", None)
    data = tempfile.mkdtemp(prefix="gh-weak-")
    result = subprocess.run([gatehouse_bin(), "serve", "--data", data, "--port", str(free_port())],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "OWASP" in result.stderr + result.stdout
    assert not os.path.exists(os.path.join(data, "gatehouse.sqlite"))

    hub = Hub(env={**weak, "GATEHOUSE_ARGON2_ALLOW_WEAK": "1"}).start()
    try:
        register(hub, "weakling", PASSWORD)
        assert "WEAK ARGON2 SETTINGS" in open(hub.log_path).read()
    finally:
        hub.stop()
