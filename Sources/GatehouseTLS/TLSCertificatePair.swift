import Foundation
import NIOSSL

/// The PEM files of a listener's certificate chain and private key (`--tls-cert` / `--tls-key`).
public struct TLSCertificateFiles: Sendable, Equatable {
    /// The certificate chain: the leaf first, then any intermediates.
    public var certificatePath: String
    /// The private key of the leaf. Its path may be logged; its content never is.
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }

    /// The pair from two optional settings: both or neither. One without the other is an error (a listener that
    /// silently served plain HTTP because a flag was missing would be worse than one that does not start).
    public static func pair(
        certificate: String?, key: String?, certificateFlag: String = "--tls-cert", keyFlag: String = "--tls-key"
    ) throws(TLSSetupError) -> TLSCertificateFiles? {
        let certificate = certificate.flatMap { $0.isEmpty ? nil : $0 }
        let key = key.flatMap { $0.isEmpty ? nil : $0 }
        switch (certificate, key) {
        case (nil, nil): return nil
        case (let certificate?, let key?): return TLSCertificateFiles(certificatePath: certificate, keyPath: key)
        case (_?, nil): throw .incompletePair("\(certificateFlag) needs \(keyFlag) (the private key's PEM file)")
        case (nil, _?): throw .incompletePair("\(keyFlag) needs \(certificateFlag) (the certificate chain's PEM file)")
        }
    }
}

/// Why a certificate and key cannot be served. The messages name files, never their content.
public enum TLSSetupError: Error, Equatable, CustomStringConvertible {
    case incompletePair(String)
    case unreadable(path: String, reason: String)
    case tooLarge(path: String)
    case noCertificate(path: String)
    case invalidCertificate(path: String)
    case invalidKey(path: String)
    case keyMismatch(certificate: String, key: String)
    case rejected(String)

    public var description: String {
        switch self {
        case .incompletePair(let message): message
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .tooLarge(let path): "\(path) is larger than a PEM certificate chain or key can be (1 MiB)"
        case .noCertificate(let path): "\(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        case .invalidCertificate(let path): "\(path) is not a valid PEM certificate chain"
        case .invalidKey(let path):
            "\(path) is not a valid, unencrypted PEM private key (RSA, EC or Ed25519; PKCS#8 or traditional)"
        case .keyMismatch(let certificate, let key):
            "the private key in \(key) does not belong to the certificate in \(certificate) (a half-replaced pair?)"
        case .rejected(let reason): "the TLS library refused the certificate and key: \(reason)"
        }
    }
}

/// A certificate chain and key read from their files and checked to belong together, ready to serve.
public struct TLSServerIdentity: Sendable {
    /// The TLS context every new connection is set up with.
    public let context: NIOSSLContext
    /// The leaf certificate's serial number as lowercase hex (what the logs and `openssl x509 -serial` show).
    public let serial: String
    /// The leaf certificate's expiry.
    public let notValidAfter: Date
    /// How many certificates the chain holds (leaf included).
    public let chainLength: Int

    /// The most a PEM file of a chain or key may weigh: far above any real one, and a bound on what is read.
    static let fileLimit = 1 << 20

    /// Reads and checks `files`: both readable, a certificate chain and a private key in PEM, the key the leaf's.
    public static func load(_ files: TLSCertificateFiles) throws(TLSSetupError) -> TLSServerIdentity {
        let certificateBytes = try read(files.certificatePath)
        let keyBytes = try read(files.keyPath)
        guard
            let text = String(bytes: certificateBytes, encoding: .utf8),
            text.contains("-----BEGIN CERTIFICATE-----")
        else { throw .noCertificate(path: files.certificatePath) }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificateBytes)
        } catch {
            throw .invalidCertificate(path: files.certificatePath)
        }
        guard let leaf = chain.first else { throw .noCertificate(path: files.certificatePath) }
        let key: NIOSSLPrivateKey
        do {
            // No passphrase callback: an encrypted key fails here instead of waiting for a prompt.
            key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
        } catch {
            throw .invalidKey(path: files.keyPath)
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        let context: NIOSSLContext
        do {
            // BoringSSL checks here that the key is the leaf certificate's.
            context = try NIOSSLContext(configuration: configuration)
        } catch NIOSSLError.failedToLoadPrivateKey {
            throw .keyMismatch(certificate: files.certificatePath, key: files.keyPath)
        } catch {
            throw .rejected("\(error)")
        }
        return TLSServerIdentity(
            context: context, serial: hex(leaf.serialNumber),
            notValidAfter: Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter)), chainLength: chain.count)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }

    private static func read(_ path: String) throws(TLSSetupError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason =
                FileManager.default.fileExists(atPath: path) ? "permission denied or not a file" : "no such file"
            throw .unreadable(path: path, reason: reason)
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: fileLimit + 1) ?? Data()
        } catch {
            throw .unreadable(path: path, reason: "\(error)")
        }
        guard data.count <= fileLimit else { throw .tooLarge(path: path) }
        return [UInt8](data)
    }
}
