#!/usr/bin/env python3
"""A real SMTP server (aiosmtpd) that stores every message it accepts as a file: the far end for mail tests.

Usage:
    python3 smtp_sink.py --dir DIR [--host 127.0.0.1] [--port 0]
                         [--tls-cert CERT.pem --tls-key KEY.pem [--implicit-tls] [--require-starttls]]
                         [--auth-user USER --auth-password PASSWORD [--auth-mechanisms PLAIN,LOGIN]
                          [--auth-allow-plaintext]]
                         [--fault SPEC [--fault-count N]] [--fault-file PATH]
                         [--size-limit BYTES] [--discard] [--verbose]

Once listening it prints one line, "LISTENING <port>", on stdout (with --port 0 the system picks a free port).
It runs until SIGTERM or SIGINT.

Storage: each accepted message becomes DIR/<time_ns>-<random>.eml holding the message exactly as received
(after dot-unstuffing, CRLF line endings), next to a .json file with the envelope:
{"mail_from": ..., "rcpt_tos": [...], "mail_options": [...], "auth_user": ... or null, "tls": bool}.
The .json is written first and the .eml is renamed into place last, so a reader never sees half a message.
--discard counts messages without storing them (for benchmarks).

TLS: --tls-cert/--tls-key enable STARTTLS; with --implicit-tls the server speaks TLS from the first byte
(port 465 style) instead. --require-starttls refuses MAIL before STARTTLS. A throwaway certificate:
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
        -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout key.pem -out cert.pem

AUTH: with --auth-user/--auth-password the server requires AUTH (PLAIN and LOGIN, or the subset named by
--auth-mechanisms) before MAIL. AUTH is offered only over TLS (STARTTLS or implicit) unless --auth-allow-plaintext.

Faults, SPEC is STAGE:CODE or drop:WHEN:
    greeting:421   answer the connection with 421 (or any code) instead of 220, then close
    ehlo:502       refuse EHLO (HELO still works: an old server)
    mail:451       refuse MAIL FROM with that code      rcpt:550   refuse every RCPT TO with that code
    data:451       refuse the DATA command               message:554  refuse the message after its content
    drop:mid-data  accept DATA, read one line of content, then close the connection
    drop:after-data  read the whole content, then reset the connection without answering (nothing stored)
--fault-count N applies --fault to its first N occurrences only (default: always).
--fault-file PATH: while PATH exists, the SPEC written in it applies (checked at every occurrence), so a test
can break and heal the server without restarting it. An empty file means no fault.
"""

import argparse
import asyncio
import json
import logging
import os
import signal
import ssl
import sys
import time
import uuid
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

FAULT_STAGES = {"greeting", "ehlo", "mail", "rcpt", "data", "message", "drop"}


def parse_fault(spec):
    spec = spec.strip()
    if not spec:
        return None
    stage, _, value = spec.partition(":")
    if stage not in FAULT_STAGES or not value:
        raise ValueError(f"bad fault spec {spec!r}")
    if stage == "drop":
        if value not in ("mid-data", "after-data"):
            raise ValueError(f"bad fault spec {spec!r}")
        return ("drop", value)
    code = int(value)
    if not 400 <= code <= 599:
        raise ValueError(f"fault code must be 4xx or 5xx: {spec!r}")
    return (stage, code)


class Faults:
    def __init__(self, spec, count, path):
        self.fixed = parse_fault(spec) if spec else None
        self.remaining = count
        self.path = path

    def take(self, stage, value=None):
        """Returns the fault's value if a fault for `stage` (and `value`, for drop) applies now."""
        if self.path and os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as handle:
                live = parse_fault(handle.read())
            if live and live[0] == stage and (value is None or live[1] == value):
                return live[1]
        if self.fixed and self.fixed[0] == stage and (value is None or self.fixed[1] == value):
            if self.remaining is None:
                return self.fixed[1]
            if self.remaining > 0:
                self.remaining -= 1
                return self.fixed[1]
        return None


class Store:
    def __init__(self, directory, discard):
        self.directory = directory
        self.discard = discard
        self.count = 0

    def save(self, envelope, session, tls):
        self.count += 1
        if self.discard:
            return
        stem = os.path.join(self.directory, f"{time.time_ns()}-{uuid.uuid4().hex[:8]}")
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "mail_options": list(envelope.mail_options),
            "auth_user": session.auth_data if isinstance(session.auth_data, str) else None,
            "tls": tls,
        }
        with open(stem + ".json", "w", encoding="utf-8") as handle:
            json.dump(meta, handle)
        with open(stem + ".eml.tmp", "wb") as handle:
            handle.write(envelope.original_content)
        os.replace(stem + ".eml.tmp", stem + ".eml")


