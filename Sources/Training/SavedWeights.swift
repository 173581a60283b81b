import NN
import Config

/// Loads weights for a config and refuses, in one line, weights made for another model: tensor names,
/// shapes and dtypes must match the config's model, and a Lockstep file's `config_digest` must be the
/// config's (a PyTorch state dict has none, and only its shapes are checked).
///
/// ```swift
/// let model = try SavedWeights.load("runs/x/model.safetensors", config: config)   // in eval mode
/// ```
public enum SavedWeights {
    public static func load(_ path: String, config: RunConfig, verify: Bool = true) throws -> Sequential {
        let model = try ModelBuilder.build(config)
        let state = try StateDictFile.read(path, for: model, verify: verify)
        if let digest = state.metadata["config_digest"], digest != config.configDigest {
            throw TrainingError("\(path): these weights were trained with another config (config_digest \(digest), this config \(config.configDigest)); evaluate them with their run's config (eval --run DIR)")
        }
        try model.loadStateDict(state.model, source: path)
        model.eval()
        return model
    }
}
