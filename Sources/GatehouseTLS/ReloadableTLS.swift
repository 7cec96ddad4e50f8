import Foundation
import Logging
import NIOSSL
import Synchronization

/// The certificate a listener serves, swapped in place when its files change (SIGHUP). Each new connection takes
/// the identity current at its accept; connections already open keep theirs. A reload that fails (a missing,
/// unreadable, half-written or mismatched pair) keeps serving the identity in force and logs why.
public final class ReloadableTLS: Sendable {
    public let files: TLSCertificateFiles
    private let current: Mutex<TLSServerIdentity>

    /// Loads `files` once; a listener that cannot serve its certificate does not start.
    public init(files: TLSCertificateFiles) throws(TLSSetupError) {
        self.files = files
        self.current = Mutex(try TLSServerIdentity.load(files))
    }

    /// The identity new connections get.
    public var identity: TLSServerIdentity { current.withLock { $0 } }

    /// Re-reads the files. Returns the new identity, or nil (and logs an error) when the old one stays.
    @discardableResult
    public func reload(logger: Logger) -> TLSServerIdentity? {
        do {
            let fresh = try TLSServerIdentity.load(files)
            let previous = current.withLock { held -> TLSServerIdentity in
                defer { held = fresh }
                return held
            }
            logger.notice(
                "tls certificate reloaded: new connections get it",
                metadata: [
                    "serial": "\(fresh.serial)", "previous_serial": "\(previous.serial)",
                    "not_after": "\(Self.timestamp(fresh.notValidAfter))", "certificate": "\(files.certificatePath)",
                ])
            return fresh
        } catch {
            let kept = identity
            logger.error(
                "tls certificate reload failed: still serving the previous certificate",
                metadata: [
                    "error": "\(error)", "serial": "\(kept.serial)", "certificate": "\(files.certificatePath)",
                    "key": "\(files.keyPath)",
                ])
            return nil
        }
    }

    /// Logs what is served at start.
    public func logServing(logger: Logger, listener: String) {
        let served = identity
        logger.info(
            "tls on",
            metadata: [
                "listener": "\(listener)", "serial": "\(served.serial)",
                "not_after": "\(Self.timestamp(served.notValidAfter))", "chain": "\(served.chainLength)",
                "certificate": "\(files.certificatePath)", "key": "\(files.keyPath)",
            ])
        if served.notValidAfter < Date() {
            logger.warning("tls certificate has expired", metadata: ["serial": "\(served.serial)"])
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
