/// Adler-32, the checksum that closes a zlib stream (RFC 1950 section 8).
enum Adler32 {
    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        let modulus: UInt32 = 65521
        var low: UInt32 = 1
        var high: UInt32 = 0
        var pending = 0
        for byte in bytes {
            low += UInt32(byte)
            high += low
            pending += 1
            // 5552 bytes is the most that can be summed before `high` could overflow 32 bits.
            if pending == 5552 {
                low %= modulus
                high %= modulus
                pending = 0
            }
        }
        return (high % modulus) << 16 | (low % modulus)
    }
}
