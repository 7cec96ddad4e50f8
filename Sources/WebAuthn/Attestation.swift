import Crypto
import Foundation

/// How far an attestation statement vouches for the authenticator.
public enum AttestationTrust: String, Sendable, Codable {
    /// Format "none": nothing is claimed.
    case none
    /// Packed self attestation: signed with the credential key itself.
    case selfAttestation = "self"
    /// Packed x5c attestation whose leaf certificate passed the format's checks, with no configured root to chain to.
    case certificateUnverified = "x5c"
    /// Packed x5c attestation that chains to a configured root certificate.
    case certificateTrusted = "x5c-trusted"
}

/// The outcome of checking an attestation statement.
public struct AttestationResult: Sendable {
    /// The attestation statement format ("none" or "packed").
    public let format: String
    /// What the statement established.
    public let trust: AttestationTrust
    /// The DER certificates of x5c, leaf first (empty without x5c).
    public let certificateChain: [[UInt8]]
}

/// Attestation object parsing and the "none" and "packed" statement formats (WebAuthn §6.5, §8.2, §8.7).
enum Attestation {
    /// The largest attestationObject accepted, in bytes.
    static let maximumSize = 16 * 1024
    static let maximumCertificates = 5

    struct Parsed {
        let format: String
        let statement: CBORValue
        let authData: AuthenticatorData
    }

    static func parse(_ bytes: [UInt8]) throws(WebAuthnError) -> Parsed {
        guard bytes.count <= maximumSize else { throw .inputTooLarge(field: "attestationObject", limit: maximumSize) }
        let root: CBORValue
        do { root = try CBORDecoder(maxDepth: 8, maxInputSize: maximumSize).decode(bytes) } catch {
            throw .malformedCBOR(error)
        }
        guard case .map(let entries) = root else { throw .malformedAttestationObject("not a map") }
        guard entries.count == 3 else {
            throw .malformedAttestationObject("must hold exactly fmt, attStmt and authData")
        }
        guard case .text(let format)? = root[textKey: "fmt"] else {
            throw .malformedAttestationObject("fmt is not text")
        }
        guard let statement = root[textKey: "attStmt"], case .map = statement else {
            throw .malformedAttestationObject("attStmt is not a map")
        }
        guard case .bytes(let authBytes)? = root[textKey: "authData"] else {
            throw .malformedAttestationObject("authData is not a byte string")
        }
        return Parsed(format: format, statement: statement, authData: try AuthenticatorData(bytes: authBytes))
    }

    static func verify(
        _ parsed: Parsed, clientDataHash: [UInt8], roots: [[UInt8]], now: Int64
    ) throws(WebAuthnError) -> AttestationResult {
        guard case .map(let entries) = parsed.statement else {
            throw .malformedAttestationObject("attStmt is not a map")
        }
        switch parsed.format {
        case "none":
            guard entries.isEmpty else { throw .invalidAttestationStatement("none attestation with a statement") }
            return AttestationResult(format: "none", trust: .none, certificateChain: [])
        case "packed":
            return try verifyPacked(parsed, entries: entries, clientDataHash: clientDataHash, roots: roots, now: now)
        default:
            throw .unsupportedAttestationFormat(parsed.format)
        }
    }

    private static func verifyPacked(
        _ parsed: Parsed, entries: [CBORMapEntry], clientDataHash: [UInt8], roots: [[UInt8]], now: Int64
    ) throws(WebAuthnError) -> AttestationResult {
        let statement = parsed.statement
        for entry in entries {
            guard case .text(let key) = entry.key, ["alg", "sig", "x5c"].contains(key) else {
                throw .invalidAttestationStatement("unexpected packed attStmt field")
            }
        }
        guard let algValue = statement[textKey: "alg"]?.int64Value else {
            throw .invalidAttestationStatement("missing alg")
        }
        guard case .bytes(let signature)? = statement[textKey: "sig"] else {
            throw .invalidAttestationStatement("missing sig")
        }
        guard let alg = COSEAlgorithm(rawValue: algValue) else { throw .unsupportedAlgorithm(algValue) }
        guard let credential = parsed.authData.attestedCredentialData else { throw .missingAttestedCredentialData }
        let signed = parsed.authData.raw + clientDataHash

        guard let x5cValue = statement[textKey: "x5c"] else {
            // Self attestation: the statement's alg must be the credential key's, and the credential key signs.
            guard alg == credential.publicKey.algorithm else {
                throw .invalidAttestationStatement("self attestation alg does not match the credential key")
            }
            guard credential.publicKey.isValidSignature(signature, for: signed) else { throw .badSignature }
            return AttestationResult(format: "packed", trust: .selfAttestation, certificateChain: [])
        }

        guard case .array(let items) = x5cValue, !items.isEmpty, items.count <= maximumCertificates else {
            throw .invalidAttestationStatement("x5c must be 1...\(maximumCertificates) certificates")
        }
        var chain: [[UInt8]] = []
        var certificates: [AttestationCertificate] = []
        for item in items {
            guard case .bytes(let der) = item else {
                throw .invalidAttestationStatement("x5c entry is not a byte string")
            }
            do { certificates.append(try AttestationCertificate(der: der)) } catch {
                throw .invalidAttestationStatement("x5c certificate is not valid DER X.509")
            }
            chain.append(der)
        }
        let leaf = certificates[0]
        try checkLeafRequirements(leaf, aaguid: credential.aaguid, now: now)
        let expectedKeyOID: [UInt8]
        switch alg {
        case .es256: expectedKeyOID = AttestationCertificate.oidECPublicKey
        case .rs256: expectedKeyOID = AttestationCertificate.oidRSAEncryption
        case .edDSA: expectedKeyOID = AttestationCertificate.oidEd25519
        }
        guard leaf.spkiAlgorithmOID == expectedKeyOID else {
            throw .invalidAttestationStatement("certificate key type does not match alg")
        }
        let leafKey = try COSEPublicKey(spki: leaf.spki, algorithm: alg)
        guard leafKey.isValidSignature(signature, for: signed) else { throw .badSignature }

        var trust = AttestationTrust.certificateUnverified
        if !roots.isEmpty {
            try verifyChain(certificates, roots: roots, now: now)
            trust = .certificateTrusted
        }
        return AttestationResult(format: "packed", trust: trust, certificateChain: chain)
    }

