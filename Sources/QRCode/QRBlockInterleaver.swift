/// Splits data codewords into Reed-Solomon blocks, adds each block's error correction, and interleaves
/// the result into the final codeword sequence (ISO/IEC 18004 section 7.6).
enum QRBlockInterleaver {
    static func finalCodewords(data: [UInt8], version: Int, correction: QRCode.ErrorCorrection) -> [UInt8] {
        let blockCount = QRVersionTable.blockCount(version: version, correction: correction)
        let ecLength = QRVersionTable.ecCodewordsPerBlock(version: version, correction: correction)
        let total = QRVersionTable.totalCodewords(version: version)
        // Blocks differ by at most one data codeword; the shorter ones come first.
        let longBlocks = total % blockCount
        let shortBlocks = blockCount - longBlocks
        let shortDataLength = total / blockCount - ecLength
        let coder = ReedSolomon(degree: ecLength)

        var dataBlocks: [ArraySlice<UInt8>] = []
        var ecBlocks: [[UInt8]] = []
        var start = data.startIndex
        for index in 0..<blockCount {
            let length = shortDataLength + (index < shortBlocks ? 0 : 1)
            let block = data[start..<(start + length)]
            start += length
            dataBlocks.append(block)
            ecBlocks.append(coder.remainder(of: block))
        }

        var result: [UInt8] = []
        result.reserveCapacity(total)
        for column in 0...shortDataLength {
            for block in dataBlocks where column < block.count {
                result.append(block[block.startIndex + column])
            }
        }
        for column in 0..<ecLength {
            for block in ecBlocks {
                result.append(block[column])
            }
        }
        return result
    }
}
