import Foundation
import Testing

@testable import Ember

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

/// A fresh temporary folder for one test.
private func temporaryFolder() -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ember-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A safetensors file from a raw header string and data bytes.
private func rawFile(_ header: String, data: [UInt8], lengthOverride: UInt64? = nil) -> URL {
    let url = temporaryFolder().appendingPathComponent("bad.safetensors")
    var bytes = [UInt8]()
    var length = (lengthOverride ?? UInt64(header.utf8.count)).littleEndian
    withUnsafeBytes(of: &length) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: Array(header.utf8))
    bytes.append(contentsOf: data)
    try! Data(bytes).write(to: url)
    return url
}

@Suite struct SafetensorsTests {
    @Test func readsEveryDTypeWrittenByPyTorch() throws {
        let url = fixtures.appendingPathComponent("pytorch_tensors.safetensors")
        let t = try loadSafetensors(from: url)
        #expect(t["f32"]!.shape == [2, 3] && t["f32"]!.toArray(as: Float.self) == [1.5, -2.25, 3, 0, 1e-3, -7])
        #expect(t["f64"]!.dtype == .float64 && t["f64"]!.toArray(as: Double.self) == [1.0 / 3.0, -2.5])
        #expect(t["i64"]!.toArray(as: Int64.self) == [-(1 << 40), 7, 0, 1 << 50])
        #expect(t["bool"]!.toArray(as: Bool.self) == [true, false, true])
        let half = t["f16"]!.toArray(as: Float.self)
        #expect(half[0] == 1 && half[1] == -0.5 && half[2] == 65504 && half[4] == .infinity)
        #expect(Swift.abs(half[3] - 5.96e-8) < 1e-9)  // a subnormal half
        #expect(t["bf16"]!.toArray(as: Float.self)[0...1] == [1, -3.140625])
        #expect(t["i32"]!.dtype == .int64 && t["i32"]!.toArray(as: Int64.self) == [-5, 2_147_483_647])
        #expect(t["u8"]!.toArray(as: Int64.self) == [0, 255])
        #expect(t["scalar"]!.shape == [] && t["scalar"]!.item() == 4.25)
        #expect(t["empty"]!.shape == [0, 3])
        #expect(try safetensorsMetadata(from: url) == ["format": "pt", "note": "fixture"])
    }

    @Test func pytorchStateDictLoadsStrictlyAndGivesPyTorchOutput() throws {
        let json =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: fixtures.appendingPathComponent("pytorch_mlp.json"))) as! [String: Any]
        let model = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
        try model.load(from: fixtures.appendingPathComponent("pytorch_mlp.safetensors"))
        #expect(model.stateDictKeys() == json["keys"] as! [String])
        let x = Tensor(shape: [5, 3], scalars: (json["input"] as! [Double]).map { Float($0) })
        let expected = json["output"] as! [Double]
        let y = model(x).toArray(as: Float.self)
        for (a, e) in zip(y, expected) { #expect(Swift.abs(Double(a) - e) < 1e-6) }
    }

    @Test func roundTripKeepsEveryDTypeAndMetadata() throws {
        let url = temporaryFolder().appendingPathComponent("t.safetensors")
        let tensors: [String: Tensor] = [
            "a": Tensor.randn([3, 4]).t(),  // non-contiguous: written contiguous
            "b": Tensor.arange(0, 5),
            "c": Tensor(shape: [2], scalars: [true, false]),
            "d": Tensor.randn([2], dtype: .float64),
        ]
        try saveSafetensors(tensors, to: url, metadata: ["k": "v"])
        let back = try loadSafetensors(from: url)
        for (k, v) in tensors { #expect(back[k]!.equal(v) && back[k]!.dtype == v.dtype, "\(k)") }
        #expect(try safetensorsMetadata(from: url) == ["k": "v"])
        // The data section starts 8-byte aligned.
        let bytes = try Data(contentsOf: url)
        let headerLength = bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(headerLength % 8 == 0)
    }

    @Test func saveReplacesAtomicallyAndModuleRoundTrips() throws {
        let folder = temporaryFolder()
        let url = folder.appendingPathComponent("model.safetensors")
        let model = Sequential(Linear(4, 3), ReLU(), Linear(3, 1))
        try model.save(to: url)
        try Sequential(Linear(4, 3), ReLU(), Linear(3, 1)).save(to: url)  // replaces the file
        let other = Sequential(Linear(4, 3), ReLU(), Linear(3, 1))
        try other.load(from: url)
        #expect(!other.stateDict()["0.weight"]!.equal(model.stateDict()["0.weight"]!))
        try model.load(from: url)
        #expect(other.stateDict()["0.weight"]!.equal(model.stateDict()["0.weight"]!))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(leftovers == ["model.safetensors"])  // no temporary files left behind
    }

    @Test func writingIntoAMissingFolderFailsWithoutDamage() {
        let url = temporaryFolder().appendingPathComponent("missing/model.safetensors")
        #expect(throws: SafetensorsError.self) { try saveSafetensors(["a": Tensor.ones([1])], to: url) }
    }

    @Test func rejectsMalformedFiles() {
        func expectError(
            _ url: URL, _ check: (SafetensorsError) -> Bool, sourceLocation: SourceLocation = #_sourceLocation
        ) {
            do {
                _ = try loadSafetensors(from: url)
                Issue.record("expected an error", sourceLocation: sourceLocation)
            } catch {
                #expect(check(error), "\(error)", sourceLocation: sourceLocation)
                #expect(error.description.contains(url.path), sourceLocation: sourceLocation)
            }
        }
        let four = [UInt8](repeating: 0, count: 4)
        expectError(
            rawFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: four, lengthOverride: 1 << 40)
        ) {
            if case .headerTooLarge = $0 { return true } else { return false }
        }
        expectError(
            rawFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: four, lengthOverride: 5000)
        ) {
            if case .truncated = $0 { return true } else { return false }
        }
        expectError(rawFile(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: four)) {
            if case .invalidOffsets(_, "a", _) = $0 { return true } else { return false }
        }
        expectError(
            rawFile(
                #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#,
                data: [UInt8](repeating: 0, count: 6))
        ) {
            if case .invalidOffsets(_, _, let reason) = $0 { return reason.contains("overlaps") } else { return false }
        }
        expectError(
            rawFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: [UInt8](repeating: 0, count: 8))
        ) {
            if case .invalidOffsets(_, _, let reason) = $0 { return reason.contains("hole") } else { return false }
        }
        expectError(
            rawFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, data: [UInt8](repeating: 0, count: 2))
        ) {
            if case .invalidOffsets = $0 { return true } else { return false }
        }
        expectError(
            rawFile(#"{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#, data: [UInt8](repeating: 0, count: 8))
        ) {
            if case .unsupportedDType(_, "a", "C64") = $0 { return true } else { return false }
        }
        expectError(rawFile("{not json", data: [])) {
            if case .invalidHeader = $0 { return true } else { return false }
        }
        expectError(
            rawFile("{\"\u{FF}\"", data: []).deletingLastPathComponent().appendingPathComponent("nope.safetensors")
        ) {
            if case .io = $0 { return true } else { return false }
        }
        let invalidUTF8 = temporaryFolder().appendingPathComponent("utf8.safetensors")
        try! Data([2, 0, 0, 0, 0, 0, 0, 0, 0xC3, 0x28]).write(to: invalidUTF8)
        expectError(invalidUTF8) {
            if case .invalidHeader(_, let reason) = $0 { return reason.contains("UTF-8") } else { return false }
        }
    }
}
