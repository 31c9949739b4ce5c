// Saving and loading (mentioned by the seed): safetensors files that PyTorch reads with
// `model.load_state_dict(safetensors.torch.load_file(path))`, written atomically.
import Ember
import Foundation

manualSeed(0)
let model = Sequential(Linear(20, 64), ReLU(), Linear(64, 64), ReLU(), Linear(64, 1))
let url = FileManager.default.temporaryDirectory.appendingPathComponent("ember-example-model.safetensors")
try model.save(to: url)
print("saved", model.stateDictKeys(), "to", url.path)

let restored = Sequential(Linear(20, 64), ReLU(), Linear(64, 64), ReLU(), Linear(64, 1))
try restored.load(from: url)
let x = Tensor.randn([3, 20])
print("same outputs after loading:", model(x).equal(restored(x)))

let tensors: [String: Tensor] = try loadSafetensors(from: url)
for key in tensors.keys.sorted() { print(key, tensors[key]!.shape, tensors[key]!.dtype) }
try FileManager.default.removeItem(at: url)
