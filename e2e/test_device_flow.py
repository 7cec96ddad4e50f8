"""Signing in a TV with a code (RFC 8628, issue 15) against a live hub.

- authlib, an OAuth library written by others, is the device: it starts the flow and polls the token endpoint, and
  every error code of RFC 8628 section 3.5 comes back as authlib understands it.
- A real browser (Chromium) follows the QR code's link, signs in, sees what is asking on /link and approves while a
  "TV" thread polls; the TV's credential works, is listed, is mailed about, and dies with sign-out-all.
- A flood of typed codes, from one address and from many (behind a trusted proxy, X-Forwarded-For varies), is
  throttled and never finds the live code.
"""

import concurrent.futures
import math
import os
import random
import re
import sqlite3
import threading
import time

import pytest
import requests
from selenium.webdriver.common.by import By

os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # the test hub speaks plain HTTP on localhost

from authlib.integrations.base_client import OAuthError  # noqa: E402
from authlib.integrations.requests_client import OAuth2Session  # noqa: E402

from browser import click_and_wait, fill, make_browser, shot, submit  # noqa: E402
from hubkit import Hub, register, register_verified, text_of, verify  # noqa: E402

PASSWORD = "juniper-lantern-orchard-58"
GRANT = "urn:ietf:params:oauth:grant-type:device_code"
ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"


class TV:
    """An OAuth device client built on authlib (public client: client_id in the body, no secret)."""

    def __init__(self, hub, client_id="gatehouse-cli", headers=None):
        self.hub = hub
        self.session = OAuth2Session(client_id=client_id, token_endpoint_auth_method="none")
        self.headers = headers or {}

    def start(self, **extra):
        data = {"client_id": self.session.client_id, "scope": "media", "device_name": "Living-room TV",
                "product": "Couch Player", "version": "3.1", "platform": "webOS", **extra}
        response = self.session.post(self.hub.url + "/oauth/device_authorization", data=data, headers=self.headers,
                                     withhold_token=True, timeout=30)
        return response

    def poll(self, device_code):
        """The token, or the OAuth error code authlib raised."""
        try:
            return self.session.fetch_token(self.hub.url + "/oauth/token", grant_type=GRANT, device_code=device_code,
                                            headers=self.headers, timeout=30)
        except OAuthError as error:
            return error.error


class PageSession:
    """A signed-in browser session driven with requests. The hub's cookies are Secure, which Python's cookie jar
    does not send over plain HTTP (a browser does on localhost), so the Cookie header is written by hand."""

    def __init__(self, hub, identifier, password, forwarded_for=None):
        self.hub = hub
        self.forwarded_for = forwarded_for
        page = requests.get(hub.url + "/sign-in", headers=self._headers())
        self.jar = {"__Host-gh_csrf": page.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]}
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        answer = self.post("/sign-in", {"csrf": csrf, "identifier": identifier, "password": password})
        assert answer.status_code == 303, answer.text
        cookie = next(v for k, v in answer.raw.headers.items() if k.lower() == "set-cookie" and "gh_session" in v)
        self.jar["__Host-gh_session"] = cookie.split(";")[0].split("=", 1)[1]
        page = self.get("/link")
        self.csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)

    def _headers(self, forwarded_for=None):
        headers = {}
        if hasattr(self, "jar"):
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        address = forwarded_for or self.forwarded_for
        if address:
            headers["X-Forwarded-For"] = address
        return headers

    def get(self, path):
        return requests.get(self.hub.url + path, headers=self._headers(), allow_redirects=False, timeout=30)

    def post(self, path, data, forwarded_for=None):
        headers = self._headers(forwarded_for)
        headers["Origin"] = self.hub.url
        return requests.post(self.hub.url + path, data=data, headers=headers, allow_redirects=False, timeout=30)

    def enter(self, code, forwarded_for=None):
        return self.post("/link", {"csrf": self.csrf, "code": code}, forwarded_for)

    def decide(self, code, approve=True):
        page = self.enter(code)
        assert page.status_code == 200 and 'id="link-details"' in page.text, page.text
        ticket = re.search(r'name="ticket" value="([^"]+)"', page.text).group(1)
        answer = self.post("/link/decide", {"csrf": self.csrf, "code": code, "ticket": ticket,
                                            "decision": "approve" if approve else "deny"})
        assert answer.status_code == 200, answer.text
        return page


def verified_account(hub, name):
    register(hub, name, PASSWORD)
    verify(hub, f"{name}@example.com")


