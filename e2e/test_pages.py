"""The web pages in a real browser (issue 6): every flow a person takes, with screenshots of every page."""

import base64
import os
import re
import subprocess
import tempfile
import time

import pyotp
import requests
from selenium.webdriver.common.by import By

from browser import click_and_wait, fill, make_browser, shot, submit
from hubkit import device, text_of, token_in

PASSWORD = "maple-harbor-lantern-31"
NEW_PASSWORD = "orbit-thistle-canyon-86"


def next_step():
    time.sleep(30 - (time.time() % 30) + 0.5)


def link_in(message, path):
    found = re.search(r"(http://\S+" + re.escape(path) + r"\?token=[A-Za-z0-9_-]+)", text_of(message))
    assert found, text_of(message)
    return found.group(1)


def decode_qr(driver):
    source = driver.find_element(By.ID, "totp-qr").get_attribute("src")
    assert source.startswith("data:image/png;base64,")
    with tempfile.NamedTemporaryFile(suffix=".png") as png:
        png.write(base64.b64decode(source.split(",", 1)[1]))
        png.flush()
        result = subprocess.run(["zbarimg", "--nodbus", "--raw", "-q", png.name], capture_output=True, text=True)
    return result.stdout.strip()


def sign_in(driver, hub, identifier, password):
    driver.get(hub.url + "/sign-in")
    fill(driver, "identifier", identifier)
    fill(driver, "password", password)
    submit(driver, "/sign-in")


def test_people_flows_in_a_real_browser(hub):
    first = make_browser()
    second = make_browser(width=390, height=844)  # a phone-sized window
    try:
        # Sign up.
        first.get(hub.url + "/sign-up")
        shot(first, "01-sign-up")
        fill(first, "username", "nora")
        fill(first, "email", "nora@example.com")
        fill(first, "password", "short")
        submit(first, "/sign-up")
        assert "Use at least 8 characters" in first.find_element(By.ID, "password-error").text
        shot(first, "02-sign-up-error")
        fill(first, "password", PASSWORD)
        submit(first, "/sign-up")
        assert "Check your mail" in first.page_source
        shot(first, "03-check-mail")

        # Verify through the link in the delivered mail.
        message = hub.wait_for_mail(lambda m: m["To"] == "nora@example.com" and "Confirm" in m["Subject"])
        first.get(link_in(message, "/verify-email"))
        shot(first, "04-verify-email")
        submit(first, "/verify-email")
        assert "Email confirmed" in first.page_source

        # Sign in.
        sign_in(first, hub, "nora", PASSWORD)
        assert first.current_url.endswith("/account")
        shot(first, "05-account")
        cookie = first.get_cookie("__Host-gh_session")
        assert cookie and cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"

        # Turn on 2FA by decoding the QR code on the page.
        first.get(hub.url + "/account/security")
        shot(first, "06-security")
        submit(first, "/account/security/2fa/begin")
        uri = decode_qr(first)
        assert uri.startswith("otpauth://totp/Gatehouse:nora?secret=")
        shot(first, "07-two-factor-qr")
        totp = pyotp.parse_uri(uri)
        fill(first, "totp_code", totp.now())
        submit(first, "/account/security/2fa/confirm")
        codes = [c.text for c in first.find_elements(By.CSS_SELECTOR, "#recovery-codes code")]
        assert len(codes) == 10
        shot(first, "08-recovery-codes")

        # Sign out; sign in again with the second factor.
        click_and_wait(first, first.find_element(By.CSS_SELECTOR, 'form[action="/sign-out"] button'))
        assert "/sign-in" in first.current_url
        shot(first, "09-sign-in")
        next_step()
        sign_in(first, hub, "nora", PASSWORD)
        assert first.find_element(By.ID, "code")
        shot(first, "10-sign-in-code")
        fill(first, "code", totp.now())
        submit(first, "/sign-in/code")
        assert first.current_url.endswith("/account")

        # A second browser (phone-sized) signs in with a recovery code; both browsers are in the device list.
        sign_in(second, hub, "nora@example.com", PASSWORD)
        fill(second, "code", codes[0])
        submit(second, "/sign-in/code")
        assert second.current_url.endswith("/account")
        shot(second, "11-account-phone")
        first.get(hub.url + "/account/security")
        rows = first.find_elements(By.CSS_SELECTOR, "li.device")
        assert len(rows) == 2
        assert sum(1 for r in rows if "this device" in r.text) == 1
        shot(first, "12-devices")

        # Sign out the other browser: its next page load lands on the sign-in page. (The rows are looked up again:
        # the screenshot above can leave Chromium holding stale node ids for elements found before it.)
        rows = first.find_elements(By.CSS_SELECTOR, "li.device")
        other = next(r for r in rows if "this device" not in r.text)
        click_and_wait(first, other.find_element(By.CSS_SELECTOR, "button"))
        assert "The device was signed out" in first.page_source
        second.get(hub.url + "/account/security")
        assert second.current_url.endswith("/sign-in")

        # Reset the password through the mailed link.
        second.get(hub.url + "/forgot-password")
        shot(second, "13-forgot-password")
        fill(second, "identifier", "nora")
        submit(second, "/forgot-password")
        assert "If an account matches" in second.page_source
        message = hub.wait_for_mail(lambda m: m["To"] == "nora@example.com" and m["Subject"] == "Reset your password")
        second.get(link_in(message, "/reset-password"))
        shot(second, "14-reset-password")
        fill(second, "new_password", NEW_PASSWORD)
        submit(second, "/reset-password")
        assert "Your new password is set" in second.page_source
        first.get(hub.url + "/account")
        assert first.current_url.endswith("/sign-in"), "a reset signs out every browser"
        sign_in(second, hub, "nora", NEW_PASSWORD)
        fill(second, "code", codes[1])
        submit(second, "/sign-in/code")
        assert second.current_url.endswith("/account")
    finally:
        first.quit()
        second.quit()


