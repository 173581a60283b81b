import ArgumentParser

/// `lockstep`: train, evaluate and benchmark data-parallel models whose results do not depend on how
/// many processes ran them.
@main
struct Lockstep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lockstep",
        abstract: "Data-parallel training whose bits do not depend on the number of processes.", version: LockstepVersion.text,
        subcommands: [Train.self, Eval.self, Predict.self, Bench.self, Trace.self, Inspect.self, GradCheck.self])
}
