#!/usr/bin/env python3
"""Regenerates ../Embedded/NAME.txt, one file a list, from the zxcvbn Python package's frequency lists.

Usage (from this folder): pip install zxcvbn==4.5.0 && python3 generate_frequency_lists.py

Each file holds one word a line, most frequent first (rank 1 on line 1). The EmbedText build-tool plugin puts them
in the PasswordCheck module as raw string literals (`EmbeddedText.passwordsTxt`, ...), read by FrequencyLists.swift.
"""

import os
import re

from zxcvbn.frequency_lists import FREQUENCY_LISTS

NAMES = ["passwords", "english_wikipedia", "female_names", "surnames", "us_tv_and_film", "male_names"]


def main():
    assert sorted(FREQUENCY_LISTS) == sorted(NAMES), sorted(FREQUENCY_LISTS)
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Embedded")
    os.makedirs(folder, exist_ok=True)
    for name in NAMES:
        words = FREQUENCY_LISTS[name]
        for word in words:
            # One word a line, as the estimator splits them: no whitespace, no control character.
            assert word and not re.search(r"[\s\x00-\x1f\x7f]", word), word
        with open(os.path.join(folder, f"{name}.txt"), "w", encoding="utf-8", newline="\n") as out:
            out.write("\n".join(words) + "\n")


if __name__ == "__main__":
    main()
