import ConfigCoding
/// `optimizer`: the update rule and its hyperparameters, as PyTorch names them; keys of another rule
/// than `type` are refused. `lr` is the base rate, before `lrScaling` (`RunConfig.learningRate`).
public struct OptimizerConfig: Sendable, Equatable, Decodable {
    public var type: Kind
    public var lr: Double
    /// L2 penalty (sgd, adam, lars) or decoupled weight decay (adamw, lamb; default 0.01).
    public var weightDecay: Double
    /// sgd: default 0; lars: default 0.9.
    public var momentum: Double
    public var dampening = 0.0
    public var nesterov = false
    public var betas = (0.9, 0.999)
    /// adam, adamw, lars: default 1e-8; lamb: 1e-6.
    public var eps: Double
    /// lars: η, the trust ratio's coefficient.
    public var trustCoefficient = 0.001
    /// lars, lamb: which parameters take no trust ratio and no weight decay.
    public var exclude = Exclusion.oneDimensional
    public var lrScaling: LRScaling?

    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case sgd, adam, adamw, lars, lamb

        /// The keys this rule takes beyond `type`, `lr`, `weight_decay` and `lr_scaling`.
        var keys: [String] {
            switch self {
            case .sgd: ["momentum", "dampening", "nesterov"]
            case .adam, .adamw: ["betas", "eps"]
            case .lars: ["momentum", "nesterov", "trust_coefficient", "eps", "exclude"]
            case .lamb: ["betas", "eps", "exclude"]
            }
        }

        /// LARS and LAMB: a trust ratio per parameter tensor.
        public var isLayerwise: Bool { self == .lars || self == .lamb }
    }

    /// `exclude` of lars and lamb: `one_dimensional` leaves every parameter with fewer than two
    /// dimensions (biases, batch- and layer-norm scales and shifts) out of the trust ratio and weight
    /// decay, as You et al. do; `none` adapts every parameter.
    public enum Exclusion: String, Sendable, Hashable, CaseIterable {
        case oneDimensional = "one_dimensional", none
    }

    /// `optimizer.lr_scaling: {reference_batch: 256, rule: linear}`: `lr × global / reference_batch`
    /// (Goyal et al.), or with `rule: sqrt` its square root.
    public struct LRScaling: Sendable, Equatable, Decodable {
        public var referenceBatch: Int
        public var rule: Rule

        public enum Rule: String, Sendable, Hashable, CaseIterable { case linear, sqrt }

        public init(referenceBatch: Int, rule: Rule = .linear) { (self.referenceBatch, self.rule) = (referenceBatch, rule) }

        public init(from decoder: Decoder) throws {
            let map = try ConfigMapping(decoder, keys: ["reference_batch", "rule"])
            self.init(referenceBatch: try map.required("reference_batch"), rule: try map.choice("rule") ?? .linear)
        }

        var canonical: ConfigValue { .map(["reference_batch": .int(referenceBatch), "rule": .string(rule.rawValue)]) }
    }

    public init(type: Kind, lr: Double, lrScaling: LRScaling? = nil) {
        (self.type, self.lr, self.lrScaling) = (type, lr, lrScaling)
        weightDecay = type == .adamw || type == .lamb ? 0.01 : 0
        momentum = type == .lars ? 0.9 : 0
        eps = type == .lamb ? 1e-6 : 1e-8
    }

    /// The learning rate after `lrScaling` for a global batch of `globalBatch` samples.
    public func scaledLR(globalBatch: Int) -> Double {
        guard let scaling = lrScaling else { return lr }
        let ratio = Double(globalBatch) / Double(scaling.referenceBatch)
        return scaling.rule == .linear ? lr * ratio : lr * ratio.squareRoot()
    }

    /// Equal when every key of the rule is (the tuple `betas` has no synthesised equality).
    public static func == (lhs: OptimizerConfig, rhs: OptimizerConfig) -> Bool { lhs.canonical == rhs.canonical }

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
        try map.read("trust_coefficient", into: &trustCoefficient)
        exclude = try map.choice("exclude") ?? exclude
        lrScaling = try map.optional("lr_scaling")
    }

    var canonical: ConfigValue {
        let betas = ConfigValue.list([.double(betas.0), .double(betas.1)])
        let own = switch type {
        case .sgd: ConfigValue.pairs(["momentum": .double(momentum), "dampening": .double(dampening), "nesterov": .bool(nesterov)])
        case .adam, .adamw: ConfigValue.pairs(["betas": betas, "eps": .double(eps)])
        case .lars: ConfigValue.pairs(["momentum": .double(momentum), "nesterov": .bool(nesterov),
                                       "trust_coefficient": .double(trustCoefficient), "eps": .double(eps),
                                       "exclude": .string(exclude.rawValue)])
        case .lamb: ConfigValue.pairs(["betas": betas, "eps": .double(eps), "exclude": .string(exclude.rawValue)])
        }
        return .map(ConfigValue.pairs(["type": .string(type.rawValue), "lr": .double(lr), "weight_decay": .double(weightDecay)])
            + own + ConfigValue.pairs(["lr_scaling": lrScaling?.canonical ?? .null]))
    }

    func validate(at path: ConfigPath) throws {
        try path.key("lr").positive(lr)
        try path.key("weight_decay").nonNegative(weightDecay)
        switch type {
        case .sgd, .lars:
            try path.key("momentum").fraction(momentum)
            try path.key("dampening").fraction(dampening, closed: true)
            if nesterov && (momentum == 0 || dampening != 0) {
                throw ConfigError(path.key("nesterov"), "nesterov needs momentum > 0 and dampening 0, got momentum "
                                  + "\(configNumber(momentum)) and dampening \(configNumber(dampening))")
            }
            if type == .lars {
                try path.key("trust_coefficient").positive(trustCoefficient)
                try path.key("eps").nonNegative(eps)
            }
        case .adam, .adamw, .lamb:
            try path.key("betas").index(0).fraction(betas.0)
            try path.key("betas").index(1).fraction(betas.1)
            try path.key("eps").positive(eps)
        }
        if let lrScaling { try path.key("lr_scaling").key("reference_batch").positive(lrScaling.referenceBatch) }
    }
}

/// `schedule`: the shape of the learning rate over the run: a linear warm-up over the first
/// `warmupSteps` steps, then constant, cosine down to `minLR` (absolute), or times `gamma` every
/// `stepSize` steps.
public struct ScheduleConfig: Sendable, Equatable, Decodable {
    public var type = Kind.constant
    public var warmupSteps = 0
    public var minLR = 0.0
    public var stepSize = 0
    public var gamma = 0.1

    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case constant, cosine, step

        /// The keys this shape takes beyond `type` and `warmup_steps`.
        var keys: [String] { self == .cosine ? ["min_lr"] : self == .step ? ["step_size", "gamma"] : [] }
    }

    public init(type: Kind = .constant) { self.type = type }

    static let commonKeys = ["type", "warmup_steps"]

    public init(from decoder: Decoder) throws {
        let map = try ConfigMapping(decoder)
        let type: Kind = try map.choice("type") ?? .constant
        try map.only(Self.commonKeys + type.keys, known: Kind.allCases.flatMap(\.keys),
                     variant: "schedule.type \(type.rawValue)")
        self.init(type: type)
        if type == .step { stepSize = try map.required("step_size") }
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