class SinkHandler:
    def __init__(self, store, faults, implicit_tls):
        self.store = store
        self.faults = faults
        self.implicit_tls = implicit_tls

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        code = self.faults.take("mail")
        if code:
            return f"{code} sink refuses MAIL (fault)"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self.faults.take("rcpt")
        if code:
            return f"{code} sink refuses RCPT (fault)"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.faults.take("drop", "after-data"):
            server.transport.abort()
            return "421 dropped (fault)"
        code = self.faults.take("message")
        if code:
            return f"{code} sink refuses the message (fault)"
        self.store.save(envelope, session, self.implicit_tls or session.ssl is not None)
        return "250 Message accepted"


class SinkSMTP(SMTP):
    """aiosmtpd's server with faults that need to act inside the DATA command."""

    def __init__(self, handler, faults, **kwargs):
        super().__init__(handler, **kwargs)
        self.faults = faults

    async def smtp_EHLO(self, hostname):
        code = self.faults.take("ehlo")
        if code:
            await self.push(f"{code} sink refuses EHLO (fault)")
            return
        await super().smtp_EHLO(hostname)

    async def smtp_DATA(self, arg):
        if self.envelope is not None and self.envelope.rcpt_tos and not arg:
            code = self.faults.take("data")
            if code:
                await self.push(f"{code} sink refuses DATA (fault)")
                return
            if self.faults.take("drop", "mid-data"):
                await self.push("354 End data with <CR><LF>.<CR><LF>")
                await self._reader.readuntil(b"\r\n")
                self.transport.close()
                return
        await super().smtp_DATA(arg)


class Refuser(asyncio.Protocol):
    """Answers a connection with one reply and closes it (greeting faults)."""

    def __init__(self, code):
        self.code = code

    def connection_made(self, transport):
        transport.write(f"{self.code} sink.test service not available (fault)\r\n".encode())
        transport.close()


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False, auth_data=user if ok else None)

    return authenticate


def main():
    parser = argparse.ArgumentParser(description="SMTP sink storing messages as files (see the module docstring).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", required=True, help="folder for received messages (created if missing)")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--require-starttls", action="store_true")
    parser.add_argument("--auth-user")
    parser.add_argument("--auth-password")
    parser.add_argument("--auth-mechanisms", default="PLAIN,LOGIN")
    parser.add_argument("--auth-allow-plaintext", action="store_true")
    parser.add_argument("--fault", default="")
    parser.add_argument("--fault-count", type=int)
    parser.add_argument("--fault-file")
    parser.add_argument("--size-limit", type=int, default=33554432)
    parser.add_argument("--discard", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="log aiosmtpd's session details to stderr")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.verbose else logging.ERROR)
    if not args.verbose:
        # aiosmtpd warns about AUTH without TLS, which --auth-allow-plaintext asks for on purpose.
        warnings.simplefilter("ignore", UserWarning)

    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    if (args.implicit_tls or args.require_starttls) and not args.tls_cert:
        parser.error("--implicit-tls and --require-starttls need --tls-cert and --tls-key")
    if bool(args.auth_user) != (args.auth_password is not None):
        parser.error("--auth-user and --auth-password go together")
    try:
        faults = Faults(args.fault, args.fault_count, args.fault_file)
    except ValueError as error:
        parser.error(str(error))
    os.makedirs(args.dir, exist_ok=True)

    tls_context = None
    if args.tls_cert:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.tls_cert, args.tls_key)

    store = Store(args.dir, args.discard)
    handler = SinkHandler(store, faults, args.implicit_tls)
    known = {"PLAIN", "LOGIN"}
    wanted = {m.strip().upper() for m in args.auth_mechanisms.split(",") if m.strip()}
    smtp_options = dict(
        hostname="sink.test",
        data_size_limit=args.size_limit,
        tls_context=None if args.implicit_tls else tls_context,
        require_starttls=args.require_starttls and not args.implicit_tls,
        auth_required=bool(args.auth_user),
        # aiosmtpd only counts STARTTLS as TLS; an implicit-TLS connection is encrypted from the start.
        auth_require_tls=not (args.auth_allow_plaintext or args.implicit_tls),
        auth_exclude_mechanism=sorted(known - wanted),
        authenticator=make_authenticator(args.auth_user, args.auth_password) if args.auth_user else None,
    )

    # A parent may start us with signals blocked (threads of test runners often block them); unblock the ones
    # that stop us, or SIGTERM would never arrive.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory():
        code = faults.take("greeting")
        if code:
            return Refuser(code)
        return SinkSMTP(handler, faults, loop=loop, **smtp_options)

    server = loop.run_until_complete(
        loop.create_server(
            factory, host=args.host, port=args.port, ssl=tls_context if args.implicit_tls else None
        )
    )
    port = server.sockets[0].getsockname()[1]
    print(f"LISTENING {port}", flush=True)

    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.run_until_complete(stop.wait())
    server.close()
    loop.run_until_complete(server.wait_closed())
    print(f"STOPPED after {store.count} messages", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
