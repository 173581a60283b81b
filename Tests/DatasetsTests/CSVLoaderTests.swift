import Datasets
import Foundation
import Testing

@Suite struct CSVLoaderTests {
    /// Loads `contents` from a temporary file and returns the error message, or nil if it loaded.
    func loadError(_ contents: String, loader: CSVLoader = CSVLoader(labelColumn: "y")) -> (path: String, message: String?) {
        let path = temporaryFile(contents)
        defer { removeTemporary(path) }
        do {
            _ = try loader.load(path: path)
            return (path, nil)
        } catch {
            return (path, "\(error)")
        }
    }

    func load(_ contents: String, loader: CSVLoader = CSVLoader(labelColumn: "y")) throws -> TabularDataset {
        let path = temporaryFile(contents)
        defer { removeTemporary(path) }
        return try loader.load(path: path)
    }

    @Test func loadsDigits() throws {
        let digits = try CSVLoader(labelColumn: "digit").load(path: digitsPath)
        #expect(digits.count == 1797)
        #expect(digits.featureCount == 64)
        #expect(digits.task == .multiclass(classes: 10))
        #expect(digits.featureNames == (0..<64).map { "p\($0)" })
        #expect(Array(digits.row(0).prefix(8)) == [0, 0, 5, 13, 9, 1, 0, 0])
        #expect(digits.targets.first == 0 && digits.targets.last == 8)
        #expect(digits.features.allSatisfy { $0 >= 0 && $0 <= 16 })
        #expect(Set(digits.targets) == Set((0..<10).map(Float.init)))
    }

    @Test func loadsDigitsQuickly() throws {
        // Release builds take a few milliseconds; this loose bound only catches an accidental O(n²).
        let loader = CSVLoader(labelColumn: "digit")
        let start = Date()
        _ = try loader.load(path: digitsPath)
        #expect(Date().timeIntervalSince(start) < 2)
    }

    @Test func selectsAndOrdersFeatureColumns() throws {
        let data = try load("id,a,b,y,c\npatient-1,1,2,0,3\npatient-2,4,5,1,6\n",
                            loader: CSVLoader(labelColumn: "y", featureColumns: ["c", "a"]))
        #expect(data.featureNames == ["c", "a"])
        #expect(data.features == [3, 1, 6, 4])
        #expect(data.targets == [0, 1])
    }

    @Test func infersTheTask() throws {
        #expect(try load("x,y\n1,0\n2,1\n3,1\n").task == .binaryClassification)
        #expect(try load("x,y\n1,0\n2,4\n3,2\n").task == .multiclass(classes: 5))
        #expect(try load("x,y\n1,0.5\n2,1\n").task == .regression)
        #expect(try load("x,y\n1,-1\n2,1\n").task == .regression)
        #expect(try load("x,y\n1,250\n2,1\n").task == .regression)
        let given = try load("x,y\n1,0\n2,4\n", loader: CSVLoader(labelColumn: "y", task: .regression))
        #expect(given.task == .regression)
    }

    @Test func readsQuotesSpacesCRLFAndBOM() throws {
        let data = try load("\u{FEFF}\"a\", \"b,c\" ,y\r\n 1.5 ,\"-2e3\",1\r\n\r\n0x10,+.25,0\r\n")
        #expect(data.featureNames == ["a", "b,c"])
        #expect(data.features == [1.5, -2000, 16, 0.25])
        #expect(data.targets == [1, 0])
    }

    @Test func parsesDecimalsExactly() throws {
        // The fast path and strtof must agree on correctly rounded float32 values.
        let cells = ["0.1", "3.14159", "16777216", "16777217", "123456.789", "1e-3", "-0.000123", "98.6"]
        let data = try load("x,y\n" + cells.map { "\($0),0" }.joined(separator: "\n"))
        #expect(data.features == cells.map { Float($0)! })
    }

