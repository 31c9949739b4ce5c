// Seed section 1.5: a predefined torchvision model whose head is replaced for a new task
// (`model.fc = nn.Linear(model.fc.in_features, 10)`). With weights exported from PyTorch, use
// `try resnet18(weights: URL(fileURLWithPath: "resnet18.safetensors"))`; offline, this example
// starts from torchvision's initialisation.
import EmberVision

manualSeed(0)
let model = resnet18(numClasses: 1000)
print("resnet18:", model.parameterCount, "parameters; head:", model.fc)
model.fc = Linear(model.fc.inFeatures, 10)
print("new head:", model.fc)

// Fine-tune only the head: freeze everything else.
model.requiresGrad(false)
model.fc.requiresGrad(true)
let trainable = model.parameters().filter(\.requiresGrad).reduce(0) { $0 + $1.count }
print("trainable parameters:", trainable)

let images = Tensor.randn([2, 3, 64, 64])
let labels = Tensor(shape: [2], scalars: [3, 7] as [Int64])
let optimizer = SGD(model.fc.parameters(), lr: 0.01, momentum: 0.9)
model.train()
for step in 1...3 {
    let loss = F.crossEntropy(model(images), labels)
    optimizer.zeroGrad()
    loss.backward()
    optimizer.step()
    print("step \(step): loss \(loss.item())")
}
print("state dict keys end with:", model.stateDictKeys().suffix(2))
