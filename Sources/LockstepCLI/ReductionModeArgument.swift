import ArgumentParser
import Distributed

/// `--reduction deterministic|mpi` parses straight into Distributed's `ReductionMode` (the one list of
/// modes); ArgumentParser's error lists the cases.
extension ReductionMode: ExpressibleByArgument {}
