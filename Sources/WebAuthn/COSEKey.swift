import Crypto
import Foundation
import _CryptoExtras

/// The COSE signature algorithms the module verifies (IANA COSE Algorithms registry values).
public enum COSEAlgorithm: Int64, Sendable, CaseIterable, Codable {
    /// ECDSA with P-256 and SHA-256; WebAuthn signatures are ASN.1 DER.
    case es256 = -7
    /// EdDSA, accepted with the Ed25519 curve only.
    case edDSA = -8
    /// RSASSA-PKCS1-v1_5 with SHA-256, modulus at least 2048 bits.
    case rs256 = -257
}

/// A credential public key decoded from its COSE_Key CBOR form (RFC 9052/9053), ready to verify signatures.
public struct COSEPublicKey: Sendable {
    /// The key's algorithm.
    public let algorithm: COSEAlgorithm
    /// The exact COSE_Key bytes the key was decoded from (what a relying party stores).
    public let encoded: [UInt8]
    private let key: Key

    /// Validated key material; swift-crypto's key types are not Sendable, so they are rebuilt for each verification.
    private enum Key: Sendable {
        case p256(x963: [UInt8])
        case ed25519(raw: [UInt8])
        case rsa(n: [UInt8], e: [UInt8], bits: Int)
    }

    /// The smallest RSA modulus accepted, in bits.
    public static let minimumRSABits = 2048
    /// The largest RSA modulus accepted, in bits (bounds verification cost).
    public static let maximumRSABits = 8192

    /// Decodes a COSE_Key that must be exactly the given bytes (no trailing data).
    public init(cose bytes: [UInt8]) throws(WebAuthnError) {
        try self.init(cose: bytes, validateWithCrypto: true)
    }

    /// `validateWithCrypto: false` skips building the swift-crypto key up front (the point or modulus is then checked
    /// when a signature is verified, which builds it anyway): the assertion path uses it for keys stored at
    /// registration, so each assertion builds the key once.
    init(cose bytes: [UInt8], validateWithCrypto: Bool) throws(WebAuthnError) {
        let value: CBORValue
        do { value = try CBORDecoder(maxDepth: 4, maxInputSize: 2048).decode(bytes) } catch {
            throw .malformedCBOR(error)
        }
        try self.init(value: value, encoded: bytes, validateWithCrypto: validateWithCrypto)
    }

    /// Decodes an already-parsed COSE_Key; `encoded` is kept as the key's stored form.
    init(value: CBORValue, encoded: [UInt8], validateWithCrypto: Bool = true) throws(WebAuthnError) {
        guard case .map = value else { throw .malformedPublicKey("COSE key is not a map") }
        guard let kty = value[intKey: 1]?.int64Value else { throw .malformedPublicKey("missing kty") }
        guard let algValue = value[intKey: 3]?.int64Value else { throw .malformedPublicKey("missing alg") }
        guard let alg = COSEAlgorithm(rawValue: algValue) else { throw .unsupportedAlgorithm(algValue) }
        self.algorithm = alg
        self.encoded = encoded
        switch alg {
        case .es256:
            guard kty == 2 else { throw .malformedPublicKey("ES256 needs kty EC2") }
            guard value[intKey: -1]?.int64Value == 1 else { throw .malformedPublicKey("ES256 needs curve P-256") }
            guard case .bytes(let x)? = value[intKey: -2], x.count == 32,
                case .bytes(let y)? = value[intKey: -3], y.count == 32
            else { throw .malformedPublicKey("EC2 x and y must be 32-byte strings") }
            key = .p256(x963: [0x04] + x + y)
            if validateWithCrypto {
                do { _ = try P256.Signing.PublicKey(x963Representation: [0x04] + x + y) } catch {
                    throw .malformedPublicKey("point not on P-256")
                }
            }
        case .edDSA:
            guard kty == 1 else { throw .malformedPublicKey("EdDSA needs kty OKP") }
            guard value[intKey: -1]?.int64Value == 6 else { throw .malformedPublicKey("EdDSA needs curve Ed25519") }
            guard case .bytes(let x)? = value[intKey: -2], x.count == 32 else {
                throw .malformedPublicKey("Ed25519 x must be a 32-byte string")
            }
            key = .ed25519(raw: x)
            if validateWithCrypto {
                do { _ = try Curve25519.Signing.PublicKey(rawRepresentation: x) } catch {
                    throw .malformedPublicKey("invalid Ed25519 key")
                }
            }
        case .rs256:
            guard kty == 3 else { throw .malformedPublicKey("RS256 needs kty RSA") }
            guard case .bytes(let n)? = value[intKey: -1], case .bytes(let e)? = value[intKey: -2] else {
                throw .malformedPublicKey("RSA n and e must be byte strings")
            }
            guard let first = n.first, first != 0 else { throw .malformedPublicKey("RSA modulus has a leading zero") }
            let bits = n.count * 8 - first.leadingZeroBitCount
            guard bits >= Self.minimumRSABits else { throw .rsaKeyTooSmall(bits: bits) }
            guard bits <= Self.maximumRSABits else { throw .malformedPublicKey("RSA modulus over 8192 bits") }
            guard let e0 = e.first, e0 != 0, e.count <= 4, e.last.map({ $0 & 1 == 1 }) == true else {
                throw .malformedPublicKey("RSA exponent must be odd, at most 32 bits, without leading zeros")
            }
            let exponent = e.reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
            guard exponent >= 3 else { throw .malformedPublicKey("RSA exponent too small") }
            key = .rsa(n: n, e: e, bits: bits)
            if validateWithCrypto {
                do { _ = try _RSA.Signing.PublicKey(n: n, e: e) } catch { throw .malformedPublicKey("invalid RSA key") }
            }
        }
    }

