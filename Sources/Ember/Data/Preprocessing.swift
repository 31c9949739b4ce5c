/// Preprocessing of tabular tensors with scikit-learn's semantics: scalers fitted on training
/// data and applied to other data, and a random train/test split.
///
/// Scalers take `[samples, features...]` tensors and compute one statistic per feature over the
/// first dimension (in float64); integer input is treated as float32.

/// Checks that a scaler was fitted and that `x` has the fitted feature shape.
private func checkFitted(_ name: String, _ fittedShape: [Int]?, _ x: Tensor) {
    guard let fittedShape else {
        preconditionFailure(
            "This \(name) instance is not fitted yet. "
                + "Call 'fit' with appropriate arguments before using this estimator.")
    }
    precondition(
        x.dim >= 1 && Array(x.shape.dropFirst()) == fittedShape,
        "X has \(x.dim >= 1 ? x.shape.dropFirst().reduce(1, *) : 0) features, but \(name) is expecting "
            + "\(fittedShape.reduce(1, *)) features as input.")
}

/// `x` as a floating-point tensor with at least one sample.
private func samples(_ x: Tensor) -> Tensor {
    precondition(
        x.dim >= 1 && x.shape[0] > 0,
        "Found array with 0 sample(s) (shape=\(x.shape)) while a minimum of 1 is required.")
    return x.dtype.isFloatingPoint ? x : x.to(.float32)
}

/// Scales each feature to zero mean and unit variance (`sklearn.preprocessing.StandardScaler`):
/// `(x - mean) / scale`, where `scale` is the population standard deviation (dividing by `n`, as
/// scikit-learn), or 1 for a constant feature.
///
/// ```swift
/// var scaler = StandardScaler()
/// let xTrainScaled = scaler.fitTransform(xTrain)
/// let xTestScaled = scaler.transform(xTest)           // the training statistics
/// let prediction = scaler.inverseTransform(scaled)    // back to the original units
/// ```
public struct StandardScaler: Sendable {
    /// Whether the mean is subtracted (`with_mean`).
    public let withMean: Bool
    /// Whether features are divided by their standard deviation (`with_std`).
    public let withStd: Bool
    /// The per-feature mean of the fitted data (`mean_`), float64.
    public private(set) var mean: Tensor?
    /// The per-feature population variance of the fitted data (`var_`), float64.
    public private(set) var variance: Tensor?
    /// The per-feature divisor (`scale_`): the standard deviation, 1 for constant features.
    public private(set) var scale: Tensor?

    /// A scaler to be fitted.
    public init(withMean: Bool = true, withStd: Bool = true) {
        self.withMean = withMean
        self.withStd = withStd
    }

    /// Computes the mean and standard deviation of every feature of `x` (`fit`).
    public mutating func fit(_ x: Tensor) {
        let data = noGrad { samples(x).detach().double() }
        let mean = data.mean(dim: 0)
        let variance = (data - mean).pow(2).mean(dim: 0)
        let constant = data.amax(dim: [0]).eq(data.amin(dim: [0]))
        self.mean = mean
        self.variance = variance
        scale = Tensor.where(constant, Tensor.onesLike(variance), variance.sqrt())
    }

    /// `(x - mean) / scale` with the fitted statistics, in `x`'s floating-point type.
    public func transform(_ x: Tensor) -> Tensor {
        checkFitted("StandardScaler", mean.map { Array($0.shape) }, x)
        let data = samples(x)
        var out = data
        if withMean, let mean { out = out - mean.to(data.dtype) }
        if withStd, let scale { out = out / scale.to(data.dtype) }
        return out
    }

    /// Fits to `x` and returns it transformed (`fit_transform`).
    public mutating func fitTransform(_ x: Tensor) -> Tensor {
        fit(x)
        return transform(x)
    }

    /// Undoes ``transform(_:)``: `x * scale + mean` (`inverse_transform`).
    public func inverseTransform(_ x: Tensor) -> Tensor {
        checkFitted("StandardScaler", mean.map { Array($0.shape) }, x)
        let data = samples(x)
        var out = data
        if withStd, let scale { out = out * scale.to(data.dtype) }
        if withMean, let mean { out = out + mean.to(data.dtype) }
        return out
    }
}

