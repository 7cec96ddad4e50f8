import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads certificates on SIGHUP until the service group shuts down. A failed reload keeps the old certificate
/// (``ReloadableTLS/reload(logger:)``); nothing here ever stops the server.
public struct TLSReloadService: Service {
    let certificates: [ReloadableTLS]
    let logger: Logger

    public init(certificates: [ReloadableTLS], logger: Logger) {
        self.certificates = certificates
        self.logger = logger
    }

    public func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            logger.info("SIGHUP: reloading the tls certificate")
            for certificate in certificates { certificate.reload(logger: logger) }
        }
    }
}
