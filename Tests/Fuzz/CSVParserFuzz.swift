// libFuzzer target: the CSV parser behind every CSV data source, on arbitrary bytes, with a label
// column chosen by the first input byte (so that both "label missing" and real parses are reached).
// Built by launch/fuzz.sh together with Sources/Datasets (same module); not a SwiftPM target.
//
// Properties: a refusal is a DatasetError whose message is one line naming the source; an accepted
// file gives a consistent data set (rows as wide as the header says, finite values, labels that fit
// the task).

private let loaders: [CSVLoader] = [
    CSVLoader(labelColumn: "digit"),
    CSVLoader(labelColumn: "label", featureColumns: ["age", "bp"]),
    CSVLoader(labelColumn: "label", task: .binaryClassification),
    CSVLoader(labelColumn: "digit", featureColumns: ["p3", "p10"], task: .multiclass(classes: 10)),
]

@_cdecl("LLVMFuzzerTestOneInput")
public func csvFuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let loader = loaders[Int(data[0]) % loaders.count]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    do {
        let set = try loader.parse(bytes: bytes, source: "fuzz.csv")
        check(set.features.count == set.count * set.featureCount, "features do not fill the rows")
        check(set.features.allSatisfy(\.isFinite) && set.targets.allSatisfy(\.isFinite), "a non-finite value was accepted")
        switch set.task {
        case .binaryClassification: check(set.targets.allSatisfy { $0 == 0 || $0 == 1 }, "binary labels outside {0, 1}")
        case .multiclass(let classes): check(set.targets.allSatisfy { $0 >= 0 && $0 < Float(classes) && $0 == $0.rounded() }, "class label out of range")
        case .regression: break
        }
    } catch {
        check(error.description.hasPrefix("fuzz.csv"), "error does not name the source: \(error)")
        check(!error.description.contains("\n") && !error.description.contains("\r"), "error is not one line: \(error)")
    }
    return 0
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
