"""Differential test of Gatehouse's WebAuthn module against py_webauthn (the `webauthn` PyPI package).

A software authenticator written here (keys from `cryptography`, authenticator data, attestation objects and
clientDataJSON built by hand) produces registrations and assertions for ES256, EdDSA and RS256, valid and mutated
field by field. Each case goes to py_webauthn in process and to Gatehouse through the `webauthn-verify` executable
(one JSON line per case on stdin, one result line per case). The test asserts:

- both accept and refuse the same cases, except the listed INTENDED_DIVERGENCES, where Gatehouse is stricter by
  design and must refuse with the listed reason (py_webauthn must then accept, so a list entry cannot go stale);
- every Gatehouse refusal is a typed reason (never "error"), and the reason is the one expected for the mutation;
- a sign-count regression is a refusal in py_webauthn and an accepted assertion flagged `clone=1` in Gatehouse.

Finds the binary via GATEHOUSE_WEBAUTHN_VERIFY_BIN, or builds it with `swift build --product webauthn-verify`.
Run: GATEHOUSE_WEBAUTHN_VERIFY_BIN=.build/debug/webauthn-verify pytest -s e2e/test_webauthn_oracle.py
"""
import base64
import collections
import datetime
import hashlib
import json
import os
import random
import subprocess

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

webauthn = pytest.importorskip("webauthn")
from webauthn.helpers.structs import COSEAlgorithmIdentifier  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
RP_ID = "gatehouse.test"
ORIGIN = "https://gatehouse.test"
EVIL_ORIGIN = "https://gatehouse.test.evil.example"
ES256, EDDSA, RS256 = -7, -8, -257
REGISTRATIONS = 1200
ASSERTIONS = 1200
SEED = 20261129

# mutation -> the reason Gatehouse gives, where py_webauthn accepts (Gatehouse is stricter on purpose).
INTENDED_DIVERGENCES = {
    "rsa_1024": "rsaKeyTooSmall",  # WebAuthn keys under 2048 bits are refused; py_webauthn takes any size
    "cross_origin": "crossOriginNotAllowed",  # py_webauthn does not check crossOrigin
    "cbor_trailing": "malformedCBOR.trailingBytes",  # cbor2 ignores bytes after the attestation object
    "cbor_indefinite": "malformedCBOR.indefiniteLength",  # cbor2 accepts indefinite lengths
    "cbor_noncanonical": "malformedCBOR.nonCanonicalInteger",  # cbor2 accepts non-shortest lengths
    "cred_id_mismatch": "credentialIdMismatch",  # py_webauthn does not compare rawId with the attested id
    "assert_at_flag": "unexpectedAttestedCredentialData",  # assertions carry no attested credential data
    "synced_zero_after_count": None,
    # An ES256 key labelled kty OKP: py_webauthn stores it with "none" attestation (it would fail at sign-in)
    "kty_mismatch": "malformedPublicKey",
    # An ES256 point off the curve: py_webauthn stores it with "none" or x5c attestation (it would fail at sign-in)
    "point_off_curve": "malformedPublicKey",  # BE credential reports 0 after a nonzero count: no clone flag (policy)
}


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def verify_bin():
    path = os.environ.get("GATEHOUSE_WEBAUTHN_VERIFY_BIN")
    if path:
        return os.path.abspath(path)
    subprocess.run(["swift", "build", "--product", "webauthn-verify"], cwd=ROOT, check=True)
    out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True, capture_output=True, text=True)
    return os.path.join(out.stdout.strip(), "webauthn-verify")


# ---------------------------------------------------------------------------------------------------------------
# The software authenticator


class Key:
    """A credential key pair with its COSE encoding and WebAuthn signature format."""

    def __init__(self, alg, rsa_bits=2048):
        self.alg = alg
        if alg == ES256:
            self.private = ec.generate_private_key(ec.SECP256R1())
        elif alg == EDDSA:
            self.private = ed25519.Ed25519PrivateKey.generate()
        else:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)

    def cose(self, alg_override=None, kty_override=None, drop=None):
        alg = self.alg if alg_override is None else alg_override
        pub = self.private.public_key()
        if self.alg == ES256:
            nums = pub.public_numbers()
            key = {1: 2, 3: alg, -1: 1, -2: nums.x.to_bytes(32, "big"), -3: nums.y.to_bytes(32, "big")}
        elif self.alg == EDDSA:
            raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            key = {1: 1, 3: alg, -1: 6, -2: raw}
        else:
            nums = pub.public_numbers()
            n = nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")
            e = nums.e.to_bytes((nums.e.bit_length() + 7) // 8, "big")
            key = {1: 3, 3: alg, -1: n, -2: e}
        if kty_override is not None:
            key[1] = kty_override
        if drop is not None:
            key.pop(drop)
        return cbor2.dumps(key)

    def sign(self, data):
        if self.alg == ES256:
            return self.private.sign(data, ec.ECDSA(hashes.SHA256()))
        if self.alg == EDDSA:
            return self.private.sign(data)
        return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())


