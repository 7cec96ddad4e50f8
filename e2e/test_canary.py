"""Canary accounts on a live hub (issue 18): a sign-in against one, as someone holding a copy of the database would
try, produces the operators' alert mail within a second; the answer is the same as for any wrong password."""

import email
import email.policy
import glob
import os
import time

from hubkit import Hub, register, text_of, token_in

PASSWORD = "saffron-tundra-beacon-64"


def written_at(folder, predicate):
    """When the hub wrote the first mail in `folder` that matches (seconds since the epoch, like time.time())."""
    for path in sorted(glob.glob(os.path.join(folder, "*.eml"))):
        with open(path, "rb") as f:
            if predicate(email.message_from_bytes(f.read(), policy=email.policy.default)):
                return os.stat(path).st_mtime
    raise AssertionError("no matching mail in " + folder)


def test_a_canary_sign_in_alerts_the_operators_within_a_second():
    hub = Hub().start()
    try:
        hub.cli("admin", "create", "--username", "ops", "--email", "ops@example.com", input=PASSWORD + "\n")
        message = hub.wait_for_mail(lambda m: m["To"] == "ops@example.com" and "Confirm" in m["Subject"])
        assert hub.api("POST", "/account/verify-email", json={"token": token_in(message, "ghv")}).status_code == 200
        register(hub, "real", PASSWORD)
        made = hub.cli("canary", "create", "--count", "2", "--domain", "example.net").stdout.splitlines()
        canaries = [line.split("\t")[0] for line in made if "\t" in line]
        assert len(canaries) == 2
        listed = hub.cli("canary", "list").stdout
        assert all(name in listed for name in canaries) and "real" not in listed

        def is_alert(message):
            return message["To"] == "ops@example.com" and "canary" in message["Subject"]

        started = time.time()
        on_canary = hub.api("POST", "/sessions", json={"identifier": canaries[0], "password": "from-a-breach-list"})
        alert = hub.wait_for_mail(is_alert)
        # Timed to when the hub wrote the mail (the file's modification time: it is written, flushed and renamed
        # into place), not to when this test's polling found it: on a loaded machine the test itself can stall.
        elapsed = written_at(hub.mail_dir(), is_alert) - started
        assert elapsed < 1.0, f"the alert took {elapsed:.2f} s"
        assert canaries[0] in text_of(alert)
        on_real = hub.api("POST", "/sessions", json={"identifier": "real", "password": "from-a-breach-list"})
        assert on_canary.status_code == on_real.status_code == 401
        canary_error, real_error = on_canary.json()["error"], on_real.json()["error"]
        canary_error.pop("request_id")
        real_error.pop("request_id")
        assert canary_error == real_error
        print(f"alert mail delivered {elapsed * 1000:.0f} ms after the canary sign-in")
    finally:
        hub.stop()
