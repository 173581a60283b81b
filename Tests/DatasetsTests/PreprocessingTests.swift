import Datasets
import Foundation
import Testing

@Suite struct PreprocessingTests {
    static let patients = """
        id,age,sex,notes,y
        p1,30,F,"likes, commas",1
        p2,,M,none,0
        p3,50,F,,1
        p4,40,,x,0
        p5,60,M,y,1
        """

    func table(_ text: String, options: DataOptions, label: String = "y") throws -> (RawTable, String) {
        let path = temporaryFile(text)
        return (try RawTable(path: path, label: label, options: options), path)
    }

    @Test func excludeImputeIndicatorsAndOneHot() throws {
        let options = DataOptions(exclude: ["id", "notes"], missing: .median, missingIndicators: true, categorical: ["sex"])
        let (raw, path) = try table(Self.patients, options: options)
        defer { removeTemporary(path) }
        #expect(raw.layout.featureNames == ["age", "sex"])
        let rows = [0, 1, 2, 3, 4]
        let fitted = try Preprocessing(fitting: raw, rows: rows, options: options, standardize: false)
        #expect(fitted.encodedFeatures == ["age", "age__missing", "sex=F", "sex=M"])
        #expect(fitted.columns[0].impute == 45)   // median of 30, 50, 40, 60
        let data = try fitted.encode(raw, rows: rows)
        #expect(Array(data.row(1)) == [45, 1, 0, 1])   // p2: imputed, indicator, M
        #expect(Array(data.row(3)) == [40, 0, 0, 0])   // p4: empty category → all zeros under an imputing policy
        #expect(data.task == .binaryClassification)
    }

    @Test func meanAndConstantImputation() throws {
        for (policy, expected) in [(DataOptions.Missing.mean, Float(45)), (.constant(-1), -1)] {
            let options = DataOptions(exclude: ["id", "notes"], missing: policy, categorical: ["sex"])
            let (raw, path) = try table(Self.patients, options: options)
            defer { removeTemporary(path) }
            let fitted = try Preprocessing(fitting: raw, rows: [0, 1, 2, 3, 4], options: options, standardize: false)
            #expect(fitted.columns[0].impute == expected)
            #expect(fitted.encodedFeatures == ["age", "sex=F", "sex=M"])   // no indicators unless asked
        }
    }

