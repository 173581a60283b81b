#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Config

/// What a run will allocate, computed from its config before anything is allocated, so that a model or
/// data set too large for the machine is refused in one line with the figure instead of dying in the
/// allocator after minutes of work (or, with an overflowing size, trapping).
///
/// The estimate counts the large buffers only — parameters, gradients, optimizer slots, the activations
/// a micro-batch keeps for backward or an evaluation chunk needs, and the data set as loaded — with
/// every product overflow-checked (saturating at `Int.max`). It is a lower bound of the real
/// footprint, so refusing above it never refuses a run that would have fit.
///
/// ```swift
/// try ResourceEstimate(config).check(replicas: 4)     // four simulated ranks in this process
/// ```
public struct ResourceEstimate: Sendable {
    /// Bytes one replica needs for its model, optimizer and activations.
    public let modelBytes: Int
    /// Bytes of the data set in memory (synthetic sources; CSV files are measured when read).
    public let dataBytes: Int

    public init(_ config: RunConfig) throws {
        let layers = try config.layerShapes()
        let scalar = MemoryLayout<Float>.size
        let parameters = layers.reduce(0) { saturatingAdd($0, $1.parameterCount) }
        // Values, gradients and the optimizer's slots; the accumulation tree is left out (it is empty
        // when every rank runs one micro-batch).
        let slots: Int
        switch config.optimizer.type {
        case .sgd, .lars: slots = config.optimizer.momentum > 0 ? 1 : 0
        case .adam, .adamw, .lamb: slots = 2
        }
        // Training keeps every layer's output of a micro-batch for backward; evaluation holds the input
        // and output of the widest layer for a chunk of 1,024 rows. The larger of the two is needed.
        let widths = layers.reduce(config.model.input) { saturatingAdd($0, $1.outFeatures) }
        let widest = layers.reduce(config.model.input) { max($0, $1.outFeatures) }
        let activations = max(saturatingMultiply(config.batch.micro, widths), saturatingMultiply(2 * 1024, widest))
        modelBytes = saturatingMultiply(saturatingAdd(saturatingMultiply(parameters, 2 + slots), activations), scalar)

        // The samples as loaded: features and target.
        if let samples = config.data.source.sampleCount {
            let columns = saturatingAdd(config.model.input, 1)
            dataBytes = saturatingMultiply(saturatingMultiply(samples, columns), scalar)
        } else {
            dataBytes = 0
        }
    }

    /// The estimate for `replicas` ranks in this process (simulated ranks share one address space).
    public func totalBytes(replicas: Int) -> Int {
        saturatingAdd(saturatingMultiply(modelBytes, max(1, replicas)), dataBytes)
    }

    /// Throws when the run cannot fit in `available` bytes (by default 80 % of the memory this process
    /// may use: physical memory, or the cgroup's limit when lower), naming both figures.
    public func check(replicas: Int = 1, available: Int? = nil) throws {
        let limit = available ?? Self.usableMemory()
        let needed = totalBytes(replicas: replicas)
        guard needed <= limit else {
            let per = replicas > 1 ? " (\(replicas) ranks × \(Self.format(modelBytes)) for model and optimizer, \(Self.format(dataBytes)) for data)" : ""
            throw TrainingError("the run needs at least \(Self.format(needed))\(per), more than the \(Self.format(limit)) of memory available; shrink the model, batch or data, or use fewer ranks per process")
        }
    }

    /// 80 % of physical memory or of the cgroup's memory limit, whichever is lower: the rest is headroom
    /// for the runtime, the MPI library and everything the estimate leaves out.
    public static func usableMemory() -> Int {
        var bytes = Int.max
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        if pages > 0, pageSize > 0 { bytes = saturatingMultiply(pages, pageSize) }
        for file in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
               let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), limit > 0 {
                bytes = min(bytes, limit)
            }
        }
        return bytes / 5 * 4
    }

    /// `1.5 GB`, `512.0 MB`, `12 KB` — decimal units, as `free -h` and disk sizes read.
    static func format(_ bytes: Int) -> String {
        if bytes == Int.max { return "more than 9.2 EB" }
        let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes), unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f", value) + " " + units[unit]
    }
}

private func saturatingMultiply(_ a: Int, _ b: Int) -> Int {
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? Int.max : product
}

private func saturatingAdd(_ a: Int, _ b: Int) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? Int.max : sum
}
