// Seed section 6: tabular data into tensors. Arrays become float32 tensors, targets are reshaped
// with view(-1, 1), TensorDataset pairs them, DataLoader batches and shuffles them.
import Ember

manualSeed(0)
// Rows of numbers, as they would come from a CSV file or a feature pipeline.
let rows = 10
let columns = 3
let features: [Float] = (0..<(rows * columns)).map { Float($0) / 10 }
let targets: [Float] = (0..<rows).map { Float($0) * 2 }

let x = Tensor(shape: [rows, columns], scalars: features)
let y = Tensor(shape: [rows], scalars: targets).view(-1, 1)
print("X:", x.shape, x.dtype, " y:", y.shape)

let dataset = TensorDataset(x, y)
let trainLoader = DataLoader(dataset, batchSize: 4, shuffle: true)
let valLoader = DataLoader(dataset, batchSize: 4, shuffle: false)
print("batches per epoch:", trainLoader.count)
for (i, (batchX, batchY)) in trainLoader.enumerated() {
    print("shuffled batch \(i): X \(batchX.shape), y = \(batchY.toArray(as: Float.self))")
}
for (batchX, _) in valLoader { print("in order:", batchX.select(dim: 1, index: 0).toArray(as: Float.self)) }

// A CSV file works the same way: the bundled breast-cancer table, features and 0/1 targets.
let table = try Datasets.breastCancer()
let loader = DataLoader(TensorDataset(table.features, table.targets), batchSize: 32, shuffle: true, dropLast: true)
print("breast cancer:", table.features.shape, "->", loader.count, "batches of 32;", table.featureNames.prefix(3), "...")
