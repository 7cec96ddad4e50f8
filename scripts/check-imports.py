#!/usr/bin/env python3
"""Package hygiene: every target in Package.swift declares exactly the modules its Swift files import.

An unused dependency still costs build time (the media server used to compile the hub's domains and the password
word lists); a missing one works only while another target happens to pull the module in. Reads the manifest with
`swift package dump-package` (no build) and the `import` lines of each target's sources. Exit status 1 on any
difference. Usage: scripts/check-imports.py
"""
import json
import os
import re
import subprocess
import sys

# Modules of the toolchain and the system, never declared.
SYSTEM = {"Foundation", "FoundationEssentials", "FoundationNetworking", "Glibc", "Musl", "Darwin", "Dispatch",
          "Synchronization", "Testing", "XCTest", "PackagePlugin", "_Concurrency", "Swift"}
# Imported only under `#if canImport(...)`, reached through a declared product (sqlite-nio's C module comes with
# SQLiteKit; it is not a product, so it cannot be declared).
OPTIONAL = {"VaporCSQLite"}
# Layering: modules a target must not reach, even through others. The media server shares only GatehouseWire (and
# the small building blocks) with the hub.
FORBIDDEN = {"GatehouseMedia": {"GatehouseCore", "GatehouseStore", "GatehouseHub", "PasswordCheck", "Argon2"},
             "GatehouseWire": {"GatehouseCore", "GatehouseStore", "GatehouseHub", "GatehouseMedia", "PasswordCheck"},
             "GatehouseDPoP": {"GatehouseCore", "GatehouseStore", "GatehouseHub", "GatehouseMedia", "PasswordCheck"},
             "GatehouseBasics": {"*"}}
IMPORT = re.compile(r"^\s*(?:@[\w()]+\s+)*import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?(\w+)",
                    re.MULTILINE)


def code_only(text):
    """The text without multi-line string literals (they hold Python and mail text) and comments."""
    text = re.sub(r'(#*)"""[\s\S]*?"""\1', '""', text)
    text = re.sub(r"/\*[\s\S]*?\*/", "", text)
    return re.sub(r"//[^\n]*", "", text)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    manifest = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True,
                                         capture_output=True, text=True).stdout)
    problems = []
    for target in manifest["targets"]:
        if target["type"] in ("plugin", "binary", "system"):
            continue
        default = "Tests" if target["type"] == "test" else "Sources"
        folder = os.path.join(root, target.get("path") or os.path.join(default, target["name"]))
        excluded = [os.path.join(folder, e) for e in target.get("exclude", [])]
        declared = set()
        for dependency in target["dependencies"]:
            kind, value = next(iter(dependency.items()))
            declared.add(value[0])  # byName: [name, condition]; product: [name, package, moduleAliases, condition]
        imported = set()
        for directory, _, files in os.walk(folder):
            if any(directory == e or directory.startswith(e + os.sep) for e in excluded):
                continue
            for name in files:
                path = os.path.join(directory, name)
                if name.endswith(".swift") and path not in excluded:
                    with open(path, encoding="utf-8") as source:
                        imported |= set(IMPORT.findall(code_only(source.read())))
        imported -= SYSTEM | OPTIONAL | {target["name"]}
        if not any(f.endswith(".swift") for _, _, fs in os.walk(folder) for f in fs):
            continue  # a C target
        for module in sorted(declared - imported):
            problems.append(f"{target['name']}: declares {module} but never imports it")
        for module in sorted(imported - declared):
            problems.append(f"{target['name']}: imports {module} but does not declare it")
    local = {t["name"]: {next(iter(d.values()))[0] for d in t["dependencies"] if "byName" in d or "target" in d}
             for t in manifest["targets"]}
    for name, refused in FORBIDDEN.items():
        reached, pending = set(), list(local.get(name, ()))
        while pending:
            module = pending.pop()
            if module not in reached:
                reached.add(module)
                pending.extend(local.get(module, ()))
        for module in sorted(reached if "*" in refused else reached & refused):
            problems.append(f"{name}: must not depend on {module}")
    for problem in problems:
        print(problem)
    if problems:
        sys.exit(1)
    print(f"package hygiene: {len(manifest['targets'])} targets declare exactly what they import")


if __name__ == "__main__":
    main()
