"""The household (issue 16, items 1, 2 and 6) with a real hub, the real SMTP sink and a real browser: the first
start's setup link (works once, enrols a second factor), sign-up modes, invitations (mailed, opened in the browser,
accepted; uses and expiry hold, 50 racing acceptances make one account), and an admin's recovery link.

Screenshots for the README: e2e/output/screenshots/household-*.png.
"""

import base64
import concurrent.futures
import os
import re
import subprocess
import tempfile
import time

import pyotp
import requests
from selenium.webdriver.common.by import By

from browser import fill, make_browser, shot, submit
from hubkit import Hub, SMTPSink, text_of

PASSWORD = "lantern-orchard-violet-57"
SETUP_LINK = re.compile(r"(http://localhost:\d+/setup\?token=ghu_[A-Za-z0-9_-]+)")


def setup_link(hub, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = SETUP_LINK.findall(open(hub.log_path, encoding="utf-8", errors="replace").read())
        if found:
            return found[-1]
        time.sleep(0.1)
    raise AssertionError("no setup link on the console:\n" + open(hub.log_path).read()[-3000:])


def link_in(message, path):
    found = re.search(r"(http://\S+" + re.escape(path) + r"\?token=[A-Za-z0-9_-]+)", text_of(message))
    assert found, text_of(message)
    return found.group(1)


def decode_qr(source):
    assert source.startswith("data:image/png;base64,")
    with tempfile.NamedTemporaryFile(suffix=".png") as png:
        png.write(base64.b64decode(source.split(",", 1)[1]))
        png.flush()
        result = subprocess.run(["zbarimg", "--nodbus", "--raw", "-q", png.name], capture_output=True, text=True)
    return result.stdout.strip()


def next_step():
    time.sleep(30 - (time.time() % 30) + 0.5)


def accept(hub, token, name, address=None, forwarded=None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return hub.api("POST", "/invitations/accept", headers=headers, json={
        "token": token, "username": name, "email": address or f"{name}@example.com", "password": PASSWORD})


def cli_invite(hub, *args):
    result = hub.cli("invites", "create", "--by", "root", "--no-qr", "--public-url", hub.url, *args)
    link = re.search(r"(http://\S+/join\?token=(ghi_[A-Za-z0-9_-]+))", result.stdout)
    assert link, result.stdout
    assert link.group(1).startswith(hub.url + "/join?token=")
    return link.group(1), link.group(2)


def test_a_household_sets_up_and_invites(tmp_path):
    root = tempfile.mkdtemp(prefix="gh-household-")
    sink = SMTPSink(os.path.join(root, "inbox"), auth=("hub", "sink-password")).start()
    hub = Hub(env=sink.hub_env(), args=["--sign-up", "invite", "--trusted-proxy", "127.0.0.0/8"]).start()
    admin = make_browser()
    newcomer = make_browser(width=390, height=844)
    try:
        # Invite-only from the first start: the public sign-up is refused, with nothing about accounts.
        refused = hub.api("POST", "/accounts", json={
            "username": "stranger", "email": "stranger@example.com", "password": PASSWORD})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "sign_up_closed", refused.text

        # The setup link from the console creates the admin, with TOTP enrolled in the same form.
        link = setup_link(hub)
        admin.get(link)
        shot(admin, "household-setup")
        secret = admin.find_element(By.ID, "totp-secret").text
        totp = pyotp.TOTP(secret)
        fill(admin, "username", "root")
        fill(admin, "email", "root@example.com")
        fill(admin, "password", PASSWORD)
        fill(admin, "code", "000000" if totp.now() != "000000" else "111111")
        submit(admin, "/setup")
        assert "That code is not right" in admin.page_source
        fill(admin, "password", PASSWORD)
        fill(admin, "code", totp.now())
        submit(admin, "/setup")
        assert "Your hub is set up" in admin.page_source, admin.page_source[-2000:]
        assert len(admin.find_elements(By.CSS_SELECTOR, "#recovery-codes code")) == 10
        shot(admin, "household-setup-done")

        # The link works once; a second use is refused (page and form alike).
        admin.get(link)
        assert "This setup link does not work" in admin.page_source
        token = link.split("token=", 1)[1]
        again = requests.get(hub.url + "/setup", params={"token": token}, timeout=10)
        assert again.status_code == 410

        # A short-lived invitation made now (the hub's minimum is 60 seconds) works at once, and is checked for expiry
        # at the end. It is used here, not at the end: what runs in between (up to half a minute waiting for a TOTP
        # step, browsers, mail) can take longer than its minute on a loaded machine.
        short_link, short_token = cli_invite(hub, "--uses", "5", "--expires-in-days", str(62 / 86400))
        made_short = time.time()
        assert accept(hub, short_token, "early", forwarded="203.0.113.1").status_code == 202

        # The admin signs in with the second factor (a new time step: the setup's step was spent).
        next_step()
        admin.get(hub.url + "/sign-in")
        fill(admin, "identifier", "root")
        fill(admin, "password", PASSWORD)
        submit(admin, "/sign-in")
        fill(admin, "code", totp.now())
        submit(admin, "/sign-in/code")
        assert admin.current_url.endswith("/account"), admin.current_url

        # The operators' page shows the mode; the invitation page makes an invitation, mailed and shown as a QR.
        admin.get(hub.url + "/admin")
        assert admin.find_element(By.ID, "admin-sign-up-mode").text == "invite"
        admin.get(hub.url + "/account/invitations")
        fill(admin, "invite_email", "kid@example.com")
        shot(admin, "household-invite")
        submit(admin, "/account/invitations")
        shown = admin.find_element(By.ID, "invitation-link").get_attribute("value")
        assert "/join?token=ghi_" in shown
        assert decode_qr(admin.find_element(By.ID, "invitation-qr").get_attribute("src")) == shown
        shot(admin, "household-invite-created")

        message = sink.wait_for_mail(lambda m: m["To"] == "kid@example.com" and "invited you" in m["Subject"])
        mailed = link_in(message, "/join")
        assert mailed == shown

        # The newcomer opens the mailed link in a browser of their own and joins.
        newcomer.get(mailed)
        invited = newcomer.find_element(By.TAG_NAME, "main").text
        assert "root invited you" in invited and "shared with you" not in invited, invited
        shot(newcomer, "household-join")
        fill(newcomer, "username", "kid")
        fill(newcomer, "email", "someone-else@example.com")
        fill(newcomer, "password", PASSWORD)
        submit(newcomer, "/join")
        assert "This invitation is for another e-mail address" in newcomer.page_source
        fill(newcomer, "email", "kid@example.com")
        fill(newcomer, "password", PASSWORD)
        submit(newcomer, "/join")
        assert "Check your mail" in newcomer.page_source
        shot(newcomer, "household-join-done")
        sink.wait_for_mail(lambda m: m["To"] == "kid@example.com" and "Confirm" in m["Subject"])

        # Used up: the link no longer works.
        newcomer.get(mailed)
        assert "This invitation does not work" in newcomer.page_source
        assert accept(hub, mailed.split("token=", 1)[1], "kid2", "kid@example.com").status_code == 410

        # Uses hold: a 2-use invitation makes two accounts, then refuses.
        _, two = cli_invite(hub, "--uses", "2")
        assert accept(hub, two, "cousin1").status_code == 202
        assert accept(hub, two, "cousin2").status_code == 202
        third = accept(hub, two, "cousin3")
        assert third.status_code == 410 and third.json()["error"]["code"] == "invitation_invalid", third.text

        # Revoked: refused at once.
        _, revoked = cli_invite(hub, "--uses", "3")
        listed = hub.cli("invites", "list", "--by", "root").stdout
        invitation_id = next(line.split()[0] for line in listed.splitlines() if "0/3" in line)
        hub.cli("invites", "revoke", "--by", "root", invitation_id)
        assert accept(hub, revoked, "uncle").status_code == 410

        # 50 racing acceptances of a 1-use invitation (each from its own address, so no address budget is the
        # limit): exactly one account.
        _, single = cli_invite(hub, "--uses", "1")
        with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
            statuses = list(pool.map(
                lambda i: accept(hub, single, f"racer{i}", forwarded=f"198.51.100.{i + 1}").status_code, range(50)))
        assert statuses.count(202) == 1, statuses
        assert statuses.count(410) == 49, statuses
        sink.wait_for_mail(lambda m: m["To"].startswith("racer") and "Confirm" in m["Subject"])
        time.sleep(1)
        joined = [m for m in sink.messages() if m["To"].startswith("racer") and "Confirm" in m["Subject"]]
        assert len(joined) == 1, [m["To"] for m in joined]

        # Expiry holds: the short invitation worked before (above) and is refused after its time.
        time.sleep(max(0.0, made_short + 63 - time.time()))
        late = accept(hub, short_token, "late", forwarded="203.0.113.2")
        assert late.status_code == 410, late.text
        newcomer.get(short_link)
        assert "This invitation does not work" in newcomer.page_source
    finally:
        admin.quit()
        newcomer.quit()
        hub.stop()
        sink.stop()


def test_a_restart_without_admin_prints_a_new_link_and_voids_the_old():
    hub = Hub(args=["--sign-up", "closed"]).start()
    try:
        first = setup_link(hub)
        hub.stop()
        hub.start()
        deadline = time.time() + 15
        while time.time() < deadline:
            links = SETUP_LINK.findall(open(hub.log_path).read())
            if len(links) >= 2:
                break
            time.sleep(0.1)
        assert len(links) >= 2 and links[-1] != first
        assert requests.get(first, timeout=10).status_code == 410
        assert requests.get(links[-1], timeout=10).status_code == 200
        # Closed: no public sign-up either (refused before any check of the name, so it tells nothing).
        refused = hub.api("POST", "/accounts", json={"username": "x", "email": "x@example.com", "password": PASSWORD})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "sign_up_closed", refused.text
    finally:
        hub.stop()


def test_an_admin_recovery_link_needs_the_members_second_factor():
    """Item 6: a member who lost their mailbox gets a one-time link from an admin (CLI, with a terminal QR code); the
    link's page asks for their second factor, sets a new password and address, signs every device out and tells the
    old address."""
    from hubkit import register, sign_in as api_sign_in, token_in, verify

    hub = Hub().start()
    browser = make_browser(width=390, height=844)
    try:
        hub.cli("admin", "create", "--username", "root", "--email", "root@example.com", input=PASSWORD + "\n")
        register(hub, "gran", PASSWORD)
        verify(hub, "gran@example.com")
        token = api_sign_in(hub, "gran", PASSWORD)
        begun = hub.api("POST", "/account/2fa/totp", token=token).json()
        totp = pyotp.TOTP(begun["secret"])
        confirmed = hub.api("POST", "/account/2fa/totp/confirm", token=token, json={"code": totp.now()})
        assert confirmed.status_code == 200, confirmed.text

        made = hub.cli("admin", "recovery-link", "--by", "root", "--public-url", hub.url, "gran").stdout
        assert "\u2580" in made or "\u2584" in made or "\u2588" in made, "no terminal QR code"
        link = re.search(r"(http://\S+/recover\?token=ghm_[A-Za-z0-9_-]+)", made).group(1)
        assert link.startswith(hub.url)

        browser.get(link)
        assert "gran" in browser.find_element(By.TAG_NAME, "main").text
        shot(browser, "household-recover")
        fill(browser, "password", "orbit-thistle-canyon-86")
        fill(browser, "email", "gran-new@example.com")
        fill(browser, "code", "000000" if totp.now() != "000000" else "111111")
        submit(browser, "/recover")
        assert "Enter a current code" in browser.page_source
        next_step()
        fill(browser, "password", "orbit-thistle-canyon-86")
        fill(browser, "code", totp.now())
        submit(browser, "/recover")
        assert "Your password is set" in browser.page_source, browser.page_source[-2000:]

        # Every device signed out; the old address told; the new one asked to confirm; the link is spent.
        assert hub.api("GET", "/account", token=token).status_code == 401
        hub.wait_for_mail(lambda m: m["To"] == "gran@example.com" and "administrator" in m["Subject"])
        hub.wait_for_mail(lambda m: m["To"] == "gran-new@example.com" and "Confirm" in m["Subject"])
        browser.get(link)
        assert "This recovery link does not work" in browser.page_source
    finally:
        browser.quit()
        hub.stop()