def test_authlib_runs_the_device_flow_and_meets_every_error_code(hub):
    verified_account(hub, "olga")
    owner = PageSession(hub, "olga", PASSWORD)
    tv = TV(hub)

    started = tv.start()
    assert started.status_code == 200
    assert started.headers["Cache-Control"] == "no-store"
    codes = started.json()
    assert set(codes) == {"device_code", "user_code", "verification_uri", "verification_uri_complete", "expires_in",
                          "interval"}
    assert codes["expires_in"] == 600 and codes["interval"] == 5
    assert codes["verification_uri"] == hub.url + "/link"
    assert codes["verification_uri_complete"] == hub.url + "/link?code=" + codes["user_code"]
    assert re.fullmatch(f"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", codes["user_code"])
    device_code = codes["device_code"]

    # Pending, then slow_down when polled again at once; a wrong or unknown client is refused.
    assert tv.poll(device_code) == "authorization_pending"
    assert tv.poll(device_code) == "slow_down"
    assert TV(hub, client_id="gatehouse-media").poll(device_code) == "invalid_grant"
    assert TV(hub, client_id="not-registered").poll(device_code) == "invalid_client"
    assert TV(hub, client_id="not-registered").start().json()["error"] == "invalid_client"
    assert tv.poll("ghl_" + "A" * 43) == "invalid_grant"

    # The owner types the code in lower case without its dash, checks the details, approves.
    page = owner.decide(codes["user_code"].replace("-", "").lower())
    assert "Couch Player" in page.text and "webOS" in page.text and "Gatehouse command line" in page.text
    assert "Only enter a code shown on your own screen" in page.text
    time.sleep(10.5)  # the interval grew to 10 s with the slow_down
    token = tv.poll(device_code)
    assert isinstance(token, dict), token
    assert token["token_type"] == "Bearer" and token["expires_in"] > 0
    credential = token["access_token"]
    account = hub.api("GET", "/account", token=credential)
    assert account.status_code == 200 and account.json()["username"] == "olga"

    # Single use: the device code is spent, and so is the user code.
    time.sleep(5.5)
    assert tv.poll(device_code) == "invalid_grant"
    assert owner.enter(codes["user_code"]).status_code == 404

    # Denied: access_denied.
    denied = tv.start().json()
    owner.decide(denied["user_code"], approve=False)
    assert tv.poll(denied["device_code"]) == "access_denied"

    # Expired: the hub's clock is not ours to move here, so the row's expiry is moved into the past (the
    # in-process Swift tests move a manual clock through the 600 s instead).
    late = tv.start().json()
    assert tv.poll(late["device_code"]) == "authorization_pending"
    db = sqlite3.connect(os.path.join(hub.data, "gatehouse.sqlite"))
    with db:
        db.execute("UPDATE device_authorizations SET expires_at = created_at - 1 WHERE status = 'pending'")
    db.close()
    time.sleep(5.5)
    assert tv.poll(late["device_code"]) == "expired_token"
    assert owner.enter(late["user_code"]).status_code == 404

    # Malformed requests are invalid_request in OAuth's format, never a 5xx.
    for body, content_type in [("client_id=gatehouse-cli&client_id=x", "application/x-www-form-urlencoded"),
                               ('{"client_id": "gatehouse-cli"}', "application/json"),
                               ("client_id=%00", "application/x-www-form-urlencoded"),
                               ("client_id=" + "a" * 70_000, "application/x-www-form-urlencoded")]:
        answer = requests.post(hub.url + "/oauth/device_authorization", data=body,
                               headers={"Content-Type": content_type})
        assert 400 <= answer.status_code < 500
        assert answer.json()["error"] == "invalid_request", answer.text
    unsupported = requests.post(hub.url + "/oauth/token", data={"grant_type": "password", "client_id": "gatehouse-cli"})
    assert unsupported.status_code == 400 and unsupported.json()["error"] == "unsupported_grant_type"


def test_clients_registry_and_unverified_clients(tmp_path):
    hub = Hub().start()
    try:
        hub.stop()
        added = hub.cli("clients", "add", "couch-player", "--name", "Couch Player for TVs")
        assert "registered couch-player" in added.stdout
        listed = hub.cli("clients", "list").stdout
        assert "couch-player\tCouch Player for TVs" in listed and "gatehouse-cli" in listed
        hub.start()
        verified_account(hub, "pia")
        owner = PageSession(hub, "pia", PASSWORD)
        codes = TV(hub, client_id="couch-player").start().json()
        page = owner.enter(codes["user_code"])
        assert "Couch Player for TVs" in page.text and 'id="link-registered"' in page.text
        hub.stop()
        assert "removed couch-player" in hub.cli("clients", "remove", "couch-player").stdout
        hub.start()
        assert TV(hub, client_id="couch-player").start().json()["error"] == "invalid_client"
    finally:
        hub.stop()
    # With --allow-unregistered-clients, any client_id works and is labelled unverified.
    open_hub = Hub(args=["--allow-unregistered-clients"]).start()
    try:
        verified_account(open_hub, "quincy")
        owner = PageSession(open_hub, "quincy", PASSWORD)
        codes = TV(open_hub, client_id="mystery-app").start().json()
        page = owner.enter(codes["user_code"])
        assert 'id="link-unverified"' in page.text and "mystery-app" in page.text
    finally:
        open_hub.stop()


