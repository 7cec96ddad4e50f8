import Crypto
import Foundation
import WebAuthn

/// A software passkey for the hub's specs (ES256, discoverable, user-verifying), in the spirit of
/// Tests/WebAuthnTests/SoftAuthenticator.swift: it answers the hub's JSON options with the JSON a browser's
/// `PublicKeyCredential.toJSON()` gives, and keeps its private key to itself.
final class TestPasskey: @unchecked Sendable {
    let privateKey = P256.Signing.PrivateKey()
    let credentialId: [UInt8] = (0..<32).map { _ in UInt8.random(in: 0...255) }
    /// Set by registration: the user handle the hub gave.
    var userHandle: [UInt8]?
    var rpId: String?
    /// The signature counter; each assertion adds one unless told otherwise.
    var counter: UInt32 = 0
    /// Set the BE flag (a synced passkey).
    var backupEligible = false

    static let origin = "http://hub.test"

    var credentialIdText: String { Base64URL.encode(credentialId) }

    /// Every encoding of the private key a careless store might hold.
    var privateKeyForms: [String] {
        let raw = Array(privateKey.rawRepresentation)
        return [
            Base64URL.encode(raw), Data(raw).base64EncodedString(), raw.map { String(format: "%02x", $0) }.joined(),
            privateKey.pemRepresentation, Data(privateKey.derRepresentation).base64EncodedString(),
        ]
    }

    var rawPrivateKey: [UInt8] { Array(privateKey.rawRepresentation) }

    private func coseKey() -> [UInt8] {
        let point = Array(privateKey.publicKey.x963Representation)
        return CBOREncoder.encode(
            .map([
                CBORMapEntry(key: .unsigned(1), value: .unsigned(2)),
                CBORMapEntry(key: .unsigned(3), value: .negative(6)),
                CBORMapEntry(key: .negative(0), value: .unsigned(1)),
                CBORMapEntry(key: .negative(1), value: .bytes(Array(point[1..<33]))),
                CBORMapEntry(key: .negative(2), value: .bytes(Array(point[33..<65]))),
            ]))
    }

    private func authData(rpId: String, flags: UInt8, count: UInt32, attested: [UInt8] = []) -> [UInt8] {
        Array(SHA256.hash(data: Array(rpId.utf8)))
            + [flags, UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
            + attested
    }

    private static func clientData(_ type: String, challenge: String, origin: String) -> [UInt8] {
        Array(
            "{\"type\":\"\(type)\",\"challenge\":\"\(challenge)\",\"origin\":\"\(origin)\",\"crossOrigin\":false}".utf8)
    }

    /// Answers creation options (the hub's `public_key`) as `toJSON()` would, with "none" attestation.
    func register(_ options: [String: Any], origin: String = TestPasskey.origin) throws -> [String: Any] {
        guard let rp = options["rp"] as? [String: Any], let rpId = rp["id"] as? String,
            let user = options["user"] as? [String: Any], let handle = user["id"] as? String,
            let challenge = options["challenge"] as? String
        else { throw TestFailure("creation options without rp.id, user.id or challenge: \(options)") }
        self.rpId = rpId
        userHandle = Base64URL.decode(handle)
        let flags: UInt8 = 0x45 | (backupEligible ? 0x08 : 0)
        var attested = [UInt8](repeating: 0, count: 16)
        attested += [0, UInt8(credentialId.count)]
        attested += credentialId
        attested += coseKey()
        let data = authData(rpId: rpId, flags: flags, count: counter, attested: attested)
        let object = CBOREncoder.encode(
            .map([
                CBORMapEntry(key: .text("fmt"), value: .text("none")),
                CBORMapEntry(key: .text("attStmt"), value: .map([])),
                CBORMapEntry(key: .text("authData"), value: .bytes(data)),
            ]))
        let response = RegistrationResponseJSON(
            id: credentialIdText, rawId: credentialIdText,
            response: AuthenticatorAttestationResponseJSON(
                clientDataJSON: Base64URL.encode(
                    Self.clientData("webauthn.create", challenge: challenge, origin: origin)),
                attestationObject: Base64URL.encode(object), transports: ["internal"]),
            authenticatorAttachment: "platform",
            clientExtensionResults: AuthenticationExtensionsClientOutputsJSON())
        return try Self.dictionary(response)
    }

    /// Answers request options as `toJSON()` would. `count` overrides the counter (a clone replaying an old one).
    func assert(_ options: [String: Any], origin: String = TestPasskey.origin, count: UInt32? = nil) throws
        -> [String: Any]
    {
        guard let challenge = options["challenge"] as? String else { throw TestFailure("no challenge in \(options)") }
        let rpId = options["rpId"] as? String ?? self.rpId ?? "hub.test"
        if let count { counter = count } else { counter += 1 }
        let flags: UInt8 = 0x05 | (backupEligible ? 0x08 : 0)
        let data = authData(rpId: rpId, flags: flags, count: counter)
        let client = Self.clientData("webauthn.get", challenge: challenge, origin: origin)
        let signature = try privateKey.signature(for: data + Array(SHA256.hash(data: client)))
        let response = AuthenticationResponseJSON(
            id: credentialIdText, rawId: credentialIdText,
            response: AuthenticatorAssertionResponseJSON(
                clientDataJSON: Base64URL.encode(client), authenticatorData: Base64URL.encode(data),
                signature: Base64URL.encode(Array(signature.derRepresentation)),
                userHandle: userHandle.map { Base64URL.encode($0) }),
            authenticatorAttachment: "platform")
        return try Self.dictionary(response)
    }

    static func dictionary<T: Encodable>(_ value: T) throws -> [String: Any] {
        let data = try JSONEncoder().encode(value)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure("not an object")
        }
        return object
    }
}