def test_operator_pages_in_a_real_browser(hub):
    hub.cli("admin", "create", "--username", "olga", "--email", "olga@example.com", input=PASSWORD + "\n")
    requests.post(hub.url + "/api/v1/accounts", json={"username": "pete", "email": "pete@example.com",
                                                      "password": PASSWORD}).raise_for_status()
    pete = requests.post(hub.url + "/api/v1/sessions", json={"identifier": "pete", "password": PASSWORD}).json()["token"]
    browser = make_browser()
    try:
        sign_in(browser, hub, "olga", PASSWORD)
        browser.get(hub.url + "/admin?q=pet")
        assert "pete@example.com" in browser.page_source
        shot(browser, "20-admin-search")
        click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'form[action^="/admin/accounts/"][action$="/sign-out"] button'))
        assert "1 devices signed out" in browser.page_source
        assert requests.get(hub.url + "/api/v1/account", headers={"Authorization": f"Bearer {pete}"}).status_code == 401
        browser.get(hub.url + "/admin")
        fill(browser, "reason", "A test incident.")
        browser.find_element(By.CSS_SELECTOR, 'input[name="notify"]').click()  # a checkbox: no page load
        fill(browser, "banner", "Planned maintenance: please reset your password")
        submit(browser, "/admin/incidents")
        deadline = time.time() + 20
        while "applied" not in browser.page_source and time.time() < deadline:
            time.sleep(0.5)
            browser.get(hub.url + "/admin")
        assert "applied" in browser.page_source
        assert "Planned maintenance: please reset your password" in browser.find_element(By.CSS_SELECTOR, ".banner").text
        shot(browser, "21-admin-incident")
        # Someone who is not an operator gets 403.
        plain = make_browser()
        try:
            sign_in(plain, hub, "pete", PASSWORD)
            plain.get(hub.url + "/admin")
            assert "Not allowed" in plain.page_source
        finally:
            plain.quit()
    finally:
        browser.quit()


