import Foundation
import Testing
import Config

/// Loads `yaml` as `clinical.yaml`, expects a `ConfigError`, and checks its one-line description.
func expectConfigError(_ yaml: String, overrides: [String] = [], _ expected: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        let config = try RunConfig(yaml: yaml, source: "clinical.yaml", overrides: overrides)
        Issue.record("expected \"\(expected)\", but the config loaded: \(config.configDigest)",
                     sourceLocation: sourceLocation)
    } catch let error as ConfigError {
        #expect(error.description == expected, sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected a ConfigError, got \(error)", sourceLocation: sourceLocation)
    }
}