    @Test func emptyCellUnderErrorPolicyNamesLineAndColumn() throws {
        let path = temporaryFile(Self.patients)
        defer { removeTemporary(path) }
        let error = #expect(throws: DatasetError.self) {
            try RawTable(path: path, label: "y", options: DataOptions(exclude: ["id", "notes"], categorical: ["sex"]))
        }
        #expect("\(error!)" == "\(path):3: column \"age\" (2): empty cell (set a missing-value policy: mean, median or constant)")
    }

    @Test func textColumnNotExcludedIsRefused() throws {
        let path = temporaryFile(Self.patients)
        defer { removeTemporary(path) }
        let error = #expect(throws: DatasetError.self) {
            try RawTable(path: path, label: "y", options: DataOptions(missing: .mean, categorical: ["sex"]))
        }
        #expect("\(error!)" == "\(path):2: column \"id\" (1): \"p1\" is not a number")
    }

    @Test func featuresListPicksAndOrdersColumns() throws {
        let options = DataOptions(features: ["sex", "age"], missing: .mean, categorical: ["sex"])
        let (raw, path) = try table(Self.patients, options: options)
        defer { removeTemporary(path) }
        #expect(raw.layout.featureNames == ["sex", "age"])
        let fitted = try Preprocessing(fitting: raw, rows: [0, 1, 2, 3, 4], options: options, standardize: false)
        #expect(fitted.encodedFeatures == ["sex=F", "sex=M", "age"])
    }

    @Test func contradictoryOptionsAreRefused() throws {
        let path = temporaryFile(Self.patients)
        defer { removeTemporary(path) }
        #expect(throws: DatasetError.self) { try RawTable(path: path, label: "y", options: DataOptions(features: ["age"], exclude: ["id"])) }
        #expect(throws: DatasetError.self) { try RawTable(path: path, label: "y", options: DataOptions(exclude: ["nope"])) }
        #expect(throws: DatasetError.self) {
            try RawTable(path: path, label: "y", options: DataOptions(features: ["age"], missing: .mean, categorical: ["sex"]))
        }
    }

    @Test func unknownCategoryErrorOrIgnore() throws {
        let trainOptions = DataOptions(exclude: ["id", "notes"], missing: .mean, categorical: ["sex"])
        let (raw, path) = try table(Self.patients, options: trainOptions)
        defer { removeTemporary(path) }
        let fitted = try Preprocessing(fitting: raw, rows: [0, 1, 2, 3, 4], options: trainOptions, standardize: false)
        let (other, otherPath) = try table("id,age,sex,notes,y\nq1,20,X,,1\n", options: trainOptions)
        defer { removeTemporary(otherPath) }
        let error = #expect(throws: DatasetError.self) { try fitted.encode(other, rows: [0]) }
        #expect("\(error!)" == "\(otherPath):2: column \"sex\" (3): category \"X\" never appeared in training")
        var lenient = fitted
        lenient.unknownCategory = .ignore
        #expect(Array(try lenient.encode(other, rows: [0]).row(0)) == [20, 0, 0])
    }

    @Test func taskOverride() throws {
        let text = "a,y\n1,0\n2,1\n3,2\n4,1\n"
        let (inferred, p1) = try table(text, options: DataOptions())
        defer { removeTemporary(p1) }
        #expect(inferred.task == .multiclass(classes: 3))
        let (regression, p2) = try table(text, options: DataOptions(task: .regression))
        defer { removeTemporary(p2) }
        #expect(regression.task == .regression)
        let path = temporaryFile(text)
        defer { removeTemporary(path) }
        let error = #expect(throws: DatasetError.self) { try RawTable(path: path, label: "y", options: DataOptions(task: .binary)) }
        #expect("\(error!)".contains(":4: column \"y\" (2): label 2.0 is not valid for binary classification"))
    }

    /// A plain numeric file gives exactly what `CSVLoader` + `Standardizer` gave before preprocessing existed.
    @Test func numericFileMatchesTheOldPathBitForBit() throws {
        let loaded = try CSVLoader(labelColumn: "digit").load(path: digitsPath)
        let raw = try RawTable(path: digitsPath, label: "digit", options: DataOptions())
        let rows = Array(stride(from: 0, to: raw.count, by: 3))
        let fitted = try Preprocessing(fitting: raw, rows: rows, options: DataOptions(), standardize: true)
        let old = Standardizer(fitting: loaded.subset(rows))
        #expect(fitted.columns.map(\.mean) == old.mean)
        #expect(fitted.columns.map(\.scale) == old.scale)
        let encoded = try fitted.encode(raw, rows: Array(0..<raw.count))
        #expect(encoded.features == old.apply(to: loaded).features)
        #expect(encoded.targets == loaded.targets)
        #expect(encoded.task == loaded.task)
    }

    @Test func jsonRoundTrip() throws {
        let options = DataOptions(exclude: ["id", "notes"], missing: .constant(0.5), missingIndicators: true, categorical: ["sex"])
        let (raw, path) = try table(Self.patients, options: options)
        defer { removeTemporary(path) }
        let fitted = try Preprocessing(fitting: raw, rows: [0, 2, 4], options: options, standardize: true)
        let decoded = try JSONDecoder().decode(Preprocessing.self, from: JSONEncoder().encode(fitted))
        #expect(decoded == fitted)
        #expect(fitted.encodedFeatures == ["age", "sex=F", "sex=M"])   // no empty age among rows 0, 2, 4
    }

    /// Lines split across chunk boundaries, CRLF, a BOM and blank lines read as one file would.
    @Test func lineReaderAcrossSmallChunks() throws {
        let text = "\u{FEFF}a,b\r\n1,2\r\n\r\n  \n3,4444444444444444444\n5,6"
        let path = temporaryFile(text)
        defer { removeTemporary(path) }
        var seen = 0
        let reader = try CSVLineReader(path: path, chunkSize: 4) { seen += $0.count }
        var lines: [String] = []
        while let line = try reader.nextLine({ bytes, range in String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }) {
            lines.append("\(reader.lineNumber):\(line)")
        }
        #expect(lines == ["1:a,b", "2:1,2", "5:3,4444444444444444444", "6:5,6"])
        #expect(seen == Array(text.utf8).count)
    }
}
