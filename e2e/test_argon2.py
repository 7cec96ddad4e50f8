"""End-to-end and oracle tests of `gatehouse argon2` against argon2-cffi (libargon2).

Run: GATEHOUSE_BIN=path/to/gatehouse pytest e2e/test_argon2.py
The oracle is argon2-cffi's low-level API (argon2_ctx through cffi), which takes the secret K and the
associated data X that the high-level API does not. The kernel tests force each block-function kernel
(GATEHOUSE_ARGON2_KERNEL) in turn; a kernel this CPU lacks is reported as skipped, with the reason.
"""

import base64
import os
import random
import subprocess

import pytest
from argon2 import low_level
from argon2.low_level import Type, ffi, lib

RFC_PASSWORD = bytes([1] * 32)
RFC_SALT = bytes([2] * 16)
RFC_SECRET = bytes([3] * 8)
RFC_AD = bytes([4] * 12)
RFC_TAGS = {
    "-d": "512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb",
    "-i": "c814d9d1dc7f37aa13f0d77f2494bda1c8de6b016dd388d29952a4c4672b6ce8",
    "-id": "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659",
}
TYPES = {"-d": Type.D, "-i": Type.I, "-id": Type.ID}
NAMES = {"-d": "argon2d", "-i": "argon2i", "-id": "argon2id"}


@pytest.fixture(scope="module")
def gatehouse():
    path = os.environ.get("GATEHOUSE_BIN")
    assert path, "set GATEHOUSE_BIN to the gatehouse executable"
    return path


def run(gatehouse, args, password, check=True, kernel=None):
    env = {k: v for k, v in os.environ.items() if k != "GATEHOUSE_ARGON2_KERNEL"}
    if kernel:
        env["GATEHOUSE_ARGON2_KERNEL"] = kernel
    result = subprocess.run([gatehouse, "argon2", *args], input=password, capture_output=True, timeout=120, env=env)
    if check:
        assert result.returncode == 0, result.stderr.decode()
    return result


def cffi_tag(password, salt, secret, ad, t, m, p, tag_length, kind, version=19):
    """The tag libargon2 computes, through argon2_ctx."""
    out = ffi.new("uint8_t[]", tag_length)
    buffers = [ffi.new("uint8_t[]", value) if value else ffi.NULL for value in (password, salt, secret, ad)]
    context = ffi.new("argon2_context *", dict(
        version=version, out=out, outlen=tag_length,
        pwd=buffers[0], pwdlen=len(password), salt=buffers[1], saltlen=len(salt),
        secret=buffers[2], secretlen=len(secret), ad=buffers[3], adlen=len(ad),
        t_cost=t, m_cost=m, lanes=p, threads=p,
        allocate_cbk=ffi.NULL, free_cbk=ffi.NULL, flags=lib.ARGON2_DEFAULT_FLAGS))
    code = low_level.core(context, kind.value)
    assert code == lib.ARGON2_OK, low_level.error_to_str(code)
    return bytes(ffi.buffer(out, tag_length))


def b64(data):
    return base64.b64encode(data).decode().rstrip("=")


def unb64(text):
    return base64.b64decode(text + "=" * (-len(text) % 4))


def parse_phc(text):
    """Splits a PHC string independently of the code under test."""
    parts = text.split("$")
    assert parts[0] == "" and len(parts) == 6, text
    params = dict(item.split("=", 1) for item in parts[3].split(","))
    return {
        "name": parts[1], "version": int(parts[2][2:]),
        "m": int(params["m"]), "t": int(params["t"]), "p": int(params["p"]),
        "data": unb64(params["data"]) if "data" in params else b"",
        "salt": unb64(parts[4]), "tag": unb64(parts[5]),
    }


@pytest.mark.parametrize("flag", ["-d", "-i", "-id"])
def test_rfc9106_vectors_through_cli(gatehouse, flag):
    result = run(gatehouse, [flag, "--salt-hex", RFC_SALT.hex(), "--secret-hex", RFC_SECRET.hex(),
                             "--ad-hex", RFC_AD.hex(), "-t", "3", "-k", "32", "-p", "4", "-l", "32", "-r"],
                 RFC_PASSWORD)
    assert result.stdout.decode().strip() == RFC_TAGS[flag]


