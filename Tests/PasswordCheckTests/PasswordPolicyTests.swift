import Foundation
import Testing

@testable import PasswordCheck

/// A breach source that knows a fixed set of passwords.
private struct KnownBreaches: BreachedPasswordSource {
    let digests: Set<[UInt8]>

    init(_ passwords: [String]) {
        digests = Set(passwords.map { SHA1.hash($0) })
    }

    func isBreached(sha1: [UInt8]) async throws -> Bool { digests.contains(sha1) }
}

@Suite("Password policy rules")
struct PasswordPolicyTests {
    private let strong = "violet tugboat arithmetic drizzle"
    private let context = PasswordContext(username: "margaret", email: "maggie.holt@example.org")

    @Test("A long uncommon passphrase passes every rule")
    func acceptsGoodPassword() async {
        let policy = PasswordPolicy(breachSource: KnownBreaches(["password"]))
        #expect(await policy.check(password: strong, context: context).isEmpty)
    }

    @Test("too_short: fewer code points than the minimum, counted after NFKC")
    func tooShort() async {
        let policy = PasswordPolicy(minimumLength: 8, minimumScore: 0)
        #expect(await policy.check(password: "x7#Kq9!").map(\.code) == [.tooShort])
        #expect(await policy.check(password: "x7#Kq9!m").isEmpty)
        // Eight code points as typed, but the combining accent composes with its letter: seven after NFKC.
        let decomposed = "e\u{301}x7#Kq9"
        #expect(await policy.check(password: decomposed).map(\.code) == [.tooShort])
        let message = await policy.check(password: "abc").first?.message ?? ""
        #expect(message.contains("at least 8"))
    }

    @Test("too_long: more than the maximum is refused before anything else runs")
    func tooLong() async {
        let policy = PasswordPolicy(maximumLength: 256, breachSource: KnownBreaches([]))
        #expect(policy.maximumLength == 256)
        let long = String(repeating: "correct horse ", count: 20)
        #expect(await policy.check(password: long).map(\.code) == [.tooLong])
        #expect(PasswordPolicy(maximumLength: 10).maximumLength == 64)
        #expect(PasswordPolicy().maximumLength == 1024)
    }

    @Test("common: a password on the bundled list, in any case, is refused")
    func common() async {
        let policy = PasswordPolicy(minimumScore: 0, refusesContextWords: false)
        #expect(await policy.check(password: "superman").map(\.code) == [.common])
        #expect(await policy.check(password: "SuperMan").map(\.code) == [.common])
        #expect(await PasswordPolicy(minimumScore: 0, refusesCommon: false).check(password: "superman").isEmpty)
    }

    @Test("contains_user_info: user name, email parts and the service name are refused, also reversed or l33t")
    func containsUserInfo() async {
        let policy = PasswordPolicy(minimumScore: 0, refusesCommon: false)
        for password in [
            "margaret-in-june-77", "holt.and.sons.2019x", "Gatehouse rocks 42!", "teragram river 99",
            "m4rg4r3t is here!", "maggie.holt@example.org",
        ] {
            let codes = await policy.check(password: password, context: context).map(\.code)
            #expect(codes == [.containsUserInfo], "\(password)")
        }
        let off = PasswordPolicy(minimumScore: 0, refusesCommon: false, refusesContextWords: false)
        #expect(await off.check(password: "margaret-in-june-77", context: context).isEmpty)
        let message = await policy.check(password: "margaret-in-june-77", context: context).first?.message ?? ""
        #expect(message.contains("margaret"))
    }

    @Test("breached: a password in the breach source is refused, after NFKC normalisation")
    func breached() async {
        let leaked = "velvet ocean mirror 1987"
        let policy = PasswordPolicy(breachSource: KnownBreaches([leaked, "ﬁne print fiasco 2031"]))
        #expect(await policy.check(password: leaked).map(\.code) == [.breached])
        // The "ﬁ" ligature normalises to "fi", so typing it is looked up as the plain spelling, and vice versa.
        let normalizedLeak = PasswordPolicy.normalize("ﬁne print fiasco 2031")
        let policyNormalized = PasswordPolicy(breachSource: KnownBreaches([normalizedLeak]))
        #expect(await policyNormalized.check(password: "ﬁne print fiasco 2031").map(\.code) == [.breached])
        #expect(
            await PasswordPolicy(refusesBreached: false, breachSource: KnownBreaches([leaked]))
                .check(password: leaked).isEmpty)
    }

    @Test("too_guessable: below the minimum score, with the estimator's advice")
    func tooGuessable() async {
        let policy = PasswordPolicy(refusesCommon: false)
        let problems = await policy.check(password: "qwertyuiop")
        #expect(problems.map(\.code) == [.tooGuessable])
        #expect(problems.first?.suggestions.isEmpty == false)
        #expect(await PasswordPolicy(minimumScore: 0, refusesCommon: false).check(password: "qwertyuiop").isEmpty)
        #expect(PasswordPolicy().minimumScore == 2)
    }

    @Test("Several broken rules are all reported, each with a stable code")
    func severalProblems() async {
        let policy = PasswordPolicy(breachSource: KnownBreaches(["pass"]))
        let codes = await policy.check(password: "pass").map(\.code)
        #expect(codes == [.tooShort, .common, .tooGuessable])
        #expect(
            PasswordProblem.Code.allCases.map(\.rawValue) == [
                "too_short", "too_long", "common", "contains_user_info", "breached", "breach_check_unavailable",
                "too_guessable",
            ])
    }

    @Test("Context words: whole values and their pieces")
    func contextWords() {
        let words = PasswordContext(username: "Jane_Doe", email: "jane.doe@example.com").words
        #expect(words.contains("jane_doe"))
        #expect(words.contains("jane.doe"))
        #expect(words.contains("jane"))
        #expect(words.contains("example"))
        #expect(words.contains("gatehouse"))
    }
}
