// The `inplace` flags of the activation and dropout layers: PyTorch's reprs, and Ember's
// out-of-place computation (the input is unchanged, values and gradients as without the flag).
// Expected strings: `repr(nn.ReLU(True))` etc. printed by PyTorch 2.x.

import Testing

@testable import Ember

@Suite struct InplaceActivationTests {
    @Test func reprsMatchPyTorch() {
        let cases: [(Module, String)] = [
            (ReLU(inplace: true), "ReLU(inplace=True)"),
            (ReLU(), "ReLU()"),
            (ReLU6(inplace: true), "ReLU6(inplace=True)"),
            (ReLU6(), "ReLU6()"),
            (LeakyReLU(negativeSlope: 0.2, inplace: true), "LeakyReLU(negative_slope=0.2, inplace=True)"),
            (LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
            (ELU(alpha: 1, inplace: true), "ELU(alpha=1.0, inplace=True)"),
            (Hardtanh(minVal: -2, maxVal: 2, inplace: true), "Hardtanh(min_val=-2.0, max_val=2.0, inplace=True)"),
            (SiLU(inplace: true), "SiLU(inplace=True)"),
            (Mish(inplace: true), "Mish(inplace=True)"),
            (Dropout(p: 0.3, inplace: true), "Dropout(p=0.3, inplace=True)"),
            (Dropout2d(p: 0.3, inplace: true), "Dropout2d(p=0.3, inplace=True)"),
            (Dropout2d(), "Dropout2d(p=0.5, inplace=False)"),
        ]
        for (module, expected) in cases { #expect(module.description == expected) }
    }

    @Test func inplaceLayersLeaveTheirInputAndGradientsUnchanged() {
        let layers: [(Module, Module)] = [
            (ReLU(inplace: true), ReLU()), (ReLU6(inplace: true), ReLU6()),
            (LeakyReLU(inplace: true), LeakyReLU()), (ELU(inplace: true), ELU()),
            (Hardtanh(inplace: true), Hardtanh()), (SiLU(inplace: true), SiLU()), (Mish(inplace: true), Mish()),
        ]
        for (inplace, plain) in layers {
            let x = (Tensor.randn([3, 4]) * 4).requiresGrad()
            let before = x.toArray(as: Float.self)
            let y = inplace(x)
            #expect(x.toArray(as: Float.self) == before)
            #expect(y.toArray(as: Float.self) == plain(x).toArray(as: Float.self))
            y.sum().backward()
            let viaInplace = x.grad!.toArray(as: Float.self)
            x.grad = nil
            plain(x).sum().backward()
            #expect(viaInplace == x.grad!.toArray(as: Float.self))
        }
    }
}