def make_attestation_ca():
    """A test attestation root and a leaf (P-256) that meets the packed-format certificate requirements."""
    now = datetime.datetime.now(datetime.timezone.utc)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Gatehouse Test Attestation Root")])
    root = (
        x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name).public_key(root_key.public_key())
        .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    return root, root_key


AAGUID = bytes(range(16))


def make_leaf(root, root_key, aaguid=AAGUID):
    now = datetime.datetime.now(datetime.timezone.utc)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Gatehouse Test"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Authenticator Attestation"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Gatehouse Soft Authenticator"),
    ])
    aaguid_ext = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4"), b"\x04\x10" + aaguid)
    leaf = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(root.subject).public_key(leaf_key.public_key())
        .serial_number(random.getrandbits(64)).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(aaguid_ext, critical=False)
        .sign(root_key, hashes.SHA256())
    )
    return leaf.public_bytes(serialization.Encoding.DER), leaf_key


def client_data(kind, challenge, origin=ORIGIN, cross_origin=None, extra=None):
    data = {"type": kind, "challenge": b64u(challenge), "origin": origin}
    if cross_origin is not None:
        data["crossOrigin"] = cross_origin
    if extra:
        data.update(extra)
    return json.dumps(data, separators=(",", ":")).encode()


def auth_data(rp_id_hash, flags, counter, attested=b"", extensions=b""):
    return rp_id_hash + bytes([flags]) + counter.to_bytes(4, "big") + attested + extensions


UP, UV, BE, BS, AT, ED = 0x01, 0x04, 0x08, 0x10, 0x40, 0x80

REGISTRATION_MUTATIONS = [
    "valid", "valid", "valid", "challenge", "origin", "type", "rp_id_hash", "no_up", "no_uv_required",
    "no_uv_optional", "bs_without_be", "synced", "no_at_flag", "counter", "sig_flip", "sig_truncate",
    "cbor_truncate", "cbor_trailing", "authdata_trailing", "fmt_not_text", "key_missing_x", "alg_mismatch",
    "alg_unsupported", "kty_mismatch", "rsa_1024", "cred_id_mismatch", "cbor_indefinite", "cbor_noncanonical",
    "cbor_duplicate_key", "cross_origin", "client_json_bad", "none_with_statement", "x5c_wrong_key",
    "unknown_format", "point_off_curve",
]

# mutation -> Gatehouse's expected refusal (None: accepted).
REGISTRATION_EXPECTED = {
    "valid": None, "challenge": "challengeMismatch", "origin": "originMismatch", "type": "clientDataTypeMismatch",
    "rp_id_hash": "rpIdHashMismatch", "no_up": "userNotPresent", "no_uv_required": "userNotVerified",
    "no_uv_optional": None, "bs_without_be": "invalidBackupFlags", "synced": None,
    "no_at_flag": "malformedAuthenticatorData", "counter": None, "sig_flip": "badSignature",
    "sig_truncate": "badSignature", "cbor_truncate": {"malformedCBOR.truncated", "malformedCBOR.lengthExceedsInput"},
    "cbor_trailing": "malformedCBOR.trailingBytes", "authdata_trailing": "malformedAuthenticatorData",
    "fmt_not_text": "malformedAttestationObject", "key_missing_x": "malformedPublicKey",
    "alg_mismatch": "invalidAttestationStatement", "alg_unsupported": "unsupportedAlgorithm",
    "kty_mismatch": "malformedPublicKey", "rsa_1024": "rsaKeyTooSmall", "cred_id_mismatch": "credentialIdMismatch",
    "cbor_indefinite": "malformedCBOR.indefiniteLength", "cbor_noncanonical": "malformedCBOR.nonCanonicalInteger",
    "cbor_duplicate_key": "malformedCBOR.duplicateMapKey", "cross_origin": "crossOriginNotAllowed",
    "client_json_bad": "malformedClientData", "none_with_statement": "invalidAttestationStatement",
    "x5c_wrong_key": "badSignature", "unknown_format": "unsupportedAttestationFormat",
    "point_off_curve": "malformedPublicKey",
}