/// Scales each feature linearly so the fitted data spans `featureRange`
/// (`sklearn.preprocessing.MinMaxScaler`): `x * scale + min`, with
/// `scale = (upper - lower) / (dataMax - dataMin)` (a constant feature has range 1).
public struct MinMaxScaler: Sendable {
    /// The target interval (`feature_range`).
    public let featureRange: ClosedRange<Double>
    /// Whether transformed values are clipped to `featureRange` (`clip`).
    public let clip: Bool
    /// The per-feature minimum of the fitted data (`data_min_`), float64.
    public private(set) var dataMin: Tensor?
    /// The per-feature maximum of the fitted data (`data_max_`), float64.
    public private(set) var dataMax: Tensor?
    /// The per-feature factor (`scale_`), float64.
    public private(set) var scale: Tensor?
    /// The per-feature offset added after scaling (`min_`), float64.
    public private(set) var min: Tensor?

    /// A scaler to `featureRange`, whose bounds must differ.
    public init(featureRange: ClosedRange<Double> = 0...1, clip: Bool = false) {
        precondition(
            featureRange.lowerBound < featureRange.upperBound,
            "Minimum of desired feature range must be smaller than maximum. Got \(featureRange).")
        self.featureRange = featureRange
        self.clip = clip
    }

    /// Computes the minimum and maximum of every feature of `x` (`fit`).
    public mutating func fit(_ x: Tensor) {
        let data = noGrad { samples(x).detach().double() }
        let low = data.amin(dim: [0])
        let high = data.amax(dim: [0])
        let range = high - low
        let safeRange = Tensor.where(range.eq(0), Tensor.onesLike(range), range)
        let scale = (featureRange.upperBound - featureRange.lowerBound) / safeRange
        dataMin = low
        dataMax = high
        self.scale = scale
        min = featureRange.lowerBound - low * scale
    }

    /// `x * scale + min` with the fitted statistics, in `x`'s floating-point type.
    public func transform(_ x: Tensor) -> Tensor {
        checkFitted("MinMaxScaler", scale.map { Array($0.shape) }, x)
        let data = samples(x)
        let out = data * scale!.to(data.dtype) + min!.to(data.dtype)
        return clip ? out.clamp(min: featureRange.lowerBound, max: featureRange.upperBound) : out
    }

    /// Fits to `x` and returns it transformed (`fit_transform`).
    public mutating func fitTransform(_ x: Tensor) -> Tensor {
        fit(x)
        return transform(x)
    }

    /// Undoes ``transform(_:)``: `(x - min) / scale` (`inverse_transform`).
    public func inverseTransform(_ x: Tensor) -> Tensor {
        checkFitted("MinMaxScaler", scale.map { Array($0.shape) }, x)
        let data = samples(x)
        return (data - min!.to(data.dtype)) / scale!.to(data.dtype)
    }
}

/// Splits samples into a training and a test part (`sklearn.model_selection.train_test_split`):
/// `ceil(testFraction * n)` samples go to the test part, the rest to training.
///
/// With `shuffle`, the test part is the first `nTest` indices of a random permutation drawn from
/// `generator` and the training part the rest (repeatable after `Ember.manualSeed`); without, the
/// training part is the first rows. Rows of `x` and `y` stay paired.
public func trainTestSplit(
    _ x: Tensor, _ y: Tensor, testFraction: Double = 0.25, shuffle: Bool = true, generator: Generator = .current
) -> (xTrain: Tensor, xTest: Tensor, yTrain: Tensor, yTest: Tensor) {
    precondition(
        x.dim >= 1 && y.dim >= 1 && x.shape[0] == y.shape[0],
        "Found input variables with inconsistent numbers of samples: [\(x.dim >= 1 ? x.shape[0] : 0), "
            + "\(y.dim >= 1 ? y.shape[0] : 0)]")
    let n = x.shape[0]
    precondition(
        testFraction > 0 && testFraction < 1,
        "test_size=\(testFraction) should be either positive and smaller than the number of samples \(n) "
            + "or a float in the (0, 1) range")
    let nTest = Int((testFraction * Double(n)).rounded(.up))
    let nTrain = n - nTest
    precondition(
        nTrain > 0,
        "With n_samples=\(n), test_size=\(testFraction) and train_size=None, the resulting train set will be empty. "
            + "Adjust any of the aforementioned parameters.")
    let order = shuffle ? randomPermutation(n, generator: generator) : Array(nTrain..<n) + Array(0..<nTrain)
    let test = Tensor(shape: [nTest], scalars: Array(order[..<nTest]))
    let train = Tensor(shape: [nTrain], scalars: Array(order[nTest...]))
    return (
        x.indexSelect(dim: 0, index: train), x.indexSelect(dim: 0, index: test),
        y.indexSelect(dim: 0, index: train), y.indexSelect(dim: 0, index: test)
    )
}
