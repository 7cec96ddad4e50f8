/// One Argon2 computation over caller-provided work memory (RFC 9106, section 3).
struct Argon2Instance {
    static let syncPoints = 4
    static let addressesPerBlock = 128

    let parameters: Argon2.Parameters
    let kernel: Argon2.Kernel
    let memory: UnsafeMutablePointer<UInt64>
    let lanes: Int
    let laneLength: Int
    let segmentLength: Int
    let blockCount: Int

    /// `memory` must hold at least `parameters.blockCount` blocks; parameters must be valid and `kernel`
    /// supported by this CPU.
    init(parameters: Argon2.Parameters, kernel: Argon2.Kernel, memory: UnsafeMutablePointer<UInt64>) {
        self.parameters = parameters
        self.kernel = kernel
        self.memory = memory
        lanes = parameters.parallelism
        blockCount = parameters.blockCount
        laneLength = blockCount / lanes
        segmentLength = laneLength / Self.syncPoints
    }

    /// Runs the whole function: H0, the first blocks, every pass, and the final hash.
    func computeTag(inputs: Inputs) -> [UInt8] {
        let h0 = initialHash(inputs)
        for lane in 0..<lanes {
            for column in 0..<2 {
                let block = Self.variableLengthHash(
                    h0 + Self.littleEndian(UInt32(column))
                        + Self.littleEndian(UInt32(lane)), length: WorkMemory.blockBytes)
                Self.storeBlock(block, into: blockPointer(lane * laneLength + column))
            }
        }
        fillMemory()
        var final = [UInt8](repeating: 0, count: WorkMemory.blockBytes)
        let finalWords = UnsafeMutablePointer<UInt64>.allocate(capacity: WorkMemory.wordsPerBlock)
        defer { finalWords.deallocate() }
        finalWords.update(from: blockPointer(laneLength - 1), count: WorkMemory.wordsPerBlock)
        for lane in 1..<lanes {
            let last = blockPointer(lane * laneLength + laneLength - 1)
            for word in 0..<WorkMemory.wordsPerBlock {
                finalWords[word] ^= last[word]
            }
        }
        for index in 0..<WorkMemory.blockBytes {
            final[index] = UInt8(truncatingIfNeeded: finalWords[index >> 3] >> UInt64((index & 7) * 8))
        }
        return Self.variableLengthHash(final, length: parameters.tagLength)
    }

    @inline(__always)
    func blockPointer(_ index: Int) -> UnsafeMutablePointer<UInt64> {
        memory + index * WorkMemory.wordsPerBlock
    }

    /// H0: BLAKE2b-512 over the parameters and every input, each framed by its length.
    func initialHash(_ inputs: Inputs) -> [UInt8] {
        // 64 is a valid BLAKE2b output length, so this cannot throw.
        guard var hasher = try? Blake2b(outputLength: 64) else {
            fatalError("BLAKE2b rejected its maximum output length")
        }
        for value in [
            parameters.parallelism, parameters.tagLength, parameters.memoryKiB, parameters.iterations,
            parameters.version.rawValue, parameters.variant.rawValue,
        ] {
            hasher.update(littleEndian: UInt32(truncatingIfNeeded: value))
        }
        for input in [inputs.password, inputs.salt, inputs.secret, inputs.associatedData] {
            hasher.update(littleEndian: UInt32(truncatingIfNeeded: input.count))
            hasher.update(input)
        }
        return hasher.finalize()
    }

    /// H' of RFC 9106 (section 3.3): BLAKE2b extended to any output length.
    static func variableLengthHash(_ input: [UInt8], length: Int) -> [UInt8] {
        let prefixed = littleEndian(UInt32(truncatingIfNeeded: length)) + input
        if length <= 64 {
            return blake2b(prefixed, length: length)
        }
        let r = (length + 31) / 32 - 2
        var output: [UInt8] = []
        output.reserveCapacity(length)
        var v = blake2b(prefixed, length: 64)
        output += v[0..<32]
        for _ in 1..<r {
            v = blake2b(v, length: 64)
            output += v[0..<32]
        }
        output += blake2b(v, length: length - 32 * r)
        return output
    }

    private static func blake2b(_ input: [UInt8], length: Int) -> [UInt8] {
        // Callers pass 1...64, which BLAKE2b always accepts.
        guard let digest = try? Blake2b.hash(input, outputLength: length) else {
            fatalError("BLAKE2b rejected an output length in 1...64")
        }
        return digest
    }

    static func littleEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    static func storeBlock(_ bytes: [UInt8], into block: UnsafeMutablePointer<UInt64>) {
        for word in 0..<WorkMemory.wordsPerBlock {
            var value: UInt64 = 0
            for byte in (0..<8).reversed() {
                value = (value << 8) | UInt64(bytes[8 * word + byte])
            }
            block[word] = value
        }
    }