class Factory:
    def __init__(self, rng):
        self.rng = rng
        self.keys = {alg: [Key(alg) for _ in range(4)] for alg in (ES256, EDDSA, RS256)}
        self.small_rsa = [Key(RS256, rsa_bits=1024) for _ in range(2)]
        self.p384 = ec.generate_private_key(ec.SECP384R1())
        self.root, self.root_key = make_attestation_ca()
        self.leaves = [make_leaf(self.root, self.root_key) for _ in range(3)]
        self.rp_hash = hashlib.sha256(RP_ID.encode()).digest()

    def key(self, alg):
        return self.rng.choice(self.keys[alg])

    # --- registrations ---------------------------------------------------------------------------------------

    def registration(self, mutation, alg, fmt):
        rng = self.rng
        challenge = rng.randbytes(32)
        if mutation == "point_off_curve":
            alg = ES256
        key = self.small_rsa[0] if mutation == "rsa_1024" else self.key(alg)
        if mutation == "rsa_1024":
            alg = RS256
        cred_id = rng.randbytes(rng.choice([16, 32, 64]))
        flags = UP | UV | AT
        counter = rng.randrange(0, 1 << 32) if mutation == "counter" else 0
        require_uv = mutation != "no_uv_optional" and rng.random() < 0.5 or mutation == "no_uv_required"
        if mutation in ("no_uv_required", "no_uv_optional"):
            flags &= ~UV
        if mutation == "no_up":
            flags &= ~UP
        if mutation == "bs_without_be":
            flags |= BS
        if mutation == "synced":
            flags |= BE | BS
        rp_hash = self.rp_hash
        if mutation == "rp_id_hash":
            rp_hash = bytes([rp_hash[0] ^ 0x01]) + rp_hash[1:]
        if mutation == "key_missing_x":
            cose = key.cose(drop=-2)
        elif mutation == "alg_unsupported":
            nums = self.p384.public_key().public_numbers()
            cose = cbor2.dumps({1: 2, 3: -35, -1: 2, -2: nums.x.to_bytes(48, "big"), -3: nums.y.to_bytes(48, "big")})
        elif mutation == "kty_mismatch":
            cose = key.cose(kty_override={ES256: 1, EDDSA: 2, RS256: 2}[alg])
        elif mutation == "point_off_curve":
            nums = key.private.public_key().public_numbers()
            cose = cbor2.dumps({1: 2, 3: ES256, -1: 1, -2: nums.x.to_bytes(32, "big"),
                                -3: ((nums.y + 1) % (2**256)).to_bytes(32, "big")})
        else:
            cose = key.cose()
        attested = AAGUID + len(cred_id).to_bytes(2, "big") + cred_id + cose
        ad = auth_data(rp_hash, flags, counter, attested)
        if mutation == "no_at_flag":
            ad = auth_data(rp_hash, flags & ~AT, counter, attested)
        if mutation == "authdata_trailing":
            ad += b"\x00"
        kind = "webauthn.get" if mutation == "type" else "webauthn.create"
        cd_challenge = rng.randbytes(32) if mutation == "challenge" else challenge
        origin = EVIL_ORIGIN if mutation == "origin" else ORIGIN
        cd = client_data(kind, cd_challenge, origin, cross_origin=True if mutation == "cross_origin" else
                         rng.choice([None, False]))
        if mutation == "client_json_bad":
            cd = cd[:-1]
        signed = ad + hashlib.sha256(cd).digest()

        if mutation == "none_with_statement":
            fmt = "none"
        if mutation in ("sig_flip", "sig_truncate") and fmt == "none" or mutation == "alg_mismatch":
            fmt = "packed-self"
        if mutation == "x5c_wrong_key":
            fmt = "packed-x5c"
        if fmt == "none":
            fmt_name, stmt = "none", {}
            if mutation == "none_with_statement":
                stmt = {"alg": alg, "sig": key.sign(signed)}
        elif fmt == "packed-self":
            stmt_alg = alg
            if mutation == "alg_mismatch":
                stmt_alg = {ES256: RS256, EDDSA: ES256, RS256: ES256}[alg]
            fmt_name, stmt = "packed", {"alg": stmt_alg, "sig": key.sign(signed)}
        else:
            leaf_der, leaf_key = self.leaves[rng.randrange(len(self.leaves))]
            signer = leaf_key if mutation != "x5c_wrong_key" else ec.generate_private_key(ec.SECP256R1())
            fmt_name = "packed"
            stmt = {"alg": ES256, "sig": signer.sign(signed, ec.ECDSA(hashes.SHA256())), "x5c": [leaf_der]}
        if mutation == "unknown_format":
            fmt_name = "gatehouse-unknown"
        if mutation == "sig_flip" and "sig" in stmt:
            sig = bytearray(stmt["sig"])
            i = rng.randrange(len(sig))
            sig[i] ^= 1 << rng.randrange(8)
            stmt["sig"] = bytes(sig)
        if mutation == "sig_truncate" and "sig" in stmt:
            stmt["sig"] = stmt["sig"][:-rng.randrange(1, 4)]

        if mutation == "fmt_not_text":
            att_obj = cbor2.dumps({"fmt": 1, "attStmt": stmt, "authData": ad})
        elif mutation == "cbor_indefinite":
            att_obj = b"\xbf" + cbor2.dumps("fmt") + cbor2.dumps(fmt_name) + cbor2.dumps("attStmt") + cbor2.dumps(stmt) \
                + cbor2.dumps("authData") + cbor2.dumps(ad) + b"\xff"
        elif mutation == "cbor_noncanonical":
            # "fmt" with its text length in a needless extra byte (0x78 0x03 instead of 0x63)
            att_obj = b"\xa3" + b"\x78\x03fmt" + cbor2.dumps(fmt_name) + cbor2.dumps("attStmt") + cbor2.dumps(stmt) \
                + cbor2.dumps("authData") + cbor2.dumps(ad)
        elif mutation == "cbor_duplicate_key":
            att_obj = b"\xa4" + cbor2.dumps("fmt") + cbor2.dumps(fmt_name) + cbor2.dumps("attStmt") + cbor2.dumps(stmt) \
                + cbor2.dumps("authData") + cbor2.dumps(ad) + cbor2.dumps("fmt") + cbor2.dumps("none")
        else:
            att_obj = cbor2.dumps({"fmt": fmt_name, "attStmt": stmt, "authData": ad})
        if mutation == "cbor_truncate":
            att_obj = att_obj[:-rng.randrange(1, 40)]
        if mutation == "cbor_trailing":
            att_obj += b"\x00"

        raw_id = rng.randbytes(len(cred_id)) if mutation == "cred_id_mismatch" else cred_id
        response = {
            "id": b64u(raw_id), "rawId": b64u(raw_id), "type": "public-key",
            "response": {"clientDataJSON": b64u(cd), "attestationObject": b64u(att_obj),
                         "transports": ["internal", "hybrid"]},
            "clientExtensionResults": {}, "authenticatorAttachment": "platform",
        }
        return {"kind": "registration", "challenge": b64u(challenge), "origins": [ORIGIN], "rpId": RP_ID,
                "requireUV": require_uv, "response": response}

    # --- assertions -------------------------------------------------------------------------------------------

    def assertion(self, mutation, alg):
        rng = self.rng
        key = self.small_rsa[1] if mutation == "rsa_1024" else self.key(alg)
        challenge = rng.randbytes(32)
        cred_id = rng.randbytes(32)
        flags = UP | UV
        stored = rng.randrange(0, 1000)
        counter = stored + rng.randrange(1, 1000)
        require_uv = mutation != "no_uv_optional" and rng.random() < 0.5 or mutation == "no_uv_required"
        if mutation in ("no_uv_required", "no_uv_optional"):
            flags &= ~UV
        if mutation == "no_up":
            flags &= ~UP
        if mutation == "bs_without_be":
            flags |= BS
        if mutation == "counter_regression":
            counter = rng.randrange(1, 1000)
            stored = counter + rng.randrange(0, 1000)
        if mutation == "counter_zero":
            counter, stored = 0, 0
        if mutation == "synced_zero":
            flags |= BE | BS
            counter, stored = 0, 0
        if mutation == "synced_zero_after_count":
            flags |= BE | BS
            counter, stored = 0, rng.randrange(1, 1000)
        rp_hash = self.rp_hash
        if mutation == "rp_id_hash":
            rp_hash = bytes([rp_hash[0] ^ 0x80]) + rp_hash[1:]
        extensions = b""
        attested = b""
        if mutation == "extensions":
            flags |= ED
            extensions = cbor2.dumps({"credProtect": 2})
        if mutation == "ed_without_data":
            flags |= ED
        if mutation == "assert_at_flag":
            flags |= AT
            attested = AAGUID + len(cred_id).to_bytes(2, "big") + cred_id + key.cose()
        ad = auth_data(rp_hash, flags, counter, attested, extensions)
        if mutation == "authdata_trailing":
            ad += b"\x00"
        kind = "webauthn.create" if mutation == "type" else "webauthn.get"
        cd_challenge = rng.randbytes(32) if mutation == "challenge" else challenge
        origin = EVIL_ORIGIN if mutation == "origin" else ORIGIN
        cd = client_data(kind, cd_challenge, origin, cross_origin=True if mutation == "cross_origin" else
                         rng.choice([None, False]))
        sig = key.sign(ad + hashlib.sha256(cd).digest())
        if mutation == "client_data_after_signing":
            cd += b" "
        if mutation == "sig_flip":
            b = bytearray(sig)
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
            sig = bytes(b)
        if mutation == "sig_truncate":
            sig = sig[:-rng.randrange(1, 4)]
        if mutation == "sig_empty":
            sig = b""
        if mutation == "authdata_truncated":
            ad = ad[:36]
        if mutation == "authdata_random_flip":
            b = bytearray(ad)
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            ad = bytes(b)
        if mutation == "client_data_random_flip":
            b = bytearray(cd)
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            cd = bytes(b)
        stored_key = key.cose()
        if mutation == "wrong_key":
            others = [k for k in self.keys[alg] if k is not key]
            stored_key = rng.choice(others).cose()
        if mutation == "stored_key_alg":
            stored_key = key.cose(alg_override={ES256: RS256, EDDSA: ES256, RS256: ES256}[alg])
        raw_id = cred_id
        ident = b64u(rng.randbytes(32)) if mutation == "id_rawid_mismatch" else b64u(raw_id)
        response = {
            "id": ident, "rawId": b64u(raw_id), "type": "public-key",
            "response": {"clientDataJSON": b64u(cd), "authenticatorData": b64u(ad), "signature": b64u(sig),
                         "userHandle": b64u(b"user-" + rng.randbytes(8))},
            "clientExtensionResults": {}, "authenticatorAttachment": "platform",
        }
        return {"kind": "authentication", "challenge": b64u(challenge), "origins": [ORIGIN], "rpId": RP_ID,
                "requireUV": require_uv, "response": response, "publicKey": b64u(stored_key), "signCount": stored}


