/// Rotations of four 64-bit words by the amounts BLAKE2b uses.
///
/// Written as shuffles and shift pairs on purpose: LLVM turns the textbook `(x >> n) | (x << (64 - n))` on
/// these vectors into four scalar rotates plus moves, which costs more than the whole rest of the round.
extension SIMD4 where Scalar == UInt64 {
    @inline(__always)
    func rotatedRight32() -> Self {
        let w = unsafeBitCast(self, to: SIMD8<UInt32>.self)
        return unsafeBitCast(SIMD8<UInt32>(w[1], w[0], w[3], w[2], w[5], w[4], w[7], w[6]), to: Self.self)
    }

    @inline(__always)
    func rotatedRight24() -> Self {
        // Addition of the two disjoint halves keeps the rotate pattern from being recognised.
        (self &>> 24) &+ (self &<< 40)
    }

    @inline(__always)
    func rotatedRight16() -> Self {
        let w = unsafeBitCast(self, to: SIMD16<UInt16>.self)
        return unsafeBitCast(
            SIMD16<UInt16>(
                w[1], w[2], w[3], w[0], w[5], w[6], w[7], w[4],
                w[9], w[10], w[11], w[8], w[13], w[14], w[15], w[12]),
            to: Self.self)
    }

    @inline(__always)
    func rotatedRight63() -> Self {
        (self &+ self) | (self &>> 63)
    }
}
