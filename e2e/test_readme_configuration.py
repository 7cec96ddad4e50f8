"""Issue 17, item 8: README's configuration table is complete and has nothing stale. Every flag `gatehouse serve
--help` lists is a row of the table, every flag in the table is one the binary takes, every GATEHOUSE_* variable the
sources read is documented in README, and every GATEHOUSE_* variable README names is read somewhere."""
import os
import re
import subprocess

from hubkit import ROOT, gatehouse_bin

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


def test_every_environment_variable_is_documented_and_every_documented_one_is_read():
    read = set()
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
