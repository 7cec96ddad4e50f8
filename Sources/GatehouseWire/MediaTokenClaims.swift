import Foundation

/// The signed payload of a media access token (`v1.<payload>.<signature>`): the hub signs it, the media server
/// verifies it (docs/media-protocol.md). Decoding is lenient only where the protocol says so (`jti`, `own`, `sec`).
public struct MediaTokenClaims: Codable, Sendable, Equatable {
    /// Token type; must be `media`.
    public var typ: String
    /// Identifier of the hub key that signed the token.
    public var kid: String
    /// Audience: the server id of the one media server the token is for.
    public var aud: String
    /// Account id.
    public var sub: String
    /// Device id the token was issued to.
    public var dev: String
    /// Issued at, epoch seconds.
    public var iat: Int64
    /// Expires at, epoch seconds.
    public var exp: Int64
    /// Random token id.
    public var jti: String
    /// True for the server's owner, who sees every section.
    public var own: Bool
    /// Sections shared with a non-owner.
    public var sec: [String]
    /// Confirmation (RFC 9449 section 6.1): the thumbprint of the DPoP key the device is bound to. A token that
    /// carries it is accepted only with a proof signed by that key.
    public var cnf: Confirmation?
    /// The managed profile the token is for, with its restrictions (only in `media-profile` tokens).
    public var prf: Profile?

    /// The `prf` claim: a profile and what it may see. Every field but `id` is optional; an absent one restricts
    /// nothing, a present one is enforced on every item route.
    public struct Profile: Codable, Sendable, Equatable {
        public var id: String
        /// Content-rating ceiling on ``ContentRating``'s scale; unrated items and unknown ceilings pass nothing.
        public var max: String?
        /// Sections the profile may see (within what `own`/`sec` grant).
        public var sec: [String]?
        /// Allowed labels: when not empty, an item must carry one.
        public var lab: [String]?
        /// Blocked labels: an item carrying one is refused.
        public var blk: [String]?

        public init(id: String, max: String? = nil, sec: [String]? = nil, lab: [String]? = nil, blk: [String]? = nil) {
            self.id = id
            self.max = max
            self.sec = sec
            self.lab = lab
            self.blk = blk
        }

        /// The claim for a profile with these restrictions, as the hub writes it (sections sorted, empty label lists
        /// left out).
        public init(id: String, restrictions: ProfileRestrictions) {
            self.id = id
            self.max = restrictions.maxRating
            self.sec = restrictions.sections?.sorted()
            self.lab = restrictions.allowedLabels.isEmpty ? nil : restrictions.allowedLabels
            self.blk = restrictions.blockedLabels.isEmpty ? nil : restrictions.blockedLabels
        }

        /// The restrictions, as the hub and the media server both read them.
        public var restrictions: ProfileRestrictions {
            ProfileRestrictions(sections: sec, maxRating: max, allowedLabels: lab ?? [], blockedLabels: blk ?? [])
        }
    }

    /// The `typ` of a profile session's token.
    public static let profileType = "media-profile"

    /// The `cnf` claim. Only `jkt` is known; a `cnf` without it is refused (an unknown confirmation method must
    /// never be read as "no confirmation").
    public struct Confirmation: Codable, Sendable, Equatable {
        public var jkt: String
        public init(jkt: String) { self.jkt = jkt }
    }

    /// Creates claims (the hub when it signs a token; tests and benchmarks that stand in for it).
    public init(
        typ: String = "media", kid: String, aud: String, sub: String, dev: String,
        iat: Int64, exp: Int64, jti: String, own: Bool, sec: [String] = [], cnf: Confirmation? = nil,
        prf: Profile? = nil
    ) {
        self.cnf = cnf
        self.prf = prf
        self.typ = typ
        self.kid = kid
        self.aud = aud
        self.sub = sub
        self.dev = dev
        self.iat = iat
        self.exp = exp
        self.jti = jti
        self.own = own
        self.sec = sec
    }

    enum CodingKeys: String, CodingKey {
        case typ, kid, aud, sub, dev, iat, exp, jti, own, sec, cnf, prf
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        typ = try container.decode(String.self, forKey: .typ)
        kid = try container.decode(String.self, forKey: .kid)
        aud = try container.decode(String.self, forKey: .aud)
        sub = try container.decode(String.self, forKey: .sub)
        dev = try container.decode(String.self, forKey: .dev)
        iat = try container.decode(Int64.self, forKey: .iat)
        exp = try container.decode(Int64.self, forKey: .exp)
        jti = try container.decodeIfPresent(String.self, forKey: .jti) ?? ""
        own = try container.decodeIfPresent(Bool.self, forKey: .own) ?? false
        sec = try container.decodeIfPresent([String].self, forKey: .sec) ?? []
        cnf = try container.decodeIfPresent(Confirmation.self, forKey: .cnf)
        prf = try container.decodeIfPresent(Profile.self, forKey: .prf)
    }
}
