"""Managed profiles (issue 16, item 3) against a live hub: the holder makes a kid's profile with a PIN on the page
and switches to it in a real browser (mail through the real SMTP sink); the PIN throttle holds under concurrent
guesses; a restricted profile cannot browse or stream an out-of-range item on a live media server, not with its own
token, a hand-edited one or a guessed id, while the holder still can; the CLI lists and creates profiles."""

import base64
import concurrent.futures
import json
import os
import random
import tempfile

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from browser import click_and_wait, fill, make_browser, shot, submit
from hubkit import Hub, register, register_verified, sign_in
from test_media_live import Media, wait_claimed

PASSWORD = "harbour-quill-meadow-58"


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url_encode(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_kid_profile_on_the_page_and_switch_with_the_pin(mail_hub):
    hub, sink = mail_hub
    register_verified(hub, sink, "dana", PASSWORD)
    browser = make_browser()
    try:
        browser.get(hub.url + "/sign-in")
        fill(browser, "identifier", "dana")
        fill(browser, "password", PASSWORD)
        submit(browser, "/sign-in")
        assert browser.current_url.endswith("/account"), browser.current_url

        browser.get(hub.url + "/account/profiles")
        fill(browser, "profile_name", "Mia")
        fill(browser, "profile_pin", "2468")
        Select(browser.find_element(By.ID, "profile_rating")).select_by_value("PG")
        fill(browser, "profile_sections", "Movies")
        fill(browser, "profile_blocked", "horror")
        submit(browser, "/account/profiles")
        assert "was created" in browser.page_source
        entry = browser.find_element(By.CSS_SELECTOR, "li.profile")
        assert "Mia" in entry.text and "PIN" in entry.text and "Up to PG" in entry.text
        shot(browser, "household-profiles")

        click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Switch to Mia"))
        assert "/switch" in browser.current_url
        assert "second factor" in browser.page_source
        shot(browser, "household-switch")
        action = browser.current_url.replace(hub.url, "")
        fill(browser, "switch_pin", "1357")
        submit(browser, action)
        assert "That PIN is not correct." in browser.find_element(By.ID, "switch-error").text
        fill(browser, "switch_pin", "2468")
        submit(browser, action)
        assert browser.current_url.endswith("/profile"), browser.current_url
        assert "Hello, Mia" in browser.page_source and "limited to PG" in browser.page_source
        shot(browser, "household-profile-home")

        # The profile session is not the holder: account pages send it to sign in, and nothing of the account shows.
        browser.get(hub.url + "/account/security")
        assert "/sign-in" in browser.current_url
        browser.get(hub.url + "/account/profiles")
        assert "/sign-in" in browser.current_url

        # The holder, signed in elsewhere, sees the profile session among the devices, and sign-out-all ends it.
        holder = sign_in(hub, "dana", PASSWORD, "phone")
        devices = hub.api("GET", "/devices", token=holder).json()
        sessions = [d for d in devices if d.get("profile_id")]
        assert len(sessions) == 1 and "Mia" in sessions[0]["name"]
        activity = hub.api("GET", "/security-activity", token=holder)
        assert activity.status_code == 200 and "profile.switched" in activity.text
        # ...and on the security page, tagged as a profile.
        second = make_browser()
        try:
            second.get(hub.url + "/sign-in")
            fill(second, "identifier", "dana")
            fill(second, "password", PASSWORD)
            submit(second, "/sign-in")
            second.get(hub.url + "/account/security")
            tagged = [d.text for d in second.find_elements(By.CSS_SELECTOR, "li.device") if "Mia" in d.text]
            assert len(tagged) == 1 and "profile" in tagged[0]
        finally:
            second.quit()
        assert hub.api("POST", "/devices/sign-out-all", token=holder, json={}).status_code == 200
        browser.get(hub.url + "/profile")
        assert "/sign-in" in browser.current_url
    finally:
        browser.quit()


def make_rated_library():
    root = tempfile.mkdtemp(prefix="gh-rated-")
    movies = os.path.join(root, "Movies")
    os.makedirs(movies)
    files = {}
    for name in ("Cartoon.mp4", "Thriller.mp4", "Unrated.webm"):
        data = os.urandom(random.randint(50_000, 200_000))
        with open(os.path.join(movies, name), "wb") as f:
            f.write(data)
        files[name] = data
    with open(os.path.join(movies, "Cartoon.mp4.rating"), "w") as f:
        f.write("G\n")
    with open(os.path.join(movies, "Thriller.mp4.meta.json"), "w") as f:
        json.dump({"rating": "R", "labels": ["scary"]}, f)
    return root, files


@pytest.fixture
def rated_setup():
    hub = Hub().start()
    root, files = make_rated_library()
    media = Media(hub, {"Movies": os.path.join(root, "Movies")})
    yield hub, media, files
    media.stop()
    hub.stop()


def test_restricted_profile_on_a_live_media_server(rated_setup):
    hub, media, files = rated_setup
    register(hub, "otis", PASSWORD)
    holder = sign_in(hub, "otis", PASSWORD, "owner-laptop")
    claimed = hub.api("POST", "/servers/claim", token=holder, json={"code": media.code})
    assert claimed.status_code == 201, claimed.text
    server_id = wait_claimed(media)
    created = hub.api("POST", "/profiles", token=holder,
                      json={"name": "Kit", "pin": "9753", "restrictions": {"max_rating": "PG"}})
    assert created.status_code == 201, created.text
    profile_id = created.json()["id"]

    # 60 concurrent wrong PINs from a TV signed in as the holder: at most the budget (5) is evaluated.
    tv = sign_in(hub, "otis", PASSWORD, "living-room-tv")
    def guess(index):
        return hub.api("POST", f"/profiles/{profile_id}/switch", token=tv, json={"pin": f"{1000 + index:04d}"})
    with concurrent.futures.ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(guess, range(60)))
    codes = [a.json()["error"]["code"] for a in answers]
    assert set(codes) <= {"wrong_pin", "throttled"}, codes
    assert 1 <= codes.count("wrong_pin") <= 5, codes
    print(f"60 concurrent wrong PINs: {codes.count('wrong_pin')} evaluated, {codes.count('throttled')} throttled")
    # The holder's own sign-in is unaffected; the holder resets the PIN, which clears the budget.
    assert hub.api("PUT", f"/profiles/{profile_id}/pin", token=holder, json={"pin": "8642"}).status_code == 204
    switched = hub.api("POST", f"/profiles/{profile_id}/switch", token=tv, json={"pin": "8642"})
    assert switched.status_code == 201, switched.text
    kid = switched.json()["token"]
    assert hub.api("GET", "/account", token=tv).status_code == 401, "the TV's holder credential was handed over"
    assert hub.api("GET", "/account", token=kid).status_code == 403

    holder_media = hub.api("POST", f"/servers/{server_id}/token", token=holder).json()["token"]
    kid_media = hub.api("POST", f"/servers/{server_id}/token", token=kid).json()["token"]
    everything = {i["path"]: i for i in media.get("/api/library/sections/Movies/items", holder_media).json()["items"]}
    assert sorted(everything) == ["Cartoon.mp4", "Thriller.mp4", "Unrated.webm"]
    assert everything["Thriller.mp4"]["rating"] == "R" and everything["Cartoon.mp4"]["rating"] == "G"

    # Browse: only the G cartoon. Stream: the cartoon plays, the thriller and the unrated file are "not found".
    visible = media.get("/api/library/sections/Movies/items", kid_media).json()["items"]
    assert [i["path"] for i in visible] == ["Cartoon.mp4"]
    cartoon = media.get(f"/api/library/items/{everything['Cartoon.mp4']['id']}/stream", kid_media)
    assert cartoon.status_code == 200 and cartoon.content == files["Cartoon.mp4"]
    guessed = "0123456789abcdef01234567"
    absent = media.get(f"/api/library/items/{guessed}/stream", kid_media)
    assert absent.status_code == 404
    for name in ("Thriller.mp4", "Unrated.webm"):
        item_id = everything[name]["id"]
        for route in (f"/api/library/items/{item_id}/stream", f"/api/library/items/{item_id}", f"/play/{item_id}"):
            refused = media.get(route, kid_media)
            assert refused.status_code == 404, (route, refused.text)
            assert refused.json()["error"] == absent.json()["error"], "a refused item must look like a missing one"
        in_query = requests.get(f"{media.url}/api/library/items/{item_id}/stream?token={kid_media}", timeout=30)
        assert in_query.status_code == 404

    # A hand-edited token: lift the ceiling in the payload; the signature no longer matches.
    head, payload, signature = kid_media.split(".")
    claims = json.loads(b64url_decode(payload))
    assert claims["typ"] == "media-profile" and claims["prf"]["id"] == profile_id and claims["prf"]["max"] == "PG"
    claims["prf"]["max"] = "NC-17"
    forged = ".".join([head, b64url_encode(json.dumps(claims, separators=(",", ":")).encode()), signature])
    refused = media.get(f"/api/library/items/{everything['Thriller.mp4']['id']}/stream", forged)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "bad_signature"
    # Dropping the profile claim altogether breaks the signature just the same.
    del claims["prf"]
    claims["typ"] = "media"
    stripped = ".".join([head, b64url_encode(json.dumps(claims, separators=(",", ":")).encode()), signature])
    assert media.get("/api/library/sections/Movies/items", stripped).status_code == 401

    # The holder still streams everything.
    thriller = media.get(f"/api/library/items/{everything['Thriller.mp4']['id']}/stream", holder_media)
    assert thriller.status_code == 200 and thriller.content == files["Thriller.mp4"]


