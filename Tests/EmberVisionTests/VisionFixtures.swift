// Shared support for the EmberVision tests: the fixtures in Tests/Fixtures/vision/, written by
// Tests/Fixtures/make_vision_fixtures.py (see its docstring for their format), and comparisons.

import Foundation
import Testing

@testable import EmberVision

/// Tests/Fixtures, next to this source file's folder.
let fixturesURL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

/// One torchvision model's structure in models.json.
struct ModelStructure: Decodable, Sendable {
    /// `[key, shape, dtype]` for every state-dict entry, in order.
    let state: [StateEntry]
    /// `named_parameters()` names in order.
    let parameters: [String]
    /// `repr(model)`.
    let repr: String
}

/// A `[key, shape, dtype]` triple.
struct StateEntry: Decodable, Equatable, Sendable, CustomStringConvertible {
    let key: String
    let shape: [Int]
    let dtype: String

    init(key: String, shape: [Int], dtype: String) {
        self.key = key
        self.shape = shape
        self.dtype = dtype
    }

    init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        key = try c.decode(String.self)
        shape = try c.decode([Int].self)
        dtype = try c.decode(String.self)
    }

    var description: String { "\(key) \(shape) \(dtype)" }
}

/// models.json, decoded (nil when unreadable; the tests that need it then fail).
let modelStructures: [String: ModelStructure]? = {
    guard let data = try? Data(contentsOf: fixturesURL.appendingPathComponent("vision/models.json")) else { return nil }
    return try? JSONDecoder().decode([String: ModelStructure].self, from: data)
}()

/// One block case of blocks.json.
struct BlockCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let block: String
    let inplanes: Int
    let planes: Int
    let stride: Int
    let downsample: Bool

    var testDescription: String { name }
}

/// blocks.json, decoded (empty when unreadable; `blockFixturesLoad` then fails).
let blockCases: [BlockCase] = {
    guard let data = try? Data(contentsOf: fixturesURL.appendingPathComponent("vision/blocks.json")) else { return [] }
    return (try? JSONDecoder().decode([BlockCase].self, from: data)) ?? []
}()

/// The entries of `tensors` whose keys start with `prefix`, with the prefix removed.
func entries(_ tensors: [String: Tensor], prefix: String) -> [String: Tensor] {
    var result: [String: Tensor] = [:]
    for (key, value) in tensors where key.hasPrefix(prefix) { result[String(key.dropFirst(prefix.count))] = value }
    return result
}

/// `max |a - b| / max(max |b|, tiny)`: the error of `a` relative to the reference `b`'s scale.
func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
    let x = a.scalars
    let y = b.scalars
    precondition(x.count == y.count, "sizes differ: \(a.shape) vs \(b.shape)")
    let scale = max(y.map(abs).max() ?? 0, .leastNormalMagnitude)
    return zip(x, y).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

/// Checks `actual` against PyTorch's `expected`: same shape, relative error at most `tolerance`.
func expectMatches(
    _ actual: Tensor?, _ expected: Tensor?, _ what: String, tolerance: Double,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let actual, let expected else {
        Issue.record("\(what): missing tensor", sourceLocation: sourceLocation)
        return
    }
    #expect(actual.shape == expected.shape, "\(what): shape", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let error = relativeError(actual, expected)
    #expect(error <= tolerance, "\(what): relative error \(error)", sourceLocation: sourceLocation)
}
