import Ember
import Foundation

/// A data set ready for training: standardised features and targets split into training and
/// validation parts, plus what it takes to preprocess new rows the same way.
struct PreparedData {
    var xTrain: Tensor
    var yTrain: Tensor
    var xVal: Tensor?
    var yVal: Tensor?
    var featureNames: [String]
    var targetName: String
    var task: Task
    var classes: [String]?
    var featureMean: [Double]
    var featureScale: [Double]
    var targetMean: Double?
    var targetScale: Double?
}

/// Raw features and targets as read, before any preprocessing.
struct RawData {
    var features: Tensor
    /// Class indices (int64) for classification, values (float32) for regression.
    var targets: Tensor
    var featureNames: [String]
    var targetName: String
    var task: Task
    var classes: [String]?
    /// The feature columns' positions in a CSV file without a header, whose column names are
    /// those positions; `nil` for other data.
    var featurePositions: [Int]? = nil
}

/// The bundled data set names `--data` accepts.
let bundledDataSets = ["digits", "diabetes", "breast-cancer"]

/// Reads `--data` (a bundled name or a CSV path), choosing the target column and the task.
func loadRawData(_ spec: String, target: String?, task forcedTask: Task?) throws -> RawData {
    switch spec {
    case "digits", "diabetes", "breast-cancer":
        if target != nil { throw CLIError("--target applies to CSV files; '\(spec)' has a fixed target") }
        let table: TabularDataset
        switch spec {
        case "digits": table = try Datasets.digits()
        case "diabetes": table = try Datasets.diabetes()
        default: table = try Datasets.breastCancer()
        }
        let task: Task = table.targets.dtype == .int64 ? .classification : .regression
        if let forcedTask, forcedTask != task {
            throw CLIError("--task \(forcedTask.rawValue) does not fit '\(spec)', a \(task.rawValue) data set")
        }
        let classes =
            task == .classification
            ? (0...Int(table.targets.max().item())).map(String.init) : nil
        return RawData(
            features: table.features, targets: table.targets, featureNames: table.featureNames,
            targetName: table.targetName, task: task, classes: classes)
    default:
        return try loadCSVData(URL(fileURLWithPath: spec), target: target, task: forcedTask)
    }
}

private func loadCSVData(_ url: URL, target: String?, task forcedTask: Task?) throws -> RawData {
    guard url.pathExtension.lowercased() == "csv" else {
        throw CLIError(
            "--data '\(url.path)' is neither a bundled data set (\(bundledDataSets.joined(separator: ", "))) nor a .csv file"
        )
    }
    let table = try CSVTable(contentsOf: url)
    let targetColumn: CSVColumn = target.map { Int($0).map(CSVColumn.index) ?? .name($0) } ?? .index(-1)
    let targetIndex = try table.columnIndex(targetColumn)
    let featureIndices = (0..<table.columnCount).filter { $0 != targetIndex }
    guard !featureIndices.isEmpty else { throw CLIError("\(url.path): no feature columns besides the target") }
    let features = try table.tensor(columns: featureIndices.map(CSVColumn.index))
    let names = featureIndices.map { table.columnNames[$0] }
    let positions = table.header == nil ? featureIndices : nil
    // Integer (or non-numeric) labels mean classification, real numbers regression.
    let numeric = try? table.column(.index(targetIndex), dtype: .float64)
    let integral = numeric.map { $0.scalars.allSatisfy { $0 == $0.rounded() } } ?? true
    let task = forcedTask ?? (integral ? .classification : .regression)
    if task == .regression {
        guard let numeric else {
            throw CLIError(
                "\(url.path): target column '\(table.columnNames[targetIndex])' is not numeric; use --task classification"
            )
        }
        return RawData(
            features: features, targets: numeric.to(.float32), featureNames: names,
            targetName: table.columnNames[targetIndex], task: .regression, classes: nil, featurePositions: positions)
    }
    let (indices, classes) = try table.labels(.index(targetIndex))
    guard classes.count >= 2 else {
        throw CLIError("\(url.path): target column '\(table.columnNames[targetIndex])' has a single class")
    }
    return RawData(
        features: features, targets: indices, featureNames: names, targetName: table.columnNames[targetIndex],
        task: .classification, classes: classes, featurePositions: positions)
}

/// Splits off a validation part (`valSplit` of the rows, drawn with `seed`), then standardises
/// features (and regression targets) with statistics of the training part only.
func prepare(_ raw: RawData, valSplit: Double, seed: UInt64) throws -> PreparedData {
    let n = raw.features.shape[0]
    guard valSplit >= 0 && valSplit < 1 else { throw CLIError("--val-split must be in [0, 1), got \(valSplit)") }
    let order = Tensor.randperm(n, generator: Generator(seed: seed))
    let nVal = Int((valSplit * Double(n)).rounded(.up))
    guard n - nVal >= 1 else { throw CLIError("--val-split \(valSplit) leaves no training rows (\(n) rows)") }
    let valIndex = order.slice(dim: 0, start: 0, end: nVal)
    let trainIndex = order.slice(dim: 0, start: nVal, end: n)
    var xTrain = raw.features.indexSelect(dim: 0, index: trainIndex)
    var yTrain = raw.targets.indexSelect(dim: 0, index: trainIndex)
    var xVal = nVal > 0 ? raw.features.indexSelect(dim: 0, index: valIndex) : nil
    var yVal = nVal > 0 ? raw.targets.indexSelect(dim: 0, index: valIndex) : nil

    var scaler = StandardScaler()
    xTrain = scaler.fitTransform(xTrain)
    xVal = xVal.map { scaler.transform($0) }
    var targetMean: Double?
    var targetScale: Double?
    if raw.task == .regression {
        let mean = yTrain.mean().item()
        let std = yTrain.std(unbiased: false).item()
        let scale = std > 0 ? std : 1
        targetMean = mean
        targetScale = scale
        yTrain = ((yTrain - mean) / scale).view(-1, 1)
        yVal = yVal.map { (($0 - mean) / scale).view(-1, 1) }
    }
    return PreparedData(
        xTrain: xTrain, yTrain: yTrain, xVal: xVal, yVal: yVal, featureNames: raw.featureNames,
        targetName: raw.targetName, task: raw.task, classes: raw.classes,
        featureMean: scaler.mean!.scalars, featureScale: scaler.scale!.scalars, targetMean: targetMean,
        targetScale: targetScale)
}

/// Applies a run's saved feature standardisation to new rows.
func standardize(_ x: Tensor, _ config: RunConfig) -> Tensor {
    let mean = Tensor(shape: [config.inputFeatures], scalars: config.featureMean.map { Float($0) })
    let scale = Tensor(shape: [config.inputFeatures], scalars: config.featureScale.map { Float($0) })
    return (x - mean) / scale
}
