// EmberVision: torchvision's models for Ember.
//
// `import EmberVision` also imports Ember (and Foundation's `URL`, which the weight loaders take),
// so a script needs only one import. Every model has torchvision's module structure, property
// names and initialisation, so `stateDictKeys()` equals torchvision's `state_dict().keys()` and a
// state dict exported from torchvision loads strictly.

@_exported import Ember

@_exported import struct Foundation.URL

/// Initialises a network as torchvision's classification models do: convolution weights
/// Kaiming-normal with `mode="fan_out"` for ReLU (biases zero), BatchNorm weights one and biases
/// zero. Linear layers get N(0, `linearStd`²) weights and zero biases, or keep PyTorch's default
/// when `linearStd` is nil.
func torchvisionInit(_ model: Module, linearStd: Double? = nil) {
    for module in model.modules() {
        switch module {
        case let conv as Conv2d:
            Init.kaimingNormal(conv.weight, mode: "fan_out", nonlinearity: "relu")
            if let bias = conv.bias { Init.zeros(bias) }
        case let norm as BatchNorm2d:
            if let weight = norm.weight { Init.ones(weight) }
            if let bias = norm.bias { Init.zeros(bias) }
        case let linear as Linear:
            guard let linearStd else { continue }
            Init.normal(linear.weight, mean: 0, std: linearStd)
            if let bias = linear.bias { Init.zeros(bias) }
        default:
            break
        }
    }
}
