/// A function applied to images as they are loaded (torchvision's transforms, on tensors).
///
/// Transforms take one image `[C, H, W]` or a batch `[N, C, H, W]`; random transforms draw
/// separately for every image of a batch. They are data augmentation, outside autograd.
public protocol Transform: Sendable {
    /// The transformed image or batch.
    func callAsFunction(_ x: Tensor) -> Tensor
}

/// Checks the `[C, H, W]` / `[N, C, H, W]` layout and returns the number of images.
private func imageCount(_ x: Tensor, _ name: String) -> Int {
    precondition(
        x.dim == 3 || x.dim == 4, "\(name): expected an image [C, H, W] or a batch [N, C, H, W], got shape \(x.shape)")
    return x.dim == 4 ? x.shape[0] : 1
}

/// Image `n` of `x` (the image itself when `x` is one image).
private func image(_ x: Tensor, _ n: Int) -> Tensor { x.dim == 4 ? x.detach()[n] : x.detach() }

/// torchvision-style image transforms on tensors (`torchvision.transforms`).
///
/// ```swift
/// let augment = Transforms.Compose([
///     Transforms.RandomCrop(28, padding: 4),
///     Transforms.RandomHorizontalFlip(),
///     Transforms.Normalize(mean: [0.1307], std: [0.3081]),
/// ])
/// let train = try MNIST(root: root, train: true, transform: augment)
/// ```
public enum Transforms {
    /// Applies transforms one after the other (`Compose`).
    public struct Compose: Transform {
        /// The transforms, in order.
        public let transforms: [any Transform]
        /// Chains `transforms`.
        public init(_ transforms: [any Transform]) { self.transforms = transforms }
        /// `x` passed through every transform.
        public func callAsFunction(_ x: Tensor) -> Tensor { transforms.reduce(x) { $1($0) } }
    }

    /// Normalizes each channel: `(x - mean[c]) / std[c]` (`Normalize`). One value applies to all
    /// channels.
    public struct Normalize: Transform {
        /// The per-channel means.
        public let mean: [Double]
        /// The per-channel standard deviations.
        public let std: [Double]

        /// A normalization by `mean` and `std`, which must have the same length and no zero.
        public init(mean: [Double], std: [Double]) {
            precondition(
                !mean.isEmpty && mean.count == std.count, "Normalize: mean and std must have the same, non-zero length")
            precondition(
                !std.contains(0),
                "std evaluated to zero after conversion to torch.float32, leading to division by zero.")
            self.mean = mean
            self.std = std
        }

        /// The normalized image or batch, in `x`'s floating-point type.
        public func callAsFunction(_ x: Tensor) -> Tensor {
            _ = imageCount(x, "Normalize")
            precondition(x.dtype.isFloatingPoint, "Input tensor should be a float tensor. Got \(x.dtype).")
            let channels = x.shape[x.dim - 3]
            precondition(
                mean.count == 1 || mean.count == channels,
                "Normalize: \(mean.count) means for an image of \(channels) channels")
            let m = Tensor(shape: [mean.count, 1, 1], scalars: mean).to(x.dtype)
            let s = Tensor(shape: [std.count, 1, 1], scalars: std).to(x.dtype)
            return noGrad { (x.detach() - m) / s }
        }
    }

    /// Crops a random `height × width` window after padding every side by `padding` pixels of
    /// `fill` (`RandomCrop(size, padding=...)`), a new position for each image.
    public struct RandomCrop: Transform {
        /// The output height.
        public let height: Int
        /// The output width.
        public let width: Int
        /// Pixels of `fill` added on each side before cropping.
        public let padding: Int
        /// The value of padding pixels.
        public let fill: Double
        /// The source of randomness.
        public let generator: Generator

        /// A square `size × size` crop.
        public init(_ size: Int, padding: Int = 0, fill: Double = 0, generator: Generator = .current) {
            self.init(height: size, width: size, padding: padding, fill: fill, generator: generator)
        }

        /// A `height × width` crop.
        public init(height: Int, width: Int, padding: Int = 0, fill: Double = 0, generator: Generator = .current) {
            precondition(height > 0 && width > 0 && padding >= 0, "RandomCrop: sizes must be positive, padding >= 0")
            self.height = height
            self.width = width
            self.padding = padding
            self.fill = fill
            self.generator = generator
        }

        /// The cropped image `[C, height, width]` or batch `[N, C, height, width]`.
        public func callAsFunction(_ x: Tensor) -> Tensor {
            let n = imageCount(x, "RandomCrop")
            let (h, w) = (x.shape[x.dim - 2], x.shape[x.dim - 1])
            precondition(
                h + 2 * padding >= height && w + 2 * padding >= width,
                "Required crop size (\(height), \(width)) is larger than input image size "
                    + "(\(h + 2 * padding), \(w + 2 * padding))")
            var shape = x.shape
            shape[x.dim - 2] = height
            shape[x.dim - 1] = width
            let out = Tensor.full(shape, fill, dtype: x.dtype)
            for k in 0..<n {
                let (top, left) = generator.withSource { s in
                    (
                        Int(s.below(UInt64(h + 2 * padding - height + 1))),
                        Int(s.below(UInt64(w + 2 * padding - width + 1)))
                    )
                }
                // Output row r shows source row top + r - padding; copy the part inside the image.
                let rows = Swift.max(0, padding - top)..<Swift.min(height, h + padding - top)
                let cols = Swift.max(0, padding - left)..<Swift.min(width, w + padding - left)
                guard !rows.isEmpty && !cols.isEmpty else { continue }
                let source = image(x, k)
                    .narrow(dim: 1, start: top + rows.lowerBound - padding, length: rows.count)
                    .narrow(dim: 2, start: left + cols.lowerBound - padding, length: cols.count)
                let target = image(out, k)
                    .narrow(dim: 1, start: rows.lowerBound, length: rows.count)
                    .narrow(dim: 2, start: cols.lowerBound, length: cols.count)
                copyElements(into: target, from: source)
            }
            return out
        }
    }

    /// Mirrors images left to right with probability `p` (`RandomHorizontalFlip`), drawn for each
    /// image.
    public struct RandomHorizontalFlip: Transform {
        /// The probability of a flip.
        public let p: Double
        /// The source of randomness.
        public let generator: Generator

        /// A flip with probability `p`.
        public init(p: Double = 0.5, generator: Generator = .current) {
            precondition(p >= 0 && p <= 1, "RandomHorizontalFlip: p must be in [0, 1], got \(p)")
            self.p = p
            self.generator = generator
        }

        /// The image or batch with the chosen images flipped.
        public func callAsFunction(_ x: Tensor) -> Tensor {
            let n = imageCount(x, "RandomHorizontalFlip")
            let flips = generator.withSource { s in (0..<n).map { _ in s.uniform() < p } }
            guard flips.contains(true) else { return x }
            let width = x.shape[x.dim - 1]
            let reversed = Tensor(shape: [width], scalars: Array((0..<width).reversed()))
            let out = noGrad { x.detach().clone() }
            for k in 0..<n where flips[k] {
                copyElements(into: image(out, k), from: image(x, k).indexSelect(dim: 2, index: reversed))
            }
            return out
        }
    }
}
