/// The Argon2 compression function G on 1 KiB blocks, in SIMD over four 64-bit words at a time.
///
/// The hot loop of Argon2 is this function: it works on raw pointers into 64-byte aligned memory and keeps
/// its 2 KiB of state in a caller-provided scratch area, so it allocates nothing and touches no reference.
enum BlockCompressor {
    typealias Quad = SIMD4<UInt64>
    typealias Pair = SIMD2<UInt64>

    /// out = G(x, y), or out ^= G(x, y) when `xorInto` (version 0x13 after the first pass).
    /// `scratch` must hold one block (1 KiB), 32-byte aligned; `out` may be `y` when not `xorInto`.
    @inline(__always)
    static func compress(
        _ x: UnsafeRawPointer, _ y: UnsafeRawPointer, into out: UnsafeMutableRawPointer, xorInto: Bool,
        scratch: UnsafeMutableRawPointer
    ) {
        let state = scratch
        for k in 0..<32 {
            let r = x.load(fromByteOffset: 32 * k, as: Quad.self) ^ y.load(fromByteOffset: 32 * k, as: Quad.self)
            state.storeBytes(of: r, toByteOffset: 32 * k, as: Quad.self)
        }
        permuteRows(state)
        permuteColumns(state)
        // R = x ^ y is recomputed rather than saved: both blocks are still in L1, and it saves 1 KiB of stores.
        if xorInto {
            for k in 0..<32 {
                let r = x.load(fromByteOffset: 32 * k, as: Quad.self) ^ y.load(fromByteOffset: 32 * k, as: Quad.self)
                let z = state.load(fromByteOffset: 32 * k, as: Quad.self) ^ r
                out.storeBytes(of: z ^ out.load(fromByteOffset: 32 * k, as: Quad.self), toByteOffset: 32 * k,
                               as: Quad.self)
            }
        } else {
            for k in 0..<32 {
                let r = x.load(fromByteOffset: 32 * k, as: Quad.self) ^ y.load(fromByteOffset: 32 * k, as: Quad.self)
                out.storeBytes(of: state.load(fromByteOffset: 32 * k, as: Quad.self) ^ r, toByteOffset: 32 * k,
                               as: Quad.self)
            }
        }
    }

    /// Applies P to each row: words 16i...16i+15 form the 4x4 matrix of one BLAKE2b round.
    @inline(__always)
    static func permuteRows(_ state: UnsafeMutableRawPointer) {
        for row in 0..<8 {
            let base = 128 * row
            var a = state.load(fromByteOffset: base, as: Quad.self)
            var b = state.load(fromByteOffset: base + 32, as: Quad.self)
            var c = state.load(fromByteOffset: base + 64, as: Quad.self)
            var d = state.load(fromByteOffset: base + 96, as: Quad.self)
            round(&a, &b, &c, &d)
            state.storeBytes(of: a, toByteOffset: base, as: Quad.self)
            state.storeBytes(of: b, toByteOffset: base + 32, as: Quad.self)
            state.storeBytes(of: c, toByteOffset: base + 64, as: Quad.self)
            state.storeBytes(of: d, toByteOffset: base + 96, as: Quad.self)
        }
    }

    /// Applies P to each column: word pair i of every row (words 2i, 2i+1, 2i+16, 2i+17, ...).
    @inline(__always)
    static func permuteColumns(_ state: UnsafeMutableRawPointer) {
        for column in 0..<8 {
            let base = 16 * column
            var a = Quad(lowHalf: state.load(fromByteOffset: base, as: Pair.self),
                         highHalf: state.load(fromByteOffset: base + 128, as: Pair.self))
            var b = Quad(lowHalf: state.load(fromByteOffset: base + 256, as: Pair.self),
                         highHalf: state.load(fromByteOffset: base + 384, as: Pair.self))
            var c = Quad(lowHalf: state.load(fromByteOffset: base + 512, as: Pair.self),
                         highHalf: state.load(fromByteOffset: base + 640, as: Pair.self))
            var d = Quad(lowHalf: state.load(fromByteOffset: base + 768, as: Pair.self),
                         highHalf: state.load(fromByteOffset: base + 896, as: Pair.self))
            round(&a, &b, &c, &d)
            state.storeBytes(of: a.lowHalf, toByteOffset: base, as: Pair.self)
            state.storeBytes(of: a.highHalf, toByteOffset: base + 128, as: Pair.self)
            state.storeBytes(of: b.lowHalf, toByteOffset: base + 256, as: Pair.self)
            state.storeBytes(of: b.highHalf, toByteOffset: base + 384, as: Pair.self)
            state.storeBytes(of: c.lowHalf, toByteOffset: base + 512, as: Pair.self)
            state.storeBytes(of: c.highHalf, toByteOffset: base + 640, as: Pair.self)
            state.storeBytes(of: d.lowHalf, toByteOffset: base + 768, as: Pair.self)
            state.storeBytes(of: d.highHalf, toByteOffset: base + 896, as: Pair.self)
        }
    }

    /// One BLAKE2b round without message on a 4x4 matrix held as rows a, b, c, d: columns, then diagonals.
    @inline(__always)
    static func round(_ a: inout Quad, _ b: inout Quad, _ c: inout Quad, _ d: inout Quad) {
        mix(&a, &b, &c, &d)
        b = Quad(b[1], b[2], b[3], b[0])
        c = Quad(c[2], c[3], c[0], c[1])
        d = Quad(d[3], d[0], d[1], d[2])
        mix(&a, &b, &c, &d)
        b = Quad(b[3], b[0], b[1], b[2])
        c = Quad(c[2], c[3], c[0], c[1])
        d = Quad(d[1], d[2], d[3], d[0])
    }

    /// GB of RFC 9106: BLAKE2b's G with the additions hardened by 2 * low32(x) * low32(y).
    @inline(__always)
    static func mix(_ a: inout Quad, _ b: inout Quad, _ c: inout Quad, _ d: inout Quad) {
        a = blaMka(a, b)
        d = (d ^ a).rotatedRight32()
        c = blaMka(c, d)
        b = (b ^ c).rotatedRight24()
        a = blaMka(a, b)
        d = (d ^ a).rotatedRight16()
        c = blaMka(c, d)
        b = (b ^ c).rotatedRight63()
    }

    @inline(__always)
    static func blaMka(_ x: Quad, _ y: Quad) -> Quad {
        let low = Quad(repeating: 0xFFFF_FFFF)
        let product = (x & low) &* (y & low)
        return x &+ y &+ (product &+ product)
    }
}
