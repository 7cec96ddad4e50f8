import Foundation
import GatehouseBasics
import Testing

@Suite("ConstantTime")
struct ConstantTimeTests {
    @Test("equal, different at the first, middle or last byte, different lengths, empty")
    func results() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([9, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 9, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(!ConstantTime.equals([], [0]))
        #expect(ConstantTime.equals([UInt8](), []))
        #expect(ConstantTime.equals("k1:abc", "k1:abc"))
        #expect(!ConstantTime.equals("k1:abc", "k1:abd"))
        #expect(!ConstantTime.equals("é", "e"))
        // Every single-bit difference anywhere is seen (the OR of the differences cannot cancel out).
        let base = (0..<64).map { UInt8($0) }
        for index in base.indices {
            for bit in 0..<8 {
                var other = base
                other[index] ^= 1 << bit
                #expect(!ConstantTime.equals(base, other))
            }
        }
    }

    /// An early-exit comparison returns at the first differing byte, so on 256 KiB inputs that differ in the first
    /// byte it is thousands of times faster than on equal inputs. The constant-time one visits every byte either way:
    /// the medians must be within a factor the noise of a shared machine cannot reach (an early exit would be far
    /// below it).
    @Test("time does not depend on where the inputs differ (no early exit)")
    func noEarlyExit() {
        let size = 256 * 1024
        let secret = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
        let same = secret
        var firstDiffers = secret
        firstDiffers[0] ^= 0xFF
        var lastDiffers = secret
        lastDiffers[size - 1] ^= 0xFF

        func median(_ other: [UInt8], expect expected: Bool) -> Double {
            var samples: [Double] = []
            for _ in 0..<31 {
                let clock = ContinuousClock()
                var result = false
                let elapsed = clock.measure { result = ConstantTime.equals(secret, other) }
                #expect(result == expected)
                samples.append(Double(elapsed.components.attoseconds) / 1e9 + Double(elapsed.components.seconds) * 1e9)
            }
            return samples.sorted()[samples.count / 2]
        }
        // Warm up (page faults, caches) before measuring.
        _ = ConstantTime.equals(secret, same)
        let equal = median(same, expect: true)
        let first = median(firstDiffers, expect: false)
        let last = median(lastDiffers, expect: false)
        #expect(first > equal / 4, "difference at byte 0: \(first) ns vs equal inputs: \(equal) ns")
        #expect(first > last / 4, "difference at byte 0: \(first) ns vs at the last byte: \(last) ns")
    }
}
