/// A minimal strict DER reader: enough of X.509 to check a packed attestation leaf certificate and its chain.
struct DERReader {
    struct Element {
        let tag: UInt8
        /// The content octets.
        let content: ArraySlice<UInt8>
        /// The whole TLV (what a signature covers for tbsCertificate).
        let full: ArraySlice<UInt8>
    }

    struct Malformed: Error {}

    private let bytes: [UInt8]
    private(set) var position: Int
    private let end: Int

    init(_ slice: ArraySlice<UInt8>) {
        bytes = Array(slice)
        position = 0
        end = bytes.count
    }

    var isAtEnd: Bool { position == end }

    func peekTag() -> UInt8? { position < end ? bytes[position] : nil }

    /// Reads one element; single-byte tags only, definite minimal lengths only.
    mutating func read() throws(Malformed) -> Element {
        let start = position
        guard position + 2 <= end else { throw Malformed() }
        let tag = bytes[position]
        guard tag & 0x1F != 0x1F else { throw Malformed() }
        var length = Int(bytes[position + 1])
        position += 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count >= 1, count <= 3, position + count <= end else { throw Malformed() }
            length = 0
            for i in 0..<count { length = (length << 8) | Int(bytes[position + i]) }
            guard bytes[position] != 0, length >= 128 else { throw Malformed() }
            position += count
        }
        guard length <= end - position else { throw Malformed() }
        let content = bytes[position..<(position + length)]
        position += length
        return Element(tag: tag, content: content, full: bytes[start..<position])
    }

    mutating func read(tag: UInt8) throws(Malformed) -> Element {
        let e = try read()
        guard e.tag == tag else { throw Malformed() }
        return e
    }
}

/// The fields of an X.509 v3 certificate that packed attestation needs.
struct AttestationCertificate {
    let tbs: [UInt8]
    let signatureAlgorithmOID: [UInt8]
    let signature: [UInt8]
    let version: Int
    let issuer: [UInt8]
    let subject: [UInt8]
    let subjectAttributes: [(oid: [UInt8], value: String)]
    let notBefore: Int64
    let notAfter: Int64
    let spki: [UInt8]
    let spkiAlgorithmOID: [UInt8]
    let isCA: Bool?
    let extensions: [(oid: [UInt8], critical: Bool, value: [UInt8])]

