"""App passwords against a live hub and media server: a media-scope app password fetches a media token the media
server accepts, and can neither read nor change the account; revocation and sign-out-all end it; the CLI lists,
creates and revokes them."""

import os
import time

import pytest
import requests

from hubkit import Hub, register, sign_in
from test_media_live import Media, make_library, wait_claimed

PASSWORD = "lantern-fjord-thistle-71"


def create(hub, token, name, scopes, password=PASSWORD):
    assert hub.api("POST", "/session/reauthenticate", token=token, json={"password": password}).status_code == 200
    response = hub.api("POST", "/account/app-passwords", token=token, json={"name": name, "scopes": scopes})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["password"].startswith("gha_")
    return body["password"], body["app_password"]["id"]


def basic(hub, method, path, user, secret, **kwargs):
    return requests.request(method, hub.url + "/api/v1" + path, auth=(user, secret), timeout=30, **kwargs)


@pytest.fixture
def media_setup():
    hub = Hub().start()
    root, _ = make_library()
    media = Media(hub, {"Movies": os.path.join(root, "Movies")})
    yield hub, media
    media.stop()
    hub.stop()


def test_media_scope_fetches_a_media_token_and_cannot_touch_the_account(media_setup):
    hub, media = media_setup
    register(hub, "hana", PASSWORD)
    owner = sign_in(hub, "hana", PASSWORD, "laptop")
    assert hub.api("POST", "/servers/claim", token=owner, json={"code": media.code}).status_code == 201
    server_id = wait_claimed(media)
    time.sleep(1.5)  # let the media server open its revocation stream and pass the hello second
    secret, app_id = create(hub, owner, "Living-room player", ["media"])

    # The secret is never shown again: the list has no secret, only its use.
    listed = hub.api("GET", "/account/app-passwords", token=owner).json()
    assert [entry["id"] for entry in listed] == [app_id]
    assert secret not in str(listed) and listed[0]["last_used_at"] is None

    minted = basic(hub, "POST", f"/servers/{server_id}/token", "hana", secret)
    assert minted.status_code == 200, minted.text
    media_token = minted.json()["token"]
    assert media.get("/api/library/sections", media_token).status_code == 200

    # Cannot read the account, and cannot change anything.
    for method, path, body in [
        ("GET", "/account", None), ("GET", "/devices", None), ("GET", "/account/app-passwords", None),
        ("POST", "/account/password", {"current_password": PASSWORD, "new_password": "another-fine-passphrase-3"}),
        ("POST", "/account/email", {"password": PASSWORD, "new_email": "evil@example.com"}),
        ("POST", "/account/2fa/totp", {}), ("DELETE", "/account/2fa", None),
        ("POST", "/account/passkeys/options", {}), ("PUT", "/account/passkey-only", {"enabled": True}),
        ("POST", f"/servers/{server_id}/shares", {"account": "x", "sections": ["Movies"]}),
        ("POST", "/account/app-passwords", {"name": "more", "scopes": ["media"]}),
        ("POST", "/devices/sign-out-all", {}), ("POST", "/session/reauthenticate", {"password": PASSWORD}),
    ]:
        response = basic(hub, method, path, "hana", secret, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"]["code"] == "app_password_not_allowed"
    # Its password still works: nothing was changed.
    sign_in(hub, "hana", PASSWORD, "phone")

    used = hub.api("GET", "/account/app-passwords", token=owner).json()[0]
    assert used["last_used_at"] is not None

    # Revoked: refused at once, and its media token is dropped by the media server via the revocation stream.
    assert hub.api("DELETE", f"/account/app-passwords/{app_id}", token=owner).status_code == 204
    assert basic(hub, "POST", f"/servers/{server_id}/token", "hana", secret).status_code == 401
    # A generous deadline (a loaded machine can stall for seconds), still far inside the media token's 5 minutes:
    # only the revocation stream can make the server refuse it this soon.
    deadline = time.time() + 30
    while time.time() < deadline and media.get("/api/library/sections", media_token).status_code == 200:
        time.sleep(0.1)
    assert media.get("/api/library/sections", media_token).status_code == 401


def test_read_scope_and_sign_out_all(hub):
    register(hub, "ivo", PASSWORD)
    token = sign_in(hub, "ivo", PASSWORD, "laptop")
    secret, _ = create(hub, token, "dashboard", ["account:read"])
    me = basic(hub, "GET", "/account", "ivo@example.com", secret)
    assert me.status_code == 200 and me.json()["username"] == "ivo"
    assert basic(hub, "PUT", "/account/anti-phishing-phrase", "ivo", secret, json={"phrase": "x"}).status_code == 403
    # Wrong secret and unknown account: one answer.
    wrong = basic(hub, "GET", "/account", "ivo", "gha_" + "Q" * 43)
    nobody = basic(hub, "GET", "/account", "nobody", "gha_" + "Q" * 43)
    assert wrong.status_code == nobody.status_code == 401
    strip = lambda body: {k: v for k, v in body["error"].items() if k != "request_id"}  # noqa: E731
    assert strip(wrong.json()) == strip(nobody.json())
    # Creating one needs a fresh re-authentication (already given by create above, so try an old session).
    assert hub.api("POST", "/devices/sign-out-all", token=token, json={}).status_code == 200
    assert basic(hub, "GET", "/account", "ivo", secret).status_code == 401
    assert hub.api("GET", "/account/app-passwords", token=token).json() == []


def test_cli_lists_creates_and_revokes(hub, tmp_path):
    register(hub, "jun", PASSWORD)
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    login = hub.cli("login", "--hub", hub.url, "--user", "jun", input=PASSWORD + "\n", env=env, with_data=False)
    assert "Signed in" in login.stdout, login.stderr
    created = hub.cli("app-passwords", "create", "kodi", "--scopes", "media,account:read", input=PASSWORD + "\n\n",
                      env=env, with_data=False)
    secret = next(word for word in created.stdout.split() if word.startswith("gha_"))
    assert basic(hub, "GET", "/account", "jun", secret).status_code == 200
    listed = hub.cli("app-passwords", "list", env=env, with_data=False).stdout
    assert "kodi" in listed and "media,account:read" in listed and secret not in listed
    app_id = next(word for word in listed.split() if word.startswith("apw_"))
    hub.cli("app-passwords", "revoke", app_id, env=env, with_data=False)
    assert basic(hub, "GET", "/account", "jun", secret).status_code == 401


def test_security_page_creates_shows_once_and_revokes(hub):
    from selenium.webdriver.common.by import By

    from browser import fill, make_browser, shot, submit

    register(hub, "kai", PASSWORD)
    driver = make_browser()
    try:
        driver.get(hub.url + "/sign-in")
        fill(driver, "identifier", "kai")
        fill(driver, "password", PASSWORD)
        submit(driver, "/sign-in")
        driver.get(hub.url + "/account/security")
        fill(driver, "app_password_name", "Living-room player")
        submit(driver, "/account/security/app-passwords")
        secret = driver.find_element(By.ID, "new-app-password").text
        assert secret.startswith("gha_")
        shot(driver, "app-passwords-created")
        listed = driver.find_element(By.ID, "app-password-list").text
        assert "Living-room player" in listed and "media" in listed and secret not in listed
        # Shown once: a reload has the entry but not the secret.
        driver.get(hub.url + "/account/security")
        assert secret not in driver.page_source
        app_id = driver.find_element(By.CSS_SELECTOR, "li.app-password").get_attribute("data-app-password-id")
        token = basic(hub, "GET", "/servers", "kai", secret)
        assert token.status_code == 200
        submit(driver, f"/account/security/app-passwords/{app_id}/revoke")
        assert "No app passwords." in driver.find_element(By.ID, "app-password-list").text
        assert basic(hub, "GET", "/servers", "kai", secret).status_code == 401
        # A device bound to a DPoP key is marked in the device list.
        from test_dpop import Client, bound_sign_in
        bound_sign_in(hub, Client(), "kai", password=PASSWORD, name="Living-room TV")
        driver.get(hub.url + "/account/security")
        tv = next(item for item in driver.find_elements(By.CSS_SELECTOR, "li.device") if "Living-room TV" in item.text)
        assert "key-bound" in tv.text
        shot(driver, "devices-key-bound")
    finally:
        driver.quit()
