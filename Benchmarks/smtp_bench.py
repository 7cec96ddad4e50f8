#!/usr/bin/env python3
"""SMTP delivery rate: Gatehouse's SMTPClient against Python's smtplib, same messages, same local sink, same run.

Usage:
    python3 Benchmarks/smtp_bench.py --bench-bin PATH [--count 1000] [--repeat 3] [--batch 100]

--bench-bin (or the SMTP_BENCH_BIN environment variable) is the smtp-bench executable built from
Benchmarks/smtp_bench/main.swift: an executable target depending on SMTPClient, built with
`swift build -c release --product smtp-bench`.

The sink is e2e/support/smtp_sink.py with --discard (aiosmtpd, plain SMTP on loopback, nothing written to disk),
started once and shared by every run. Each client sends --count text+HTML messages (multipart/alternative),
one recipient each, one after another:
  reuse   one connection for a batch of --batch messages (SMTPClient.send([MailMessage]); smtplib: one SMTP()
          session, send_message per message)
  single  a new connection per message (SMTPClient.send(MailMessage); smtplib: SMTP() + send_message + quit)
Both build their MIME messages inside the timed loop. The figure is the median over --repeat runs, in messages
per second; ratio = ours / smtplib (above 1: ours is faster). The sink is single-threaded Python, so for both
clients much of the time is the server's: the ratio understates the clients' own difference.
"""

import argparse
import json
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SINK = os.path.join(ROOT, "e2e", "support", "smtp_sink.py")


def make_message(index):
    message = EmailMessage()
    message["From"] = "Gatehouse <bench@gatehouse.test>"
    message["To"] = f"user{index}@example.org"
    message["Subject"] = f"Reset your password ({index})"
    message.set_content(
        "Someone asked to reset the password of your account.\n"
        f"Open https://hub.example.org/reset#token-{index} within 30 minutes.\n"
        "If it was not you, ignore this message.\n"
    )
    message.add_alternative(
        "<p>Someone asked to reset the password of your account.</p>\n"
        f'<p><a href="https://hub.example.org/reset#token-{index}">Reset your password</a></p>\n',
        subtype="html",
    )
    return message


def smtplib_run(port, count, mode, batch):
    started = time.perf_counter()
    if mode == "single":
        for index in range(count):
            with smtplib.SMTP("127.0.0.1", port) as client:
                client.send_message(make_message(index))
    else:
        for start in range(0, count, batch):
            with smtplib.SMTP("127.0.0.1", port) as client:
                for index in range(start, min(start + batch, count)):
                    client.send_message(make_message(index))
    return count / (time.perf_counter() - started)


def ours_run(binary, port, count, mode, batch):
    output = subprocess.run(
        [binary, "--port", str(port), "--count", str(count), "--mode", mode, "--batch", str(batch)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    if result["failures"]:
        raise SystemExit(f"smtp-bench reported {result['failures']} failures")
    # Timed inside the executable: process start-up is not counted, as for smtplib.
    return count / result["seconds"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench-bin", default=os.environ.get("SMTP_BENCH_BIN"))
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    if not args.bench_bin:
        parser.error("--bench-bin or SMTP_BENCH_BIN is required")

    unused_dir = tempfile.mkdtemp(prefix="smtp-bench-")
    sink = subprocess.Popen(
        [sys.executable, SINK, "--port", "0", "--dir", unused_dir, "--discard"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = sink.stdout.readline()
        if not line.startswith("LISTENING"):
            raise SystemExit(f"sink did not start: {line!r}")
        port = int(line.split()[1])
        print(f"messages per run: {args.count}, repeats: {args.repeat}, batch: {args.batch}, sink port {port}")
        print(f"{'mode':<8} {'SMTPClient msg/s':>17} {'smtplib msg/s':>14} {'ratio':>6}")
        for mode in ("reuse", "single"):
            ours, theirs = [], []
            for _ in range(args.repeat):
                ours.append(ours_run(args.bench_bin, port, args.count, mode, args.batch))
                theirs.append(smtplib_run(port, args.count, mode, args.batch))
            a, b = statistics.median(ours), statistics.median(theirs)
            print(f"{mode:<8} {a:>17.0f} {b:>14.0f} {a / b:>6.2f}")
    finally:
        sink.terminate()
        sink.wait()
        os.rmdir(unused_dir)


if __name__ == "__main__":
    main()
