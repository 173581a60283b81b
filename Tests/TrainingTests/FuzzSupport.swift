import Foundation

/// SplitMix64: a small, seedable generator, so that a fuzz test's mutations are the same on every run
/// and a failure can be replayed from its iteration number.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A safetensors file split into its header text and data section, for mutations that edit the header
/// as text and re-assemble a file whose length field matches (or deliberately does not).
struct SafetensorsPieces {
    var header: String
    var data: [UInt8]

    init(_ bytes: [UInt8]) {
        let length = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
        data = Array(bytes[(8 + length)...])
    }

    /// The file: length field, header padded with spaces to 8 bytes, data.
    var bytes: [UInt8] {
        var h = Array(header.utf8)
        h += repeatElement(UInt8(ascii: " "), count: (8 - h.count % 8) % 8)
        var out: [UInt8] = []
        for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: UInt64(h.count) >> UInt64(shift))) }
        return out + h + data
    }

    /// Ranges of `needle` in the header.
    func ranges(of needle: String) -> [Range<String.Index>] {
        var found: [Range<String.Index>] = []
        var start = header.startIndex
        while let r = header.range(of: needle, range: start..<header.endIndex) {
            found.append(r)
            start = r.upperBound
        }
        return found
    }

    /// The range from `opening` (one occurrence, chosen by `pick`) to the next `closing`, inclusive.
    func span(from opening: String, to closing: Character, pick: (Int) -> Int) -> Range<String.Index>? {
        let starts = ranges(of: opening)
        guard !starts.isEmpty else { return nil }
        let start = starts[pick(starts.count)]
        guard let end = header[start.upperBound...].firstIndex(of: closing) else { return nil }
        return start.lowerBound..<header.index(after: end)
    }
}
