import Testing

@testable import QRCode

@Suite struct QRVersionTableTests {
    /// Byte-mode capacities from ISO/IEC 18004 Table 7 (versions 27 and 32 checked against python-qrcode's block
    /// tables), by version: (low, medium, quartile, high).
    static let publishedCapacities: [Int: [Int]] = [
        1: [17, 14, 11, 7],
        2: [32, 26, 20, 14],
        5: [106, 84, 60, 44],
        7: [154, 122, 86, 64],
        10: [271, 213, 151, 119],
        15: [520, 412, 292, 220],
        20: [858, 666, 482, 382],
        27: [1465, 1125, 805, 625],
        32: [1952, 1538, 1112, 842],
        40: [2953, 2331, 1663, 1273],
    ]

    @Test(arguments: publishedCapacities.keys.sorted())
    func byteCapacityMatchesTheStandard(version: Int) {
        let capacities = QRCode.ErrorCorrection.allCases.map { QRCode.byteCapacity(version: version, correction: $0) }
        #expect(capacities == Self.publishedCapacities[version])
    }

    @Test func totalCodewordsMatchTheStandard() {
        // ISO/IEC 18004 Table 1.
        let published = [1: 26, 2: 44, 6: 172, 7: 196, 14: 581, 21: 1156, 33: 2611, 40: 3706]
        for (version, total) in published {
            #expect(QRVersionTable.totalCodewords(version: version) == total, "version \(version)")
        }
    }

    @Test(arguments: QRCode.versions)
    func blocksAreConsistent(version: Int) {
        for correction in QRCode.ErrorCorrection.allCases {
            let blocks = QRVersionTable.blockCount(version: version, correction: correction)
            let total = QRVersionTable.totalCodewords(version: version)
            let data = QRVersionTable.dataCodewords(version: version, correction: correction)
            // Every block holds data; block lengths differ by at most one; capacity grows with the version.
            #expect(data >= blocks)
            #expect(total % blocks < blocks)
            if version > 1 {
                #expect(data > QRVersionTable.dataCodewords(version: version - 1, correction: correction))
            }
        }
        // Stronger correction always leaves less room for data.
        let byLevel = QRCode.ErrorCorrection.allCases.map {
            QRVersionTable.dataCodewords(version: version, correction: $0)
        }
        #expect(byLevel == byLevel.sorted(by: >))
    }

    @Test(arguments: QRCode.versions)
    func alignmentPositionsAreEvenlySpacedToTheCorner(version: Int) {
        let positions = QRVersionTable.alignmentPositions(version: version)
        guard version > 1 else {
            #expect(positions.isEmpty)
            return
        }
        #expect(positions.count == version / 7 + 2)
        #expect(positions.first == 6)
        #expect(positions.last == QRVersionTable.size(version: version) - 7)
        let steps = Set(zip(positions.dropFirst(2), positions.dropFirst().dropLast()).map { $0 - $1 })
        #expect(steps.count <= 1 && steps.allSatisfy { $0 % 2 == 0 })
    }

    @Test func alignmentPositionsMatchAnnexE() {
        #expect(QRVersionTable.alignmentPositions(version: 2) == [6, 18])
        #expect(QRVersionTable.alignmentPositions(version: 7) == [6, 22, 38])
        #expect(QRVersionTable.alignmentPositions(version: 32) == [6, 34, 60, 86, 112, 138])
        #expect(QRVersionTable.alignmentPositions(version: 40) == [6, 30, 58, 86, 114, 142, 170])
    }
}
