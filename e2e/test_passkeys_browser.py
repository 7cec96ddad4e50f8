"""Passkeys in a real browser (issue 14): sign up, add a passkey on the security page, sign out, sign in with the
passkey alone and confirm it's you with it, against Chromium's virtual authenticator (CDP WebAuthn domain)."""

import re

import pyotp
from urllib.parse import urlparse

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browser import click_and_wait, fill, make_browser, shot, submit
from hubkit import text_of

PASSWORD = "copper-meadow-lantern-58"


def link_in(message, path):
    found = re.search(r"(http://\S+" + re.escape(path) + r"\?token=[A-Za-z0-9_-]+)", text_of(message))
    assert found, text_of(message)
    return found.group(1)


def add_virtual_authenticator(driver):
    driver.execute_cdp_cmd("WebAuthn.enable", {"enableUI": False})
    return driver.execute_cdp_cmd("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True,
    }})["authenticatorId"]


def test_sign_up_add_a_passkey_and_sign_in_with_it_alone(hub):
    driver = make_browser()
    try:
        authenticator = add_virtual_authenticator(driver)

        # Sign up and confirm the address.
        driver.get(hub.url + "/sign-up")
        fill(driver, "username", "piet")
        fill(driver, "email", "piet@example.com")
        fill(driver, "password", PASSWORD)
        submit(driver, "/sign-up")
        message = hub.wait_for_mail(lambda m: m["To"] == "piet@example.com" and "Confirm" in m["Subject"])
        driver.get(link_in(message, "/verify-email"))
        submit(driver, "/verify-email")

        # Sign in with the password (the passkey button is offered, since the browser has WebAuthn).
        driver.get(hub.url + "/sign-in")
        assert driver.find_element(By.ID, "passkey-signin").is_displayed()
        fill(driver, "identifier", "piet")
        fill(driver, "password", PASSWORD)
        submit(driver, "/sign-in")
        assert driver.current_url.endswith("/account")

        # Add a passkey on the security page.
        driver.get(hub.url + "/account/security")
        assert driver.find_element(By.ID, "passkey-add").is_displayed()
        fill(driver, "passkey_name", "Test laptop")
        click_and_wait(driver, driver.find_element(By.ID, "passkey-add-button"))
        names = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "li.passkey .passkey-name")]
        assert names == ["Test laptop"], driver.page_source
        shot(driver, "passkeys-01-security")
        credentials = driver.execute_cdp_cmd("WebAuthn.getCredentials", {"authenticatorId": authenticator})
        assert len(credentials["credentials"]) == 1
        assert credentials["credentials"][0]["isResidentCredential"]
        hub.wait_for_mail(lambda m: m["To"] == "piet@example.com" and "passkey was added" in m["Subject"])

        # Sign out; sign in with the passkey alone (no user name, no password).
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, 'form[action="/sign-out"] button'))
        assert "/sign-in" in driver.current_url
        assert driver.get_cookie("__Host-gh_session") is None
        shot(driver, "passkeys-02-sign-in")
        driver.find_element(By.ID, "passkey-signin-button").click()
        WebDriverWait(driver, 20).until(lambda d: d.current_url.endswith("/account"))
        assert driver.get_cookie("__Host-gh_session")
        assert "piet" in driver.page_source
        shot(driver, "passkeys-03-signed-in")

        # "Confirm it's you" with the passkey instead of the password.
        driver.get(hub.url + "/account/confirm?next=/account/security")
        driver.find_element(By.ID, "passkey-confirm-button").click()
        WebDriverWait(driver, 20).until(lambda d: urlparse(d.current_url).path == "/account/security")
        assert "Identity confirmed" in driver.find_element(By.ID, "activity").text

        # The security page shows the passkey as used.
        row = driver.find_element(By.CSS_SELECTOR, "li.passkey")
        assert "last used never" not in row.text
    finally:
        driver.quit()


