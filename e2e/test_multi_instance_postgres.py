"""Two hub instances on one PostgreSQL database (issue 13, items 5 and 6):

- a revocation that commits after a later one still reaches a live media server and the other instance's cache
  (the revocation log is read by transaction horizon, not by a plain cursor over its sequence);
- two instances sending from one outbox deliver every message exactly once (rows claimed with FOR UPDATE SKIP
  LOCKED), counted by Message-ID at a real SMTP sink.

Needs GATEHOUSE_TEST_POSTGRES_URL (scripts/start-postgres.sh DIR PORT), psql, and GATEHOUSE_BIN.
"""

import collections
import concurrent.futures
import os
import subprocess
import tempfile
import time

import pytest

from hubkit import Hub, SMTPSink, free_port, register, sign_in
from opskit import drop_database, pg_env, postgres_admin_url, psql, scratch_database
from test_media_live import Media, make_library, token_for, wait_claimed

PASSWORD = "harbour-lantern-quince-63"


def start_pair(database_url, extra_env=None, args=()):
    """Hub A, then hub B on the same database with A's keyring (instances of one deployment share it)."""
    env = {"GATEHOUSE_DATABASE_URL": database_url, **(extra_env or {})}
    first = Hub(env=env, args=args).start()
    keyring = os.path.join(first.data, "keys", "keyring.json")
    second = Hub(env={**env, "GATEHOUSE_KEYRING": keyring}, args=args).start()
    return first, second


@pytest.fixture
def database():
    admin = postgres_admin_url()
    url = scratch_database(admin)
    yield url
    drop_database(admin, url)


