import Crypto
import Foundation

/// Keeps the server credential and the claimed identity in the data folder.
///
/// The credential file is created with mode 0600; only its SHA-256 ever leaves this machine.
struct ServerCredentialStore: Sendable {
    /// Errors reading or writing the data folder.
    enum Failure: Error, Equatable {
        case cannotWrite(String)
        case randomUnavailable
    }

    /// What is remembered after a successful claim.
    struct ClaimRecord: Codable, Equatable {
        var serverID: String
        var ownerID: String
        var name: String
        enum CodingKeys: String, CodingKey {
            case serverID = "server_id"
            case ownerID = "owner_id"
            case name
        }
    }

    let dataFolder: URL

    var credentialFile: URL { dataFolder.appendingPathComponent("server-credential") }
    var claimFile: URL { dataFolder.appendingPathComponent("server.json") }
    /// The hub keys pinned at claim time, beside the credential.
    var keyPin: HubKeyPinStore { HubKeyPinStore(dataFolder: dataFolder) }

    /// SHA-256 of the credential string, lower-case hex: what the hub stores.
    static func digest(of credential: String) -> String {
        SHA256.hash(data: Array(credential.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Makes a new credential: `ghs_` + base64url of 32 random bytes.
    static func makeCredential() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "ghs_" + Base64URL.encode(bytes)
    }

    /// Reads the stored credential or creates one (mode 0600).
    func loadOrCreateCredential() throws -> String {
        if let data = try? Data(contentsOf: credentialFile),
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            text.hasPrefix("ghs_")
        {
            return text
        }
        return try replaceCredential()
    }

    /// Writes a fresh credential, replacing any old one (after the hub removed this server).
    func replaceCredential() throws -> String {
        let credential = Self.makeCredential()
        try writePrivate(Array((credential + "\n").utf8), to: credentialFile)
        return credential
    }

    func loadClaim() -> ClaimRecord? {
        guard let data = try? Data(contentsOf: claimFile) else { return nil }
        return try? JSONDecoder().decode(ClaimRecord.self, from: data)
    }

    func saveClaim(_ record: ClaimRecord) throws {
        try writePrivate(Array(try JSONEncoder().encode(record)), to: claimFile)
    }

    func removeClaim() {
        try? FileManager.default.removeItem(at: claimFile)
    }

    private func writePrivate(_ bytes: [UInt8], to file: URL) throws {
        do {
            try PrivateFile.store(bytes, to: file)
        } catch {
            throw Failure.cannotWrite(file.lastPathComponent)
        }
    }
}