    @Test func missingFile() {
        #expect(throws: DatasetError.fileNotFound(path: "/nonexistent/nope.csv")) {
            try CSVLoader(labelColumn: "y").load(path: "/nonexistent/nope.csv")
        }
    }

    /// A FIFO once blocked the loader forever, and /dev/zero fed it without end (issue 11, defect 10).
    @Test func devicesAndFIFOsAreRefused() throws {
        #expect(throws: DatasetError.unreadableFile(path: "/dev/zero", reason: "it is not a regular file")) {
            try CSVLoader(labelColumn: "y").load(path: "/dev/zero")
        }
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("lockstep-fifo-\(UUID().uuidString)").path
        guard mkfifo(fifo, 0o600) == 0 else { Issue.record("mkfifo failed"); return }
        defer { unlink(fifo) }
        #expect(throws: DatasetError.unreadableFile(path: fifo, reason: "it is not a regular file")) {
            try CSVLoader(labelColumn: "y").load(path: fifo)
        }
    }

    @Test func emptyFileAndHeaderOnly() {
        let empty = loadError("")
        #expect(empty.message == "\(empty.path): the file is empty (expected a header row naming the columns)")
        let blank = loadError("\n\n")
        #expect(blank.message?.contains("the file is empty") == true)
        let headerOnly = loadError("a,y\n")
        #expect(headerOnly.message == "\(headerOnly.path): the file has a header row but no data rows")
    }

    @Test func missingLabelColumnListsTheColumns() {
        let result = loadError("age,sodium,readmitted\n1,2,0\n", loader: CSVLoader(labelColumn: "label"))
        #expect(result.message == "\(result.path):1: no label column \"label\"; the columns are: age, sodium, readmitted")
        let feature = loadError("a,y\n1,0\n", loader: CSVLoader(labelColumn: "y", featureColumns: ["a", "b"]))
        #expect(feature.message == "\(feature.path):1: no feature column \"b\"; the columns are: a, y")
    }

    @Test func nonNumericCellNamesLineAndColumn() {
        let result = loadError("a,b,y\n1,2,0\n3,abc,1\n")
        #expect(result.message == "\(result.path):3: column \"b\" (2): \"abc\" is not a number")
        let empty = loadError("a,b,y\n1,,0\n")
        #expect(empty.message == "\(empty.path):2: column \"b\" (2): empty cell (missing values are not supported)")
        let label = loadError("a,y\n1,yes\n")
        #expect(label.message == "\(label.path):2: column \"y\" (2): \"yes\" is not a number")
    }

    @Test func nonFiniteValues() {
        for text in ["nan", "NaN", "inf", "-Infinity", "1e39"] {
            let result = loadError("a,b,y\n1,2,0\n4,\(text),1\n")
            #expect(result.message == "\(result.path):3: column \"b\" (2): \"\(text)\" is not a finite float32 value")
        }
    }

    @Test func raggedRows() {
        let short = loadError("a,b,y\n1,2,0\n\n1,2\n")
        #expect(short.message == "\(short.path):4: the row has 2 cells but the header has 3")
        let long = loadError("a,b,y\n1,2,0,9\n")
        #expect(long.message == "\(long.path):2: the row has 4 cells but the header has 3")
        // A ragged row is reported as ragged even when it also holds text.
        let both = loadError("a,b,y\n1,x\n")
        #expect(both.message == "\(both.path):2: the row has 2 cells but the header has 3")
    }

    @Test func labelsCheckedAgainstAGivenTask() {
        let binary = loadError("a,y\n1,0\n2,2\n", loader: CSVLoader(labelColumn: "y", task: .binaryClassification))
        #expect(binary.message == "\(binary.path):3: column \"y\" (2): label 2.0 is not valid for binary classification: expected 0 or 1")
        let classes = loadError("a,y\n1,0.5\n", loader: CSVLoader(labelColumn: "y", task: .multiclass(classes: 3)))
        #expect(classes.message?.hasPrefix("\(classes.path):2: column \"y\" (2): label 0.5 is not valid for 3 classes") == true)
    }

    @Test func headerProblems() {
        let duplicate = loadError("a,a,y\n1,2,0\n")
        #expect(duplicate.message == "\(duplicate.path):1: column \"a\" appears more than once in the header")
        let unnamed = loadError(",a,y\n0,1,0\n")
        #expect(unnamed.message?.hasPrefix("\(unnamed.path):1: column 1 has no name") == true)
        let labelAsFeature = loadError("a,y\n1,0\n", loader: CSVLoader(labelColumn: "y", featureColumns: ["y"]))
        #expect(labelAsFeature.message == "\(labelAsFeature.path):1: column \"y\" is the label and cannot also be a feature")
    }
}
