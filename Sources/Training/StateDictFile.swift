import TensorCore
import NN
import Optim
import Checkpointing

/// Model weights and training state as safetensors files, in PyTorch's `state_dict` naming.
public enum StateDictFile {
    /// The model's state dict (and optionally the optimizer's state) as an archive, with the run state
    /// in `__metadata__` and `params_sha256` recorded.
    public static func archive(model: Module, optimizer: Optimizer? = nil, metadata: [String: String] = [:]) -> SafetensorsArchive {
        var archive = SafetensorsArchive(tensors: model.stateDict(), metadata: metadata)
        archive.recordParamsSHA256()
        if let optimizer { archive.tensors += optimizer.stateTensors() }
        return archive
    }

    /// Reads a state dict (a file saved by `safetensors.torch.save_file(model.state_dict(), …)`
    /// or by Lockstep) and checks it against the model: every tensor present, nothing unknown, the
    /// right shapes and dtypes. Optimizer entries are returned separately.
    public static func read(_ path: String, for model: Module) throws -> (model: [String: Tensor], optimizer: [String: Tensor], metadata: [String: String]) {
        let archive = try SafetensorsArchive(contentsOf: path)
        let expected = model.stateDict().map { TensorSpec(name: $0.name, shape: $0.tensor.shape, dtype: $0.tensor.dtype) }
        var modelTensors: [String: Tensor] = [:], optimizerTensors: [String: Tensor] = [:]
        for (name, tensor) in archive.tensors {
            if name.hasPrefix(CheckpointMetadataKey.optimizerPrefix) { optimizerTensors[name] = tensor } else { modelTensors[name] = tensor }
        }
        try SafetensorsArchive(tensors: archive.tensors.filter { !$0.name.hasPrefix(CheckpointMetadataKey.optimizerPrefix) })
            .validate(against: expected, source: path)
        return (modelTensors, optimizerTensors, archive.metadata)
    }
}
