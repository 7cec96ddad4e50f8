#!/usr/bin/env python3
"""Incident, outbox delivery and reset-request benchmarks (issue 5), each beside a reference measured in the same run.

Usage:
    flock <lock file> python3 Benchmarks/incident_bench.py [--binary PATH] [--accounts 1000000]
        [--batch-sizes 500,1000,5000] [--mail-count 2000] [--reset-count 400] [--only incident,mail,reset]
        [--workdir DIR] [--keep]

The gatehouse binary is --binary, else $GATEHOUSE_BIN, else .build/release/gatehouse (a release build; this script
does not build it). Wrap the run in `flock` when others share the machine, so benchmarks do not overlap.
Needs requests and aiosmtpd (PyPI) for the sink; everything else is the standard library.

It prints:
  1. incident: `gatehouse incident declare --force-reset all --sign-out-all --notify` over --accounts accounts
     seeded straight into the SQLite file (one live device each), once per --batch-sizes value, each on a fresh
     copy of the same seeded data folder: wall time and accounts/s (goal: <= 60 s for 1,000,000 accounts).
     References on another copy, with Python's sqlite3 in one transaction each:
       a. "minimal": UPDATE accounts SET reset_required = 1, UPDATE devices SET revoked_at, and one outbox row per
          account of the size Gatehouse wrote (the raw cost of the writes without Gatehouse's logic);
       b. "same rows": (a) plus every other row Gatehouse writes per account: a reset token, a revocation record
          and a hash-chained audit event (SHA-256 in Python).
  2. mail: an incident notice to --mail-count accounts is queued while the hub is stopped; then the hub starts with
     the smtp transport against e2e/support/smtp_sink.py (plain SMTP) and the time until every message arrived
     is measured, twice: with the sink storing each message (timed by the sink's own file names) and with the sink
     discarding them (--discard; timed by polling the outbox's sent_at). Reference: smtplib sending the same
     messages over one connection to the same sink, right after.
  3. reset: median time of POST /api/v1/password-reset for a known address vs an unknown one (interleaved in
     random order, one keep-alive session, --reset-count of each, every known request for a different registered
     account so the 5-mails-per-hour limit never short-cuts the work). Goal: within 5 %. The noise floor is the
     same ratio between two halves of the unknown requests.
"""

import argparse
import email.message
import email.utils
import glob
import hashlib
import os
import quopri
import random
import re
import secrets
import shutil
import signal
import smtplib
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
from hubkit import seed_accounts as seed  # noqa: E402  (the tests' bulk seeding, shared)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SINK = os.path.join(ROOT, "e2e", "support", "smtp_sink.py")
REASON = "An intruder copied usernames, emails and password hashes from our database on 27 November."
PASSWORD = "cobalt-willow-thunder-18"
MAIL_FROM = "Gatehouse <security@gatehouse.test>"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load():
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def say(text=""):
    print(text, flush=True)


class Hub:
    """`gatehouse serve` on a free port with a given data folder."""

    def __init__(self, binary, data, env=None):
        self.binary = binary
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.process = None

    def start(self):
        os.makedirs(self.data, exist_ok=True)
        log = open(os.path.join(self.data, "hub.log"), "ab")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--sign-up", "open", "--device-verification", "off", "--data", self.data, "--port", str(self.port), "--public-url", self.url,
             "--trusted-proxy", "127.0.0.1", "--log-level", "warning"], stdout=log, stderr=subprocess.STDOUT,
            env=self.env)
        return self

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("hub exited: " + open(os.path.join(self.data, "hub.log")).read()[-2000:])
            time.sleep(0.05)
        raise RuntimeError("hub did not become ready")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def make_schema(binary, data):
    """A first `gatehouse serve` creates the data folder and schema; the hub then stops."""
    Hub(binary, data).start().wait_ready().stop()
    return os.path.join(data, "gatehouse.sqlite")


def run_incident(binary, data, batch_size, extra=()):
    """Runs `incident declare`; returns (seconds, stdout, [(t, processed)] from the progress lines)."""
    command = [binary, "incident", "declare", "--data", data, "--reason", REASON, "--force-reset", "all",
               "--sign-out-all", "--notify", "--batch-size", str(batch_size), *extra]
    progress = []
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def follow():
        for line in process.stderr:
            found = re.search(r"\] (\d+)/(\d+)", line)
            if found:
                progress.append((time.perf_counter() - started, int(found.group(1))))
            elif line.strip():
                progress.append((time.perf_counter() - started, line.strip()))

    reader = threading.Thread(target=follow)
    reader.start()
    out = process.stdout.read()
    process.wait()
    elapsed = time.perf_counter() - started
    reader.join()
    if process.returncode != 0:
        errors = [p[1] for p in progress if isinstance(p[1], str)]
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {out}\n" + "\n".join(errors[-20:]))
    return elapsed, out, [p for p in progress if isinstance(p[1], int)]


