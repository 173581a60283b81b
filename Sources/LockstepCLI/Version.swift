/// What `lockstep --version` prints. Bump with each release of the file formats or the CLI.
enum LockstepVersion {
    static let number = "0.1.0"
    /// The formats this build writes, so that a bug report says which files it made.
    static let text = "lockstep \(number) (state dict lockstep-state-dict-v1, preprocessing lockstep-preprocessing-v1)"
}