def test_reference_cli_shape(gatehouse):
    """Defaults and report format of the reference argon2 command (Argon2i, t=3, m=2^12, p=1)."""
    out = run(gatehouse, ["somesalt"], b"password").stdout.decode()
    expected = low_level.hash_secret(b"password", b"somesalt", 3, 4096, 1, 32, Type.I).decode()
    assert "Type:\t\tArgon2i" in out
    assert f"Encoded:\t{expected}" in out
    assert "Verification ok" in out
    assert run(gatehouse, ["somesalt", "-id", "-m", "10", "-e"], b"pw").stdout.decode().strip() == \
        low_level.hash_secret(b"pw", b"somesalt", 3, 1024, 1, 32, Type.ID).decode()
    assert run(gatehouse, ["somesalt", "-v", "10", "-d", "-t", "1", "-k", "64", "-l", "16", "-r"],
               b"pw").stdout.decode().strip() == \
        low_level.hash_secret_raw(b"pw", b"somesalt", 1, 64, 1, 16, Type.D, version=16).hex()


@pytest.mark.parametrize("args", [["somesalt", "-t", "0"], ["somesalt", "-p", "9", "-k", "64"],
                                  ["somesalt", "-l", "3"], ["somesalt", "-x"], ["--salt-hex", "zz"],
                                  ["somesalt", "-v", "12"], ["somesalt", "--verify", "$argon2id$v=19$m=1"]])
def test_bad_arguments_fail_cleanly(gatehouse, args):
    result = run(gatehouse, args, b"pw", check=False)
    assert 0 < result.returncode < 128, "expected a clean failure, not success or a crash"
    assert result.stderr


def random_case(rng):
    flag = rng.choice(["-d", "-i", "-id"])
    p = rng.randint(1, 8)
    # Log-uniform memory keeps the run short while reaching the 64 MiB maximum.
    m = max(8 * p, int(2 ** rng.uniform(3, 16)))
    if rng.random() < 0.03:
        m = 65536
    return dict(
        flag=flag, p=p, m=m, t=rng.randint(1, 4), tag=rng.randint(4, 128),
        password=rng.randbytes(rng.randint(0, 128)), salt=rng.randbytes(rng.randint(8, 64)),
        secret=rng.randbytes(rng.randint(0, 32)), ad=rng.randbytes(rng.randint(0, 32)))


KERNELS = ["portable", "avx2", "avx512"]


def available_kernels(gatehouse):
    out = run(gatehouse, ["--kernels"], b"").stdout.decode()
    available = out.splitlines()[0].split(":", 1)[1].split()
    dispatch = out.splitlines()[1].split(":", 1)[1].strip()
    return available, dispatch


def require_kernel(gatehouse, kernel):
    available, _ = available_kernels(gatehouse)
    if kernel not in available:
        pytest.skip(f"this CPU lacks the {kernel} kernel (it runs: {' '.join(available)})")