def test_tv_signs_in_while_a_real_browser_approves(mail_hub):
    hub, sink = mail_hub
    register_verified(hub, sink, "rosa", PASSWORD)
    tv = TV(hub)
    codes = tv.start().json()
    result = {}

    def television():
        interval = codes["interval"]
        deadline = time.time() + codes["expires_in"]
        while time.time() < deadline:
            time.sleep(interval)
            answer = tv.poll(codes["device_code"])
            result.setdefault("polls", []).append(answer if isinstance(answer, str) else "token")
            if isinstance(answer, dict):
                result["token"] = answer
                return
            if answer == "slow_down":
                interval += 5
            elif answer != "authorization_pending":
                result["error"] = answer
                return

    thread = threading.Thread(target=television, daemon=True)
    thread.start()
    browser = make_browser(width=390, height=844)  # the phone that scanned the TV's QR code
    try:
        browser.get(codes["verification_uri_complete"])
        assert "/sign-in" in browser.current_url  # not signed in yet: sign in first, then back to /link
        fill(browser, "identifier", "rosa")
        fill(browser, "password", PASSWORD)
        submit(browser, "/sign-in")
        assert "/link?code=" + codes["user_code"] in browser.current_url
        assert browser.find_element(By.ID, "code").get_attribute("value") == codes["user_code"]
        assert "Only enter a code shown on your own screen" in browser.find_element(By.ID, "link-warning").text
        shot(browser, "link-enter")
        submit(browser, "/link")
        assert browser.find_element(By.ID, "link-client").text.startswith("Gatehouse command line")
        assert browser.find_element(By.ID, "link-registered")
        assert browser.find_element(By.ID, "link-product").text == "Couch Player 3.1"
        assert browser.find_element(By.ID, "link-platform").text == "webOS"
        assert browser.find_element(By.ID, "link-address").text == "127.0.0.1"
        assert browser.find_element(By.ID, "link-device").text == "Living-room TV"
        assert "Only enter a code shown on your own screen" in browser.find_element(By.ID, "link-warning").text
        shot(browser, "link-details")
        click_and_wait(browser, browser.find_element(By.ID, "link-approve"))
        assert "Device approved" in browser.page_source
        thread.join(timeout=60)
        assert "token" in result, result
        credential = result["token"]["access_token"]
        assert hub.api("GET", "/account", token=credential).json()["username"] == "rosa"

        # The TV is listed on the security page like any device, and the owner was mailed about it.
        browser.get(hub.url + "/account/security")
        assert "Living-room TV" in [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".device-name")]
        mail = sink.wait_for_mail(lambda m: m["To"] == "rosa@example.com" and "New sign-in" in m["Subject"]
                                  and "Couch Player" in text_of(m))
        assert "127.0.0.1" in text_of(mail)

        # Sign out of all devices (this browser too): the TV's credential is refused at once.
        browser.find_element(By.CSS_SELECTOR, 'input[name="include_this"]').click()
        submit(browser, "/account/security/devices/sign-out-all")
        refused = hub.api("GET", "/account", token=credential)
        assert refused.status_code == 401
    finally:
        browser.quit()


def random_codes(count, avoid):
    avoid = avoid.replace("-", "")
    out = []
    while len(out) < count:
        code = "".join(random.choice(ALPHABET) for _ in range(8))
        if code != avoid:
            out.append(code[:4] + "-" + code[4:])
    return out


