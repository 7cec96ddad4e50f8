/// The ranked word lists the estimator matches against: the files `Embedded/NAME.txt` of this target (one word a
/// line, most frequent first), embedded in the code by the EmbedText build-tool plugin, so no bundle lookup is needed.
///
/// Taken from the zxcvbn project's frequency lists (MIT licence; see Resources/NOTICE): the 30,000 most common
/// passwords, 30,000 English Wikipedia words, 19,160 words from US television and film, 10,000 US surnames, and
/// US census first names. Rank 1 is the most frequent entry.
enum FrequencyLists {
    /// The name of a ranked list; the order is the order zxcvbn matches them in.
    enum Name: String, CaseIterable, Sendable {
        case passwords
        case englishWikipedia = "english_wikipedia"
        case femaleNames = "female_names"
        case surnames
        case usTVAndFilm = "us_tv_and_film"
        case maleNames = "male_names"
        case userInputs = "user_inputs"
    }

    /// A word's rank in one list.
    struct Entry: Sendable {
        var list: Name
        var rank: Int
    }

    /// Every bundled word, lower-case, with its rank in each list that holds it (in ``Name`` order).
    static let ranked: [String: [Entry]] = {
        var table: [String: [Entry]] = [:]
        table.reserveCapacity(100_000)
        let lists: [(Name, String)] = [
            (.passwords, EmbeddedText.passwordsTxt), (.englishWikipedia, EmbeddedText.englishWikipediaTxt),
            (.femaleNames, EmbeddedText.femaleNamesTxt), (.surnames, EmbeddedText.surnamesTxt),
            (.usTVAndFilm, EmbeddedText.usTvAndFilmTxt), (.maleNames, EmbeddedText.maleNamesTxt),
        ]
        for (name, text) in lists {
            for (offset, word) in text.split(separator: "\n").enumerated() {
                table[String(word), default: []].append(Entry(list: name, rank: offset + 1))
            }
        }
        return table
    }()

    /// The length in characters of the longest bundled word; longer substrings need no lookup.
    static let longestWord: Int = ranked.keys.reduce(0) { max($0, $1.unicodeScalars.count) }

    /// Every pair and every triple of adjacent scalars found in a bundled word: a substring holding any other pair
    /// or triple cannot be a bundled word, and neither can a longer substring around it.
    static let adjacentScalars: AdjacentScalars = {
        var adjacent = AdjacentScalars()
        for word in ranked.keys { adjacent.insert(contentsOf: Array(word.unicodeScalars)) }
        return adjacent
    }()

    /// The lower-case common passwords, for the policy's "common password" rule.
    static let commonPasswords: Set<String> = Set(EmbeddedText.passwordsTxt.split(separator: "\n").map(String.init))
}

/// Pairs and triples of adjacent Unicode scalars, each packed into one integer (a scalar value takes 21 bits).
struct AdjacentScalars: Sendable {
    private(set) var pairs = Set<UInt64>()
    private(set) var triples = Set<UInt64>()

    static func pair(_ first: Unicode.Scalar, _ second: Unicode.Scalar) -> UInt64 {
        UInt64(first.value) << 21 | UInt64(second.value)
    }

    static func triple(_ first: Unicode.Scalar, _ second: Unicode.Scalar, _ third: Unicode.Scalar) -> UInt64 {
        pair(first, second) << 21 | UInt64(third.value)
    }

    mutating func insert(contentsOf word: [Unicode.Scalar]) {
        for index in word.indices.dropLast() {
            pairs.insert(Self.pair(word[index], word[index + 1]))
            if index + 2 < word.count {
                triples.insert(Self.triple(word[index], word[index + 1], word[index + 2]))
            }
        }
    }
}