def test_kernel_list(gatehouse):
    available, dispatch = available_kernels(gatehouse)
    assert available[0] == "portable" and dispatch == available[-1]
    assert set(available) <= set(KERNELS)
    for kernel in set(KERNELS) - set(available):
        result = run(gatehouse, ["somesalt"], b"pw", check=False, kernel=kernel)
        assert 0 < result.returncode < 128 and b"cannot run" in result.stderr
    result = run(gatehouse, ["somesalt"], b"pw", check=False, kernel="sse9")
    assert 0 < result.returncode < 128 and b"not one of" in result.stderr


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernel_rfc9106_vectors(gatehouse, kernel):
    require_kernel(gatehouse, kernel)
    for flag in ["-d", "-i", "-id"]:
        result = run(gatehouse, [flag, "--salt-hex", RFC_SALT.hex(), "--secret-hex", RFC_SECRET.hex(),
                                 "--ad-hex", RFC_AD.hex(), "-t", "3", "-k", "32", "-p", "4", "-l", "32", "-r"],
                     RFC_PASSWORD, kernel=kernel)
        assert result.stdout.decode().strip() == RFC_TAGS[flag], f"{kernel} {flag}"


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernel_oracle(gatehouse, kernel):
    """60 random parameter sets (both versions) with the kernel forced: tags identical to libargon2's."""
    require_kernel(gatehouse, kernel)
    rng = random.Random(0x19 + KERNELS.index(kernel))
    for index in range(60):
        case = random_case(rng)
        version = rng.choice([16, 19])
        args = [case["flag"], "--salt-hex", case["salt"].hex(), "-t", str(case["t"]), "-k", str(case["m"]),
                "-p", str(case["p"]), "-l", str(case["tag"]), "-v", "10" if version == 16 else "13", "-r"]
        if case["secret"]:
            args += ["--secret-hex", case["secret"].hex()]
        if case["ad"]:
            args += ["--ad-hex", case["ad"].hex()]
        ours = run(gatehouse, args, case["password"], kernel=kernel).stdout.decode().strip()
        expected = cffi_tag(case["password"], case["salt"], case["secret"], case["ad"], case["t"], case["m"],
                            case["p"], case["tag"], TYPES[case["flag"]], version=version)
        assert ours == expected.hex(), f"{kernel} case {index}: {case}, version {version}"


def test_oracle_random_parameters(gatehouse):
    """300 random parameter sets: identical tags, and PHC strings from each side verify on the other."""
    rng = random.Random(9106)
    cases = [random_case(rng) for _ in range(300)]
    assert {c["flag"] for c in cases} == {"-d", "-i", "-id"}
    assert max(c["m"] for c in cases) == 65536
    for index, case in enumerate(cases):
        kind = TYPES[case["flag"]]
        args = [case["flag"], "--salt-hex", case["salt"].hex(), "-t", str(case["t"]), "-k", str(case["m"]),
                "-p", str(case["p"]), "-l", str(case["tag"]), "-e"]
        if case["secret"]:
            args += ["--secret-hex", case["secret"].hex()]
        if case["ad"]:
            args += ["--ad-hex", case["ad"].hex()]
        ours = run(gatehouse, args, case["password"]).stdout.decode().strip()
        expected = cffi_tag(case["password"], case["salt"], case["secret"], case["ad"],
                            case["t"], case["m"], case["p"], case["tag"], kind)
        parsed = parse_phc(ours)
        assert parsed["tag"] == expected, f"case {index}: {case}"

        # Our PHC string, checked by libargon2.
        assert (parsed["name"], parsed["version"], parsed["m"], parsed["t"], parsed["p"]) == \
            (NAMES[case["flag"]], 19, case["m"], case["t"], case["p"])
        assert parsed["salt"] == case["salt"] and parsed["data"] == case["ad"]
        if not case["secret"] and not case["ad"]:
            assert low_level.verify_secret(ours.encode(), case["password"], kind)

        # libargon2's PHC string, checked by us (the secret is passed separately, as a pepper).
        if not case["secret"] and not case["ad"]:
            theirs = low_level.hash_secret(case["password"], case["salt"], case["t"], case["m"], case["p"],
                                           case["tag"], kind).decode()
        else:
            data = f",data={b64(case['ad'])}" if case["ad"] else ""
            theirs = (f"${NAMES[case['flag']]}$v=19$m={case['m']},t={case['t']},p={case['p']}{data}"
                      f"${b64(case['salt'])}${b64(expected)}")
        verify_args = ["--verify", theirs] + (["--secret-hex", case["secret"].hex()] if case["secret"] else [])
        result = run(gatehouse, verify_args, case["password"], check=False)
        assert result.returncode == 0 and b"Verification ok" in result.stdout, f"case {index}: {theirs}"
        if index % 10 == 0:
            wrong = run(gatehouse, verify_args, case["password"] + b"x", check=False)
            assert wrong.returncode == 1 and b"Verification failed" in wrong.stdout
