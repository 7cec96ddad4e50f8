import Foundation
import Testing

@testable import WebAuthn

@Suite("Attestation certificates (minimal DER reader)")
struct DERTests {
    /// A packed-attestation leaf made with Python's cryptography package: C=DE, O=Gatehouse Test,
    /// OU=Authenticator Attestation, CN=Soft; CA:false; AAGUID 000102...0f; valid 2026-01-01 to 2051-01-01
    /// (UTCTime, then GeneralizedTime); P-256 key; signed by a throwaway root.
    static let leaf = bytes(
        "3082019330820138a00302010202021092300a06082a8648ce3d04030230143112301006035504030c095465737420526f6f743020170d3236303130313030303030305a180f32303531303130313030303030305a3059310b300906035504061302444531173015060355040a0c0e47617465686f757365205465737431223020060355040b0c1941757468656e74696361746f72204174746573746174696f6e310d300b06035504030c04536f66743059301306072a8648ce3d020106082a8648ce3d03010703420004c0f5ce2866231d0c13e7666ff787f6250a16912368f803d11e0ff90827880592df1d7473a6ae78f4eeb351f583fa1b741a147345bab3401cd3f33ad9ead10440a3333031300c0603551d130101ff040230003021060b2b0601040182e51c01010404120410000102030405060708090a0b0c0d0e0f300a06082a8648ce3d0403020349003046022100cc3a27c27683583e36e6313da81cf959cf242d7381c426eee6962cae88a94787022100cfb29ebeebcc76ea754a3ccf0932f54f8d00e791415d09279df41f431252479f"
    )

    @Test func parsesTheFieldsPackedAttestationChecks() throws {
        let cert = try AttestationCertificate(der: Self.leaf)
        #expect(cert.version == 2)
        #expect(cert.isCA == false)
        #expect(cert.notBefore == 1_767_225_600)
        #expect(cert.notAfter == 2_556_144_000)
        #expect(cert.spkiAlgorithmOID == AttestationCertificate.oidECPublicKey)
        #expect(cert.signatureAlgorithmOID == AttestationCertificate.oidECDSAWithSHA256)
        #expect(cert.subjectAttributes.map(\.value) == ["DE", "Gatehouse Test", "Authenticator Attestation", "Soft"])
        let aaguid = try #require(cert.extensions.first { $0.oid == AttestationCertificate.oidFIDOAAGUID })
        #expect(aaguid.value == [0x04, 0x10] + Array(0..<16))
        #expect(!aaguid.critical)
        _ = try COSEPublicKey(spki: cert.spki, algorithm: .es256)
    }

    @Test func refusesTrailingAndTruncatedCertificates() {
        #expect(throws: DERReader.Malformed.self) { try AttestationCertificate(der: Self.leaf + [0]) }
        #expect(throws: DERReader.Malformed.self) { try AttestationCertificate(der: Array(Self.leaf.dropLast())) }
        // A long-form length that fits the short form is not DER.
        var nonMinimal = DERReader([0x04, 0x81, 0x01, 0xAA][...])
        #expect(throws: DERReader.Malformed.self) { try nonMinimal.read() }
    }

    @Test func mutatedCertificatesNeverCrash() {
        var rng = SplitMix64(state: 0x6465_7266_757A_7A21)
        var parsed = 0
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<20_000 {
            var input = Self.leaf
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let i = Int.random(in: 0..<input.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: input[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                case 1: input[i] = UInt8.random(in: 0...255, using: &rng)
                default: input = Array(input.prefix(i))
                }
                if input.isEmpty { break }
            }
            if let cert = try? AttestationCertificate(der: input) {
                parsed += 1
                _ = try? COSEPublicKey(spki: cert.spki, algorithm: .es256)
            }
        }
        #expect(parsed > 0)
        #expect(clock.now - start < .seconds(60))
    }
}
