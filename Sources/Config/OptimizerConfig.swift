/// `optimizer`: the update rule and its hyperparameters, as PyTorch names them.
public struct OptimizerConfig: Sendable, Equatable, Decodable {
    public var type: Kind
    /// Base learning rate, before `lrScaling`. See `RunConfig.learningRate` for the one to use.
    public var lr: Double
    /// L2 penalty (sgd, adam) or decoupled weight decay (adamw). Default 0, or 0.01 for adamw.
    public var weightDecay: Double
    /// sgd only.
    public var momentum: Double
    /// sgd only.
    public var dampening: Double
    /// sgd only; needs momentum > 0 and dampening 0.
    public var nesterov: Bool
    /// adam and adamw only.
    public var betas: (Double, Double)
    /// adam and adamw only.
    public var eps: Double
    /// Scale `lr` with the global batch: `lr × (batch.global / reference_batch)` (linear rule).
    public var lrScaling: LRScaling?

    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case sgd, adam, adamw

        /// The keys this rule takes beyond `type`, `lr`, `weight_decay` and `lr_scaling`.
        var keys: [String] { self == .sgd ? ["momentum", "dampening", "nesterov"] : ["betas", "eps"] }
    }

    /// `optimizer.lr_scaling: {reference_batch: 256, rule: linear}`.
    public struct LRScaling: Sendable, Equatable, Decodable {
        public var referenceBatch: Int
        public var rule: Rule

        public enum Rule: String, Sendable, Hashable, CaseIterable {
            /// `lr × global / reference_batch` (Goyal et al.).
            case linear
            /// `lr × sqrt(global / reference_batch)`.
            case sqrt
        }

        public init(referenceBatch: Int, rule: Rule = .linear) {
            self.referenceBatch = referenceBatch
            self.rule = rule
        }

        public init(from decoder: Decoder) throws {
            let map = try ConfigMapping(decoder, keys: ["reference_batch", "rule"])
            self.init(referenceBatch: try map.required("reference_batch"), rule: try map.choice("rule") ?? .linear)
        }

        var canonical: ConfigValue { .map(["reference_batch": .int(referenceBatch), "rule": .string(rule.rawValue)]) }
    }

    public init(type: Kind, lr: Double, weightDecay: Double? = nil, momentum: Double = 0, dampening: Double = 0,
                nesterov: Bool = false, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                lrScaling: LRScaling? = nil) {
        self.type = type
        self.lr = lr
        self.weightDecay = weightDecay ?? (type == .adamw ? 0.01 : 0)
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.betas = betas
        self.eps = eps
        self.lrScaling = lrScaling
    }

    /// The learning rate after `lrScaling` for a global batch of `globalBatch` samples.
    public func scaledLR(globalBatch: Int) -> Double {
        guard let scaling = lrScaling else { return lr }
        let ratio = Double(globalBatch) / Double(scaling.referenceBatch)
        switch scaling.rule {
        case .linear: return lr * ratio
        case .sqrt: return lr * ratio.squareRoot()
        }
    }

    public static func == (lhs: OptimizerConfig, rhs: OptimizerConfig) -> Bool {
        lhs.type == rhs.type && lhs.lr == rhs.lr && lhs.weightDecay == rhs.weightDecay
            && lhs.momentum == rhs.momentum && lhs.dampening == rhs.dampening && lhs.nesterov == rhs.nesterov
            && lhs.betas == rhs.betas && lhs.eps == rhs.eps && lhs.lrScaling == rhs.lrScaling
    }

    static let commonKeys = ["type", "lr", "weight_decay", "lr_scaling"]

    public init(from decoder: Decoder) throws {
        let map = try ConfigMapping(decoder)
        let type: Kind = try map.choice("type") ?? map.missing("type")
        try map.only(Self.commonKeys + type.keys, known: Kind.allCases.flatMap(\.keys), variant: "optimizer.type \(type.rawValue)")
        self.init(type: type, lr: try map.required("lr"))
        try map.read("weight_decay", into: &weightDecay)
        try map.read("momentum", into: &momentum)
        try map.read("dampening", into: &dampening)
        try map.read("nesterov", into: &nesterov)
        if let pair: [Double] = try map.list("betas", of: "two numbers [beta1, beta2]") {
            guard pair.count == 2 else {
                throw ConfigError.mismatch(map.path.key("betas"), expected: "a list of two numbers [beta1, beta2]", got: "a list")
            }
            betas = (pair[0], pair[1])
        }
        try map.read("eps", into: &eps)
        lrScaling = try map.optional("lr_scaling")
    }

    var canonical: ConfigValue {
        let own = type == .sgd
            ? ConfigValue.pairs(["momentum": .double(momentum), "dampening": .double(dampening), "nesterov": .bool(nesterov)])
            : ConfigValue.pairs(["betas": .list([.double(betas.0), .double(betas.1)]), "eps": .double(eps)])
        return .map(ConfigValue.pairs(["type": .string(type.rawValue), "lr": .double(lr), "weight_decay": .double(weightDecay)])
            + own + ConfigValue.pairs(["lr_scaling": lrScaling?.canonical ?? .null]))
    }

    func validate(at path: ConfigPath) throws {
        try path.key("lr").positive(lr)
        try path.key("weight_decay").nonNegative(weightDecay)
        if type == .sgd {
            try path.key("momentum").fraction(momentum)
            try path.key("dampening").fraction(dampening, closed: true)
            if nesterov && (momentum == 0 || dampening != 0) {
                throw ConfigError(path.key("nesterov"), "nesterov needs momentum > 0 and dampening 0, got momentum "
                                  + "\(configNumber(momentum)) and dampening \(configNumber(dampening))")
            }
        } else {
            try path.key("betas").index(0).fraction(betas.0)
            try path.key("betas").index(1).fraction(betas.1)
            try path.key("eps").positive(eps)
        }
        if let lrScaling { try path.key("lr_scaling").key("reference_batch").positive(lrScaling.referenceBatch) }
    }
}

