import Checkpointing
import Crypto
import SystemPackage

/// Writes the rows of one part (train or validation) of a pack as shards of at most `shardRows` rows,
/// each with its `.blocks` file of per-block SHA-256s, hashing as it writes (the bytes are never read
/// back). A shard is fsynced before its entry is returned: the manifest that names it is written after.
final class ShardWriter {
    let directory: String, prefix: String
    let rowBytes: Int, shardRows: Int, blockBytes: Int
    private(set) var shards: [PackManifest.Shard] = []
    private(set) var files: [String] = []
    private(set) var rows = 0

    private var file: FileDescriptor?
    private var name = ""
    private var buffer: [UInt8] = [], filled = 0
    private var shardRowCount = 0, shardBytes = 0
    private var whole = SHA256(), blocks: [UInt8] = []

    init(directory: String, prefix: String, rowBytes: Int, shardRows: Int, blockBytes: Int) {
        (self.directory, self.prefix, self.rowBytes, self.shardRows, self.blockBytes) = (directory, prefix, rowBytes, shardRows, blockBytes)
        buffer = [UInt8](repeating: 0, count: blockBytes)
    }

    /// Appends one row of `rowBytes` bytes.
    func append(_ row: UnsafeRawBufferPointer) throws {
        if file == nil { try open() }
        var offset = 0
        while offset < row.count {
            let n = min(row.count - offset, blockBytes - filled)
            buffer.withUnsafeMutableBytes { b in
                (b.baseAddress! + filled).copyMemory(from: row.baseAddress! + offset, byteCount: n)
            }
            filled += n
            offset += n
            if filled == blockBytes { try flushBlock() }
        }
        rows += 1
        shardRowCount += 1
        if shardRowCount == shardRows { try close() }
    }

    /// Ends the last shard; returns the part for the manifest.
    func finish() throws -> PackManifest.Part {
        if file != nil { try close() }
        return PackManifest.Part(rows: rows, shards: shards)
    }

    private func open() throws {
        name = prefix + "-" + String(repeating: "0", count: max(0, 5 - String(shards.count).count)) + String(shards.count) + ".bin"
        file = try create(name)
        (shardRowCount, shardBytes, filled, whole, blocks) = (0, 0, 0, SHA256(), [])
    }

    private func create(_ name: String) throws -> FileDescriptor {
        files.append(name)
        do {
            return try FileDescriptor.open(FilePath(directory + "/" + name), .writeOnly,
                                           options: [.create, .exclusiveCreate, .closeOnExec], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch let errno as Errno {
            throw PackError("\(directory)/\(name): cannot create: \(errno.description)")
        }
    }

    private func flushBlock() throws {
        guard filled > 0, let file else { return }
        try buffer.withUnsafeBytes { b in
            let bytes = UnsafeRawBufferPointer(rebasing: b[0..<filled])
            whole.update(bufferPointer: bytes)
            blocks.append(contentsOf: SHA256.hash(data: bytes))
            try write(bytes, to: file, name: name)
        }
        shardBytes += filled
        filled = 0
    }

    private func close() throws {
        try flushBlock()
        guard let file else { return }
        self.file = nil
        try sync(file, name: name)
        let blocksName = name.dropLast(4) + ".blocks"
        let blocksFile = try create(String(blocksName))
        try blocks.withUnsafeBytes { try write($0, to: blocksFile, name: String(blocksName)) }
        try sync(blocksFile, name: String(blocksName))
        shards.append(PackManifest.Shard(file: name, rows: shardRowCount, bytes: shardBytes, sha256: whole.finalize().hex,
                                         blocksSHA256: SHA256.hash(data: blocks).hex))
    }

    private func write(_ bytes: UnsafeRawBufferPointer, to file: FileDescriptor, name: String) throws {
        do { _ = try file.writeAll(bytes) } catch let errno as Errno {
            throw PackError("\(directory)/\(name): cannot write: \(errno.description)")
        }
    }

    private func sync(_ file: FileDescriptor, name: String) throws {
        defer { _ = try? file.close() }
        do { try file.sync() } catch { throw PackError("\(directory)/\(name): cannot sync to disk: \(error.description)") }
    }
}
