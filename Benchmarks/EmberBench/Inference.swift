// Inference workloads of issue 8: the MLP 784-256-10 at batch 1024 and ResNet-18 at batch 8 on
// 3×224×224, in eval mode without gradients (`noGrad`; PyTorch: `torch.no_grad()`).
import Ember
import EmberVision

/// An inference workload: `model` in eval mode on `x` under `noGrad`. Before it is timed, the
/// output must have shape `outputShape`, be finite, record no graph, and pass `agrees` (which
/// compares it with the same outputs computed another way).
func inference(
    _ name: String, _ description: String, iterations: Int, maxRepeats: Int? = nil, outputShape: [Int],
    build: @escaping () -> (model: Module, x: Tensor, agrees: (Tensor) -> Bool)
) -> Workload {
    Workload(
        name: name, description: description, iterations: iterations, metric: { $0 * 1e3 }, unit: "ms/batch",
        prepare: {
            let (model, x, agrees) = build()
            model.eval()
            let output = noGrad { model(x) }
            guard output.shape == outputShape, !output.requiresGrad,
                output.toArray(as: Float.self).allSatisfy(\.isFinite)
            else { fail("\(name): output of shape \(output.shape), expected \(outputShape), finite, without grad") }
            guard noGrad({ agrees(output) }) else {
                fail("\(name): the output differs from the same outputs computed another way")
            }
            return { blackHole(noGrad { model(x) }) }
        }, maxRepeats: maxRepeats)
}

func inferenceWorkloads() -> [Workload] {
    [
        inference(
            "mlp_784_infer", "MLP 784-256-10 inference, batch 1024, eval, no grad", iterations: 20,
            outputShape: [1024, 10]
        ) {
            let (fc1, fc2) = (Linear(784, 256), Linear(256, 10))
            let x = Tensor.randn([1024, 784])
            // The same layers spelled out with matmul, transpose and add.
            let spelledOut = { F.relu(x.matmul(fc1.weight.t()) + fc1.bias!).matmul(fc2.weight.t()) + fc2.bias! }
            return (Sequential(fc1, ReLU(), fc2), x, { $0.allclose(spelledOut(), rtol: 1e-4, atol: 1e-4) })
        },
        inference(
            "resnet18_infer", "ResNet-18 inference, batch 8, 3x224x224, eval, no grad", iterations: 1, maxRepeats: 3,
            outputShape: [8, 1000]
        ) {
            let model = resnet18()
            let x = Tensor.randn([8, 3, 224, 224])
            // The last image alone gives the batch's last row (eval-mode BatchNorm uses its running
            // statistics, so the images of a batch do not affect each other).
            let alone = { model(x.slice(dim: 0, start: 7, end: 8)) }
            return (model, x, { $0.slice(dim: 0, start: 7, end: 8).allclose(alone(), rtol: 1e-3, atol: 1e-3) })
        },
    ]
}
