/// How a `Module` treats a tensor stored in one of its properties.
enum ModuleRole {
    /// A trainable parameter: listed by `parameters()` and saved in the state dict.
    case parameter
    /// A buffer (running statistics and the like): saved in the state dict when persistent.
    case buffer(persistent: Bool)
}

// swift-format-ignore: AlwaysUseLowerCamelCase
/// Marks a tensor as a module parameter (`nn.Parameter`): a leaf sharing `data`'s memory that
/// requires grad. Tensor properties of a `Module` are registered only when marked this way (or
/// with `Buffer`), so plain cached tensors are not parameters.
public func Parameter(_ data: Tensor, requiresGrad: Bool = true) -> Tensor {
    let p = data.detach()
    p.requiresGrad = requiresGrad
    p.moduleRole = .parameter
    return p
}

// swift-format-ignore: AlwaysUseLowerCamelCase
/// Marks a tensor as a module buffer (`nn.Buffer`): state that is saved with the module (when
/// `persistent`) and converted with it, but not trained.
public func Buffer(_ data: Tensor, persistent: Bool = true) -> Tensor {
    data.moduleRole = .buffer(persistent: persistent)
    return data
}

extension Tensor {
    /// Whether this tensor was marked with `Parameter`.
    public var isParameter: Bool {
        if case .parameter = moduleRole { return true }
        return false
    }

    /// Replaces this tensor's contents with `other`'s memory and geometry (`param.data = other`),
    /// keeping its identity, autograd flags and module role.
    public func setData(_ other: Tensor) {
        storage = other.storage
        shape = other.shape
        strides = other.strides
        storageOffset = other.storageOffset
    }
}