    static let oidCountry: [UInt8] = [0x55, 0x04, 0x06]
    static let oidOrganization: [UInt8] = [0x55, 0x04, 0x0A]
    static let oidOrganizationalUnit: [UInt8] = [0x55, 0x04, 0x0B]
    static let oidCommonName: [UInt8] = [0x55, 0x04, 0x03]
    static let oidBasicConstraints: [UInt8] = [0x55, 0x1D, 0x13]
    /// id-fido-gen-ce-aaguid, 1.3.6.1.4.1.45724.1.1.4
    static let oidFIDOAAGUID: [UInt8] = [0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0xE5, 0x1C, 0x01, 0x01, 0x04]
    static let oidECPublicKey: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01]
    static let oidRSAEncryption: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
    static let oidEd25519: [UInt8] = [0x2B, 0x65, 0x70]
    static let oidECDSAWithSHA256: [UInt8] = [0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02]
    static let oidSHA256WithRSA: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B]

    init(der: [UInt8]) throws(DERReader.Malformed) {
        var outer = DERReader(der[...])
        let certificate = try outer.read(tag: 0x30)
        guard outer.isAtEnd else { throw DERReader.Malformed() }
        var cert = DERReader(certificate.content)
        let tbsElement = try cert.read(tag: 0x30)
        var sigAlg = DERReader(try cert.read(tag: 0x30).content)
        signatureAlgorithmOID = Array(try sigAlg.read(tag: 0x06).content)
        let sigBits = try cert.read(tag: 0x03)
        guard cert.isAtEnd, sigBits.content.first == 0 else { throw DERReader.Malformed() }
        signature = Array(sigBits.content.dropFirst())
        tbs = Array(tbsElement.full)

        var t = DERReader(tbsElement.content)
        var v = 0
        if t.peekTag() == 0xA0 {
            var explicit = DERReader(try t.read().content)
            let versionInt = try explicit.read(tag: 0x02)
            guard versionInt.content.count == 1, let byte = versionInt.content.first else {
                throw DERReader.Malformed()
            }
            v = Int(byte)
        }
        version = v
        _ = try t.read(tag: 0x02)  // serialNumber
        _ = try t.read(tag: 0x30)  // signature AlgorithmIdentifier
        issuer = Array(try t.read(tag: 0x30).full)
        var validity = DERReader(try t.read(tag: 0x30).content)
        notBefore = try Self.time(try validity.read())
        notAfter = try Self.time(try validity.read())
        let subjectElement = try t.read(tag: 0x30)
        subject = Array(subjectElement.full)
        var attributes: [(oid: [UInt8], value: String)] = []
        var rdns = DERReader(subjectElement.content)
        while !rdns.isAtEnd {
            var set = DERReader(try rdns.read(tag: 0x31).content)
            while !set.isAtEnd {
                var atv = DERReader(try set.read(tag: 0x30).content)
                let oid = Array(try atv.read(tag: 0x06).content)
                let value = try atv.read()
                // UTF8String, PrintableString, IA5String, TeletexString
                guard [0x0C, 0x13, 0x16, 0x14].contains(value.tag) else { throw DERReader.Malformed() }
                attributes.append((oid, String(decoding: value.content, as: UTF8.self)))
            }
        }
        subjectAttributes = attributes
        let spkiElement = try t.read(tag: 0x30)
        spki = Array(spkiElement.full)
        var spkiReader = DERReader(spkiElement.content)
        var spkiAlg = DERReader(try spkiReader.read(tag: 0x30).content)
        spkiAlgorithmOID = Array(try spkiAlg.read(tag: 0x06).content)

        var exts: [(oid: [UInt8], critical: Bool, value: [UInt8])] = []
        var ca: Bool?
        while let tag = t.peekTag() {
            let element = try t.read()
            guard tag == 0xA3 else { continue }  // issuerUniqueID / subjectUniqueID are skipped
            var wrapper = DERReader(element.content)
            var list = DERReader(try wrapper.read(tag: 0x30).content)
            while !list.isAtEnd {
                var ext = DERReader(try list.read(tag: 0x30).content)
                let oid = Array(try ext.read(tag: 0x06).content)
                var critical = false
                if ext.peekTag() == 0x01 {
                    let b = try ext.read()
                    guard b.content.count == 1, let flag = b.content.first, flag == 0xFF || flag == 0 else {
                        throw DERReader.Malformed()
                    }
                    critical = flag == 0xFF
                }
                let value = Array(try ext.read(tag: 0x04).content)
                guard ext.isAtEnd, !exts.contains(where: { $0.oid == oid }) else { throw DERReader.Malformed() }
                if oid == Self.oidBasicConstraints {
                    var bcOuter = DERReader(value[...])
                    var bc = DERReader(try bcOuter.read(tag: 0x30).content)
                    var isCA = false
                    if bc.peekTag() == 0x01 {
                        let b = try bc.read()
                        isCA = b.content.first == 0xFF
                    }
                    ca = isCA
                }
                exts.append((oid, critical, value))
            }
        }
        extensions = exts
        isCA = ca
    }

    /// UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ) as seconds since 1970.
    static func time(_ element: DERReader.Element) throws(DERReader.Malformed) -> Int64 {
        let digits = Array(element.content)
        guard digits.last == UInt8(ascii: "Z") else { throw DERReader.Malformed() }
        let body = digits.dropLast()
        guard body.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw DERReader.Malformed() }
        let values = body.map { Int64($0 - 0x30) }
        func number(_ from: Int, _ count: Int) -> Int64 {
            values[from..<(from + count)].reduce(0) { $0 * 10 + $1 }
        }
        var year: Int64
        var rest: Int
        if element.tag == 0x17, values.count == 12 {
            year = number(0, 2)
            year += year < 50 ? 2000 : 1900
            rest = 2
        } else if element.tag == 0x18, values.count == 14 {
            year = number(0, 4)
            rest = 4
        } else {
            throw DERReader.Malformed()
        }
        let month = number(rest, 2), day = number(rest + 2, 2)
        let hour = number(rest + 4, 2), minute = number(rest + 6, 2), second = number(rest + 8, 2)
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else {
            throw DERReader.Malformed()
        }
        // Days from civil date (proleptic Gregorian), after H. Hinnant's algorithm.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        return days * 86400 + hour * 3600 + minute * 60 + second
    }
}
