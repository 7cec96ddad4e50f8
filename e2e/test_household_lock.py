"""Issue 16, items 4 and 5, end to end with a real SMTP server and a real browser.

"This wasn't me": the link in a new-sign-in mail locks the account and signs the intruder's device out at once;
the page behind it asks for nothing secret. Device verification: with two-factor sign-in off, a client never seen
on the account needs a code mailed to the account.
"""

import re

import pytest
from selenium.webdriver.common.by import By

from browser import fill, make_browser, shot, submit
from hubkit import Hub, SMTPSink, register_verified, text_of, token_in

PASSWORD = "harbour-lantern-quiet-31"
NEW_PASSWORD = "meadow-copper-violin-58"


def mailed_code(message):
    """The 6-digit code on a line of its own in a sign-in-code mail (never in the subject)."""
    found = re.search(r"^(\d{6})\r?$", text_of(message), re.M)
    assert found, "no code in: " + text_of(message)
    return found.group(1)


def lock_link(message):
    found = re.search(r"(http://[^\s]+/not-me\?token=ghx1\.[A-Za-z0-9_.-]+)", text_of(message))
    assert found, "no lock link in: " + text_of(message)
    return found.group(1)


@pytest.fixture
def verifying_hub(tmp_path):
    """A hub with device verification on (the hub's default; hubkit turns it off for other tests), mailing
    through the real SMTP sink."""
    sink = SMTPSink(str(tmp_path / "inbox"), auth=("hub", "sink-password")).start()
    env = sink.hub_env()
    env["GATEHOUSE_DEVICE_VERIFICATION"] = "on"
    hub = Hub(env=env).start()
    yield hub, sink
    hub.stop()
    sink.stop()


def test_this_wasnt_me_locks_the_account_and_signs_the_intruder_out(mail_hub):
    hub, sink = mail_hub
    register_verified(hub, sink, "ruth", PASSWORD)
    owner = hub.api("POST", "/sessions", json={"identifier": "ruth", "password": PASSWORD,
                                               "device": {"client_identifier": "ruth-laptop", "name": "laptop",
                                                          "product": "pytest", "version": "1", "platform": "Linux"}})
    assert owner.status_code == 201, owner.text
    # The intruder signs in with the stolen password from somewhere else: the owner gets a new-sign-in mail.
    intruder = hub.api("POST", "/sessions", json={"identifier": "ruth", "password": PASSWORD,
                                                  "device": {"client_identifier": "evil", "name": "not yours",
                                                             "product": "curl", "version": "8", "platform": "Kali"}})
    assert intruder.status_code == 201, intruder.text
    stolen = intruder.json()["token"]
    assert hub.api("GET", "/account", token=stolen).status_code == 200
    notice = sink.wait_for_mail(lambda m: m["To"] == "ruth@example.com" and "New sign-in" in m["Subject"]
                                and "not yours" in text_of(m))
    link = lock_link(notice)

    driver = make_browser()
    try:
        driver.get(link)
        assert "This wasn't me" in driver.page_source
        # The page asks for nothing secret: no password or code field at all.
        assert driver.find_elements(By.CSS_SELECTOR, "input[type=password]") == []
        assert [e.get_attribute("name") for e in driver.find_elements(By.CSS_SELECTOR, "input")] == ["csrf", "token"]
        shot(driver, "household-not-me")
        # Opening the link changed nothing yet (mail scanners open links).
        assert hub.api("GET", "/account", token=stolen).status_code == 200
        submit(driver, "/not-me")
        assert driver.find_element(By.ID, "not-me-done").is_displayed()
        shot(driver, "household-locked")
    finally:
        driver.quit()

    # At once: the intruder's device and the owner's are out, and the password no longer signs in.
    assert hub.api("GET", "/account", token=stolen).status_code == 401
    assert hub.api("GET", "/account", token=owner.json()["token"]).status_code == 401
    refused = hub.api("POST", "/sessions", json={"identifier": "ruth", "password": PASSWORD})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "password_reset_required"
    # A second use of the link is refused.
    again = hub.api("POST", "/account/lock", json={"token": link.split("token=", 1)[1]})
    assert again.status_code == 409 and again.json()["error"]["code"] == "link_used"

    # The owner gets the explanation and a reset link; the reset unlocks the account.
    sink.wait_for_mail(lambda m: m["To"] == "ruth@example.com" and m["Subject"] == "Your account is locked")
    # The lock and the refused sign-in each mailed a reset link; the newest is the live one.
    def resets():
        return [m for m in sink.messages() if m["To"] == "ruth@example.com" and m["Subject"] == "Reset your password"]
    sink.wait_for_mail(lambda m: len(resets()) >= 2)
    # Whichever link is live resets the password once; a successful reset voids every other link.
    outcomes = [hub.api("POST", "/password-reset/confirm", json={"token": token_in(mail, "ghr"),
                                                                 "new_password": NEW_PASSWORD}).status_code
                for mail in reversed(resets())]
    assert outcomes.count(200) == 1, outcomes
    assert hub.api("POST", "/sessions", json={"identifier": "ruth", "password": NEW_PASSWORD}).status_code == 201


