"""Issue 17, item 8: README's configuration table is complete and has nothing stale. Every flag `gatehouse serve
--help` lists is a row of the table, every flag in the table is one the binary takes, every GATEHOUSE_* variable the
sources read is documented in README, and every GATEHOUSE_* variable README names is read somewhere."""
import json
import os
import re
import subprocess

import requests

from hubkit import ROOT, Hub, free_port, gatehouse_bin

README = os.path.join(ROOT, "README.md")


def table():
    text = open(README, encoding="utf-8").read()
    start = text.index("| flag | environment | default | meaning |")
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows


def test_every_serve_flag_is_in_the_table_and_nothing_else():
    help_text = subprocess.run([gatehouse_bin(), "serve", "--help"], capture_output=True, text=True, check=True).stdout
    flags = set(re.findall(r"^\s+(--[a-z0-9-]+)", help_text, re.MULTILINE)) - {"--help", "--version"}
    assert len(flags) > 20, help_text
    documented = set()
    for row in table():
        first = row.split("|")[1]
        documented |= set(re.findall(r"`(--[a-z0-9-]+)", first))
    # `doctor --time-url` is the one row about another command.
    documented.discard("--time-url")
    assert flags - documented == set(), "flags of `gatehouse serve` missing from README's table"
    assert documented - flags == set(), "flags in README's table that `gatehouse serve` does not take"


def settings_listing(*args, env=None):
    """`gatehouse settings`: key, environment variable and value of every setting, one per line after the header."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    clean.update(env or {})
    out = subprocess.run([gatehouse_bin(), "settings", *args], capture_output=True, text=True, check=True, env=clean)
    return {line.split()[0]: (line.split()[1], line.split(None, 2)[2]) for line in out.stdout.splitlines()[1:]}


def test_every_environment_variable_is_documented_and_every_documented_one_is_read():
    # The settings' variables come from the one reader (`gatehouse settings`); the few others are read by name.
    read = {variable for variable, _ in settings_listing().values()}
    assert len(read) > 40
    for folder, _, files in os.walk(os.path.join(ROOT, "Sources")):
        for name in files:
            if name.endswith(".swift"):
                read |= set(re.findall(r'"(GATEHOUSE_[A-Z0-9_]+)"', open(os.path.join(folder, name)).read()))
    assert len(read) > 30
    readme = open(README, encoding="utf-8").read()
    named = set(re.findall(r"\b(GATEHOUSE_[A-Z0-9_]+)\b", readme))
    # Variables of the test and benchmark harness, not of Gatehouse.
    named -= {name for name in named if name.startswith(("GATEHOUSE_TEST_", "GATEHOUSE_BIN", "GATEHOUSE_REQUIRE_",
                                                           "GATEHOUSE_WEBAUTHN_VERIFY_BIN"))}
    assert read - named == set(), "variables the sources read that README does not document"
    assert named - read == set(), "variables README names that nothing reads"
    in_table = set(re.findall(r"\b(GATEHOUSE_[A-Z0-9_]+)\b", "\n".join(table())))
    # Outside `serve`: the CLI client's folder, the media server's own, and a test aid; README explains each apart.
    elsewhere = {"GATEHOUSE_CONFIG_DIR", "GATEHOUSE_VERSION_OVERRIDE", "GATEHOUSE_MEDIA_TLS_CERT",
                 "GATEHOUSE_MEDIA_TLS_KEY", "GATEHOUSE_MEDIA_HUB_CA"}
    assert read - in_table - elsewhere == set(), "variables of `gatehouse serve` missing from the table"


def test_a_config_file_and_the_environment_feed_the_same_settings(tmp_path):
    config = tmp_path / "gatehouse.json"
    config.write_text('{"signUp": "open", "port": 18080, "argon2": {"memoryKib": 65536}, "smtpPassword": "s3cret-pw"}')
    os.chmod(config, 0o600)
    listing = settings_listing("--config", str(config), env={"GATEHOUSE_SIGN_UP": "closed"})
    assert listing["signUp"] == ("GATEHOUSE_SIGN_UP", "closed")  # the environment wins over the file
    assert listing["port"] == ("GATEHOUSE_PORT", "18080")
    assert listing["argon2.memoryKib"] == ("GATEHOUSE_ARGON2_MEMORY_KIB", "65536")
    assert listing["smtpPassword"] == ("GATEHOUSE_SMTP_PASSWORD", "(set)")  # a secret is never printed
    assert listing["host"][1] == "-"


def test_a_malformed_setting_stops_the_start_and_names_itself(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    data = str(tmp_path / "data")
    cases = [
        ({"GATEHOUSE_PORT": "80a"}, [], "GATEHOUSE_PORT"),
        ({"GATEHOUSE_SIGN_UP": "everyone"}, [], "invite, open or closed"),
        ({}, ["--config", str(tmp_path / "missing.json")], "missing.json"),
    ]
    broken = tmp_path / "broken.json"
    broken.write_text('{"port": "x"}')
    cases.append(({}, ["--config", str(broken)], "port"))
    # A file others can write, or read while it holds a secret, is refused like a readable keyring.
    writable = tmp_path / "writable.json"
    writable.write_text('{"signUp": "open"}')
    os.chmod(writable, 0o666)
    cases.append(({}, ["--config", str(writable)], "others can change"))
    readable = tmp_path / "readable.json"
    readable.write_text('{"metricsToken": "a-metrics-token-of-at-least-32-characters"}')
    os.chmod(readable, 0o644)
    cases.append(({}, ["--config", str(readable)], "metricsToken"))
    for env, args, says in cases:
        result = subprocess.run([gatehouse_bin(), "serve", "--data", data, *args], capture_output=True, text=True,
                                env={**clean, **env}, timeout=60)
        assert result.returncode != 0, (env, args, result.stdout)
        assert says in result.stderr, (env, args, result.stderr)
        assert "a-metrics-token" not in result.stderr
    # Nothing was started or created on the way.
    assert not os.path.exists(os.path.join(data, "gatehouse.sqlite"))


def test_a_hub_started_with_a_config_file_follows_it(tmp_path):
    metrics_port = free_port()
    config = tmp_path / "gatehouse.json"
    config.write_text(json.dumps({"metricsPort": metrics_port, "traceRate": "all"}))
    hub = Hub(args=["--config", str(config)]).start()
    try:
        response = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10)
        assert response.status_code == 200 and "gatehouse_" in response.text
    finally:
        hub.stop()
