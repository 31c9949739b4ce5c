// LeNet-5: structure, output shape, and a training sanity check on a tiny synthetic batch.

import Testing

@testable import EmberVision

@Suite("LeNet-5")
struct LeNetTests {
    @Test func structureAndShapes() {
        let net = LeNet5()
        #expect(
            net.stateDictKeys() == [
                "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
                "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias",
            ])
        #expect(net.stateDict()["fc1.weight"]?.shape == [120, 400])
        #expect(net.parameterCount == 61_706)
        #expect(net(Tensor.randn([4, 1, 28, 28])).shape == [4, 10])
        #expect(LeNet5(numClasses: 3)(Tensor.randn([2, 1, 28, 28])).shape == [2, 3])
        #expect(
            net.description == """
                LeNet5(
                  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))
                  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))
                  (fc1): Linear(in_features=400, out_features=120, bias=True)
                  (fc2): Linear(in_features=120, out_features=84, bias=True)
                  (fc3): Linear(in_features=84, out_features=10, bias=True)
                )
                """)
    }

    @Test func trainingReducesTheLoss() {
        // Its own generator: other tests draw from the default one concurrently, and this one
        // needs its exact initialisation to converge in 20 steps.
        withGenerator(Generator(seed: 0)) {
            let net = LeNet5()
            // Eight images of two classes: class 1 has a bright centre square.
            let images = Tensor.randn([8, 1, 28, 28]) * 0.1
            let labels = Tensor(shape: [8], scalars: [0, 1, 0, 1, 0, 1, 0, 1] as [Int64])
            let centre = (0..<784).map { i -> Float in
                (10..<18).contains(i / 28) && (10..<18).contains(i % 28) ? 1 : 0
            }
            let mask = Tensor(shape: [1, 1, 28, 28], scalars: centre)
            let parity = Tensor(shape: [8, 1, 1, 1], scalars: (0..<8).map { Float($0 % 2) })
            let x = images + parity * mask
            let optimizer = Adam(net.parameters(), lr: 0.01)
            var losses: [Double] = []
            for _ in 0..<20 {
                let loss = F.crossEntropy(net(x), labels)
                optimizer.zeroGrad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            }
            #expect(losses.last! < 0.1 * losses.first!, "losses: \(losses)")
            #expect(net(x).argmax(dim: 1).equal(labels))
        }
    }

    @Test func headReplacement() {
        let net = LeNet5()
        net.fc3 = Linear(net.fc3.inFeatures, 2)
        #expect(net.stateDict()["fc3.weight"]?.shape == [2, 84])
        #expect(net.parameters().contains { $0 === net.fc3.weight })
        #expect(net(Tensor.randn([1, 1, 28, 28])).shape == [1, 2])
    }
}
