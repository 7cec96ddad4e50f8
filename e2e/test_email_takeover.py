"""The e-mail-change takeover drill, end to end through a real SMTP server (issue 12).

An intruder with a stolen session tries to move the account to their own address. The change waits until the new
address confirms; the old address is told at once, and once the change happens it gets a link that puts the old
address back, signs every device out and forces a password reset. A reset link mailed before a password change
stops working.
"""

from hubkit import register_verified, text_of, token_in

PASSWORD = "cobalt-willow-thunder-18"
NEW_PASSWORD = "saffron-glacier-piano-64"


def test_email_takeover_is_undone_by_the_old_address(mail_hub):
    hub, sink = mail_hub
    register_verified(hub, sink, "gail", PASSWORD)
    owner = hub.api("POST", "/sessions", json={"identifier": "gail", "password": PASSWORD}).json()["token"]
    stolen = hub.api("POST", "/sessions", json={"identifier": "gail", "password": PASSWORD}).json()["token"]

    asked = hub.api("POST", "/account/email", token=stolen,
                    json={"password": PASSWORD, "new_email": "thief@evil.example"})
    assert asked.status_code == 202, asked.text
    # Nothing changed yet, and the owner was told at once.
    assert hub.api("GET", "/account", token=owner).json()["email"] == "gail@example.com"
    sink.wait_for_mail(lambda m: m["To"] == "gail@example.com" and "change of your email" in m["Subject"])

    confirm = sink.wait_for_mail(lambda m: m["To"] == "thief@evil.example" and "Confirm" in m["Subject"])
    assert hub.api("POST", "/account/verify-email", json={"token": token_in(confirm, "ghv")}).status_code == 200
    assert hub.api("GET", "/account", token=owner).json()["email"] == "thief@evil.example"

    notice = sink.wait_for_mail(lambda m: m["To"] == "gail@example.com" and "address was changed" in m["Subject"])
    assert "/email/revert?token=ghe_" in text_of(notice)
    undone = hub.api("POST", "/account/revert-email", json={"token": token_in(notice, "ghe")})
    assert undone.status_code == 200, undone.text

    # Every device is out, the old address is back, and the password must be reset from a link mailed there.
    assert hub.api("GET", "/account", token=stolen).status_code == 401
    assert hub.api("GET", "/account", token=owner).status_code == 401
    refused = hub.api("POST", "/sessions", json={"identifier": "gail@example.com", "password": PASSWORD})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "password_reset_required"
    # The revert and the refused sign-in each mailed a reset link; the newest one is the live one.
    def resets():
        return [m for m in sink.messages() if m["To"] == "gail@example.com" and m["Subject"] == "Reset your password"]
    sink.wait_for_mail(lambda m: len(resets()) >= 2)
    outcomes = [hub.api("POST", "/password-reset/confirm", json={"token": token_in(mail, "ghr"),
                                                                 "new_password": NEW_PASSWORD}).status_code
                for mail in reversed(resets())]
    assert outcomes.count(200) == 1, outcomes
    assert hub.api("POST", "/sessions", json={"identifier": "gail", "password": NEW_PASSWORD}).status_code == 201
    # The thief's address got nothing more, and the revert link works once.
    assert hub.api("POST", "/account/revert-email", json={"token": token_in(notice, "ghe")}).status_code == 400
    assert not any(m["To"] == "thief@evil.example" and "Reset" in m["Subject"] for m in sink.messages())


def test_reset_link_mailed_before_a_password_change_no_longer_works(mail_hub):
    hub, sink = mail_hub
    register_verified(hub, sink, "hugo", PASSWORD)
    token = hub.api("POST", "/sessions", json={"identifier": "hugo", "password": PASSWORD}).json()["token"]
    assert hub.api("POST", "/password-reset", json={"identifier": "hugo"}).status_code == 202
    mailed = sink.wait_for_mail(lambda m: m["To"] == "hugo@example.com" and m["Subject"] == "Reset your password")
    changed = hub.api("POST", "/account/password", token=token,
                      json={"current_password": PASSWORD, "new_password": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    late = hub.api("POST", "/password-reset/confirm", json={"token": token_in(mailed, "ghr"),
                                                            "new_password": "attacker-chosen-passphrase-9"})
    assert late.status_code == 400
    assert hub.api("POST", "/sessions", json={"identifier": "hugo", "password": NEW_PASSWORD}).status_code == 201
