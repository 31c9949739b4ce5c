// Seed section 5: a hand-built MLP for regression, end to end: Linear → ReLU → Linear → ReLU →
// Linear, MSELoss, Adam(lr 0.001), 20 epochs, train and validation loops, the seed's epoch line.
// Data: the bundled diabetes set, standardised with statistics of the training part.
import Ember

final class Model: Module {
    let fc1: Linear
    let fc2: Linear
    let fc3: Linear
    init(inputSize: Int, hiddenSize: Int, outputSize: Int) {
        fc1 = Linear(inputSize, hiddenSize)
        fc2 = Linear(hiddenSize, hiddenSize)
        fc3 = Linear(hiddenSize, outputSize)
        super.init()
    }
    override func forward(_ x: Tensor) -> Tensor { fc3(F.relu(fc2(F.relu(fc1(x))))) }
}

manualSeed(0)
let diabetes = try Datasets.diabetes()
var split = trainTestSplit(diabetes.features, diabetes.targets, testFraction: 0.2)
var scaler = StandardScaler()
let xTrain = scaler.fitTransform(split.xTrain)
let xVal = scaler.transform(split.xTest)
let mean = split.yTrain.mean()
let std = split.yTrain.std(unbiased: false)
let yTrain = ((split.yTrain - mean) / std).view(-1, 1)
let yVal = ((split.yTest - mean) / std).view(-1, 1)

let trainLoader = DataLoader(TensorDataset(xTrain, yTrain), batchSize: 32, shuffle: true)
let valLoader = DataLoader(TensorDataset(xVal, yVal), batchSize: 32, shuffle: false)
let model = Model(inputSize: xTrain.size(1), hiddenSize: 64, outputSize: 1)
let criterion = MSELoss()
let optimizer = Adam(model.parameters(), lr: 0.001)

for epoch in 0..<20 {
    model.train()
    var trainLoss = 0.0
    for (x, y) in trainLoader {
        optimizer.zeroGrad()
        let loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        trainLoss += loss.item()
    }
    model.eval()
    var valLoss = 0.0
    noGrad {
        for (x, y) in valLoader { valLoss += criterion(model(x), y).item() }
    }
    let train = trainLoss / Double(trainLoader.count)
    let val = valLoss / Double(valLoader.count)
    print("Epoch [\(epoch + 1)/20], Train Loss: \(train.formatted4), Val Loss: \(val.formatted4)")
}

let predictions = noGrad { model(xVal) }
let residual = (predictions - yVal).pow(2).sum().item()
let total = (yVal - yVal.mean()).pow(2).sum().item()
print("Validation R²: \((1 - residual / total).formatted4)")

extension Double {
    /// Four decimals, as the seed prints losses.
    var formatted4: String {
        let scaled = (self * 10_000).rounded()
        let whole = Int(scaled) / 10_000
        let fraction = abs(Int(scaled) % 10_000)
        let digits = String(fraction)
        return "\(self < 0 && whole == 0 ? "-" : "")\(whole)." + String(repeating: "0", count: 4 - digits.count)
            + digits
    }
}
