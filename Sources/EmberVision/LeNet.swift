// LeNet-5 (LeCun et al., 1998) in its common modern form. torchvision has no LeNet; the layout
// and names follow the network of PyTorch's "Neural Networks" tutorial.

/// LeNet-5 for 1×28×28 images (MNIST), with ReLU and max pooling in place of the original
/// scaled tanh and trainable subsampling:
///
/// | layer   | operation                                   | output      |
/// |---------|---------------------------------------------|-------------|
/// | `conv1` | `Conv2d(1, 6, kernelSize: 5, padding: 2)`, ReLU, 2×2 max pool | 6×14×14 |
/// | `conv2` | `Conv2d(6, 16, kernelSize: 5)`, ReLU, 2×2 max pool            | 16×5×5  |
/// | `fc1`   | flatten, `Linear(400, 120)`, ReLU           | 120         |
/// | `fc2`   | `Linear(120, 84)`, ReLU                     | 84          |
/// | `fc3`   | `Linear(84, numClasses)`                    | numClasses  |
///
/// State keys: `conv1.weight`, `conv1.bias`, `conv2.*`, `fc1.*`, `fc2.*`, `fc3.*` — the same as
/// this PyTorch module:
///
/// ```python
/// class LeNet5(nn.Module):
///     def __init__(self, num_classes=10):
///         super().__init__()
///         self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
///         self.conv2 = nn.Conv2d(6, 16, 5)
///         self.fc1 = nn.Linear(16 * 5 * 5, 120)
///         self.fc2 = nn.Linear(120, 84)
///         self.fc3 = nn.Linear(84, num_classes)
///     def forward(self, x):
///         x = F.max_pool2d(F.relu(self.conv1(x)), 2)
///         x = F.max_pool2d(F.relu(self.conv2(x)), 2)
///         x = torch.flatten(x, 1)
///         return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
/// ```
public final class LeNet5: Module {
    /// 5×5 convolution, 1 → 6 channels, padding 2 (keeps 28×28).
    public let conv1 = Conv2d(1, 6, kernelSize: 5, padding: 2)
    /// 5×5 convolution, 6 → 16 channels (14×14 → 10×10).
    public let conv2 = Conv2d(6, 16, kernelSize: 5)
    /// Fully connected, 16·5·5 → 120.
    public let fc1 = Linear(16 * 5 * 5, 120)
    /// Fully connected, 120 → 84.
    public let fc2 = Linear(120, 84)
    /// The classifier, 84 → `numClasses`; assign a new `Linear` to change the head.
    public var fc3: Linear

    /// A LeNet-5 with `numClasses` outputs, every layer with PyTorch's default initialisation.
    public init(numClasses: Int = 10) {
        fc3 = Linear(84, numClasses)
        super.init()
    }

    /// Logits `[N, numClasses]` for images `[N, 1, 28, 28]`.
    override public func forward(_ input: Tensor) -> Tensor {
        var x = F.maxPool2d(F.relu(conv1(input)), kernelSize: 2)
        x = F.maxPool2d(F.relu(conv2(x)), kernelSize: 2)
        x = F.relu(fc1(x.flatten(startDim: 1)))
        return fc3(F.relu(fc2(x)))
    }
}
