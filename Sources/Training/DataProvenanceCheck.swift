import Config

extension RunData {
    /// Why this `data.json` cannot be the record of a run of `config`, or nil. Eval takes the
    /// validation rows from the config and checks them against this record, so the record must name
    /// the config's files: the training file (the generator's name and sample count for generated
    /// data) first, a validation file exactly when the config has one, the fraction the config holds
    /// out, and a SHA-256 for every file read.
    func problem(for config: RunConfig) -> String? {
        guard let train = files.first, train.role == "train" else { return "the first file is not the training file (role train)" }
        for file in files where file.rows < 0 { return "\(file.path): \(file.rows) rows" }
        switch config.data.source {
        case .csv(let path, _):
            guard train.path == path else { return "the training file is \"\(train.path)\" but the config's data.path is \"\(path)\"" }
        case .packed(let folder):
            // The pack holds its own split: its fraction is the record's, not a config key.
            guard train.path == folder, files.count == 1 else { return "the training data is not the config's pack \"\(folder)\"" }
            return Self.isSHA256(train.sha256) ? nil : "\(train.path): sha256 is not 64 lowercase hex digits"
        case .syntheticClinical(let samples), .syntheticWide(let samples, _, _):
            let name = config.data.source.name
            guard train.path == name, train.sha256 == nil, train.rows == samples else {
                return "the training data is not the config's \(name) of \(samples) samples"
            }
        }
        let rest = Array(files.dropFirst())
        if let path = config.data.options.validationPath {
            guard rest.count == 1, rest[0].role == "validation", rest[0].path == path else {
                return "the config validates on \"\(path)\", which is not recorded as the one validation file"
            }
            guard validationFraction == 0 else { return "validation_fraction \(validationFraction) beside a validation file (0 expected)" }
        } else {
            guard rest.isEmpty else { return "a file beside the training file, but the config has no validation file" }
            guard validationFraction == config.data.validationFraction else {
                return "validation_fraction \(validationFraction) is not the config's \(config.data.validationFraction)"
            }
        }
        if case .csv = config.data.source, let file = files.first(where: { !Self.isSHA256($0.sha256) }) {
            return "\(file.path): sha256 \"\(file.sha256.map { String($0.prefix(70)) } ?? "null")\" is not 64 lowercase hex digits"
        }
        return nil
    }

    /// How the data read now (`self`) differs in content from `recorded`, in one phrase naming the
    /// first file that changed; nil when every file has the recorded bytes and rows and the split is
    /// the same. Paths are not compared: a file that moved but kept its bytes is the same data.
    func change(since recorded: RunData) -> String? {
        guard files.map(\.role) == recorded.files.map(\.role) else {
            return "the files read are \(files.map(\.role)), the record has \(recorded.files.map(\.role))"
        }
        for (now, then) in zip(files, recorded.files) where now.sha256 != then.sha256 || now.rows != then.rows {
            return "\(now.path) has changed (recorded: \(Self.describe(then)); now: \(Self.describe(now)))"
        }
        guard validationFraction == recorded.validationFraction else {
            return "the validation fraction is \(validationFraction), the record has \(recorded.validationFraction)"
        }
        return nil
    }

    /// This record with `earlier`'s content appended to its history, as the data of steps up to `step`.
    func replacing(_ earlier: RunData, atStep step: Int) -> RunData {
        var out = self
        out.earlier = (earlier.earlier ?? []) + [EarlierData(files: earlier.files, validationFraction: earlier.validationFraction, untilStep: step)]
        return out
    }

    static func describe(_ file: DataProvenance) -> String {
        "\(file.rows) rows, sha256 \(file.sha256.map { String($0.prefix(16)) + "…" } ?? "none")"
    }

    static func isSHA256(_ text: String?) -> Bool {
        guard let text else { return false }
        return text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
