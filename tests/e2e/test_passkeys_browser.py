"""Passkeys in a real browser (issue 14): sign up, add a passkey on the security page, sign out, sign in with the
passkey alone and confirm it's you with it, against Chromium's virtual authenticator (CDP WebAuthn domain)."""

import re
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