ASSERTION_MUTATIONS = [
    "valid", "valid", "valid", "challenge", "origin", "type", "rp_id_hash", "no_up", "no_uv_required",
    "no_uv_optional", "bs_without_be", "counter_regression", "counter_zero", "synced_zero", "synced_zero_after_count",
    "sig_flip", "sig_truncate", "sig_empty", "wrong_key", "authdata_truncated", "authdata_trailing",
    "client_data_after_signing", "stored_key_alg", "extensions", "ed_without_data", "assert_at_flag", "cross_origin",
    "rsa_1024", "id_rawid_mismatch", "authdata_random_flip", "client_data_random_flip",
]

ASSERTION_EXPECTED = {
    "valid": None, "challenge": "challengeMismatch", "origin": "originMismatch", "type": "clientDataTypeMismatch",
    "rp_id_hash": "rpIdHashMismatch", "no_up": "userNotPresent", "no_uv_required": "userNotVerified",
    "no_uv_optional": None, "bs_without_be": "invalidBackupFlags", "counter_regression": "clone",
    "counter_zero": None, "synced_zero": None, "synced_zero_after_count": None, "sig_flip": "badSignature",
    "sig_truncate": "badSignature", "sig_empty": "badSignature", "wrong_key": "badSignature",
    "authdata_truncated": "malformedAuthenticatorData", "authdata_trailing": "malformedAuthenticatorData",
    "client_data_after_signing": "badSignature",
    "stored_key_alg": {"malformedPublicKey", "badSignature", "unsupportedAlgorithm"}, "extensions": None,
    "ed_without_data": "malformedCBOR.truncated", "assert_at_flag": "unexpectedAttestedCredentialData",
    "cross_origin": "crossOriginNotAllowed", "rsa_1024": "rsaKeyTooSmall", "id_rawid_mismatch": "credentialIdMismatch",
    "authdata_random_flip": "any refusal", "client_data_random_flip": "any refusal",
}

