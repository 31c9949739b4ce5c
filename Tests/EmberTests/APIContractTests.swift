// swift-format-ignore-file: the blocks below are copied verbatim from shared/API.md.

// The code blocks of shared/API.md that the tensor core covers, compiled as written. A renamed
// spelling fails here before it fails the outside checks. (Models, training and data blocks join
// this file as nn, optim and data land.)
import Testing

@testable import Ember

@Suite struct APIContractTests {
    @Test func tensorsBlock() {
        Ember.manualSeed(0)
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6] as [Float])
        let b = Tensor(shape: [3], scalars: [1, 2, 3] as [Double])
        let labels = Tensor(shape: [4], scalars: [0, 2, 1, 2] as [Int64])
        let z = Tensor.zeros([2, 3])
        let o = Tensor.ones([2, 3], dtype: .float64)
        let r = Tensor.randn([64, 784])
        let u = Tensor.rand([3, 3])
        let i = Tensor.randint(0, 10, [64])
        let s = Tensor.arange(0, 10)
        #expect(a.shape == [2, 3])
        #expect(a.size(0) == 2)
        #expect(a.dim == 2)
        #expect(a.dtype == .float32)
        #expect(a.toArray(as: Float.self) == [1, 2, 3, 4, 5, 6])
        let y = (a + 1) * a - a / 2
        let m = a.matmul(Tensor.randn([3, 4]))
        let v = a.view(-1, 1)
        let t = a.transpose(0, 1)
        let p = a.permute(1, 0)
        let mean = a.mean()
        let rowSums = a.sum(dim: 1, keepdim: true)
        let best = a.argmax(dim: 1)
        let loss = a.pow(2).sum()
        let item: Double = loss.item()

        #expect(b.dtype == .float64 && labels.dtype == .int64)
        #expect(z.dtype == .float32 && o.dtype == .float64 && o.toArray(as: Double.self) == [1, 1, 1, 1, 1, 1])
        #expect(r.shape == [64, 784] && u.shape == [3, 3] && i.dtype == .int64)
        #expect(i.toArray(as: Int64.self).allSatisfy { (0..<10).contains($0) })
        #expect(s.dtype == .int64 && s.toArray(as: Int64.self) == Array(0..<10))
        #expect(y.toArray(as: Float.self) == [1.5, 5, 10.5, 18, 27.5, 39])
        #expect(m.shape == [2, 4])
        #expect(v.shape == [6, 1] && t.shape == [3, 2] && p.shape == [3, 2])
        #expect(mean.item() == 3.5)
        #expect(rowSums.shape == [2, 1] && rowSums.toArray(as: Float.self) == [6, 15])
        #expect(best.toArray(as: Int64.self) == [2, 2])
        #expect(item == 91)
    }

    @Test func autogradBlock() {
        let x = Tensor.randn([5, 3])
        let w = Tensor.randn([3, 2], requiresGrad: true)
        let bias = Tensor.randn([2], requiresGrad: true)
        let out = x.matmul(w) + bias
        out.sum().backward()
        print(w.grad!, bias.grad!)
        let inference = noGrad { x.matmul(w) + bias }
        let detached = out.detach()
        #expect(inference.requiresGrad == false)
        #expect(!detached.requiresGrad && detached.storage === out.storage)
        #expect(bias.grad!.toArray(as: Float.self) == [5, 5])
        // dL/dw = x^T · ones: column sums of x repeated for both outputs.
        let colSums = x.sum(dim: 0).toArray(as: Float.self)
        let gw = w.grad!.toArray(as: Float.self)
        for r in 0..<3 {
            #expect(Swift.abs(gw[2 * r] - colSums[r]) < 1e-5 && Swift.abs(gw[2 * r + 1] - colSums[r]) < 1e-5)
        }
        w.grad = nil
        #expect(w.grad == nil)
    }

    @Test func moreFixedSpellingsForTensors() {
        let x = Tensor.randn([4, 6])
        x.requiresGrad = true
        _ = x.exp()
        _ = x.log()
        _ = x.sqrt()
        _ = x.tanh()
        _ = x.sigmoid()
        _ = x.pow(3)
        _ = x.sum(dim: 0, keepdim: true)
        _ = x.mean(dim: [0, 1])
        _ = x.max(dim: 1).values
        _ = x.max(dim: 1).indices
        _ = x.t()
        _ = x.reshape(3, -1)
        _ = x.unsqueeze(1).expand(4, 5, 6)
        _ = x.contiguous()
        _ = x.slice(dim: 1, start: 0, end: 6, step: 2)
        _ = Tensor.cat([x, x], dim: 1)
        _ = Tensor.stack([x, x], dim: 0)
        var y = x.detach()
        y += 1
        let logits = Tensor.randn([8, 5])
        let target = Tensor.randint(0, 5, [8])
        #expect(x.slice(dim: 1, start: 0, end: 6, step: 2).shape == [4, 3])
        #expect(x.unsqueeze(1).expand(4, 5, 6).shape == [4, 5, 6])
        #expect(logits.shape == [8, 5] && target.dtype == .int64)
        #expect(y.storage === x.storage)
    }

    @Test func inPlaceOnDetachedIsSeenByOriginal() {
        let x = Tensor(shape: [2], scalars: [1, 2] as [Float])
        var y = x.detach()
        y += 1
        #expect(x.toArray(as: Float.self) == [2, 3])
    }
}
