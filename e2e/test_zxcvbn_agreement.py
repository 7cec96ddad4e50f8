"""Oracle test: our strength estimator against the Python zxcvbn package.

Scores 10,000 passwords of many kinds (common, random, patterned; generated with a fixed seed) with
`gatehouse passwords check` and with zxcvbn, prints how often they agree, and requires at least 90 % of
scores to be within one point.

Needs GATEHOUSE_BIN (path to the gatehouse executable) and the `zxcvbn` pip package.
Run: GATEHOUSE_BIN=.build/debug/gatehouse pytest -s e2e/test_zxcvbn_agreement.py
"""

import json
import os
import random
import string
import subprocess

import pytest

zxcvbn = pytest.importorskip("zxcvbn")
from zxcvbn.frequency_lists import FREQUENCY_LISTS  # noqa: E402

SEED = 20261129
CORPUS_SIZE = 10_000

KEYBOARD_ROWS = ["`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./", "789", "456", "123"]
LEET = {"a": "4@", "e": "3", "i": "1!", "o": "0", "s": "$5", "t": "7+", "l": "1", "g": "9", "b": "8"}


def _common(rng):
    words = FREQUENCY_LISTS["passwords"]
    return words[int(rng.paretovariate(0.6)) % len(words)]


def _word(rng, lists=("english_wikipedia", "us_tv_and_film", "surnames", "female_names", "male_names")):
    words = FREQUENCY_LISTS[rng.choice(lists)]
    return words[min(len(words) - 1, int(rng.expovariate(1 / 3000)))]


def _capitalise(rng, word):
    choice = rng.random()
    if choice < 0.4:
        return word.capitalize()
    if choice < 0.5:
        return word.upper()
    return word


def _leet(rng, word):
    return "".join(rng.choice(LEET[c]) if c in LEET and rng.random() < 0.6 else c for c in word)


def _random_string(rng):
    alphabets = [string.ascii_lowercase, string.ascii_letters, string.ascii_letters + string.digits,
                 string.digits, string.ascii_letters + string.digits + "!@#$%^&*-_=+?"]
    alphabet = rng.choice(alphabets)
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(4, 20)))


def _keyboard_walk(rng):
    row = rng.choice(KEYBOARD_ROWS)
    start = rng.randrange(len(row))
    length = rng.randint(3, len(row))
    walk = (row + row[::-1])[start:start + length]
    if rng.random() < 0.3:
        walk += str(rng.randint(0, 99))
    return walk


def _sequence_or_repeat(rng):
    kind = rng.random()
    if kind < 0.35:
        alphabet = rng.choice([string.ascii_lowercase, string.digits, string.ascii_uppercase])
        start = rng.randrange(len(alphabet) - 3)
        seq = alphabet[start:start + rng.randint(3, len(alphabet) - start)]
        return seq[::-1] if rng.random() < 0.3 else seq
    if kind < 0.7:
        return rng.choice(string.ascii_letters + string.digits + "!") * rng.randint(3, 12)
    base = rng.choice([_word(rng), _common(rng)[:6], "".join(rng.choice(string.ascii_lowercase) for _ in range(3))])
    return base * rng.randint(2, 4)


def _date(rng):
    year = rng.randint(1940, 2025)
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    sep = rng.choice(["", "", "/", "-", ".", "_"])
    style = rng.random()
    yy = year if rng.random() < 0.6 else year % 100
    if style < 0.4:
        date = f"{day:02d}{sep}{month:02d}{sep}{yy:02d}"
    elif style < 0.7:
        date = f"{month}{sep}{day}{sep}{yy}"
    else:
        date = f"{year}{sep}{month:02d}{sep}{day:02d}"
    if rng.random() < 0.4:
        return _capitalise(rng, _word(rng)) + date
    return date


def _passphrase(rng):
    sep = rng.choice(["", " ", "-", ".", "_"])
    return sep.join(_word(rng) for _ in range(rng.randint(2, 5)))


def _word_with_suffix(rng):
    word = _capitalise(rng, rng.choice([_word(rng), _common(rng)]))
    suffix = rng.choice([str(rng.randint(0, 9)), str(rng.randint(0, 999)), str(rng.randint(1950, 2024)), "!", "123",
                         "!!", "?", "1!", ""])
    return word + suffix


def make_corpus():
    rng = random.Random(SEED)
    makers = [
        (0.18, lambda: _capitalise(rng, _common(rng)) if rng.random() < 0.2 else _common(rng)),
        (0.16, lambda: _word_with_suffix(rng)),
        (0.08, lambda: _leet(rng, rng.choice([_word(rng), _common(rng)]))),
        (0.16, lambda: _random_string(rng)),
        (0.08, lambda: _keyboard_walk(rng)),
        (0.10, lambda: _sequence_or_repeat(rng)),
        (0.10, lambda: _date(rng)),
        (0.14, lambda: _passphrase(rng)),
    ]
    corpus = []
    for weight, make in makers:
        for _ in range(int(CORPUS_SIZE * weight)):
            corpus.append(make()[:72])
    while len(corpus) < CORPUS_SIZE:
        corpus.append(_random_string(rng))
    return [p for p in corpus if p and "\n" not in p and "\r" not in p]


def our_scores(passwords):
    binary = os.environ.get("GATEHOUSE_BIN")
    if not binary:
        pytest.skip("GATEHOUSE_BIN is not set")
    result = subprocess.run(
        [binary, "passwords", "check"], input="\n".join(passwords) + "\n",
        capture_output=True, text=True, check=True, timeout=900,
    )
    lines = result.stdout.splitlines()
    assert len(lines) == len(passwords)
    return [json.loads(line) for line in lines]


def test_scores_agree_with_zxcvbn_within_one_point():
    passwords = make_corpus()
    assert len(passwords) == CORPUS_SIZE
    ours = our_scores(passwords)
    theirs = [zxcvbn.zxcvbn(p) for p in passwords]

    exact = within_one = 0
    disagreements = []
    for password, mine, reference in zip(passwords, ours, theirs):
        difference = abs(mine["score"] - reference["score"])
        exact += difference == 0
        within_one += difference <= 1
        if difference > 1:
            disagreements.append((password, mine["score"], reference["score"]))

    total = len(passwords)
    print(f"\nzxcvbn agreement over {total} passwords: exact {exact / total:.2%}, "
          f"within one point {within_one / total:.2%}")
    for password, mine, reference in disagreements[:10]:
        print(f"  differs by more than one: {password!r} ours={mine} zxcvbn={reference}")
    assert within_one / total >= 0.90


def test_guess_estimates_track_zxcvbn():
    """Beyond the score band: our log10(guesses) should be close to zxcvbn's for most passwords."""
    passwords = make_corpus()[::10]
    ours = our_scores(passwords)
    close = sum(
        abs(mine["guesses_log10"] - zxcvbn.zxcvbn(p)["guesses_log10"]) <= 0.5 for p, mine in zip(passwords, ours)
    )
    print(f"\nlog10(guesses) within 0.5 of zxcvbn: {close / len(passwords):.2%}")
    assert close / len(passwords) >= 0.80
