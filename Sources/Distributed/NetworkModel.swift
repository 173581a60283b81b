import Foundation

/// A network between nodes as the Hockney (α-β) model sees it: a message of `b` bytes takes
/// `α + b/β`, with α the latency of one message and β the bandwidth of one link. `ShapedCommunicator`
/// charges this time on every transfer, so that ranks on one machine behave like nodes joined by
/// this network.
///
/// Specs (`--network`): `1gbit`, `10gbit`, `25gbit`, `100gbit` (Ethernet-class presets, below), or
/// `LAT_US,GBPS` — latency in microseconds and bandwidth in gigabits per second, e.g. `5,10`.
///
/// ```swift
/// let net = try NetworkModel(parsing: "10gbit")        // α = 5 µs, β = 10 Gbit/s
/// let seconds = net.transferSeconds(bytes: 1 << 20)     // 5e-6 + 1048576 / 1.25e9 ≈ 0.000844
/// ```
public struct NetworkModel: Sendable, Equatable, Codable, CustomStringConvertible {
    /// α: seconds from send to first byte received.
    public let latencySeconds: Double
    /// β: bytes per second through one link, each direction (links are full duplex).
    public let bytesPerSecond: Double
    /// The spec it was parsed from (`10gbit`, `5,10`).
    public let name: String

    /// Presets: typical one-hop latency of each class of Ethernet with a kernel-bypass-free stack.
    public static let presets: [(name: String, latencyMicroseconds: Double, gigabitsPerSecond: Double)] = [
        ("1gbit", 50, 1), ("10gbit", 5, 10), ("25gbit", 3, 25), ("100gbit", 1.5, 100),
    ]

    public init(latencyMicroseconds: Double, gigabitsPerSecond: Double, name: String? = nil) throws {
        guard latencyMicroseconds.isFinite, latencyMicroseconds >= 0 else {
            throw NetworkModelError("network latency must be a finite number of microseconds ≥ 0, got \(latencyMicroseconds)")
        }
        guard gigabitsPerSecond.isFinite, gigabitsPerSecond > 0 else {
            throw NetworkModelError("network bandwidth must be a finite number of Gbit/s > 0, got \(gigabitsPerSecond)")
        }
        latencySeconds = latencyMicroseconds * 1e-6
        bytesPerSecond = gigabitsPerSecond * 1e9 / 8
        self.name = name ?? "\(Self.trimmed(latencyMicroseconds)),\(Self.trimmed(gigabitsPerSecond))"
    }

    /// Parses a `--network` spec; throws one line naming the bad spec and the accepted forms.
    public init(parsing spec: String) throws {
        let text = spec.trimmingCharacters(in: .whitespaces).lowercased()
        if let preset = Self.presets.first(where: { $0.name == text }) {
            try self.init(latencyMicroseconds: preset.latencyMicroseconds, gigabitsPerSecond: preset.gigabitsPerSecond, name: preset.name)
            return
        }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2, let latency = Double(parts[0]), let gbps = Double(parts[1]) else {
            throw NetworkModelError("unknown network '\(spec)': expected \(Self.presets.map(\.name).joined(separator: ", ")) or LAT_US,GBPS (e.g. 5,10)")
        }
        try self.init(latencyMicroseconds: latency, gigabitsPerSecond: gbps, name: text)
    }

    public var latencyMicroseconds: Double { latencySeconds * 1e6 }
    public var gigabitsPerSecond: Double { bytesPerSecond * 8 / 1e9 }

    /// α + b/β: the modelled time of one message of `bytes` bytes.
    public func transferSeconds(bytes: Int) -> Double {
        latencySeconds + Double(bytes) / bytesPerSecond
    }

    public var description: String {
        "\(name) (α = \(Self.trimmed(latencyMicroseconds)) µs, β = \(Self.trimmed(gigabitsPerSecond)) Gbit/s)"
    }

    /// 5 → "5", 1.5 → "1.5", 49.99999999999999 → "50" (six significant digits, as written).
    private static func trimmed(_ x: Double) -> String {
        let rounded = (x * 1e6).rounded() / 1e6
        return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : String(rounded)
    }
}

/// A network spec or parameter that cannot describe a network.
public struct NetworkModelError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