SUPPORTED = [COSEAlgorithmIdentifier(ES256), COSEAlgorithmIdentifier(EDDSA), COSEAlgorithmIdentifier(RS256)]


def oracle(case):
    """py_webauthn's verdict: 'ok' or 'refused <exception class>'."""
    challenge = base64.urlsafe_b64decode(case["challenge"] + "==")
    try:
        if case["kind"] == "registration":
            webauthn.verify_registration_response(
                credential=case["response"], expected_challenge=challenge, expected_rp_id=case["rpId"],
                expected_origin=case["origins"], require_user_verification=case["requireUV"],
                supported_pub_key_algs=SUPPORTED)
        else:
            webauthn.verify_authentication_response(
                credential=case["response"], expected_challenge=challenge, expected_rp_id=case["rpId"],
                expected_origin=case["origins"],
                credential_public_key=base64.urlsafe_b64decode(case["publicKey"] + "=="),
                credential_current_sign_count=case["signCount"], require_user_verification=case["requireUV"])
        return "ok"
    except Exception as exc:  # py_webauthn raises several exception types; any is a refusal
        return "refused " + type(exc).__name__


def gatehouse(cases):
    lines = "".join(json.dumps(c, separators=(",", ":")) + "\n" for c in cases)
    proc = subprocess.run([verify_bin()], input=lines, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert len(out) == len(cases)
    return out


def gatehouse_verdict(line):
    """('ok' | 'clone' | 'refused', reason)."""
    if line.startswith("ok "):
        fields = dict(kv.split("=", 1) for kv in line[3:].split(" "))
        if fields.get("clone") == "1":
            return "clone", "clone"
        return "ok", None
    assert line.startswith("refused "), f"untyped Gatehouse result: {line!r}"
    return "refused", line[len("refused "):]


def test_differential_against_py_webauthn():
    rng = random.Random(SEED)
    factory = Factory(rng)
    cases, labels = [], []
    formats = ["none", "packed-self", "packed-x5c"]
    for i in range(REGISTRATIONS):
        mutation = REGISTRATION_MUTATIONS[i % len(REGISTRATION_MUTATIONS)]
        alg = (ES256, EDDSA, RS256)[(i // len(REGISTRATION_MUTATIONS)) % 3]
        fmt = formats[(i // (3 * len(REGISTRATION_MUTATIONS))) % 3]
        cases.append(factory.registration(mutation, alg, fmt))
        labels.append(("registration", mutation, alg))
    for i in range(ASSERTIONS):
        mutation = ASSERTION_MUTATIONS[i % len(ASSERTION_MUTATIONS)]
        alg = (ES256, EDDSA, RS256)[(i // len(ASSERTION_MUTATIONS)) % 3]
        cases.append(factory.assertion(mutation, alg))
        labels.append(("authentication", mutation, alg))

    results = gatehouse(cases)
    agree = 0
    intended = collections.Counter()
    problems = []
    reasons = collections.Counter()
    for case, (kind, mutation, alg), line in zip(cases, labels, results):
        verdict, reason = gatehouse_verdict(line)
        if reason:
            reasons[reason] += 1
        expected = (REGISTRATION_EXPECTED if kind == "registration" else ASSERTION_EXPECTED)[mutation]
        expected_set = expected if isinstance(expected, set) else {expected}
        if expected == "any refusal":
            if verdict == "ok":
                problems.append(f"{kind}/{mutation}/{alg}: Gatehouse accepted {line!r}")
        elif verdict == "ok" and None not in expected_set or verdict != "ok" and reason not in expected_set:
            problems.append(f"{kind}/{mutation}/{alg}: Gatehouse said {line!r}, expected {expected}")
        py = oracle(case)
        py_accepts = py == "ok"
        # A clone flag is Gatehouse's form of py_webauthn's counter refusal.
        gh_accepts = verdict == "ok"
        if py_accepts == gh_accepts:
            agree += 1
        elif mutation in INTENDED_DIVERGENCES and py_accepts and not gh_accepts or (
                mutation == "synced_zero_after_count" and gh_accepts and not py_accepts):
            intended[mutation] += 1
        else:
            problems.append(f"{kind}/{mutation}/{alg}: py_webauthn {py!r}, Gatehouse {line!r}")
    # A second opinion on the CBOR divergences: python-fido2's decoder refuses trailing bytes and indefinite lengths
    # as Gatehouse does (it accepts non-shortest lengths, which CTAP2's canonical form forbids).
    from fido2 import cbor as fido2_cbor
    second = collections.Counter()
    for case, (kind, mutation, alg) in zip(cases, labels):
        if mutation in ("cbor_trailing", "cbor_indefinite"):
            att_obj = base64.urlsafe_b64decode(case["response"]["response"]["attestationObject"] + "==")
            try:
                fido2_cbor.decode(att_obj)
                second[mutation + " accepted by python-fido2"] += 1
            except Exception:
                second[mutation + " refused by python-fido2"] += 1
    assert set(second) == {"cbor_trailing refused by python-fido2", "cbor_indefinite refused by python-fido2"}, second
    total = len(cases)
    print(f"\n{total} cases ({REGISTRATIONS} registrations, {ASSERTIONS} assertions): {agree} agree, "
          f"{sum(intended.values())} intended divergences {dict(intended)}, {len(problems)} problems")
    print("Gatehouse refusal reasons:", dict(sorted(reasons.items())))
    print("second opinion:", dict(second))
    assert not problems, "\n".join(problems[:40])
    # Every intended divergence must actually occur (the list cannot go stale).
    for mutation in INTENDED_DIVERGENCES:
        assert intended[mutation] > 0, f"intended divergence {mutation} did not occur: py_webauthn now agrees?"
    assert agree + sum(intended.values()) == total
    assert total >= 2000


def test_registration_result_fields_match_py_webauthn():
    """For accepted registrations, Gatehouse returns the same credential id, public key, counter and flags."""
    rng = random.Random(SEED + 1)
    factory = Factory(rng)
    cases = [factory.registration(m, alg, fmt) for m in ("valid", "synced", "counter")
             for alg in (ES256, EDDSA, RS256) for fmt in ("none", "packed-self", "packed-x5c")]
    for case, line in zip(cases, gatehouse(cases)):
        assert line.startswith("ok "), line
        fields = dict(kv.split("=", 1) for kv in line[3:].split(" "))
        challenge = base64.urlsafe_b64decode(case["challenge"] + "==")
        py = webauthn.verify_registration_response(
            credential=case["response"], expected_challenge=challenge, expected_rp_id=RP_ID, expected_origin=ORIGIN,
            require_user_verification=case["requireUV"], supported_pub_key_algs=SUPPORTED)
        assert fields["cred"] == b64u(py.credential_id)
        assert fields["pk"] == b64u(py.credential_public_key)
        assert int(fields["count"]) == py.sign_count
        assert fields["be"] == ("1" if py.credential_device_type == "multi_device" else "0")
        assert fields["bs"] == ("1" if py.credential_backed_up else "0")
        assert fields["aaguid"] == AAGUID.hex() or fields["aaguid"] == py.aaguid.replace("-", "")
        assert fields["transports"] == "internal,hybrid"


# ---------------------------------------------------------------------------------------------------------------
# Packed x5c: the attestation certificate requirements (WebAuthn §8.2.1) and chains to a configured root.
# py_webauthn checks neither the leaf requirements nor (without roots) validity; python-fido2's PackedAttestation
# checks the leaf requirements, so it is the oracle for those, and py_webauthn for chains to a root.


def make_cert(subject_attrs, issuer_name, issuer_key, public_key, *, ca, basic_constraints=True, aaguid_ext=AAGUID,
              aaguid_critical=False, not_after_days=365, not_before_days=-1):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder().subject_name(x509.Name(subject_attrs)).issuer_name(issuer_name)
        .public_key(public_key).serial_number(random.getrandbits(64))
        .not_valid_before(now + datetime.timedelta(days=not_before_days))
        .not_valid_after(now + datetime.timedelta(days=not_after_days))
    )
    if basic_constraints:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if aaguid_ext is not None:
        ext = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.45724.1.1.4"), b"\x04\x10" + aaguid_ext)
        builder = builder.add_extension(ext, critical=aaguid_critical)
    return builder.sign(issuer_key, hashes.SHA256())


LEAF_SUBJECT = [
    x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Gatehouse Test"),
    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Authenticator Attestation"),
    x509.NameAttribute(NameOID.COMMON_NAME, "Gatehouse Soft Authenticator"),
]


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def x5c_case(factory, variant):
    """A packed x5c registration whose certificates follow `variant`; returns (case, x5c, root to chain to)."""
    rng = factory.rng
    root, root_key = factory.root, factory.root_key
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    subject = list(LEAF_SUBJECT)
    kwargs = {}
    if variant == "ou_wrong":
        subject[2] = x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Marketing")
    if variant == "no_country":
        subject = subject[1:]
    if variant == "no_cn":
        subject = subject[:3]
    if variant == "leaf_is_ca":
        kwargs["ca"] = True
    if variant == "no_basic_constraints":
        kwargs["basic_constraints"] = False
    if variant == "aaguid_mismatch":
        kwargs["aaguid_ext"] = bytes(16)
    if variant == "aaguid_critical":
        kwargs["aaguid_critical"] = True
    if variant == "no_aaguid_ext":
        kwargs["aaguid_ext"] = None
    if variant == "expired":
        kwargs["not_after_days"], kwargs["not_before_days"] = -1, -30
    issuer_name, issuer_key, chain_extra = root.subject, root_key, []
    if variant in ("intermediate", "intermediate_missing"):
        inter_key = ec.generate_private_key(ec.SECP256R1())
        inter = make_cert([x509.NameAttribute(NameOID.COMMON_NAME, "Gatehouse Test Intermediate")], root.subject,
                          root_key, inter_key.public_key(), ca=True, aaguid_ext=None)
        issuer_name, issuer_key = inter.subject, inter_key
        if variant == "intermediate":
            chain_extra = [der(inter)]
    if variant == "other_root":
        other_key = ec.generate_private_key(ec.SECP256R1())
        issuer_name, issuer_key = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Someone Else's Root")]), other_key
    leaf = make_cert(subject, issuer_name, issuer_key, leaf_key.public_key(), ca=kwargs.pop("ca", False), **kwargs)
    x5c = [der(leaf)] + chain_extra

    key = factory.key(rng.choice((ES256, EDDSA, RS256)))
    challenge = rng.randbytes(32)
    cred_id = rng.randbytes(32)
    ad = auth_data(factory.rp_hash, UP | UV | AT, 0, AAGUID + len(cred_id).to_bytes(2, "big") + cred_id + key.cose())
    cd = client_data("webauthn.create", challenge)
    sig = leaf_key.sign(ad + hashlib.sha256(cd).digest(), ec.ECDSA(hashes.SHA256()))
    att_obj = cbor2.dumps({"fmt": "packed", "attStmt": {"alg": ES256, "sig": sig, "x5c": x5c}, "authData": ad})
    response = {
        "id": b64u(cred_id), "rawId": b64u(cred_id), "type": "public-key",
        "response": {"clientDataJSON": b64u(cd), "attestationObject": b64u(att_obj)}, "clientExtensionResults": {},
    }
    case = {"kind": "registration", "challenge": b64u(challenge), "origins": [ORIGIN], "rpId": RP_ID,
            "requireUV": True, "response": response}
    return case, att_obj, cd


# variant -> (Gatehouse's expected result without roots, with the test root configured)
X5C_VARIANTS = {
    "good": ("ok x5c", "ok x5c-trusted"),
    "no_aaguid_ext": ("ok x5c", "ok x5c-trusted"),
    "ou_wrong": ("invalidAttestationStatement", "invalidAttestationStatement"),
    "no_country": ("invalidAttestationStatement", "invalidAttestationStatement"),
    "no_cn": ("invalidAttestationStatement", "invalidAttestationStatement"),
    "leaf_is_ca": ("invalidAttestationStatement", "invalidAttestationStatement"),
    "no_basic_constraints": ("invalidAttestationStatement", "invalidAttestationStatement"),
    "aaguid_mismatch": ("invalidAttestationStatement", "invalidAttestationStatement"),
    "aaguid_critical": ("invalidAttestationStatement", "invalidAttestationStatement"),
    "expired": ("untrustedAttestation", "untrustedAttestation"),
    "intermediate": ("ok x5c", "ok x5c-trusted"),
    "intermediate_missing": ("ok x5c", "untrustedAttestation"),
    "other_root": ("ok x5c", "untrustedAttestation"),
}


def fido2_packed_verdict(att_obj, cd, root_der):
    from fido2.attestation.base import verify_x509_chain
    from fido2.attestation.packed import PackedAttestation
    from fido2.webauthn import AuthenticatorData
    att = cbor2.loads(att_obj)
    try:
        PackedAttestation().verify(att["attStmt"], AuthenticatorData(att["authData"]), hashlib.sha256(cd).digest())
        if root_der is not None:
            verify_x509_chain(list(att["attStmt"]["x5c"]) + [root_der])
        return True
    except Exception:
        return False


def py_webauthn_packed_verdict(case, root_pem):
    from webauthn.helpers.structs import AttestationFormat
    roots = {AttestationFormat.PACKED: [root_pem]} if root_pem else None
    try:
        webauthn.verify_registration_response(
            credential=case["response"], expected_challenge=base64.urlsafe_b64decode(case["challenge"] + "=="),
            expected_rp_id=RP_ID, expected_origin=ORIGIN, require_user_verification=True,
            supported_pub_key_algs=SUPPORTED, pem_root_certs_bytes_by_fmt=roots)
        return True
    except Exception:
        return False


def test_packed_x5c_certificates_against_fido2_and_py_webauthn():
    rng = random.Random(SEED + 2)
    factory = Factory(rng)
    root_der = der(factory.root)
    root_pem = factory.root.public_bytes(serialization.Encoding.PEM)
    cases, meta = [], []
    for round_ in range(4):
        for variant in X5C_VARIANTS:
            case, att_obj, cd = x5c_case(factory, variant)
            for with_root in (False, True):
                c = dict(case)
                if with_root:
                    c["attestationRoots"] = [b64u(root_der)]
                cases.append(c)
                meta.append((variant, with_root, att_obj, cd))
    problems = []
    counts = collections.Counter()
    for c, (variant, with_root, att_obj, cd), line in zip(cases, meta, gatehouse(cases)):
        expected = X5C_VARIANTS[variant][1 if with_root else 0]
        if expected.startswith("ok "):
            ok = line.startswith("ok ") and f" trust={expected[3:]} " in line
        else:
            ok = line == f"refused {expected}"
        if not ok:
            problems.append(f"{variant} roots={with_root}: Gatehouse {line!r}, expected {expected!r}")
        gh = line.startswith("ok ")
        # The leaf requirements: python-fido2. Chains to a root: both oracles. Validity: neither checks it
        # (py_webauthn only with roots, through OpenSSL's store), so "expired" is Gatehouse's own.
        f2 = fido2_packed_verdict(att_obj, cd, root_der if with_root else None)
        pw = py_webauthn_packed_verdict(c, root_pem if with_root else None)
        if variant == "expired":
            counts["expired (Gatehouse only)"] += 1
            if with_root and pw:
                problems.append("py_webauthn accepted an expired leaf under a root")
            continue
        if gh != f2:
            problems.append(f"{variant} roots={with_root}: Gatehouse {line!r}, python-fido2 {'ok' if f2 else 'refused'}")
        leaf_meets_requirements = variant in ("good", "no_aaguid_ext", "intermediate", "intermediate_missing",
                                              "other_root")
        if with_root and leaf_meets_requirements and gh != pw:
            problems.append(f"{variant} roots=True: Gatehouse {line!r}, py_webauthn {'ok' if pw else 'refused'}")
        counts["agree"] += 1
    print(f"\nx5c: {len(cases)} cases, {dict(counts)}, {len(problems)} problems")
    assert not problems, "\n".join(problems[:30])
