"""Password reset through a real SMTP server, forced reset, and delivery faults (issue 5)."""

import collections
import os
import tempfile
import time

import pytest

from hubkit import register_verified, Hub, SMTPSink, device, html_of, text_of, token_in

PASSWORD = "cobalt-willow-thunder-18"
NEW_PASSWORD = "saffron-glacier-piano-64"


def reset_mails(sink, address):
    return [m for m in sink.messages() if m["To"] == address and m["Subject"] == "Reset your password"]


def test_reset_through_smtp_single_use_newest_wins(mail_hub):
    hub, sink = mail_hub
    register_verified(hub, sink, "hana", PASSWORD)
    phone = hub.api("POST", "/sessions", json={"identifier": "hana", "password": PASSWORD}).json()["token"]

    # The same answer for a known and an unknown account.
    known = hub.api("POST", "/password-reset", json={"identifier": "hana@example.com"})
    unknown = hub.api("POST", "/password-reset", json={"identifier": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    first = token_in(sink.wait_for_mail(lambda m: len(reset_mails(sink, "hana@example.com")) >= 1
                                        and m["Subject"] == "Reset your password"), "ghr")
    hub.api("POST", "/password-reset", json={"identifier": "hana"})
    deadline = time.time() + 20
    while len(reset_mails(sink, "hana@example.com")) < 2 and time.time() < deadline:
        time.sleep(0.1)
    mails = reset_mails(sink, "hana@example.com")
    assert len(mails) == 2
    second = token_in(mails[-1], "ghr") if token_in(mails[-1], "ghr") != first else token_in(mails[0], "ghr")
    for message in mails:
        assert hub.url in text_of(message)
        links = [part.rstrip(".,") for part in text_of(message).split() if part.startswith("http")]
        assert links and all(link == hub.url or link.startswith(hub.url + "/") for link in links)
        hrefs = [part.split('"')[1] for part in html_of(message).split("href=")[1:]]
        assert hrefs and all(href.startswith(hub.url + "/") for href in hrefs)
        assert "will never ask for your password" in text_of(message)
        assert message["From"] == "Gatehouse <security@gatehouse.test>"

    stale = hub.api("POST", "/password-reset/confirm", json={"token": first, "new_password": NEW_PASSWORD})
    assert stale.status_code == 400, "an older token must stop working once a newer one was sent"
    same = hub.api("POST", "/password-reset/confirm", json={"token": second, "new_password": PASSWORD})
    assert same.status_code == 422, "the new password must differ from the old one"
    done = hub.api("POST", "/password-reset/confirm", json={"token": second, "new_password": NEW_PASSWORD})
    assert done.status_code == 200, done.text
    assert hub.api("POST", "/password-reset/confirm",
                   json={"token": second, "new_password": "another-fine-passphrase-1"}).status_code == 400
    assert hub.api("GET", "/account", token=phone).status_code == 401, "a reset signs out every device"
    assert hub.api("POST", "/sessions", json={"identifier": "hana", "password": PASSWORD}).status_code == 401
    assert hub.api("POST", "/sessions", json={"identifier": "hana", "password": NEW_PASSWORD}).status_code == 201
    sink.wait_for_mail(lambda m: m["To"] == "hana@example.com" and m["Subject"] == "Your password was changed")


def test_forced_reset_only_after_a_correct_password(mail_hub):
    hub, sink = mail_hub
    register_verified(hub, sink, "ivan", PASSWORD)
    hub.cli("admin", "flag-reset", "ivan")
    wrong = hub.api("POST", "/sessions", json={"identifier": "ivan", "password": "not-the-password-9"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"
    right = hub.api("POST", "/sessions", json={"identifier": "ivan", "password": PASSWORD})
    assert right.status_code == 403 and right.json()["error"]["code"] == "password_reset_required"
    sink.wait_for_mail(lambda m: m["To"] == "ivan@example.com" and m["Subject"] == "Important security notice")
    # The correct password earned a fresh link (which, being newest, replaces the one in the notice).
    forced = sink.wait_for_mail(lambda m: m["To"] == "ivan@example.com" and m["Subject"] == "Reset your password")
    assert "must be reset" in text_of(forced)
    token = token_in(forced, "ghr")
    assert hub.api("POST", "/password-reset/confirm", json={"token": token, "new_password": NEW_PASSWORD}).status_code == 200
    assert hub.api("POST", "/sessions", json={"identifier": "ivan", "password": NEW_PASSWORD}).status_code == 201


def test_reset_keeps_the_second_factor(mail_hub):
    import pyotp
    hub, sink = mail_hub
    register_verified(hub, sink, "june", PASSWORD)
    token = hub.api("POST", "/sessions", json={"identifier": "june", "password": PASSWORD}).json()["token"]
    secret = hub.api("POST", "/account/2fa/totp", token=token).json()["secret"]
    assert hub.api("POST", "/account/2fa/totp/confirm", token=token,
                   json={"code": pyotp.TOTP(secret).now()}).status_code == 200
    hub.api("POST", "/password-reset", json={"identifier": "june"})
    message = sink.wait_for_mail(lambda m: m["To"] == "june@example.com" and m["Subject"] == "Reset your password")
    assert hub.api("POST", "/password-reset/confirm",
                   json={"token": token_in(message, "ghr"), "new_password": NEW_PASSWORD}).status_code == 200
    after = hub.api("POST", "/sessions", json={"identifier": "june", "password": NEW_PASSWORD})
    assert after.status_code == 200 and after.json()["second_factor_required"] is True


@pytest.mark.parametrize("fault", ["mail:451", "drop:mid-data", "drop:after-data", "greeting:421", "down"])
def test_delivery_faults_then_exactly_once(fault):
    root = tempfile.mkdtemp(prefix="gh-fault-")
    sink = SMTPSink(os.path.join(root, "inbox"), tls=False).start()
    hub = Hub(env=sink.hub_env()).start()
    try:
        if fault == "down":
            sink.stop()
        else:
            sink.fault(fault)
        names = [f"user{index}" for index in range(6)]
        for name in names:
            response = hub.api("POST", "/accounts", json={"username": name, "email": f"{name}@example.com",
                                                          "password": PASSWORD})
            assert response.status_code == 202
        time.sleep(2)
        if fault == "down":
            sink = SMTPSink(sink.folder, port=sink.port, tls=False).start()
        else:
            sink.fault(None)
        deadline = time.time() + 60
        while len(sink.messages()) < len(names) and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(2)
        ids = collections.Counter(m["Message-ID"] for m in sink.messages())
        recipients = collections.Counter(m["To"] for m in sink.messages())
        if fault == "drop:after-data":
            # The server read the whole message and then vanished without answering: the hub cannot know it
            # arrived and sends it again, with the same Message-ID, so the receiver can tell it is the same mail.
            assert set(recipients) == {f"{n}@example.com" for n in names}
        else:
            assert all(count == 1 for count in ids.values()), ids
            assert recipients == collections.Counter(f"{n}@example.com" for n in names)
    finally:
        hub.stop()
        sink.stop()
