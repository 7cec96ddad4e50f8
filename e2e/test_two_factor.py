"""Two-factor sign-in against pyotp as the oracle (issue 4)."""

import base64
import glob
import os
import subprocess
import tempfile
import time
from urllib.parse import parse_qs, unquote, urlparse

import pyotp

from hubkit import device, register, sign_in, verify

PASSWORD = "amber-falcon-meadow-93"


def enable_totp(hub, token):
    begun = hub.api("POST", "/account/2fa/totp", token=token)
    assert begun.status_code == 201, begun.text
    body = begun.json()
    uri = body["uri"]
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    query = parse_qs(parsed.query)
    assert query["issuer"] == ["Gatehouse"] and unquote(parsed.path).endswith(":" + "gina")
    secret = query["secret"][0]
    assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) == 20
    # The QR code on offer decodes (zbar) to exactly the URI.
    with tempfile.NamedTemporaryFile(suffix=".png") as png:
        png.write(base64.b64decode(body["qr_png"]))
        png.flush()
        decoded = subprocess.run(["zbarimg", "--nodbus", "--raw", "-q", png.name], capture_output=True, text=True)
        assert decoded.stdout.strip() == uri
    totp = pyotp.TOTP(secret)
    confirmed = hub.api("POST", "/account/2fa/totp/confirm", token=token, json={"code": totp.now()})
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret, totp, codes


def password_step(hub, name):
    response = hub.api("POST", "/sessions", json={"identifier": "gina", "password": PASSWORD,
                                                  "device": device(name)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["second_factor_required"] is True and "token" not in body
    return body["challenge"]


def next_step():
    """Sleeps into the next 30-second step: a step whose code was used once is refused for good."""
    time.sleep(30 - (time.time() % 30) + 0.5)


def test_totp_sign_in_replay_drift_recovery_codes_and_sudo(hub):
    register(hub, "gina", PASSWORD)
    verify(hub, "gina@example.com")
    first = sign_in(hub, "gina", PASSWORD, "first")
    secret, totp, recovery = enable_totp(hub, first)
    hub.wait_for_mail(lambda m: m["Subject"] == "Two-factor sign-in turned on")

    # Codes two steps away are refused; pyotp's current code is accepted once; its replay is refused.
    next_step()
    challenge = password_step(hub, "second")
    now = time.time()
    for offset in (-60, 60):
        far = totp.at(now + offset)
        if far == totp.at(now):
            continue
        answer = hub.api("POST", "/sessions/second-factor", json={"challenge": challenge, "code": far})
        assert answer.status_code == 401, answer.text
    code = totp.now()
    signed = hub.api("POST", "/sessions/second-factor", json={"challenge": challenge, "code": code})
    assert signed.status_code == 201, signed.text
    second = signed.json()["token"]
    replay = hub.api("POST", "/sessions/second-factor",
                     json={"challenge": password_step(hub, "third"), "code": code})
    assert replay.status_code == 401, "a code must not work twice in its own time step"

    # A recovery code works once, and mails the owner.
    challenge = password_step(hub, "fourth")
    used = hub.api("POST", "/sessions/second-factor", json={"challenge": challenge, "code": recovery[0].upper()})
    assert used.status_code == 201, used.text
    hub.wait_for_mail(lambda m: m["Subject"] == "A recovery code was used")
    again = hub.api("POST", "/sessions/second-factor",
                    json={"challenge": password_step(hub, "fifth"), "code": recovery[0]})
    assert again.status_code == 401

    # Turning 2FA off needs a recent re-authentication: a device signed in long ago cannot, until it confirms.
    status = hub.api("GET", "/account/2fa", token=second).json()
    assert status == {"enabled": True, "recovery_codes_remaining": 9}
    hub.stop()
    # Age the sign-in of `second` beyond the sudo window (10 minutes) directly in the database.
    import sqlite3
    db = sqlite3.connect(os.path.join(hub.data, "gatehouse.sqlite"))
    db.execute("UPDATE devices SET reauthenticated_at = reauthenticated_at - 3600")
    db.commit()
    db.close()
    hub.start()
    refused = hub.api("DELETE", "/account/2fa", token=second)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "reauthentication_required"
    bad = hub.api("POST", "/session/reauthenticate", token=second, json={"password": PASSWORD, "code": "000000"})
    assert bad.status_code in (401, 403)
    next_step()
    ok = hub.api("POST", "/session/reauthenticate", token=second, json={"password": PASSWORD, "code": totp.now()})
    assert ok.status_code == 200, ok.text
    assert hub.api("DELETE", "/account/2fa", token=second).status_code == 204
    hub.wait_for_mail(lambda m: m["Subject"] == "Two-factor sign-in turned off")
    direct = hub.api("POST", "/sessions", json={"identifier": "gina", "password": PASSWORD})
    assert direct.status_code == 201

    # A copy of the database reveals no TOTP secret, in bytes or in base32.
    hub.stop()
    raw = b"".join(open(p, "rb").read() for p in glob.glob(os.path.join(hub.data, "gatehouse.sqlite*")))
    seed = base64.b32decode(secret + "=" * (-len(secret) % 8))
    assert secret.encode() not in raw and secret.lower().encode() not in raw
    assert seed not in raw and seed.hex().encode() not in raw
    for code in recovery:
        assert code.encode() not in raw and code.replace("-", "").encode() not in raw


def test_guessing_codes_stops_at_the_limit(hub):
    register(hub, "gina", PASSWORD)
    token = sign_in(hub, "gina", PASSWORD, "first")
    enable_totp(hub, token)
    challenge = password_step(hub, "attacker")
    # The second challenge is fetched now: the budget's first delay is one second, and a password step (Argon2 on a
    # loaded CI machine) between the last wrong code and the next one could outlast it.
    fresh = password_step(hub, "attacker2")
    answers = [hub.api("POST", "/sessions/second-factor",
                       json={"challenge": challenge, "code": f"{n:06d}"}).status_code for n in range(7)]
    # Five wrong codes use the challenge up; later answers are refused outright, so a challenge gives 5 guesses.
    assert answers[:5] == [401] * 5
    assert all(status in (401, 429) for status in answers[5:])
    # New challenges do not reset the per-account budget: after 5 failures the account waits, growing delays
    # (1 s, then 2 s, 4 s...), and the owner is told that someone has their password. On a loaded machine the first
    # delay may have run out before this request, so one more wrong code may be checked; a retry at once cannot.
    throttled = None
    for _ in range(3):
        answer = hub.api("POST", "/sessions/second-factor", json={"challenge": fresh, "code": "123456"})
        if answer.status_code == 429:
            throttled = answer
            break
        assert answer.status_code == 401, answer.text
    assert throttled is not None, "three wrong codes in a row after five failures were all checked"
    assert int(throttled.headers["Retry-After"]) >= 1
    hub.wait_for_mail(lambda m: m["Subject"] == "Someone may know your password")