PAGES = ["/sign-in", "/sign-up", "/forgot-password", "/reset-password?token=nope", "/verify-email?token=x",
         "/account", "/account/security", "/admin", "/no-such-page"]


def test_headers_cookies_csrf_and_escaping(hub):
    requests.post(hub.url + "/api/v1/accounts", json={"username": "quinn", "email": "quinn@example.com",
                                                      "password": PASSWORD}).raise_for_status()
    for path in PAGES + ["/static/app.css", "/api/v1/notices"]:
        response = requests.get(hub.url + path, allow_redirects=False)
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"  # never leaks a URL (with a token) to another site
        assert "Strict-Transport-Security" not in headers  # plain HTTP here; set behind TLS
    # Cookies are Secure, which Python's cookie jar will not send over http; a browser does on localhost (the
    # browser tests prove it), so here the Cookie header is written by hand.
    page = requests.get(hub.url + "/sign-in")
    set_cookie = page.headers["Set-Cookie"]
    assert set_cookie.startswith("__Host-gh_csrf=")
    for flag in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/"):
        assert flag in set_cookie
    assert "Domain" not in set_cookie
    assert "<script>" not in page.text  # no inline script; only <script src="/static/app.js">
    jar = {"__Host-gh_csrf": set_cookie.split(";")[0].split("=", 1)[1]}
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)

    def post(path, data, origin=hub.url):
        cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
        headers = {"Cookie": cookie}
        if origin:
            headers["Origin"] = origin
        return requests.post(hub.url + path, data=data, headers=headers, allow_redirects=False)

    # A form posted from another origin is refused, even with a valid token; so is one without a token.
    assert post("/sign-in", {"csrf": csrf, "identifier": "quinn", "password": PASSWORD},
                origin="http://evil.example").status_code == 403
    assert post("/sign-in", {"identifier": "quinn", "password": PASSWORD}).status_code == 403
    assert post("/sign-in", {"csrf": "forged", "identifier": "quinn", "password": PASSWORD}).status_code == 403
    good = post("/sign-in", {"csrf": csrf, "identifier": "quinn", "password": PASSWORD})
    assert good.status_code == 303, good.text
    session_cookie = next(v for k, v in good.raw.headers.items() if k.lower() == "set-cookie" and "gh_session" in v)
    assert session_cookie.startswith("__Host-gh_session=ghd_")
    for flag in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/"):
        assert flag in session_cookie
    jar["__Host-gh_session"] = session_cookie.split(";")[0].split("=", 1)[1]
    # A signed-in form without the session's own token is refused.
    signed_in = requests.get(hub.url + "/account/security",
                             headers={"Cookie": "__Host-gh_session=" + jar["__Host-gh_session"]})
    assert signed_in.status_code == 200 and "Authorized devices" in signed_in.text
    assert post("/account/security/devices/sign-out-all", {"csrf": csrf}).status_code == 403

    # XSS payloads in a device name and a username render as text in a real browser.
    payload = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
    requests.post(hub.url + "/api/v1/sessions", json={"identifier": "quinn", "password": PASSWORD,
                                                      "device": device(payload)}).raise_for_status()
    browser = make_browser()
    try:
        sign_in(browser, hub, "quinn", PASSWORD)
        browser.get(hub.url + "/account/security")
        names = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".device-name")]
        assert payload in names
        assert browser.execute_script("return window.pwned === undefined")
        browser.get(hub.url + "/sign-up")
        fill(browser, "username", payload)
        fill(browser, "email", "x@example.com")
        fill(browser, "password", PASSWORD)
        submit(browser, "/sign-up")
        assert browser.find_element(By.ID, "username").get_attribute("value") == payload
        assert browser.execute_script("return window.pwned === undefined")
        shot(browser, "30-escaped-payload")
    finally:
        browser.quit()