def check_incident_state(database, count):
    db = sqlite3.connect(database)
    try:
        flagged = db.execute("SELECT COUNT(*) FROM accounts WHERE reset_required = 1").fetchone()[0]
        live = db.execute("SELECT COUNT(*) FROM devices WHERE revoked_at IS NULL").fetchone()[0]
        notices = db.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'incident_notice'").fetchone()[0]
        sizes = db.execute(
            "SELECT AVG(LENGTH(text_body)), AVG(LENGTH(html_body)) FROM outbox WHERE kind = 'incident_notice'"
        ).fetchone()
        sample = db.execute(
            "SELECT recipient, subject, text_body, html_body FROM outbox WHERE kind = 'incident_notice' LIMIT 1"
        ).fetchone()
    finally:
        db.close()
    ok = flagged == count and live == 0 and notices == count
    return ok, f"flagged {flagged}, live devices {live}, notices {notices}", sizes, sample


def baseline(database, count, sample, same_rows):
    """The writes alone, in one transaction, with Python's sqlite3 (same pragmas as the hub: WAL, NORMAL)."""
    recipient, subject, text, html = sample
    db = sqlite3.connect(database, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    now = int(time.time())
    started = time.perf_counter()
    db.execute("BEGIN")
    db.execute("UPDATE accounts SET reset_required = 1")
    db.execute("UPDATE devices SET revoked_at = ? WHERE revoked_at IS NULL", (now,))

    def body(template, i):
        # Same size as Gatehouse's notice, with the account's own name and address. Ids are random like the
        # hub's (22 base64url characters), so the primary-key index sees the same scattered inserts.
        return template.replace(recipient, f"user{i}@example.com")

    db.executemany(
        "INSERT INTO outbox (id, recipient, subject, text_body, html_body, kind, created_at, attempts,"
        " next_attempt_at) VALUES (?, ?, ?, ?, ?, 'incident_notice', ?, 0, ?)",
        ((secrets.token_urlsafe(16), f"user{i}@example.com", subject, body(text, i), body(html, i),
          now, now) for i in range(count)))
    if same_rows:
        db.executemany(
            "INSERT INTO one_time_tokens (digest, purpose, account_id, payload, expires_at, attempts)"
            " VALUES (?, 'password_reset', ?, '', ?, 0)",
            ((hashlib.sha256(secrets.token_bytes(32)).hexdigest(), f"acct{i:07d}", now + 86400)
             for i in range(count)))
        db.executemany(
            "INSERT INTO revocations (account_id, device_ids, all_devices, at_ms) VALUES (?, '', 1, ?)",
            ((f"acct{i:07d}", now * 1000) for i in range(count)))
        genesis = "0" * 64

        def events():
            for i in range(count):
                chain = f"acct{i:07d}"
                digest = hashlib.sha256(f"{chain}|incident.applied|operator|{now}|{genesis}".encode()).hexdigest()
                yield (chain, "incident.applied", "operator", "incident x, reset required, signed out", now,
                       genesis, digest)

        db.executemany(
            "INSERT INTO audit_events (chain, kind, ip_address, detail, created_at, previous_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)", events())
    db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def rate_profile(progress, total):
    """Accounts/s in each tenth of the run, from the progress lines."""
    marks = []
    previous = (0.0, 0)
    step = max(total // 10, 1)
    goal = step
    for t, done in progress:
        if done > previous[1] and (done >= goal or done == total):
            marks.append((done - previous[1]) / max(t - previous[0], 1e-9))
            previous = (t, done)
            goal = done + step
    return marks


def bench_incident(options, work):
    count = options.accounts
    say(f"== 1. incident over {count:,} accounts (SQLite) ==   {load()}")
    template = os.path.join(work, "template")
    database = make_schema(options.binary, template)
    started = time.perf_counter()
    seed(database, count)
    say(f"seeded {count:,} accounts + credentials + devices in {time.perf_counter() - started:.1f} s; "
        f"database {os.path.getsize(database) / 1e6:.0f} MB")

    results = []
    sample = None
    for batch in options.batch_sizes:
        data = os.path.join(work, f"run-{batch}")
        shutil.copytree(template, data)
        say(f"-- batch size {batch}   {load()}")
        elapsed, out, progress = run_incident(options.binary, data, batch)
        ok, state, sizes, found = check_incident_state(os.path.join(data, "gatehouse.sqlite"), count)
        sample = sample or found
        size = os.path.getsize(os.path.join(data, "gatehouse.sqlite")) + sum(
            os.path.getsize(p) for p in glob.glob(os.path.join(data, "gatehouse.sqlite-wal")))
        profile = rate_profile(progress, count)
        say(f"   {out.strip().splitlines()[-1] if out.strip() else '(no output)'}")
        say(f"   wall {elapsed:.1f} s, {count / elapsed:,.0f} accounts/s; end state {'OK' if ok else 'WRONG'}: {state}")
        say(f"   notice size: text {sizes[0]:.0f} B, html {sizes[1]:.0f} B; database + WAL after: {size / 1e6:.0f} MB")
        say("   accounts/s per tenth of the run: " + " ".join(f"{r:,.0f}" for r in profile))
        results.append((batch, elapsed, ok))
        if not options.keep:
            shutil.rmtree(data)

    references = {}
    for name, same_rows in (("minimal", False), ("same rows", True)):
        data = os.path.join(work, "baseline")
        shutil.copytree(template, data)
        say(f"-- reference '{name}'   {load()}")
        references[name] = baseline(os.path.join(data, "gatehouse.sqlite"), count, sample, same_rows)
        say(f"   {references[name]:.1f} s, {count / references[name]:,.0f} accounts/s")
        shutil.rmtree(data)

    best = min((r for r in results if r[2]), key=lambda r: r[1], default=None)
    say()
    say(f"{'':28} {'seconds':>8} {'accounts/s':>11} {'vs minimal':>11} {'vs same rows':>13}")
    for batch, elapsed, ok in results:
        say(f"{'gatehouse --batch-size ' + str(batch):28} {elapsed:8.1f} {count / elapsed:11,.0f} "
            f"{elapsed / references['minimal']:10.2f}x {elapsed / references['same rows']:12.2f}x"
            + ("" if ok else "  (END STATE WRONG)"))
    for name, seconds in references.items():
        say(f"{'sqlite3 reference: ' + name:28} {seconds:8.1f} {count / seconds:11,.0f}")
    if best:
        goal = 60 * count / 1_000_000
        say(f"best: --batch-size {best[0]}, {best[1]:.1f} s ({'meets' if best[1] <= goal else 'misses'} the "
            f"goal of {goal:.3g} s for {count:,} accounts, 60 s per million)")
    if not options.keep:
        shutil.rmtree(template)
    say()


class Sink:
    """e2e/support/smtp_sink.py, storing each message (default) or only counting it (discard)."""

    def __init__(self, folder, discard):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, SINK, "--dir", folder, "--port", "0"] + (["--discard"] if discard else []),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("LISTENING"):
            raise RuntimeError("sink did not start: " + line)
        self.port = int(line.split()[1])

    def files(self):
        return glob.glob(os.path.join(self.folder, "*.eml"))

    def clear(self):
        for path in glob.glob(os.path.join(self.folder, "*")):
            os.remove(path)

    def span(self):
        """Seconds between the first and last message stored, by the sink's own nanosecond file names."""
        stamps = sorted(int(os.path.basename(p).split("-")[0]) for p in self.files())
        return (stamps[-1] - stamps[0]) / 1e9 if len(stamps) > 1 else 0.0

    def stop(self):
        """Stops the sink; returns how many messages it accepted in all (its own count)."""
        self.process.terminate()
        _, errors = self.process.communicate(timeout=10)
        found = re.search(r"STOPPED after (\d+) messages", errors or "")
        return int(found.group(1)) if found else None


def wait_for(predicate, timeout, interval=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def sent_count(database):
    db = sqlite3.connect(database, timeout=10)
    try:
        return db.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL").fetchone()[0]
    finally:
        db.close()


def smtplib_send(port, messages):
    """The reference client: the same messages, built the same way (text + HTML), over one connection."""
    sender = email.utils.parseaddr(MAIL_FROM)[1]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.ehlo("bench.test")
        for id_, recipient, subject, text, html, kind, created in messages:
            message = email.message.EmailMessage()
            message["From"] = MAIL_FROM
            message["To"] = recipient
            message["Subject"] = subject
            message["Date"] = email.utils.formatdate(created)
            message["Message-ID"] = f"<{id_}@gatehouse.test>"
            message["X-Gatehouse-Kind"] = kind
            message["Auto-Submitted"] = "auto-generated"
            message.set_content(text)
            message.add_alternative(html, subtype="html")
            client.send_message(message, from_addr=sender, to_addrs=[recipient])
    return time.perf_counter() - started


def deliver_once(options, data, database, messages, discard):
    """The hub delivers the queued outbox to a fresh sink; then smtplib sends the same messages to it."""
    count = len(messages)
    mode = "discard" if discard else "store"
    sink = Sink(os.path.join(data, "..", f"inbox-{mode}"), discard)
    try:
        hub = Hub(options.binary, data, {
            "GATEHOUSE_MAIL": "smtp", "GATEHOUSE_SMTP": f"127.0.0.1:{sink.port}", "GATEHOUSE_SMTP_SECURITY": "none",
            "GATEHOUSE_MAIL_FROM": MAIL_FROM})
        started = time.perf_counter()
        hub.start()
        hub.wait_ready()
        ready = time.perf_counter() - started
        if discard:
            # Nothing is stored: follow the outbox, which the hub marks right after the server accepted each one.
            done = wait_for(lambda: sent_count(database) >= count, timeout=max(120, count / 5))
        else:
            done = wait_for(lambda: len(sink.files()) >= count, timeout=max(120, count / 5))
        total = time.perf_counter() - started
        time.sleep(1.0)  # anything sent twice would show up now
        span = None if discard else sink.span()
        hub.stop()
        sent = sent_count(database)
        sink.clear()
        reference = smtplib_send(sink.port, messages)
        if not discard:
            wait_for(lambda: len(sink.files()) >= count, timeout=30)
        reference_span = None if discard else sink.span()
    finally:
        accepted = sink.stop()
    say(f"   sink {mode}: hub ready {ready:.2f} s after start, all {count:,} delivered {total:.2f} s after start "
        f"({'' if done else 'NOT DONE, '}outbox marks {sent:,} sent; sink accepted {accepted} in all, "
        f"{count:,} of them from smtplib)")
    ours = (count - 1) / span if span else count / (total - ready)
    return ours, count / total, count / reference, (count / reference_span if reference_span else None)


def bench_mail(options, work):
    count = options.mail_count
    say(f"== 2. outbox delivery of {count:,} messages to a local SMTP server ==   {load()}")
    data = os.path.join(work, "mail-hub")
    database = make_schema(options.binary, data)
    seed(database, count)
    run_incident(options.binary, data, 1000)
    db = sqlite3.connect(database)
    queued = db.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
    messages = db.execute(
        "SELECT id, recipient, subject, text_body, html_body, kind, created_at FROM outbox ORDER BY created_at, id"
    ).fetchall()
    db.close()
    say(f"queued {queued:,} incident notices with the hub stopped")
    rows = []
    for discard in (False, True):
        if discard:
            # The same messages again: put them back in the queue (the hub is stopped).
            db = sqlite3.connect(database)
            with db:
                db.execute("UPDATE outbox SET sent_at = NULL, attempts = 0")
            db.close()
        rows.append((discard, deliver_once(options, data, database, messages, discard)))
    say()
    say(f"{'msg/s':50} {'gatehouse':>10} {'from start':>10} {'smtplib':>8} {'ratio':>6}")
    for discard, (ours, from_start, reference, reference_span) in rows:
        label = ("sink discards (hub: ready to last marked sent)" if discard
                 else "sink stores (hub: first to last message stored)")
        say(f"{label:50} {ours:10.0f} {from_start:10.0f} {reference:8.0f} {ours / reference:6.2f}")
    say("(ratio = gatehouse / smtplib over one connection; 'from start' includes the hub's start-up)")
    say()
    if not options.keep:
        shutil.rmtree(data)


def bench_reset(options, work):
    count = options.reset_count
    say(f"== 3. POST /api/v1/password-reset, known vs unknown address, {count} each ==   {load()}")
    data = os.path.join(work, "reset-hub")
    hub = Hub(options.binary, data).start().wait_ready()
    try:
        session = requests.Session()
        api = hub.url + "/api/v1"
        started = time.perf_counter()
        for i in range(count):
            # Each from its own address (the hub trusts the loopback proxy), so the per-address sign-up limit
            # does not cut the setup short.
            response = session.post(api + "/accounts", json={
                "username": f"known{i:04d}", "email": f"known{i:04d}@example.com", "password": PASSWORD},
                headers={"X-Forwarded-For": f"198.18.{i // 250}.{i % 250 + 1}"})
            # Sign-up answers 202 whether or not the name was free, and mails the next step.
            if response.status_code != 202:
                raise RuntimeError(f"registration failed: {response.status_code} {response.text}")
        # Reset links go only to verified addresses: confirm each one from its mail (the hub writes .eml files).
        tokens = {}
        deadline = time.time() + 120
        while len(tokens) < count and time.time() < deadline:
            for path in glob.glob(os.path.join(data, "mail", "*.eml")):
                text = quopri.decodestring(open(path, "rb").read()).decode("utf-8", "replace")
                found = re.search(r"token=(ghv_[A-Za-z0-9_-]+)", text)
                if found:
                    tokens[path] = found.group(1)
            time.sleep(0.2)
        if len(tokens) < count:
            raise RuntimeError(f"only {len(tokens)} of {count} verification mails arrived")
        for token in tokens.values():
            response = session.post(api + "/account/verify-email", json={"token": token})
            if response.status_code != 200:
                raise RuntimeError(f"verification failed: {response.status_code} {response.text}")
        say(f"registered and verified {count} accounts in {time.perf_counter() - started:.1f} s   {load()}")
        time.sleep(2.0)  # let the verification mails of the registrations drain
        for i in range(50):  # warm-up
            session.post(api + "/password-reset", json={"identifier": f"warm{i:04d}@example.com"},
                         headers={"X-Forwarded-For": f"198.19.255.{i + 1}"})
        rng = random.Random(5)
        known, unknown, answers = [], [], set()
        for i in range(count):
            pair = [("known", f"known{i:04d}@example.com"), ("unknown", f"ghost{i:04d}@example.com")]
            rng.shuffle(pair)
            for kind, identifier in pair:
                # Each request from its own address, so the per-address reset limit (20 an hour) never engages and
                # both kinds do the same work.
                address = f"198.19.{i // 250}.{i % 250 + 1}" if kind == "known" else f"198.20.{i // 250}.{i % 250 + 1}"
                t0 = time.perf_counter()
                response = session.post(api + "/password-reset", json={"identifier": identifier},
                                        headers={"X-Forwarded-For": address})
                elapsed = time.perf_counter() - t0
                answers.add((response.status_code, response.text))
                (known if kind == "known" else unknown).append(elapsed)
        time.sleep(2.0)
        db = sqlite3.connect(os.path.join(data, "gatehouse.sqlite"))
        mails = db.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'password_reset'").fetchone()[0]
        db.close()
    finally:
        hub.stop()
    known_median = statistics.median(known)
    unknown_median = statistics.median(unknown)
    floor = statistics.median(unknown[0::2]) / statistics.median(unknown[1::2])
    q = lambda xs, p: sorted(xs)[int(p * (len(xs) - 1))]
    say(f"reset mails queued for the known accounts: {mails} of {count}; distinct answers: {len(answers)}")
    say()
    say(f"{'':10} {'median ms':>10} {'mean ms':>8} {'p90 ms':>7}")
    for name, xs in (("known", known), ("unknown", unknown)):
        say(f"{name:10} {statistics.median(xs) * 1000:10.3f} {statistics.mean(xs) * 1000:8.3f} "
            f"{q(xs, 0.9) * 1000:7.3f}")
    ratio = known_median / unknown_median
    say(f"ratio known / unknown (medians): {ratio:.3f} ({'within' if abs(ratio - 1) <= 0.05 else 'outside'} 5 %); "
        f"noise floor (unknown even / odd requests): {floor:.3f}")
    say()
    if not options.keep:
        shutil.rmtree(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.environ.get("GATEHOUSE_BIN")
                        or os.path.join(ROOT, ".build", "release", "gatehouse"))
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--batch-sizes", default="500,1000,5000")
    parser.add_argument("--mail-count", type=int, default=2000)
    parser.add_argument("--reset-count", type=int, default=400)
    parser.add_argument("--only", default="incident,mail,reset")
    parser.add_argument("--workdir", default=None, help="scratch folder (default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the data folders")
    options = parser.parse_args()
    options.batch_sizes = [int(b) for b in options.batch_sizes.split(",")]
    if not os.access(options.binary, os.X_OK):
        sys.exit(f"no gatehouse binary at {options.binary}: build it (swift build -c release) or pass --binary")
    work = tempfile.mkdtemp(prefix="gh-incident-bench-", dir=options.workdir)
    say(f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {os.cpu_count()} cores; {load()}; "
        f"binary modified {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(os.path.getmtime(options.binary)))}")
    say(f"SQLite in Python: {sqlite3.sqlite_version}; scratch: {work}")
    say()
    parts = options.only.split(",")
    try:
        if "incident" in parts:
            bench_incident(options, work)
        if "mail" in parts:
            bench_mail(options, work)
        if "reset" in parts:
            bench_reset(options, work)
    finally:
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
    say(f"done; {load()}")


if __name__ == "__main__":
    main()
