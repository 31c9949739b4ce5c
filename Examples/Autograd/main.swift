// Seed section 2: autograd. `backward()` fills `.grad`; `noGrad { }` and `detach()` compute
// without recording a graph.
import Ember

manualSeed(0)
let x = Tensor.randn([5, 3])
let w = Tensor.randn([3, 2], requiresGrad: true)
let b = Tensor.randn([2], requiresGrad: true)

let z = x.matmul(w) + b
print("z.gradFn:", z.gradFn!)
let loss = z.pow(2).mean()
loss.backward()
print("loss:", loss.item())
print("w.grad:", w.grad!)
print("b.grad:", b.grad!)

// Inference without gradients, two ways to the same end.
let inference = noGrad { x.matmul(w) + b }
let detached = z.detach()
print("requiresGrad with noGrad:", inference.requiresGrad, "| after detach:", detached.requiresGrad)

// Higher-order gradients: d²/dx² of x³ is 6x.
let t = Tensor(shape: [3], scalars: [1, 2, 3] as [Double]).requiresGrad()
let firstDerivative = grad(of: t.pow(3).sum(), withRespectTo: t, createGraph: true)
print("d/dt t³ =", firstDerivative, " d²/dt² t³ =", grad(of: firstDerivative.sum(), withRespectTo: t))
