import Datasets

/// A problem with a run's inputs or outputs, reported as one line naming what is wrong. Line breaks
/// and other control characters in the text (a path, or a name read from a damaged file) are written
/// as escapes (`\n`, `\u{1}`), so that the message stays one line whatever it quotes.
public struct TrainingError: Error, CustomStringConvertible, Equatable {
    public let description: String
    /// The step (1-based) whose loss went non-finite or past the divergence bound, when that is the
    /// problem (`Trainer`'s divergence check); the run records it as a `RunCollapse`.
    public var divergedAtStep: Int?

    public init(_ description: String) { self.description = description.escapedToOneLine }

    static func diverged(atStep step: Int, _ description: String) -> TrainingError {
        var error = TrainingError(description)
        error.divergedAtStep = step
        return error
    }
}