def eventually(check, timeout=10.0):
    """True once `check()` holds. The default leaves a loaded machine room to stall for seconds, and stays well
    inside what a revocation that never arrived would take to show anyway (a cached credential lives 30 s, a media
    token 5 minutes)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


class OpenTransaction:
    """A psql session that runs statements in one transaction and keeps it open until commit(): another writer
    of the revocation log (an operator command, a third instance, an incident batch) whose commit comes late."""

    def __init__(self, database_url, statements):
        self.process = subprocess.Popen(
            ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"], env=pg_env(database_url), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.process.stdin.write("BEGIN;\n" + "".join(s + ";\n" for s in statements) + "\\echo written\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line.strip() == "written", line + self.process.stdout.read()

    def commit(self):
        self.process.stdin.write("COMMIT;\n\\echo committed\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line.strip() == "committed", line
        self.process.stdin.close()
        self.process.wait(timeout=10)


def test_out_of_order_commits_reach_the_media_server_and_the_other_instance(database):
    hub_a, hub_b = start_pair(database)
    root, _ = make_library()
    media = Media(hub_a, {"Movies": os.path.join(root, "Movies")})
    try:
        register(hub_a, "otto", PASSWORD)
        owner = sign_in(hub_a, "otto", PASSWORD, "owner-tv")
        assert hub_a.api("POST", "/servers/claim", token=owner, json={"code": media.code}).status_code == 201
        server_id = wait_claimed(media)
        time.sleep(1.5)  # the media server opens its revocation stream and passes the hello second

        device_a = sign_in(hub_a, "otto", PASSWORD, "phone-a", client="client-a")
        device_b = sign_in(hub_a, "otto", PASSWORD, "phone-b", client="client-b")
        ids = {d["name"]: d["id"] for d in hub_a.api("GET", "/devices", token=owner).json()}
        media_a, media_b = token_for(hub_a, device_a, server_id), token_for(hub_a, device_b, server_id)
        assert eventually(lambda: media.get("/api/library/sections", media_a).status_code == 200)
        assert media.get("/api/library/sections", media_b).status_code == 200
        # Both credentials are in each instance's cache.
        for hub in (hub_a, hub_b):
            for token in (device_a, device_b):
                assert hub.api("GET", "/account", token=token).status_code == 200

        # T1 revokes device A and stays open.
        account_id = psql(database, "SELECT account_id FROM devices WHERE id = '%s'" % ids["phone-a"])
        now_ms = int(time.time() * 1000)
        t1 = OpenTransaction(database, [
            f"UPDATE devices SET revoked_at = {now_ms // 1000} WHERE id = '{ids['phone-a']}'",
            "INSERT INTO revocations (account_id, device_ids, all_devices, at_ms) "
            f"VALUES ('{account_id}', '{ids['phone-a']}', 0, {now_ms})",
        ])
        # T2 revokes device B through instance A and commits.
        assert hub_a.api("DELETE", f"/devices/{ids['phone-b']}", token=device_b).status_code in (200, 204)
        assert eventually(lambda: media.get("/api/library/sections", media_b).status_code == 401), \
            "the media server never heard of T2's revocation"
        assert eventually(lambda: hub_b.api("GET", "/account", token=device_b).status_code == 401), \
            "instance B never heard of T2's revocation"
        # T1 is still open: device A still works everywhere.
        assert media.get("/api/library/sections", media_a).status_code == 200
        assert hub_b.api("GET", "/account", token=device_a).status_code == 200

        t1.commit()
        # Within 10 s each (a cached credential would otherwise live 30 s on each instance; the media server would
        # accept the token until it expires).
        assert eventually(lambda: media.get("/api/library/sections", media_a).status_code == 401), \
            "the media server never heard of T1's revocation (committed after T2's)"
        assert eventually(lambda: hub_b.api("GET", "/account", token=device_a).status_code == 401), \
            "instance B never heard of T1's revocation"
        assert eventually(lambda: hub_a.api("GET", "/account", token=device_a).status_code == 401), \
            "instance A never heard of T1's revocation"
        # The owner's own device was never touched.
        assert hub_b.api("GET", "/account", token=owner).status_code == 200
    finally:
        media.stop()
        hub_b.stop()
        hub_a.stop()


def test_two_instances_send_each_outbox_message_exactly_once(database):
    root = tempfile.mkdtemp(prefix="gh-mail-")
    sink = SMTPSink(os.path.join(root, "inbox"), auth=("hub", "sink-password")).start()
    metrics = [free_port(), free_port()]
    env = {**sink.hub_env(), "GATEHOUSE_DATABASE_URL": database}
    proxy = ["--trusted-proxy", "127.0.0.0/8"]
    hub_a = Hub(env=env, args=proxy + ["--metrics-port", str(metrics[0])]).start()
    keyring = os.path.join(hub_a.data, "keys", "keyring.json")
    hub_b = Hub(env={**env, "GATEHOUSE_KEYRING": keyring}, args=proxy + ["--metrics-port", str(metrics[1])]).start()
    count = 200
    try:
        def sign_up(index):
            hub = (hub_a, hub_b)[index % 2]
            response = hub.api("POST", "/accounts", json={
                "username": f"member{index}", "email": f"member{index}@example.com", "password": PASSWORD},
                headers={"X-Forwarded-For": f"10.9.{index // 200}.{index % 200 + 1}"})
            assert response.status_code == 202, response.text

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(sign_up, range(count)))

        def pending():
            return int(psql(database, "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed = 0"))

        deadline = time.time() + 120
        while (pending() > 0 or len(sink.messages()) < count) and time.time() < deadline:
            time.sleep(0.25)
        time.sleep(3)  # a duplicate still in flight would land now
        messages = sink.messages()
        by_id = collections.Counter(m["Message-ID"] for m in messages)
        duplicates = {k: v for k, v in by_id.items() if v != 1}
        assert not duplicates, f"sent more than once: {duplicates}"
        assert len(by_id) == count, f"{len(by_id)} distinct messages at the sink, {count} expected"
        assert sorted(m["To"] for m in messages) == sorted(f"member{i}@example.com" for i in range(count))
        assert psql(database, "SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL") == str(count)
        delivered = []
        for port in metrics:
            text = __import__("requests").get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            total = sum(float(line.split()[-1]) for line in text.splitlines()
                        if line.startswith("gatehouse_mail_delivered_total"))
            delivered.append(total)
        print(f"delivered by instance A: {delivered[0]:.0f}, by instance B: {delivered[1]:.0f}")
        assert sum(delivered) == count
    finally:
        hub_b.stop()
        hub_a.stop()
        sink.stop()
