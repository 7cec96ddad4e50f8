import Foundation

/// A credential-stuffing wave: failed sign-ins from unknown devices, spread over many accounts and addresses, past
/// the hub-wide threshold (``SignInBreaker``). When the breaker opens, the operators are told at once (mail to
/// every admin, the security log, `gatehouse_stuffing_waves_total`), at most once per half hour; the operators'
/// page shows the current rate. Unknown devices are held up while it lasts; known devices are not.
public enum StuffingWave {
    static func alert(environment env: HubEnvironment, caller: Caller) async {
        let now = env.clock.now()
        let failures = env.breaker.failuresLastMinute(at: now)
        defer { env.metrics.stuffingWave() }
        env.logger.critical(
            "credential-stuffing wave: unknown devices are held up",
            metadata: ["failures_last_minute": "\(failures)", "threshold": "\(env.breaker.threshold)"])
        let threshold = env.breaker.threshold
        await OperatorAlert.record(
            .stuffingWave, detail: "\(failures) failed sign-ins in the last minute", caller: caller, now: now,
            environment: env
        ) { admin in
            env.mail.stuffingWaveAlert(to: admin, failures: failures, threshold: threshold, now: now)
        }
    }
}