    /// §8.2.1: version 3; subject C, O, OU "Authenticator Attestation" and CN; not a CA; the AAGUID extension, when
    /// present, is not critical and matches; and the certificate is within its validity period.
    private static func checkLeafRequirements(
        _ leaf: AttestationCertificate, aaguid: [UInt8], now: Int64
    ) throws(WebAuthnError) {
        guard leaf.version == 2 else { throw .invalidAttestationStatement("attestation certificate is not X.509 v3") }
        func attribute(_ oid: [UInt8]) -> String? { leaf.subjectAttributes.first { $0.oid == oid }?.value }
        guard let country = attribute(AttestationCertificate.oidCountry), country.utf8.count == 2,
            let organization = attribute(AttestationCertificate.oidOrganization), !organization.isEmpty,
            attribute(AttestationCertificate.oidOrganizationalUnit) == "Authenticator Attestation",
            let commonName = attribute(AttestationCertificate.oidCommonName), !commonName.isEmpty
        else { throw .invalidAttestationStatement("attestation certificate subject lacks C, O, OU or CN") }
        guard leaf.isCA == false else { throw .invalidAttestationStatement("attestation certificate is not CA:false") }
        if let ext = leaf.extensions.first(where: { $0.oid == AttestationCertificate.oidFIDOAAGUID }) {
            guard !ext.critical else { throw .invalidAttestationStatement("AAGUID extension is critical") }
            var outer = DERReader(ext.value[...])
            guard let octets = try? outer.read(tag: 0x04), outer.isAtEnd, Array(octets.content) == aaguid else {
                throw .invalidAttestationStatement("AAGUID extension does not match the authenticator data")
            }
        }
        guard leaf.notBefore <= now, now <= leaf.notAfter else {
            throw .untrustedAttestation("attestation certificate outside its validity period")
        }
    }

    /// Each certificate is signed by the next; the last is signed by (or is) a configured root.
    private static func verifyChain(_ certificates: [AttestationCertificate], roots: [[UInt8]], now: Int64)
        throws(WebAuthnError)
    {
        var parsedRoots: [AttestationCertificate] = []
        for root in roots {
            if let r = try? AttestationCertificate(der: root) { parsedRoots.append(r) }
        }
        for (index, certificate) in certificates.enumerated() {
            guard certificate.notBefore <= now, now <= certificate.notAfter else {
                throw .untrustedAttestation("certificate outside its validity period")
            }
            if index + 1 < certificates.count {
                let issuer = certificates[index + 1]
                guard issuer.isCA == true, issuer.subject == certificate.issuer, isSigned(certificate, by: issuer)
                else {
                    throw .untrustedAttestation("x5c is not a chain")
                }
            }
        }
        guard let last = certificates.last else { throw .untrustedAttestation("empty chain") }
        let anchored = parsedRoots.contains { root in
            (root.tbs == last.tbs && root.signature == last.signature)
                || (root.subject == last.issuer && isSigned(last, by: root))
        }
        guard anchored else { throw .untrustedAttestation("x5c does not chain to a configured root") }
    }

    private static func isSigned(_ certificate: AttestationCertificate, by issuer: AttestationCertificate) -> Bool {
        let algorithm: COSEAlgorithm
        switch certificate.signatureAlgorithmOID {
        case AttestationCertificate.oidECDSAWithSHA256: algorithm = .es256
        case AttestationCertificate.oidSHA256WithRSA: algorithm = .rs256
        case AttestationCertificate.oidEd25519: algorithm = .edDSA
        default: return false
        }
        guard let key = try? COSEPublicKey(spki: issuer.spki, algorithm: algorithm) else { return false }
        return key.isValidSignature(certificate.signature, for: certificate.tbs)
    }
}
