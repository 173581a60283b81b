import Foundation

/// A fresh temporary file holding `contents`; the caller removes it with `removeTemporary`.
func temporaryFile(_ contents: String, name: String = "data.csv") -> String {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("lockstep-datasets-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    try! contents.write(to: url, atomically: true, encoding: .utf8)
    return url.path
}

func removeTemporary(_ path: String) {
    try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)
}

/// configs/data/digits.csv, found from this file's location (Tests/DatasetsTests/ → repository root).
let digitsPath: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("configs/data/digits.csv").path
