#!/usr/bin/env python3
"""Regenerates ../FrequencyLists+Data.swift from the zxcvbn Python package's frequency lists.

Usage (from this folder): pip install zxcvbn && python3 generate_frequency_lists.py
"""

import os
import re

from zxcvbn.frequency_lists import FREQUENCY_LISTS

SWIFT_NAMES = {
    "passwords": "passwords",
    "english_wikipedia": "englishWikipedia",
    "female_names": "femaleNames",
    "surnames": "surnames",
    "us_tv_and_film": "usTVAndFilm",
    "male_names": "maleNames",
}


def main():
    lines = [
        "// Generated from the frequency lists of the zxcvbn Python package 4.5.0 (MIT licence, see Resources/NOTICE).",
        "// Do not edit: regenerate with Resources/generate_frequency_lists.py. One word a line, most frequent first.",
        "",
        "// swift-format-ignore-file",
        "",
        "extension FrequencyLists {",
    ]
    for name, words in FREQUENCY_LISTS.items():
        for word in words:
            # The words go into raw multi-line literals one per line: none may break out of them.
            assert word and not re.search(r'\s|"#|\\', word), word
        lines.append(f'    static let {SWIFT_NAMES[name]}Text = #"""')
        lines.extend(words)
        lines.append('"""#')
        lines.append("")
    lines[-1] = "}"
    target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "FrequencyLists+Data.swift")
    with open(target, "w") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
