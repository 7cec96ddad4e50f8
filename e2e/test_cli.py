"""The people's command line on a real terminal (pexpect): login, whoami, devices, revoke, sign-out-all, logout."""

import os
import re
import tempfile

import pexpect

from hubkit import gatehouse_bin, register, sign_in, verify

PASSWORD = "juniper-anchor-violin-55"


def spawn(args, config):
    env = dict(os.environ, GATEHOUSE_CONFIG_DIR=config, COLUMNS="200")
    return pexpect.spawn(gatehouse_bin(), args, env=env, encoding="utf-8", timeout=30)


def test_cli_login_devices_and_logout(hub):
    register(hub, "kate", PASSWORD)
    verify(hub, "kate@example.com")
    other = sign_in(hub, "kate", PASSWORD, "tablet")
    config = tempfile.mkdtemp(prefix="gh-cli-")

    login = spawn(["login", "--hub", hub.url, "--user", "kate"], config)
    login.expect("Password: ")
    login.sendline(PASSWORD)
    login.expect("Signed in as kate")
    login.expect(pexpect.EOF)
    assert PASSWORD not in login.before, "the password must not be echoed"
    stored = os.path.join(config, "credentials.json")
    assert os.stat(stored).st_mode & 0o777 == 0o600

    whoami = spawn(["whoami"], config)
    whoami.expect("kate <kate@example.com>")

    devices = spawn(["devices"], config)
    devices.expect(pexpect.EOF)
    table = devices.before
    assert "tablet" in table and "gatehouse CLI" in table
    assert "EXPIRES" in table, "the device list shows when each credential expires"
    tablet_id = re.search(r"^\s+(\S+)\s+tablet", table, re.M).group(1)

    passkeys = spawn(["passkeys"], config)
    passkeys.expect("LAST USED")
    passkeys.expect(pexpect.EOF)
    remove = spawn(["passkeys", "remove", "no-such-passkey"], config)
    remove.expect("Password: ")
    remove.sendline(PASSWORD)
    remove.expect("code")
    remove.sendline("")
    remove.expect(pexpect.EOF)
    assert "removed" not in remove.before

    revoke = spawn(["devices", "revoke", tablet_id], config)
    revoke.expect("signed out")
    assert hub.api("GET", "/account", token=other).status_code == 401

    third = sign_in(hub, "kate", PASSWORD, "phone")
    everyone = spawn(["devices", "sign-out-all"], config)
    everyone.expect("1 devices signed out")
    assert hub.api("GET", "/account", token=third).status_code == 401

    logout = spawn(["logout"], config)
    logout.expect("Signed out")
    logout.expect(pexpect.EOF)
    assert not os.path.exists(stored)
    again = spawn(["whoami"], config)
    again.expect("Not signed in")


def test_cli_login_asks_for_the_second_factor(hub):
    import pyotp
    import time
    register(hub, "liam", PASSWORD)
    token = sign_in(hub, "liam", PASSWORD, "first")
    secret = hub.api("POST", "/account/2fa/totp", token=token).json()["secret"]
    totp = pyotp.TOTP(secret)
    assert hub.api("POST", "/account/2fa/totp/confirm", token=token, json={"code": totp.now()}).status_code == 200
    time.sleep(30 - (time.time() % 30) + 0.5)
    config = tempfile.mkdtemp(prefix="gh-cli-")
    login = spawn(["login", "--hub", hub.url, "--user", "liam"], config)
    login.expect("Password: ")
    login.sendline(PASSWORD)
    login.expect("authenticator app")
    login.sendline(totp.now())
    login.expect("Signed in as liam")
