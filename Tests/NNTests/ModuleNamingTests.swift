import Testing
import TensorCore
import Autograd
import NN

/// The obvious call does the obvious thing: `parameters()` is the whole tree (what an optimizer or
/// `clipGradNorm` wants); a module's own tensors are the explicitly named `localParameters`.
@Suite("Module naming")
struct ModuleNamingTests {
    @Test func parametersAreTheWholeTree() {
        let key = RandomKey(seed: 7, stream: .initialization)
        let model = Sequential([("fc1", Linear(4, 3, key: key.with(a: 0))), (nil, ReLU()),
                                ("bn", BatchNorm1d(3)), ("fc2", Linear(3, 1, key: key.with(a: 1)))])
        #expect(model.localParameters.isEmpty)
        #expect(model.parameters().count == 6)
        #expect(zip(model.parameters(), model.namedParameters()).allSatisfy { $0 === $1.tensor })
        #expect(model.namedParameters().map(\.name) == ["fc1.weight", "fc1.bias", "bn.weight", "bn.bias",
                                                        "fc2.weight", "fc2.bias"])
        #expect(model.buffers().count == model.namedBuffers().count && model.buffers().count == 3)
        #expect(model.localBuffers.isEmpty)
    }
}
