import NN
import Config

/// Loads weights for a config and refuses, in one line, weights made for another model: tensor names,
/// shapes and dtypes must match the config's model, and a Lockstep file's `config_digest` must be the
/// config's (a PyTorch state dict has none, and only its shapes are checked). Given the SHA-256 of the
/// run folder's `preprocessing.json`, weights that record another `preprocessing_sha256` are refused
/// too: inputs prepared by another preprocessing would give wrong numbers without any error.
///
/// ```swift
/// let model = try SavedWeights.load("runs/x/model.safetensors", config: config)   // in eval mode
/// ```
public enum SavedWeights {
    public static func load(_ path: String, config: RunConfig, verify: Bool = true, preprocessingSHA256: String? = nil) throws -> Sequential {
        let model = try ModelBuilder.build(config)
        let state = try StateDictFile.read(path, for: model, verify: verify)
        if let digest = state.metadata["config_digest"], digest != config.configDigest {
            throw TrainingError("\(path): these weights were trained with another config (config_digest \(digest), this config \(config.configDigest)); evaluate them with their run's config (eval --run DIR)")
        }
        // Weights written before the binding existed record no digest; `--no-verify` skips the check
        // for a preprocessing.json edited on purpose (it is still checked for soundness).
        if verify, let expected = preprocessingSHA256, let recorded = state.metadata[RunFolder.preprocessingDigestKey], recorded != expected {
            let shown = RunData.isSHA256(recorded) ? String(recorded.prefix(16)) + "…" : "malformed"
            throw TrainingError("\(path): these weights were trained with another preprocessing.json (they record preprocessing_sha256 \(shown), the run folder's file has \(expected.prefix(16))…): the file was edited or comes from another run")
        }
        try model.loadStateDict(state.model, source: path)
        model.eval()
        return model
    }
}
