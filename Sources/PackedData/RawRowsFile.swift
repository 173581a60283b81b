import Foundation
import Crypto
import Checkpointing
import Datasets
import SystemPackage

/// A CSV's rows as raw numbers in a temporary file — per row the feature values as `RawTable` holds
/// them (NaN empty, vocabulary codes), the label and the line number as float32/int32 — written in one
/// streaming read of the CSV (which is hashed on the way) and then mapped for the packer's passes.
final class RawRowsFile {
    let layout: TableLayout
    let vocabularies: [[String]]
    let task: TabularDataset.Task
    let rows: Int
    let sha256: String
    private let mapped: MappedFile
    private let stride: Int   // floats per row: features, label, line

    private init(layout: TableLayout, vocabularies: [[String]], task: TabularDataset.Task, rows: Int, sha256: String, mapped: MappedFile) {
        (self.layout, self.vocabularies, self.task, self.rows, self.sha256, self.mapped) = (layout, vocabularies, task, rows, sha256, mapped)
        stride = layout.featureNames.count + 2
    }

    /// `progress` sees the share of the CSV read, every 64 Ki rows.
    static func read(csv path: String, label: String, options: DataOptions, to rawPath: String,
                     progress: (Double) -> Void = { _ in }) throws -> RawRowsFile {
        var hasher = SHA256()
        let reader = try CSVLineReader(path: path) { hasher.update(bufferPointer: $0) }
        guard let header = try reader.nextLine({ bytes, line in RawTable.cells(of: line, in: bytes) }) else { throw DatasetError.emptyFile(path: path) }
        let layout = try TableLayout(header: header, options: options, label: label, source: path)
        let width = layout.featureNames.count
        var decoder = CSVRowDecoder(layout: layout, path: path, refusesMissing: options.missing == .error)
        var summary = LabelSummary()
        let out: FileDescriptor
        do {
            out = try FileDescriptor.open(FilePath(rawPath), .writeOnly, options: [.create, .exclusiveCreate, .closeOnExec], permissions: [.ownerReadWrite])
        } catch let errno as Errno { throw PackError("\(rawPath): cannot create: \(errno.description)") }
        defer { _ = try? out.close() }
        var row = [Float](repeating: 0, count: width + 2), chunk: [Float] = []
        chunk.reserveCapacity(1 << 18)
        func flush() throws {
            do { _ = try chunk.withUnsafeBytes { try out.writeAll($0) } } catch let errno as Errno {
                throw PackError("\(rawPath): cannot write: \(errno.description)")
            }
            chunk.removeAll(keepingCapacity: true)
        }
        var rows = 0
        while let problem = try reader.nextLine({ bytes, line -> DatasetError? in
            do {
                let y = try decoder.decode(line, of: bytes, lineNumber: reader.lineNumber, into: &row)
                row[width] = y
                row[width + 1] = Float(bitPattern: UInt32(truncatingIfNeeded: reader.lineNumber))
                chunk.append(contentsOf: row)
                summary.add(y, line: reader.lineNumber)
                rows += 1
                if rows & 0xFFFF == 0 { progress(Double(reader.bytesRead) / Double(max(1, reader.fileSize))) }
                return nil
            } catch let problem as DatasetError {
                return problem
            }
        }) {
            if let problem { throw problem }
            if chunk.count >= (1 << 18) - row.count { try flush() }
        }
        try flush()
        guard rows > 0 else { throw DatasetError.noDataRows(path: path) }
        let task = try summary.task(given: options.task, path: path, labelName: label, labelNumber: layout.labelColumn! + 1)
        let mapped = try MappedFile(path: rawPath, expectedBytes: rows * (width + 2) * 4)
        return RawRowsFile(layout: layout, vocabularies: decoder.vocabularies, task: task, rows: rows, sha256: hasher.finalize().hex, mapped: mapped)
    }

    /// The CSV line of row `i`.
    func line(of i: Int) -> Int {
        Int(mapped.base!.load(fromByteOffset: (i * stride + stride - 1) * 4, as: UInt32.self))
    }

    /// Every row in order: its index, feature values and label. The mapping is released every 32 MB
    /// so that a pass over a large file keeps a small resident set.
    func forEachRow(_ body: (Int, UnsafeBufferPointer<Float>, Float) -> Void) {
        let floats = mapped.base!.assumingMemoryBound(to: Float.self)
        let width = layout.featureNames.count, releaseEvery = max(1, (32 << 20) / (stride * 4))
        for i in 0..<rows {
            let row = floats + i * stride
            body(i, UnsafeBufferPointer(start: row, count: width), row[width])
            if i % releaseEvery == releaseEvery - 1 { mapped.release() }
        }
        mapped.release()
    }
}
