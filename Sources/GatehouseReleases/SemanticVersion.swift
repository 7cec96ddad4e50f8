/// A release version `MAJOR.MINOR.PATCH` with an optional pre-release tag (`1.4.2`, `2.0.0-beta.1`), ordered as
/// Semantic Versioning orders them (a pre-release sorts before its release; tags compare field by field).
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public let major: Int
    public let minor: Int
    public let patch: Int
    public let prerelease: [String]

    public init(major: Int, minor: Int, patch: Int, prerelease: [String] = []) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
    }

    /// Parses `1.2.3` or `1.2.3-rc.1` (a leading `v` is allowed); nil for anything else.
    public init?(_ text: String) {
        var text = Substring(text)
        if text.hasPrefix("v") { text = text.dropFirst() }
        let dash = text.firstIndex(of: "-")
        let core = dash.map { text[..<$0] } ?? text
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, text.count <= 64 else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 9, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let number = Int(part), part == "0" || !part.hasPrefix("0")
            else { return nil }
            numbers.append(number)
        }
        var tags: [String] = []
        if let dash {
            tags = text[text.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false).map(
                String.init)
            guard !tags.isEmpty,
                tags.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } })
            else { return nil }
        }
        self.init(major: numbers[0], minor: numbers[1], patch: numbers[2], prerelease: tags)
    }

    public var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.isEmpty ? "" : "-" + prerelease.joined(separator: "."))
    }

    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        if (lhs.major, lhs.minor, lhs.patch) != (rhs.major, rhs.minor, rhs.patch) {
            return (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
        }
        if lhs.prerelease.isEmpty || rhs.prerelease.isEmpty { return !lhs.prerelease.isEmpty && rhs.prerelease.isEmpty }
        for (left, right) in zip(lhs.prerelease, rhs.prerelease) where left != right {
            switch (Int(left), Int(right)) {
            case (let l?, let r?): return l < r
            case (.some, nil): return true
            case (nil, .some): return false
            default: return left < right
            }
        }
        return lhs.prerelease.count < rhs.prerelease.count
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let version = SemanticVersion(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a version"))
        }
        self = version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A set of versions an advisory affects: comparators joined by commas or spaces, all of which must hold
/// (`>=1.0.0, <1.4.2`), or `*` for every version.
public struct VersionRange: Sendable, Hashable, CustomStringConvertible {
    public enum Comparator: String, Sendable, Hashable, CaseIterable {
        case lessOrEqual = "<="
        case greaterOrEqual = ">="
        case less = "<"
        case greater = ">"
        case equal = "="
    }

    public let clauses: [(Comparator, SemanticVersion)]
    public let description: String

    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        description = trimmed
        if trimmed == "*" {
            clauses = []
            return
        }
        var parsed: [(Comparator, SemanticVersion)] = []
        for token in trimmed.split(whereSeparator: { $0 == "," || $0 == " " }) where !token.isEmpty {
            guard let comparator = Comparator.allCases.first(where: { token.hasPrefix($0.rawValue) }) else {
                guard let version = SemanticVersion(String(token)) else { return nil }
                parsed.append((.equal, version))
                continue
            }
            guard let version = SemanticVersion(String(token.dropFirst(comparator.rawValue.count))) else { return nil }
            parsed.append((comparator, version))
        }
        guard !parsed.isEmpty else { return nil }
        clauses = parsed
    }

    public func contains(_ version: SemanticVersion) -> Bool {
        clauses.allSatisfy { comparator, bound in
            switch comparator {
            case .less: version < bound
            case .lessOrEqual: version <= bound
            case .greater: version > bound
            case .greaterOrEqual: version >= bound
            case .equal: version == bound
            }
        }
    }

    public static func == (lhs: VersionRange, rhs: VersionRange) -> Bool { lhs.description == rhs.description }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return String(text)
    }
}

extension Set where Element == Character {
    static let whitespaces: Set<Character> = [" ", "\t"]
}
