/// A packed data set that cannot be written, opened or read: one line naming the file and the problem.
public struct PackError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
