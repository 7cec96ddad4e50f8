"""Runs last (pytest takes files in name order): no hub log of this run holds a secret the run created (issue 18).

Every password, code and token the tests sent to a hub or got back from one (`hubkit.Hub.api`, `browser.fill`),
and every token in a mail a test read, is looked for, verbatim, in every hub log the run wrote. The hubs log in
JSON (`hubkit.Hub` sets `GATEHOUSE_LOG_FORMAT=json`), so each line must also be one JSON object carrying a level and a message.
"""

import json
import os

import pytest

import hubkit


def test_no_log_of_the_run_holds_a_secret():
    logs = [path for path in hubkit.LOGS if os.path.exists(path)]
    if not logs:
        pytest.skip("no hub ran in this session (the scan needs the rest of the suite)")
    assert len(hubkit.SECRETS) >= 10, f"too few secrets recorded to mean anything: {len(hubkit.SECRETS)}"
    found = []
    lines = 0
    for path in logs:
        with open(path, encoding="utf-8", errors="replace") as log:
            text = log.read()
        for secret in hubkit.SECRETS:
            if secret in text:
                found.append((path, secret[:6] + "…"))
        for line in text.splitlines():
            if not line.startswith("{"):
                continue
            lines += 1
            entry = json.loads(line)
            assert "level" in entry and "message" in entry, line
    assert not found, f"secrets in logs: {found[:20]}"
    print(f"scanned {len(logs)} hub logs ({lines} JSON lines) for {len(hubkit.SECRETS)} secrets: none found")