def test_code_guessing_floods_are_throttled_and_never_find_the_live_code():
    hub = Hub(args=["--trusted-proxy", "127.0.0.1/32"]).start()
    try:
        tv = TV(hub, headers={"X-Forwarded-For": "198.51.100.7"})
        live = tv.start().json()
        # Accounts signed up from addresses of their own (the sign-up throttle is per address).
        for index in range(13):
            response = hub.api("POST", "/accounts", headers={"X-Forwarded-For": f"192.0.2.{100 + index}"},
                               json={"username": f"guess{index}", "email": f"guess{index}@example.com",
                                     "password": PASSWORD})
            assert response.status_code == 202
            verify(hub, f"guess{index}@example.com")

        def flood(sessions, addresses, count):
            """(codes evaluated, codes held up, extra tries the delays allowed while the flood ran)."""
            guesses = random_codes(count, live["user_code"])
            began = time.time()
            with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
                answers = list(pool.map(
                    lambda pair: sessions[pair[0] % len(sessions)].enter(
                        pair[1], forwarded_for=addresses[pair[0] % len(addresses)]),
                    enumerate(guesses)))
            statuses = [a.status_code for a in answers]
            assert all('id="link-details"' not in a.text for a in answers), "a guess found a live code"
            assert set(statuses) <= {404, 429}, set(statuses)
            # Past the free tries, delays of 1, 2, 4, ... s: a flood lasting T seconds can pass log2(T + 1) more.
            slack = int(math.log2(time.time() - began + 1)) + 1
            return statuses.count(404), statuses.count(429), slack

        # One account from one address.
        first = PageSession(hub, "guess0", PASSWORD, forwarded_for="203.0.113.1")
        evaluated, held, slack = flood([first], ["203.0.113.1"], 100)
        assert evaluated <= 10 + slack and held >= 90 - slack, (evaluated, held)

        # The same account from 100 addresses: the account's budget is spent already.
        evaluated, held, slack = flood([first], [f"203.0.113.{10 + i}" for i in range(100)], 100)
        assert evaluated <= slack and held >= 100 - slack, (evaluated, held)

        # Twelve fresh accounts from one new address: the address's budget holds.
        others = [PageSession(hub, f"guess{i}", PASSWORD, forwarded_for="198.51.100.99") for i in range(1, 13)]
        evaluated, held, slack = flood(others, ["198.51.100.99"], 120)
        assert evaluated <= 10 + slack and held >= 110 - slack, (evaluated, held)

        # The live code was never found, and its owner still approves it from home.
        verified_account_from(hub, "owner", "192.0.2.50")
        owner = PageSession(hub, "owner", PASSWORD, forwarded_for="192.0.2.50")
        owner.decide(live["user_code"])
        time.sleep(5.5)
        token = tv.poll(live["device_code"])
        assert isinstance(token, dict), token
    finally:
        hub.stop()


def verified_account_from(hub, name, address):
    response = hub.api("POST", "/accounts", headers={"X-Forwarded-For": address},
                       json={"username": name, "email": f"{name}@example.com", "password": PASSWORD})
    assert response.status_code == 202
    verify(hub, f"{name}@example.com")


def test_gatehouse_login_device(hub, tmp_path):
    """`gatehouse login --device` shows the code and a QR code, polls, and saves the credential once approved."""
    import subprocess

    from hubkit import gatehouse_bin

    verified_account(hub, "sven")
    owner = PageSession(hub, "sven", PASSWORD)
    env = dict(os.environ, GATEHOUSE_CONFIG_DIR=str(tmp_path))
    process = subprocess.Popen([gatehouse_bin(), "login", "--device", "--hub", hub.url], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=env)
    try:
        lines = []
        code = None
        deadline = time.time() + 30
        while code is None and time.time() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            found = re.search(f"[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}", line)
            if found:
                code = found.group(0)
        assert code, "".join(lines)
        owner.decide(code)
        output, _ = process.communicate(timeout=60)
        assert process.returncode == 0, "".join(lines) + output
        assert "Signed in as sven" in output
        assert "\u2580" in output or "\u2584" in output or "\u2588" in output, "no terminal QR code"
        whoami = subprocess.run([gatehouse_bin(), "whoami"], capture_output=True, text=True, env=env, timeout=60)
        assert "sven" in whoami.stdout, whoami.stderr
    finally:
        if process.poll() is None:
            process.kill()


def test_media_server_claims_itself_through_link(hub):
    """`gatehouse media` asks for a /link code with its claim code and its credential's digest; the owner approves it
    on /link (seeing it is a media server) and the server is claimed, without ever holding an account credential.
    The old claim code keeps working during the transition (e2e/test_media_live.py)."""
    from test_media_live import Media, make_library

    verified_account(hub, "tova")
    owner = PageSession(hub, "tova", PASSWORD)
    root, _ = make_library()
    media = Media(hub, {"Movies": os.path.join(root, "Movies")})
    try:
        log_path = os.path.join(media.data, "media.log")
        found = None
        deadline = time.time() + 30
        while found is None and time.time() < deadline:
            with open(log_path, errors="replace") as log:
                found = re.search(r"open (\S+/link\?code=([A-Z]{4}-[A-Z]{4}))", log.read())
            time.sleep(0.2)
        assert found, open(log_path, errors="replace").read()
        assert found.group(1).startswith(hub.url + "/link?code=")
        page = owner.decide(found.group(2))
        assert 'id="link-server"' in page.text and "den" in page.text and "Gatehouse media server" in page.text
        deadline = time.time() + 30
        while media.status().get("server_id") is None and time.time() < deadline:
            time.sleep(0.3)
        server_id = media.status().get("server_id")
        assert server_id, media.status()
        token = sign_in_token(hub, "tova")
        servers = hub.api("GET", "/servers", token=token).json()
        assert [s["id"] for s in servers["owned"]] == [server_id]
    finally:
        media.stop()


def sign_in_token(hub, name):
    answer = hub.api("POST", "/sessions", json={"identifier": name, "password": PASSWORD})
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]
