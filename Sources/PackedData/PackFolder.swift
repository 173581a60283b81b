import Foundation

/// The folder a pack is written into: created when absent; an interrupted pack's files (shards, block
/// files, the raw temporary — and no manifest) are swept; anything else is refused, so that packing
/// never replaces a complete pack or mixes with a user's files.
enum PackFolder {
    static func prepare(_ directory: String) throws {
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            do { try manager.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw PackError("\(directory): cannot create the pack folder (\((error as NSError).localizedFailureReason ?? "permission or path problem"))")
            }
            return
        }
        guard isDirectory.boolValue else { throw PackError("\(directory): exists and is not a folder") }
        let names = (try? manager.contentsOfDirectory(atPath: directory)) ?? []
        if names.contains(PackManifest.fileName) {
            throw PackError("\(directory): already holds a packed data set; remove it or pack into another folder")
        }
        if let foreign = names.first(where: { !isPackFile($0) }) {
            throw PackError("\(directory): not empty (\"\(foreign)\"); pack into a new or empty folder")
        }
        for name in names { try? manager.removeItem(atPath: directory + "/" + name) }
    }

    /// A name a pack writes: `train-NNNNN.bin`, `validation-NNNNN.blocks`, `tokens-00000.bin`, `.raw.tmp-PID`.
    static func isPackFile(_ name: String) -> Bool {
        if name.hasPrefix(".raw.tmp-") { return true }
        guard let dash = name.lastIndex(of: "-") else { return false }
        let part = name[..<dash], rest = name[name.index(after: dash)...]
        guard ["train", "validation", "tokens"].contains(part), let dot = rest.firstIndex(of: ".") else { return false }
        return rest[..<dot].allSatisfy(\.isNumber) && [".bin", ".blocks"].contains(String(rest[dot...]))
    }
}
