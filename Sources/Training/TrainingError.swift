/// A problem with a run's inputs or outputs, reported as one line naming what is wrong.
public struct TrainingError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