def test_bad_lock_links_get_a_clear_4xx(hub):
    for token in ["", "ghx1.AAAA.BBBB", "x" * 10000, "ghx1." + "A" * 40 + "." + "B" * 22]:
        response = hub.api("POST", "/account/lock", json={"token": token})
        assert response.status_code == 400, (token[:20], response.status_code, response.text)
        assert response.json()["error"]["code"] == "invalid_link"
    import requests
    page = requests.get(hub.url + "/not-me", params={"token": "ghx1.forged.link"}, timeout=10)
    assert page.status_code == 400 and "not valid" in page.text
    assert 'name="token"' not in page.text


def test_a_never_seen_client_needs_the_mailed_code(verifying_hub):
    hub, sink = verifying_hub
    register_verified(hub, sink, "omar", PASSWORD)
    # Wrong password and unknown account: the same 401, and no code is mailed.
    wrong = hub.api("POST", "/sessions", json={"identifier": "omar", "password": "not it at all 123"})
    unknown = hub.api("POST", "/sessions", json={"identifier": "nobody", "password": "not it at all 123"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["error"]["code"] == unknown.json()["error"]["code"]

    # The right password from a new client: a code, not a credential.
    first = hub.api("POST", "/sessions", json={"identifier": "omar", "password": PASSWORD})
    assert first.status_code == 200, first.text
    assert first.json()["methods"] == ["email_code"]
    assert "token" not in first.json()
    mail = sink.wait_for_mail(lambda m: m["To"] == "omar@example.com" and m["Subject"].startswith("Your sign-in code"))
    code = mailed_code(mail)
    assert "/not-me?token=ghx1." in text_of(mail)
    wrong_code = "000000" if code != "000000" else "111111"
    refused = hub.api("POST", "/sessions/second-factor", json={"challenge": first.json()["challenge"], "code": wrong_code})
    assert refused.status_code == 401
    ok = hub.api("POST", "/sessions/second-factor", json={"challenge": first.json()["challenge"], "code": code})
    assert ok.status_code == 201, ok.text
    # Single use.
    assert hub.api("POST", "/sessions/second-factor",
                   json={"challenge": first.json()["challenge"], "code": code}).status_code == 401
    # The device it made is known: its next sign-in needs no code.
    known = ok.json()["known_device_token"]
    again = hub.api("POST", "/sessions", json={"identifier": "omar", "password": PASSWORD,
                                               "device": {"client_identifier": "x", "name": "same", "product": "pytest",
                                                          "version": "1", "platform": "Linux",
                                                          "known_device_token": known}})
    assert again.status_code == 201, again.text

    # In a browser, the sign-in page asks for the mailed code.
    driver = make_browser()
    try:
        driver.get(hub.url + "/sign-in")
        fill(driver, "identifier", "omar")
        fill(driver, "password", PASSWORD)
        submit(driver, "/sign-in")
        assert driver.find_element(By.ID, "mailed-code-notice").is_displayed()
        shot(driver, "household-device-code")
        browser_mail = sink.wait_for_mail(
            lambda m: m["To"] == "omar@example.com" and m["Subject"].startswith("Your sign-in code")
            and mailed_code(m) != code)
        fill(driver, "code", mailed_code(browser_mail))
        submit(driver, "/sign-in/code")
        assert "/account" in driver.current_url
    finally:
        driver.quit()
