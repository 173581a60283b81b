// libFuzzer target: the config loader, `RunConfig(yaml:source:overrides:)`, on arbitrary bytes. The
// input is split at NUL bytes: the first part is the YAML text, every further part one `--set`
// argument (a command line cannot carry NUL, so the split loses nothing a user could type). Built by
// launch/fuzz.sh together with Sources/Config (same module), against Yams, Datasets and Distributed
// built as plain libraries; not a SwiftPM target.
//
// Properties checked on every input, beyond "no trap, no sanitizer report":
// - a refusal is a ConfigError whose description is one line and names the source;
// - an accepted config validates again, and its canonical YAML reads back to an equal config.

@_cdecl("LLVMFuzzerTestOneInput")
public func configFuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let parts = UnsafeBufferPointer(start: data, count: size).split(separator: 0, omittingEmptySubsequences: false)
    // Invalid UTF-8 is repaired (U+FFFD), as the loader's callers only hand it valid text.
    let yaml = String(decoding: parts[0], as: UTF8.self)
    let overrides = parts.dropFirst().map { String(decoding: $0, as: UTF8.self) }
    let config: RunConfig
    do {
        config = try RunConfig(yaml: yaml, source: "fuzz.yaml", overrides: overrides)
    } catch let error as ConfigError {
        check(error.description.hasPrefix("fuzz.yaml: "), "error does not name the source: \(error)")
        check(!error.description.contains(where: \.isNewline), "error is not one line: \(error)")
        return 0
    } catch {
        fatalError("not a ConfigError: \(error)")
    }
    do {
        try config.validate()
        let again = try RunConfig(yaml: config.canonicalYAML, source: "canonical.yaml")
        check(again == config, "the canonical YAML reads back to a different config:\n\(config.canonicalYAML)")
    } catch {
        fatalError("an accepted config fails again: \(error)\n\(config.canonicalYAML)")
    }
    return 0
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