def test_cli_lists_and_creates_profiles(hub, tmp_path):
    register(hub, "pia", PASSWORD)
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "GATEHOUSE_CONFIG_DIR": str(tmp_path / "gh")}
    login = hub.cli("login", "--hub", hub.url, "--user", "pia", input=PASSWORD + "\n", env=env, with_data=False)
    assert "Signed in" in login.stdout, login.stderr
    created = hub.cli("profiles", "create", "Leo", "--max-rating", "tv-y7", "--sections", "Cartoons", "--pin",
                      input="1470\n", env=env, with_data=False)
    assert "created" in created.stdout
    listed = hub.cli("profiles", "list", env=env, with_data=False).stdout
    assert "Leo" in listed and "TV-Y7" in listed and "Cartoons" in listed and "yes" in listed
    bad = hub.cli("profiles", "create", "Bad", "--max-rating", "PG-21", env=env, with_data=False, check=False)
    assert bad.returncode != 0 and "Unknown rating" in (bad.stderr + bad.stdout)
    profile_id = next(word for word in listed.split() if word.startswith("prf_"))
    hub.cli("profiles", "edit", profile_id, "--max-rating", "G", "--block", "scary", env=env, with_data=False)
    edited = hub.cli("profiles", "list", env=env, with_data=False).stdout
    assert " G " in edited and "scary" in edited and "TV-Y7" not in edited
    switched = hub.cli("profiles", "switch", profile_id, input="1470\n", env=env, with_data=False)
    assert "now the profile Leo" in switched.stdout
    # The stored credential is now the profile's: account commands are refused.
    refused = hub.cli("profiles", "list", env=env, with_data=False, check=False)
    assert refused.returncode != 0 and "profile session cannot" in (refused.stderr + refused.stdout)