    /// Makes a key from a DER SubjectPublicKeyInfo (an attestation certificate's key) for the given algorithm.
    init(spki: [UInt8], algorithm: COSEAlgorithm) throws(WebAuthnError) {
        self.algorithm = algorithm
        self.encoded = []
        do {
            switch algorithm {
            case .es256:
                key = .p256(x963: Array(try P256.Signing.PublicKey(derRepresentation: spki).x963Representation))
            case .edDSA:
                // Ed25519 SPKI: SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING { 0x00, 32 bytes } }, 44 bytes.
                let prefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]
                guard spki.count == 44, Array(spki.prefix(12)) == prefix else {
                    throw WebAuthnError.malformedPublicKey("not an Ed25519 SPKI")
                }
                key = .ed25519(
                    raw: Array(try Curve25519.Signing.PublicKey(rawRepresentation: spki.suffix(32)).rawRepresentation))
            case .rs256:
                let rsa = try _RSA.Signing.PublicKey(unsafeDERRepresentation: spki)
                guard rsa.keySizeInBits >= Self.minimumRSABits else {
                    throw WebAuthnError.rsaKeyTooSmall(bits: rsa.keySizeInBits)
                }
                guard rsa.keySizeInBits <= Self.maximumRSABits else {
                    throw WebAuthnError.malformedPublicKey("RSA modulus over 8192 bits")
                }
                let primitives = try rsa.getKeyPrimitives()
                key = .rsa(n: Array(primitives.modulus), e: Array(primitives.publicExponent), bits: rsa.keySizeInBits)
            }
        } catch let error as WebAuthnError {
            throw error
        } catch {
            throw .invalidAttestationStatement("certificate key does not match the statement's algorithm")
        }
    }

    /// Verifies a WebAuthn signature over `data` (DER ECDSA for ES256, 64-byte Ed25519, PKCS#1 v1.5 for RS256).
    public func isValidSignature(_ signature: [UInt8], for data: [UInt8]) -> Bool {
        switch key {
        case .p256(let x963):
            guard signature.count <= 72, let sig = try? P256.Signing.ECDSASignature(derRepresentation: signature),
                sig.derRepresentation.elementsEqual(signature),
                let k = try? P256.Signing.PublicKey(x963Representation: x963)
            else { return false }
            return k.isValidSignature(sig, for: data)
        case .ed25519(let raw):
            guard signature.count == 64, let k = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
                return false
            }
            return k.isValidSignature(signature, for: data)
        case .rsa(let n, let e, let bits):
            guard signature.count == (bits + 7) / 8, let k = try? _RSA.Signing.PublicKey(n: n, e: e) else {
                return false
            }
            return k.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: data, padding: .insecurePKCS1v1_5)
        }
    }
}
