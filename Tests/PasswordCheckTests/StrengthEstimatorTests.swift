import Testing

@testable import PasswordCheck

@Suite("Strength estimator")
struct StrengthEstimatorTests {
    let estimator = StrengthEstimator()

    /// Scores and log10(guesses) from the Python zxcvbn package 4.5.0 (the oracle test compares 10,000 more).
    @Test(
        "Agrees with zxcvbn on characteristic passwords",
        arguments: [
            ("password", 0, 0.477), ("P@ssw0rd", 0, 1.230), ("qwertyuiop", 0, 1.362),
            ("correcthorsebatterystaple", 4, 14.437), ("Tr0ub4dor&3", 4, 11.0), ("aaaaaaaaaa", 0, 2.083),
            ("abcdefgh", 0, 1.519), ("13/03/1990", 1, 4.596), ("jane.doe1985", 3, 8.520), ("drowssap", 0, 0.699),
            ("x7#Kq9!mZ2@w", 4, 12.0), ("gatehouse2024", 3, 8.071),
        ])
    func matchesReference(password: String, score: Int, log10Guesses: Double) {
        let strength = estimator.estimate(password)
        #expect(strength.score == score, "\(password)")
        #expect(abs(strength.guessesLog10 - log10Guesses) < 0.01, "\(password): \(strength.guessesLog10)")
    }

    @Test("User inputs count as a dictionary")
    func userInputs() {
        #expect(estimator.estimate("janedoe!23").score == 3)
        let informed = estimator.estimate("janedoe!23", userInputs: ["janedoe"])
        #expect(informed.score == 1)
        #expect(abs(informed.guessesLog10 - 5.041) < 0.01)
    }

    @Test("Feedback names the weakness and says what to do")
    func feedback() {
        let common = estimator.estimate("password")
        #expect(common.warning == "This is a top-10 common password.")
        #expect(common.suggestions.contains("Add another word or two. Uncommon words are better."))

        #expect(estimator.estimate("zxcvbnm,./").warning == "Straight rows of keys are easy to guess.")
        #expect(estimator.estimate("aaaaaaaaaa").warning == "Repeats like \"aaa\" are easy to guess.")
        #expect(estimator.estimate("13/03/1990").warning == "Dates are often easy to guess.")
        #expect(estimator.estimate("Drowssap").suggestions.contains("Reversed words aren't much harder to guess."))

        let strong = estimator.estimate("violet tugboat arithmetic drizzle")
        #expect(strong.score == 4)
        #expect(strong.warning == nil)
        #expect(strong.suggestions.isEmpty)
    }

    @Test("Keyboard graphs match the reference layouts")
    func keyboardGraphs() {
        #expect(KeyboardGraph.qwerty.startingPositions == 94)
        #expect(KeyboardGraph.keypad.startingPositions == 15)
        #expect(abs(KeyboardGraph.qwerty.averageDegree - 4.595744680851064) < 1e-9)
        #expect(abs(KeyboardGraph.keypad.averageDegree - 5.066666666666666) < 1e-9)
        #expect(
            KeyboardGraph.qwerty.adjacency["g"]?.compactMap { $0.map { String(String.UnicodeScalarView($0)) } }
                == ["fF", "tT", "yY", "hH", "bB", "vV"])
    }

    @Test("Empty and very long passwords are handled")
    func edges() {
        let empty = estimator.estimate("")
        #expect(empty.score == 0)
        let long = String(repeating: "Zq8!vW3#", count: 200)
        #expect(estimator.estimate(long).score >= 0)
        #expect(estimator.estimate(String(repeating: "a", count: 1000)).score <= 1)
    }
}
