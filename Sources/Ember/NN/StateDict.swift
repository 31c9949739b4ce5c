/// Why `loadStateDict` refused a state dict, in PyTorch's words.
public struct StateDictError: Error, CustomStringConvertible, Equatable {
    /// The class of the module being loaded.
    public let moduleName: String
    /// Keys the module has but the state dict lacks.
    public let missingKeys: [String]
    /// Keys the state dict has but the module lacks.
    public let unexpectedKeys: [String]
    /// One message per tensor whose shape or dtype does not fit.
    public let mismatches: [String]

    /// `Error(s) in loading state_dict for Linear: ...`, as PyTorch prints it.
    public var description: String {
        var lines = ["Error(s) in loading state_dict for \(moduleName):"]
        func quoted(_ keys: [String]) -> String { keys.map { "\"\($0)\"" }.joined(separator: ", ") }
        if !unexpectedKeys.isEmpty { lines.append("\tUnexpected key(s) in state_dict: \(quoted(unexpectedKeys)). ") }
        if !missingKeys.isEmpty { lines.append("\tMissing key(s) in state_dict: \(quoted(missingKeys)). ") }
        lines.append(contentsOf: mismatches.map { "\t" + $0 })
        return lines.joined(separator: "\n")
    }
}

/// What a non-strict `loadStateDict` skipped (`_IncompatibleKeys`).
public struct IncompatibleKeys: Equatable, Sendable {
    /// Keys the module has but the state dict lacks.
    public let missingKeys: [String]
    /// Keys the state dict has but the module lacks.
    public let unexpectedKeys: [String]
}

extension Module {
    /// Parameters and persistent buffers with PyTorch's keys, in PyTorch's order: own parameters,
    /// own buffers, then each child's entries under its name.
    public func namedStateEntries() -> [(String, Tensor)] {
        var result: [(String, Tensor)] = []
        var stack: [(String, Module)] = [("", self)]
        while let (prefix, module) = stack.popLast() {
            let members = module.members()
            for case (let name, .parameter(let t)) in members { result.append((prefix + name, t.detach())) }
            for case (let name, .buffer(let t, let persistent)) in members where persistent {
                result.append((prefix + name, t.detach()))
            }
            for case (let name, .module(let child)) in members.reversed() { stack.append((prefix + name + ".", child)) }
        }
        return result
    }

    /// The keys of `stateDict()` in PyTorch's order.
    public func stateDictKeys() -> [String] { namedStateEntries().map(\.0) }

    /// Parameters and persistent buffers by PyTorch's key (`state_dict()`); the tensors share
    /// memory with the module's. Use `stateDictKeys()` for the order.
    public func stateDict() -> [String: Tensor] {
        Dictionary(namedStateEntries(), uniquingKeysWith: { first, _ in first })
    }

    /// Copies tensors from `stateDict` into the module's parameters and buffers
    /// (`load_state_dict`).
    ///
    /// Shape and dtype mismatches always throw; with `strict`, missing and unexpected keys throw
    /// too, otherwise they are returned.
    @discardableResult
    public func loadStateDict(_ stateDict: [String: Tensor], strict: Bool = true) throws(StateDictError)
        -> IncompatibleKeys
    {
        let own = namedStateEntries()
        let ownKeys = Set(own.map(\.0))
        let missing = own.map(\.0).filter { stateDict[$0] == nil }
        let unexpected = stateDict.keys.filter { !ownKeys.contains($0) }.sorted()
        var mismatches: [String] = []
        for (key, target) in own {
            guard let source = stateDict[key] else { continue }
            if source.shape != target.shape {
                mismatches.append(
                    "size mismatch for \(key): copying a param with shape \(source.shape.torchSize) from checkpoint, the shape in current model is \(target.shape.torchSize)."
                )
            } else if source.dtype != target.dtype {
                mismatches.append(
                    "dtype mismatch for \(key): copying a param with dtype \(source.dtype) from checkpoint, the dtype in current model is \(target.dtype)."
                )
            }
        }
        if !mismatches.isEmpty || (strict && (!missing.isEmpty || !unexpected.isEmpty)) {
            throw StateDictError(
                moduleName: typeName, missingKeys: strict ? missing : [], unexpectedKeys: strict ? unexpected : [],
                mismatches: mismatches)
        }
        noGrad {
            for (key, target) in own {
                if let source = stateDict[key] { target.detach().copy(from: source) }
            }
        }
        return IncompatibleKeys(missingKeys: missing, unexpectedKeys: unexpected)
    }
}
