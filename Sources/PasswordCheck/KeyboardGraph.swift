/// Key adjacency on a keyboard layout, for spotting keyboard walks such as `qwerty` or `zxcvbn` or `7896`.
///
/// Built from a picture of the layout: each key is a token of its characters (unshifted first). On a slanted
/// (typewriter) layout each row sits half a key right of the one above, so a key has six neighbours; on an aligned
/// keypad it has eight. Neighbours are listed in a fixed direction order, so a change of index is a turn.
struct KeyboardGraph: Sendable {
    enum Name: String, Sendable, CaseIterable {
        case qwerty, dvorak, keypad
        case macKeypad = "mac_keypad"
    }

    let name: Name
    /// For each character, its neighbouring keys in direction order (nil where there is no key).
    let adjacency: [Unicode.Scalar: [[Unicode.Scalar]?]]
    /// Whether shifted characters count (typewriter layouts) or the keys are single characters (keypads).
    let isKeyboard: Bool

    init(name: Name, layout: String, slanted: Bool) {
        self.name = name
        isKeyboard = slanted
        var positions: [Position: [Unicode.Scalar]] = [:]
        let lines = layout.split(separator: "\n", omittingEmptySubsequences: false)
        let tokenWidth = layout.split(whereSeparator: { $0 == " " || $0 == "\n" }).first?.count ?? 1
        for (row, line) in lines.enumerated() {
            let slant = slanted ? row - 1 : 0
            let scalars = Array(line.unicodeScalars)
            var column = 0
            while column < scalars.count {
                if scalars[column] == " " {
                    column += 1
                    continue
                }
                let token = Array(scalars[column..<min(scalars.count, column + tokenWidth)])
                positions[Position(x: (column - slant) / (tokenWidth + 1), y: row)] = token
                column += tokenWidth
            }
        }
        var adjacency: [Unicode.Scalar: [[Unicode.Scalar]?]] = [:]
        for (position, token) in positions {
            let neighbours = Self.neighbourPositions(of: position, slanted: slanted).map { positions[$0] }
            for character in token {
                adjacency[character] = neighbours
            }
        }
        self.adjacency = adjacency
    }

    private struct Position: Hashable {
        var x: Int
        var y: Int
    }

    private static func neighbourPositions(of position: Position, slanted: Bool) -> [Position] {
        let (x, y) = (position.x, position.y)
        let offsets: [(Int, Int)] =
            slanted
            ? [(-1, 0), (0, -1), (1, -1), (1, 0), (0, 1), (-1, 1)]
            : [(-1, 0), (-1, -1), (0, -1), (1, -1), (1, 0), (1, 1), (0, 1), (-1, 1)]
        return offsets.map { Position(x: x + $0.0, y: y + $0.1) }
    }

    /// The number of characters on the layout: the possible starting points of a walk.
    var startingPositions: Int { adjacency.count }

    /// The mean number of neighbouring keys per character.
    var averageDegree: Double {
        let total = adjacency.values.reduce(0) { $0 + $1.filter { $0 != nil }.count }
        return Double(total) / Double(adjacency.count)
    }

    static let qwerty = KeyboardGraph(
        name: .qwerty,
        layout: #"""

            `~ 1! 2@ 3# 4$ 5% 6^ 7& 8* 9( 0) -_ =+
                qQ wW eE rR tT yY uU iI oO pP [{ ]} \|
                 aA sS dD fF gG hH jJ kK lL ;: '"
                  zZ xX cC vV bB nN mM ,< .> /?
            """#,
        slanted: true)

    static let dvorak = KeyboardGraph(
        name: .dvorak,
        layout: #"""

            `~ 1! 2@ 3# 4$ 5% 6^ 7& 8* 9( 0) [{ ]}
                '" ,< .> pP yY fF gG cC rR lL /? =+ \|
                 aA oO eE uU iI dD hH tT nN sS -_
                  ;: qQ jJ kK xX bB mM wW vV zZ
            """#,
        slanted: true)

    static let keypad = KeyboardGraph(
        name: .keypad,
        layout: """

              / * -
            7 8 9 +
            4 5 6
            1 2 3
              0 .
            """,
        slanted: false)

    static let macKeypad = KeyboardGraph(
        name: .macKeypad,
        layout: """

              = / *
            7 8 9 -
            4 5 6 +
            1 2 3
              0 .
            """,
        slanted: false)

    static let all: [KeyboardGraph] = [qwerty, dvorak, keypad, macKeypad]
}
