import Foundation
import Checkpointing

/// Writes TensorBoard scalar event files (`OUT/tensorboard/events.out.tfevents.<time>.<host>.lockstep`),
/// encoded by hand: no TensorFlow or protobuf library is needed.
///
/// A file is a sequence of TFRecords — `length` (UInt64 LE), masked CRC32C of those 8 bytes (UInt32
/// LE), the data, masked CRC32C of the data — each holding one `tensorflow.Event` message: the first
/// one `file_version: "brain.Event:2"`, then one per `add` with `wall_time`, `step` and a `Summary`
/// of `simple_value`s. Field numbers (tensorflow/core/util/event.proto, framework/summary.proto):
/// Event `wall_time = 1` (double), `step = 2` (int64), `file_version = 3` (string), `summary = 5`;
/// Summary `value = 1` (repeated); Summary.Value `tag = 1` (string), `simple_value = 2` (float).
///
/// Each record is flushed as it is written, so TensorBoard can follow a running job.
///
/// ```swift
/// let tb = try TensorBoardWriter(directory: "runs/x/tensorboard")
/// try tb.add(step: 10, scalars: [("train/loss", 0.41), ("train/lr", 0.1)])
/// ```
public final class TensorBoardWriter {
    public let path: String
    private let handle: FileHandle

    public init(directory: String, wallTime: Double = Date().timeIntervalSince1970) throws {
        try OutputDirectory.create(directory)
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        path = directory + "/events.out.tfevents.\(Int(wallTime)).\(host).lockstep"
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw TrainingError("\(path): cannot create the TensorBoard event file")
        }
        self.handle = handle
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.string(3, "brain.Event:2")
        try write(record: event.bytes)
    }

    deinit { try? handle.close() }

    /// One event at `step` with a scalar per `(tag, value)`; non-finite values are left out.
    public func add(step: Int, scalars: [(tag: String, value: Double)], wallTime: Double = Date().timeIntervalSince1970) throws {
        var summary = ProtobufWriter()
        for (tag, value) in scalars where value.isFinite {
            var entry = ProtobufWriter()
            entry.string(1, tag)
            entry.float(2, Float(value))
            summary.message(1, entry.bytes)
        }
        var event = ProtobufWriter()
        event.double(1, wallTime)
        event.varint(2, UInt64(bitPattern: Int64(step)))
        event.message(5, summary.bytes)
        try write(record: event.bytes)
    }

    private func write(record data: [UInt8]) throws {
        try handle.write(contentsOf: Self.frame(data))
    }

    /// The TFRecord framing of `data`.
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        let length = UInt64(data.count)
        let lengthBytes = (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
        out += lengthBytes
        out += littleEndian(CRC32C.masked(lengthBytes))
        out += data
        out += littleEndian(CRC32C.masked(data))
        return out
    }

    static func littleEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
}

/// The few protobuf wire-format encodings an Event needs: varint, 64-bit, 32-bit and length-delimited.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private mutating func key(_ field: Int, _ wireType: UInt64) { appendVarint(UInt64(field) << 3 | wireType) }

    private mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    mutating func varint(_ field: Int, _ value: UInt64) { key(field, 0); appendVarint(value) }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, 1)
        let bits = value.bitPattern
        for k in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * k))) }
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        let bits = value.bitPattern
        for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * k))) }
    }

    mutating func message(_ field: Int, _ content: [UInt8]) {
        key(field, 2)
        appendVarint(UInt64(content.count))
        bytes += content
    }

    mutating func string(_ field: Int, _ text: String) { message(field, Array(text.utf8)) }
}

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord framing uses, with TensorFlow's
/// mask `((crc >> 15) | (crc << 17)) + 0xa282ead8` so that a CRC of data holding CRCs stays robust.
///
/// ```swift
/// CRC32C.checksum(Array("123456789".utf8))   // 0xE3069283
/// ```
public enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    public static func checksum(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for byte in data { crc = t[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }

    public static func masked(_ data: [UInt8]) -> UInt32 {
        let crc = checksum(data)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
