extension PatternMatcher {
    /// Characters typed with Shift on a US keyboard (the reference applies the set to Dvorak too).
    static let shiftedCharacters = Set(#"~!@#$%^&*()_+QWERTYUIOP{}|ASDFGHJKL:"ZXCVBNM<>?"#.unicodeScalars)

    func spatialMatches(in password: [Unicode.Scalar]) -> [PatternMatch] {
        var matches: [PatternMatch] = []
        for graph in KeyboardGraph.all {
            matches += spatialMatches(in: password, graph: graph)
        }
        return Self.sorted(matches)
    }

    /// Walks of three or more keys, each key next to the previous one on `graph`.
    private func spatialMatches(in password: [Unicode.Scalar], graph: KeyboardGraph) -> [PatternMatch] {
        var matches: [PatternMatch] = []
        var i = 0
        while i < password.count - 1 {
            var j = i + 1
            var lastDirection: Int?
            var turns = 0
            var shiftedCount = graph.isKeyboard && Self.shiftedCharacters.contains(password[i]) ? 1 : 0
            while true {
                var found = false
                if j < password.count, let neighbours = graph.adjacency[password[j - 1]] {
                    let current = password[j]
                    for (direction, key) in neighbours.enumerated() {
                        guard let key, let position = key.firstIndex(of: current) else { continue }
                        found = true
                        if position == 1 { shiftedCount += 1 }
                        if lastDirection != direction {
                            turns += 1
                            lastDirection = direction
                        }
                        break
                    }
                }
                if found {
                    j += 1
                    continue
                }
                if j - i > 2 {
                    matches.append(
                        PatternMatch(
                            i: i, j: j - 1, token: Array(password[i..<j]),
                            kind: .spatial(graph: graph.name, turns: turns, shiftedCount: shiftedCount)))
                }
                i = j
                break
            }
        }
        return matches
    }
}
