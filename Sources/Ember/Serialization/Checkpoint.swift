import Foundation

/// Why a checkpoint could not be read.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file is not a readable safetensors file.
    case file(SafetensorsError)
    /// The file is safetensors but not an Ember checkpoint, or its bookkeeping is damaged.
    case invalid(path: String, reason: String)

    /// A one-line explanation naming the file.
    public var description: String {
        switch self {
        case .file(let e): "\(e)"
        case .invalid(let path, let reason): "\(path): not a valid Ember checkpoint: \(reason)"
        }
    }
}

/// Everything needed to resume training exactly, in one file: model state, optimizer state,
/// scheduler state, epoch, step and random-generator states (plus free-form strings).
///
/// Stored as safetensors, written atomically: tensors under `model.<key>` and
/// `optimizer.<index>.<name>`, the rest as JSON in the `ember.checkpoint` metadata entry (numbers as
/// exact decimal strings).
public struct Checkpoint {
    /// The model's state dict.
    public var modelState: [String: Tensor]
    /// The optimizer's state dict.
    public var optimizerState: OptimizerState?
    /// The learning-rate scheduler's state dict.
    public var schedulerState: SchedulerState?
    /// The epoch (0-based) the run is in.
    public var epoch: Int
    /// The step (batch) within the epoch, or overall, as the caller counts.
    public var step: Int
    /// Generator states by name (`Generator.stateWords`).
    public var rngStates: [String: [UInt64]]
    /// Other values the caller wants back.
    public var extra: [String: String]

    /// A checkpoint of the given parts.
    public init(
        modelState: [String: Tensor], optimizerState: OptimizerState? = nil, schedulerState: SchedulerState? = nil,
        epoch: Int = 0, step: Int = 0, rngStates: [String: [UInt64]] = [:], extra: [String: String] = [:]
    ) {
        self.modelState = modelState
        self.optimizerState = optimizerState
        self.schedulerState = schedulerState
        self.epoch = epoch
        self.step = step
        self.rngStates = rngStates
        self.extra = extra
    }

    private static let metadataKey = "ember.checkpoint"

    /// Writes the checkpoint atomically: a crash during the write leaves the previous file intact.
    public func save(to url: URL) throws(SafetensorsError) {
        var tensors: [String: Tensor] = [:]
        for (k, t) in modelState { tensors["model.\(k)"] = t }
        var meta: [String: Any] = [
            "version": 1, "epoch": epoch, "step": step,
            "rng": rngStates.mapValues { $0.map { String($0) } }, "extra": extra,
        ]
        if let optimizerState {
            var numbers: [String: [String: String]] = [:]
            var names: [String: [String]] = [:]
            for (i, s) in optimizerState.state {
                numbers[String(i)] = s.numbers.mapValues { String($0) }
                names[String(i)] = s.tensors.keys.sorted()
                for (name, t) in s.tensors { tensors["optimizer.\(i).\(name)"] = t }
            }
            meta["optimizer"] = [
                "numbers": numbers, "tensors": names,
                "param_groups": optimizerState.paramGroups.map {
                    ["options": $0.options.mapValues { String($0) }, "params": $0.params] as [String: Any]
                },
            ]
        }
        if let schedulerState { meta["scheduler"] = Self.encode(schedulerState) }
        let json: Data
        do {
            json = try JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys])
        } catch {
            throw .invalidHeader(path: url.path, reason: "cannot encode checkpoint metadata: \(error)")
        }
        try saveSafetensors(tensors, to: url, metadata: [Self.metadataKey: String(decoding: json, as: UTF8.self)])
    }

    /// Reads a checkpoint written by `save(to:)`.
    public static func load(from url: URL) throws(CheckpointError) -> Checkpoint {
        let tensors: [String: Tensor]
        let metadata: [String: String]
        do {
            tensors = try loadSafetensors(from: url)
            metadata = try safetensorsMetadata(from: url)
        } catch {
            throw .file(error)
        }
        func invalid(_ reason: String) -> CheckpointError { .invalid(path: url.path, reason: reason) }
        guard let text = metadata[metadataKey],
            let meta = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else { throw invalid("no \(metadataKey) metadata") }
        guard let epoch = meta["epoch"] as? Int, let step = meta["step"] as? Int else {
            throw invalid("missing epoch or step")
        }
        var model: [String: Tensor] = [:]
        for (k, t) in tensors where k.hasPrefix("model.") { model[String(k.dropFirst(6))] = t }
        var checkpoint = Checkpoint(modelState: model, epoch: epoch, step: step)
        checkpoint.extra = meta["extra"] as? [String: String] ?? [:]
        for (name, words) in meta["rng"] as? [String: [String]] ?? [:] {
            let parsed = words.compactMap { UInt64($0) }
            guard parsed.count == words.count else {
                throw invalid("generator state '\(name)' is not a list of integers")
            }
            checkpoint.rngStates[name] = parsed
        }
        if let optimizer = meta["optimizer"] as? [String: Any] {
            let numbers = optimizer["numbers"] as? [String: [String: String]] ?? [:]
            let names = optimizer["tensors"] as? [String: [String]] ?? [:]
            var state: [Int: ParameterState] = [:]
            for key in Set(numbers.keys).union(names.keys) {
                guard let i = Int(key) else { throw invalid("optimizer state index '\(key)'") }
                var s = ParameterState(numbers: (numbers[key] ?? [:]).compactMapValues(Double.init))
                for name in names[key] ?? [] {
                    guard let t = tensors["optimizer.\(i).\(name)"] else {
                        throw invalid("missing tensor optimizer.\(i).\(name)")
                    }
                    s.tensors[name] = t
                }
                state[i] = s
            }
            let groups = (optimizer["param_groups"] as? [[String: Any]] ?? []).map { g in
                ParamGroupState(
                    options: (g["options"] as? [String: String] ?? [:]).compactMapValues(Double.init),
                    params: g["params"] as? [Int] ?? [])
            }
            checkpoint.optimizerState = OptimizerState(state: state, paramGroups: groups)
        }
        if let scheduler = meta["scheduler"] as? [String: Any] { checkpoint.schedulerState = decode(scheduler) }
        return checkpoint
    }

    private static func encode(_ s: SchedulerState) -> [String: Any] {
        [
            "numbers": s.numbers.mapValues { String($0) }, "lists": s.lists.mapValues { $0.map { String($0) } },
            "schedulers": s.schedulers.map(encode),
        ]
    }

    private static func decode(_ object: [String: Any]) -> SchedulerState {
        SchedulerState(
            numbers: (object["numbers"] as? [String: String] ?? [:]).compactMapValues(Double.init),
            lists: (object["lists"] as? [String: [String]] ?? [:]).mapValues { $0.compactMap(Double.init) },
            schedulers: (object["schedulers"] as? [[String: Any]] ?? []).map(decode))
    }
}
