"""The password policy through the API, breached passwords (offline index and range API), and the sign-in re-check
(issue 7)."""

import hashlib
import http.server
import os
import tempfile
import threading

import pytest
import requests

from hubkit import Hub, register, sign_in, verify

GOOD = "harvest-comet-velvet-29"
BREACHED = "pelican-sunrise-marble-47"  # a fine password, until it leaks


def sha1(text):
    return hashlib.sha1(text.encode()).hexdigest().upper()


def corpus_file(folder, passwords, filler=200):
    path = os.path.join(folder, "pwned.txt")
    with open(path, "w") as f:
        for index in range(filler):
            f.write(f"{sha1(f'filler-{index}')}:{index + 1}\n")
        for password in passwords:
            f.write(f"{sha1(password)}:3\n")
    return path


def import_index(hub, passwords):
    folder = tempfile.mkdtemp(prefix="gh-corpus-")
    index = os.path.join(folder, "breached.idx")
    hub.cli("passwords", "import", corpus_file(folder, passwords), "--index", index, with_data=False)
    return index


def refusal(hub, password, username="rita", email="rita@example.com"):
    response = hub.api("POST", "/accounts", json={"username": username, "email": email, "password": password})
    assert response.status_code == 422, response.text
    body = response.json()["error"]
    assert body["code"] == "password_rejected" and body["message"]
    return set(body["details"])


def test_every_rule_is_enforced_and_explained(hub):
    assert "too_short" in refusal(hub, "a1b2c3")
    assert "too_long" in refusal(hub, "x" * 1025)
    assert "common" in refusal(hub, "iloveyou")
    assert "contains_user_info" in refusal(hub, "rita-rita-rita-2024!")
    assert "contains_user_info" in refusal(hub, "my-gatehouse-login-7")  # the service's own name
    assert "too_guessable" in refusal(hub, "aaaaaaaaaaaa")
    # NFKC: a full-width copy of a refused password is the same password.
    assert "common" in refusal(hub, "ｉｌｏｖｅｙｏｕ")
    register(hub, "rita", GOOD)
    token = sign_in(hub, "rita", GOOD)
    # Changing the password: the same rules, plus the account's earlier passwords.
    response = hub.api("POST", "/account/password", token=token,
                       json={"current_password": GOOD, "new_password": "password1"})
    assert response.status_code == 422 and "common" in response.json()["error"]["details"]
    second = "lagoon-tinsel-orchid-53"
    assert hub.api("POST", "/account/password", token=token,
                   json={"current_password": GOOD, "new_password": second}).status_code == 200
    again = hub.api("POST", "/account/password", token=token, json={"current_password": second, "new_password": GOOD})
    assert again.status_code == 422 and again.json()["error"]["code"] == "password_unchanged"


def test_breached_passwords_are_refused_and_a_later_breach_flags_the_account():
    hub = Hub().start()
    try:
        register(hub, "sam", BREACHED)
        verify(hub, "sam@example.com")  # reset links go only to verified addresses
        sign_in(hub, "sam", BREACHED)
        hub.stop()
        # The password leaks elsewhere: the operator imports the new corpus and restarts with it.
        index = import_index(hub, [BREACHED, "another-leaked-password-1"])
        hub.env["GATEHOUSE_BREACH_INDEX"] = index
        hub.start()
        assert "breached" in refusal(hub, "another-leaked-password-1", "tess", "tess@example.com")
        flagged = hub.api("POST", "/sessions", json={"identifier": "sam", "password": BREACHED})
        assert flagged.status_code == 403 and flagged.json()["error"]["code"] == "password_reset_required"
        hub.wait_for_mail(lambda m: m["To"] == "sam@example.com" and m["Subject"] == "Reset your password")
        assert hub.api("POST", "/sessions", json={"identifier": "sam", "password": "wrong-password-12"}).status_code == 401
    finally:
        hub.stop()


class RangeHandler(http.server.BaseHTTPRequestHandler):
    leaked = set()
    requests_seen = []

    def do_GET(self):
        prefix = self.path.rsplit("/", 1)[-1].upper()
        RangeHandler.requests_seen.append((self.path, self.headers.get("Add-Padding")))
        lines = [f"{h[5:]}:2" for h in RangeHandler.leaked if h.startswith(prefix)]
        lines += [f"{'0' * 30}{i:05X}:0" for i in range(50)]  # padding entries, count 0
        body = "\r\n".join(lines).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("mode", ["fail-open", "fail-closed"])
def test_range_api_with_padding_and_failure_mode(mode):
    RangeHandler.leaked = {sha1(BREACHED)}
    RangeHandler.requests_seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RangeHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hub = Hub(env={"GATEHOUSE_PWNED_RANGE_URL": f"http://127.0.0.1:{server.server_port}",
                   "GATEHOUSE_BREACH_CHECK": mode}).start()
    try:
        assert "breached" in refusal(hub, BREACHED, "uma", "uma@example.com")
        path, padding = RangeHandler.requests_seen[-1]
        assert path == "/range/" + sha1(BREACHED)[:5] and padding == "true"
        register(hub, "uma", GOOD)  # padding entries never count as breached
        server.shutdown()
        server.server_close()
        outage = hub.api("POST", "/accounts", json={"username": "vera", "email": "vera@example.com",
                                                    "password": "mosaic-falcon-ribbon-62"})
        if mode == "fail-open":
            assert outage.status_code == 202, outage.text
        else:
            assert outage.status_code == 422 and "breach_check_unavailable" in outage.json()["error"]["details"]
    finally:
        hub.stop()