    /// Every pass and slice; the lanes of one slice run in parallel, with a barrier between slices.
    func fillMemory() {
        ParallelRunner.run(maxThreads: min(lanes, ParallelRunner.processorCount)) { thread, threads, barrier in
            // Per thread: one block for the compression state, one zero, one address input, one address output.
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: 4 * WorkMemory.blockBytes, alignment: 64)
            defer { scratch.deallocate() }
            for pass in 0..<parameters.iterations {
                for slice in 0..<Self.syncPoints {
                    var lane = thread
                    while lane < lanes {
                        fillSegment(pass: pass, slice: slice, lane: lane, scratch: scratch)
                        lane += threads
                    }
                    barrier.wait()
                }
            }
        }
    }

    /// Computes one segment: the blocks of `lane` in `slice` during `pass`.
    func fillSegment(pass: Int, slice: Int, lane: Int, scratch: UnsafeMutableRawPointer) {
        let variant = parameters.variant
        let isDataIndependent = variant == .i || (variant == .id && pass == 0 && slice < 2)
        let xorInto = parameters.version == .v13 && pass > 0
        let kernel = kernel
        let compressionState = scratch
        let zero = (scratch + 1 * WorkMemory.blockBytes).bindMemory(to: UInt64.self, capacity: 128)
        let addressInput = (scratch + 2 * WorkMemory.blockBytes).bindMemory(to: UInt64.self, capacity: 128)
        let addresses = (scratch + 3 * WorkMemory.blockBytes).bindMemory(to: UInt64.self, capacity: 128)
        if isDataIndependent {
            zero.initialize(repeating: 0, count: 128)
            addressInput.initialize(repeating: 0, count: 128)
            addressInput[0] = UInt64(pass)
            addressInput[1] = UInt64(lane)
            addressInput[2] = UInt64(slice)
            addressInput[3] = UInt64(blockCount)
            addressInput[4] = UInt64(parameters.iterations)
            addressInput[5] = UInt64(variant.rawValue)
        }
        let startIndex = pass == 0 && slice == 0 ? 2 : 0
        let laneStart = lane * laneLength
        var current = laneStart + slice * segmentLength + startIndex
        var previous = current == laneStart ? laneStart + laneLength - 1 : current - 1
        let lanesCount = UInt64(lanes)
        for index in startIndex..<segmentLength {
            let pseudoRandom: UInt64
            if isDataIndependent {
                if index % Self.addressesPerBlock == 0 || index == startIndex {
                    addressInput[6] &+= 1
                    kernel.compress(zero, addressInput, into: addresses, xorInto: false, scratch: compressionState)
                    kernel.compress(zero, addresses, into: addresses, xorInto: false, scratch: compressionState)
                }
                pseudoRandom = addresses[index % Self.addressesPerBlock]
            } else {
                pseudoRandom = memory[previous * WorkMemory.wordsPerBlock]
            }
            let referenceLane = (pass == 0 && slice == 0) || lanes == 1 ? lane : Int((pseudoRandom >> 32) % lanesCount)
            let referenceIndex = referenceColumn(
                pass: pass, slice: slice, index: index,
                sameLane: referenceLane == lane, pseudoRandom: pseudoRandom)
            let reference = referenceLane * laneLength + referenceIndex
            // Two call sites with constant flags, so each inlined copy is specialised.
            if xorInto {
                kernel.compress(
                    blockPointer(previous), blockPointer(reference), into: blockPointer(current),
                    xorInto: true, scratch: compressionState)
            } else {
                kernel.compress(
                    blockPointer(previous), blockPointer(reference), into: blockPointer(current),
                    xorInto: false, scratch: compressionState)
            }
            previous = current
            current += 1
        }
    }

    /// The column of the reference block within its lane (RFC 9106, section 3.4.2).
    @inline(__always)
    func referenceColumn(pass: Int, slice: Int, index: Int, sameLane: Bool, pseudoRandom: UInt64) -> Int {
        let areaSize: Int
        if pass == 0 {
            if slice == 0 {
                areaSize = index - 1
            } else if sameLane {
                areaSize = slice * segmentLength + index - 1
            } else {
                areaSize = slice * segmentLength - (index == 0 ? 1 : 0)
            }
        } else if sameLane {
            areaSize = laneLength - segmentLength + index - 1
        } else {
            areaSize = laneLength - segmentLength - (index == 0 ? 1 : 0)
        }
        let j1 = pseudoRandom & 0xFFFF_FFFF
        let x = (j1 &* j1) >> 32
        let y = (UInt64(areaSize) &* x) >> 32
        let relative = areaSize - 1 - Int(y)
        let start = pass == 0 || slice == Self.syncPoints - 1 ? 0 : (slice + 1) * segmentLength
        // start < laneLength and relative < areaSize < laneLength: one conditional subtraction is the modulo.
        let column = start + relative
        return column >= laneLength ? column - laneLength : column
    }
}