def test_passkey_only_refuses_the_password_and_a_recovery_code_sign_in_removes_the_passkey(hub):
    """Turn on "passkey only" and see the right password refused like a wrong one; lose the passkey, reset with the
    mailed link plus a recovery code, sign in with the password and a recovery code, and remove the passkey."""
    from test_pages import decode_qr

    driver = make_browser()
    try:
        add_virtual_authenticator(driver)
        driver.get(hub.url + "/sign-up")
        fill(driver, "username", "ines")
        fill(driver, "email", "ines@example.com")
        fill(driver, "password", PASSWORD)
        submit(driver, "/sign-up")
        message = hub.wait_for_mail(lambda m: m["To"] == "ines@example.com" and "Confirm" in m["Subject"])
        driver.get(link_in(message, "/verify-email"))
        submit(driver, "/verify-email")
        driver.get(hub.url + "/sign-in")
        fill(driver, "identifier", "ines")
        fill(driver, "password", PASSWORD)
        submit(driver, "/sign-in")
        assert driver.current_url.endswith("/account")

        # Two-factor sign-in (for the recovery codes), then a passkey.
        driver.get(hub.url + "/account/security")
        submit(driver, "/account/security/2fa/begin")
        totp = pyotp.parse_uri(decode_qr(driver))
        fill(driver, "totp_code", totp.now())
        submit(driver, "/account/security/2fa/confirm")
        codes = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "#recovery-codes code")]
        assert len(codes) == 10
        driver.get(hub.url + "/account/security")
        fill(driver, "passkey_name", "Work laptop")
        click_and_wait(driver, driver.find_element(By.ID, "passkey-add-button"))
        assert [e.text for e in driver.find_elements(By.CSS_SELECTOR, "li.passkey .passkey-name")] == ["Work laptop"]

        # Passkey only: the password no longer signs in, and the page says exactly what a wrong password gets.
        submit(driver, "/account/security/passkey-only")
        assert "Your password no longer signs in" in driver.page_source
        shot(driver, "passkeys-04-passkey-only")
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, 'form[action="/sign-out"] button'))
        fill(driver, "identifier", "ines")
        fill(driver, "password", PASSWORD)
        submit(driver, "/sign-in")
        refused = driver.find_element(By.ID, "signin-error").text
        assert urlparse(driver.current_url).path == "/sign-in" and driver.get_cookie("__Host-gh_session") is None
        fill(driver, "identifier", "ines")
        fill(driver, "password", PASSWORD + "x")
        submit(driver, "/sign-in")
        assert driver.find_element(By.ID, "signin-error").text == refused
        assert "/sign-in/code" not in driver.current_url
        shot(driver, "passkeys-05-password-refused")

        # The passkey is lost: the mailed link alone does not reset a passkey-only account; with a recovery code it does.
        driver.get(hub.url + "/forgot-password")
        fill(driver, "identifier", "ines")
        submit(driver, "/forgot-password")
        message = hub.wait_for_mail(lambda m: m["To"] == "ines@example.com" and m["Subject"] == "Reset your password")
        reset_link = link_in(message, "/reset-password")
        driver.get(reset_link)
        fill(driver, "new_password", PASSWORD + "-renewed")
        submit(driver, "/reset-password")
        assert "Your new password is set" not in driver.page_source
        driver.get(reset_link)
        fill(driver, "new_password", PASSWORD + "-renewed")
        fill(driver, "recovery_code", codes[0])
        submit(driver, "/reset-password")
        assert "Your new password is set" in driver.page_source

        # Password and a recovery code sign in (the code page also offers the passkey now that the password counts).
        driver.get(hub.url + "/sign-in")
        fill(driver, "identifier", "ines")
        fill(driver, "password", PASSWORD + "-renewed")
        submit(driver, "/sign-in")
        assert driver.find_element(By.ID, "passkey-second").is_displayed()
        shot(driver, "passkeys-06-second-step")
        fill(driver, "code", codes[1])
        submit(driver, "/sign-in/code")
        assert driver.current_url.endswith("/account")

        # Remove the lost passkey; the mail names it, and says how the remover proved who they were.
        driver.get(hub.url + "/account/security")
        row = driver.find_element(By.CSS_SELECTOR, "li.passkey")
        click_and_wait(driver, row.find_element(By.CSS_SELECTOR, "button"))
        assert "The passkey was removed." in driver.page_source
        assert driver.find_elements(By.CSS_SELECTOR, "li.passkey") == []
        removed = hub.wait_for_mail(
            lambda m: m["To"] == "ines@example.com" and "passkey was removed" in m["Subject"])
        assert "\u201cWork laptop\u201d" in text_of(removed)
        assert "confirmed with the password and a recovery code" in text_of(removed)
    finally:
        driver.quit()


def test_password_then_passkey_as_the_second_step(hub):
    """With two-factor sign-in on, the code page's "Use a passkey" finishes a password sign-in."""
    from test_pages import decode_qr

    driver = make_browser()
    try:
        add_virtual_authenticator(driver)
        driver.get(hub.url + "/sign-up")
        fill(driver, "username", "odile")
        fill(driver, "email", "odile@example.com")
        fill(driver, "password", PASSWORD)
        submit(driver, "/sign-up")
        message = hub.wait_for_mail(lambda m: m["To"] == "odile@example.com" and "Confirm" in m["Subject"])
        driver.get(link_in(message, "/verify-email"))
        submit(driver, "/verify-email")
        driver.get(hub.url + "/sign-in")
        fill(driver, "identifier", "odile")
        fill(driver, "password", PASSWORD)
        submit(driver, "/sign-in")
        driver.get(hub.url + "/account/security")
        fill(driver, "passkey_name", "Phone")
        click_and_wait(driver, driver.find_element(By.ID, "passkey-add-button"))
        driver.get(hub.url + "/account/security")
        assert [e.text for e in driver.find_elements(By.CSS_SELECTOR, "li.passkey .passkey-name")] == ["Phone"], \
            driver.page_source
        submit(driver, "/account/security/2fa/begin")
        totp = pyotp.parse_uri(decode_qr(driver))
        fill(driver, "totp_code", totp.now())
        submit(driver, "/account/security/2fa/confirm")
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, 'form[action="/sign-out"] button'))

        fill(driver, "identifier", "odile")
        fill(driver, "password", PASSWORD)
        submit(driver, "/sign-in")
        driver.find_element(By.ID, "passkey-second-button").click()
        WebDriverWait(driver, 20).until(lambda d: d.current_url.endswith("/account"))
        assert driver.get_cookie("__Host-gh_session")
    finally:
        driver.quit()
