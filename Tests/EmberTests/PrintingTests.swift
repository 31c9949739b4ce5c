import Foundation
import Testing

@testable import Ember

private struct PrintingCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let shape: [Int]
    let dtype: String
    let data: [FixtureJSON]
    let requiresGrad: Bool
    let repr: String
    var testDescription: String { name }

    enum CodingKeys: String, CodingKey {
        case name, shape, dtype, data, repr
        case requiresGrad = "requires_grad"
    }

    func tensor() -> Tensor {
        let values = data.map { $0.double ?? ($0.bool.map { $0 ? 1 : 0 } ?? .nan) }
        let t: Tensor
        switch dtype {
        case "float64": t = Tensor(shape: shape, scalars: values)
        case "int64": t = Tensor(shape: shape, scalars: values.map { Int64($0) })
        case "bool": t = Tensor(shape: shape, scalars: values.map { $0 != 0 })
        default: t = Tensor(shape: shape, scalars: values.map { Float($0) })
        }
        if requiresGrad { t.requiresGrad = true }
        return t
    }
}

private let printingCases: [PrintingCase] = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/printing.json")
    return try! JSONDecoder().decode([PrintingCase].self, from: Data(contentsOf: url))
}()

@Suite struct PrintingTests {
    @Test(arguments: printingCases)
    fileprivate func printsLikePyTorch(_ c: PrintingCase) {
        #expect(c.tensor().description == c.repr)
    }

    @Test func gradFnSuffix() {
        let x = Tensor(shape: [1, 2], scalars: [0.5, 1.5] as [Float]).requiresGrad()
        #expect((x + x).description == "tensor([[1., 3.]], grad_fn=<AddBackward0>)")
    }
}
