#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Philox4x32-10, the counter-based generator of Salmon et al., "Parallel random numbers: as easy as
/// 1, 2, 3" (SC'11). A draw is a pure function of a 64-bit key and a 128-bit counter, so any random
/// number in a run can be recomputed from its coordinates alone: no generator state travels between
/// steps, ranks or threads. That is what makes dropout masks, shuffles and initial weights independent
/// of the number of processes.
///
/// ```swift
/// let philox = Philox4x32(seed: 7)
/// let block = philox.block(counter: (0, 0, 0, 0))   // four independent UInt32
/// ```
public struct Philox4x32: Sendable, Hashable {
    public let key0: UInt32
    public let key1: UInt32

    public init(seed: UInt64) {
        key0 = UInt32(truncatingIfNeeded: seed)
        key1 = UInt32(truncatingIfNeeded: seed >> 32)
    }

    // Multipliers and Weyl key increments from the paper (Table 2 / Random123).
    @usableFromInline static let m0: UInt32 = 0xD251_1F53
    @usableFromInline static let m1: UInt32 = 0xCD9E_8D57
    @usableFromInline static let w0: UInt32 = 0x9E37_79B9
    @usableFromInline static let w1: UInt32 = 0xBB67_AE85

    /// Ten rounds of Philox on `counter` under this key.
    @inlinable
    public func block(counter: (UInt32, UInt32, UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        var (c0, c1, c2, c3) = counter
        var k0 = key0, k1 = key1
        for _ in 0..<10 {
            let p0 = UInt64(Self.m0) &* UInt64(c0)
            let p1 = UInt64(Self.m1) &* UInt64(c2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            c0 = hi1 ^ c1 ^ k0
            c1 = lo1
            c2 = hi0 ^ c3 ^ k1
            c3 = lo0
            k0 = k0 &+ Self.w0
            k1 = k1 &+ Self.w1
        }
        return (c0, c1, c2, c3)
    }

    /// Eight blocks at once: lane `j` of the result is `block(counter: (c0[j], c1, c2, c3))`, the
    /// same rounds on eight counters side by side so that the compiler can use vector multiplies
    /// (bit-identical to eight `block` calls; dropout masks draw most of their words here).
    @inlinable
    public func blocks(counter0 c0In: SIMD8<UInt32>, _ c1In: UInt32, _ c2In: UInt32, _ c3In: UInt32)
        -> (SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>) {
        var c0 = c0In, c1 = SIMD8<UInt32>(repeating: c1In)
        var c2 = SIMD8<UInt32>(repeating: c2In), c3 = SIMD8<UInt32>(repeating: c3In)
        var k0 = key0, k1 = key1
        let m0 = SIMD8<UInt64>(repeating: UInt64(Self.m0)), m1 = SIMD8<UInt64>(repeating: UInt64(Self.m1))
        for _ in 0..<10 {
            let p0 = m0 &* SIMD8<UInt64>(truncatingIfNeeded: c0)
            let p1 = m1 &* SIMD8<UInt64>(truncatingIfNeeded: c2)
            let hi0 = SIMD8<UInt32>(truncatingIfNeeded: p0 &>> 32), lo0 = SIMD8<UInt32>(truncatingIfNeeded: p0)
            let hi1 = SIMD8<UInt32>(truncatingIfNeeded: p1 &>> 32), lo1 = SIMD8<UInt32>(truncatingIfNeeded: p1)
            c0 = hi1 ^ c1 ^ SIMD8<UInt32>(repeating: k0)
            c1 = lo1
            c2 = hi0 ^ c3 ^ SIMD8<UInt32>(repeating: k1)
            c3 = lo0
            k0 = k0 &+ Self.w0
            k1 = k1 &+ Self.w1
        }
        return (c0, c1, c2, c3)
    }
}

/// What a random draw is for. Each purpose has its own counter space, so that, say, changing the
/// dropout rate never moves the data shuffle.
public enum RandomStream: UInt32, Sendable {
    case initialization = 1
    case dropout = 2
    case shuffle = 3
    case syntheticData = 4
    case split = 5
    case syntheticLanguage = 6
}

/// The coordinates of one random sequence: `(seed, stream, a, b)`, with an element index along it.
/// The determinism contract keys dropout by `(step, global sample index)`, initialisation by
/// `(layer, parameter)`, shuffles by `(epoch, 0)`; `a` and `b` carry those numbers.
///
/// ```swift
/// let key = RandomKey(seed: 7, stream: .dropout, a: UInt32(step), b: UInt32(sample))
/// let u = key.uniformFloat(at: UInt64(feature))   // in [0, 1)
/// ```
public struct RandomKey: Sendable, Hashable {
    public let philox: Philox4x32
    public let stream: RandomStream
    public let a: UInt32
    public let b: UInt32

    public init(seed: UInt64, stream: RandomStream, a: UInt32 = 0, b: UInt32 = 0) {
        self.philox = Philox4x32(seed: seed)
        self.stream = stream
        self.a = a
        self.b = b
    }

    /// The same key moved to other coordinates (`a`, `b`) of the same stream.
    @inlinable
    public func with(a: UInt32? = nil, b: UInt32? = nil) -> RandomKey {
        RandomKey(philox: philox, stream: stream, a: a ?? self.a, b: b ?? self.b)
    }

    @usableFromInline
    init(philox: Philox4x32, stream: RandomStream, a: UInt32, b: UInt32) {
        self.philox = philox; self.stream = stream; self.a = a; self.b = b
    }

    /// The four 32-bit words of block `blockIndex` of this sequence.
    @inlinable
    public func block(_ blockIndex: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
        // Counter layout: (element block, a, b, stream); 2^32 blocks = 2^34 words per sequence.
        philox.block(counter: (UInt32(truncatingIfNeeded: blockIndex), a, b, stream.rawValue))
    }

    /// Word `index` of the sequence.
    @inlinable
    public func word(at index: UInt64) -> UInt32 {
        let w = block(index >> 2)
        switch index & 3 {
        case 0: return w.0
        case 1: return w.1
        case 2: return w.2
        default: return w.3
        }
    }

    /// A float in [0, 1) with 24 random bits, from word `index`.
    @inlinable
    public func uniformFloat(at index: UInt64) -> Float {
        Float(word(at: index) >> 8) * 0x1p-24
    }

    /// A double in [0, 1) with 53 random bits, from words `2·index` and `2·index + 1`.
    @inlinable
    public func uniformDouble(at index: UInt64) -> Double {
        let w = block(index >> 1)
        let (hi, lo) = index & 1 == 0 ? (w.0, w.1) : (w.2, w.3)
        let bits = (UInt64(hi) << 21) ^ (UInt64(lo) >> 11)
        return Double(bits & ((1 << 53) - 1)) * 0x1p-53
    }

    /// A standard normal draw (Box–Muller on two uniform doubles), element `index`.
    @inlinable
    public func normal(at index: UInt64) -> Double {
        let w = block(index)
        let u1 = (Double((UInt64(w.0) << 21) ^ (UInt64(w.1) >> 11)) + 1) * 0x1p-53   // (0, 1]
        let u2 = Double((UInt64(w.2) << 21) ^ (UInt64(w.3) >> 11)) * 0x1p-53
        return (-2 * Double.log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