/// `schedule`: the shape of the learning rate over the run.
public struct ScheduleConfig: Sendable, Equatable, Decodable {
    public var type: Kind
    /// Linear warm-up over the first `warmupSteps` optimizer steps.
    public var warmupSteps: Int
    /// cosine only: the learning rate reached at the last step (absolute, not scaled).
    public var minLR: Double
    /// step only: multiply the learning rate by `gamma` every `stepSize` steps.
    public var stepSize: Int
    /// step only.
    public var gamma: Double

    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case constant, cosine, step

        /// The keys this shape takes beyond `type` and `warmup_steps`.
        var keys: [String] { self == .cosine ? ["min_lr"] : self == .step ? ["step_size", "gamma"] : [] }
    }

    public init(type: Kind = .constant, warmupSteps: Int = 0, minLR: Double = 0, stepSize: Int = 0, gamma: Double = 0.1) {
        self.type = type
        self.warmupSteps = warmupSteps
        self.minLR = minLR
        self.stepSize = stepSize
        self.gamma = gamma
    }

    public init(from decoder: Decoder) throws {
        let map = try ConfigMapping(decoder)
        let type: Kind = try map.choice("type") ?? .constant
        try map.only(["type", "warmup_steps"] + type.keys, known: Kind.allCases.flatMap(\.keys),
                     variant: "schedule.type \(type.rawValue)")
        self.init(type: type, stepSize: type == .step ? try map.required("step_size") : 0)
        try map.read("warmup_steps", into: &warmupSteps)
        try map.read("min_lr", into: &minLR)
        try map.read("gamma", into: &gamma)
    }

    var canonical: ConfigValue {
        let own: [ConfigValue.Pair]
        switch type {
        case .constant: own = []
        case .cosine: own = ConfigValue.pairs(["min_lr": .double(minLR)])
        case .step: own = ConfigValue.pairs(["step_size": .int(stepSize), "gamma": .double(gamma)])
        }
        return .map(ConfigValue.pairs(["type": .string(type.rawValue), "warmup_steps": .int(warmupSteps)]) + own)
    }

    func validate(at path: ConfigPath) throws {
        try path.key("warmup_steps").nonNegative(warmupSteps)
        if type == .cosine { try path.key("min_lr").nonNegative(minLR) }
        if type == .step {
            try path.key("step_size").positive(stepSize)
            try path.key("gamma").openFraction(gamma)
        }
    }
}
