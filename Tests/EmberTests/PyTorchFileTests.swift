import Foundation
import Testing

@testable import Ember

private let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/pt")

private func fixture(_ name: String) -> URL { folder.appendingPathComponent(name) }

/// The values `make_pt_fixtures.py` recorded from PyTorch.
private func expected(_ name: String) -> [String: Any] {
    let json = try! JSONSerialization.jsonObject(with: Data(contentsOf: fixture("expected.json"))) as! [String: Any]
    return json[name] as! [String: Any]
}

/// Loads a file that must be refused and checks that the error names it.
private func loadError(_ url: URL, sourceLocation: SourceLocation = #_sourceLocation) -> PyTorchFileError? {
    let error = #expect(throws: PyTorchFileError.self, sourceLocation: sourceLocation) {
        try loadPyTorchFile(from: url)
    }
    if let error { #expect("\(error)".contains(url.path), sourceLocation: sourceLocation) }
    return error
}

/// Whether a tensor holds `values` (read from JSON, whose parser may be one unit in the last place off).
private func sameValues(_ t: Tensor, _ values: [Double]) -> Bool {
    let got = t.scalars
    guard got.count == values.count else { return false }
    return zip(got, values).allSatisfy { a, b in
        t.dtype == .float32 ? Float(a) == Float(b) : Swift.abs(a - b) <= b.ulp
    }
}

/// A compact Python-like rendering of a loaded value, tensors as `dtype[shape]`.
private func render(_ value: PyTorchValue) -> String {
    switch value {
    case .none: "None"
    case .bool(let b): b ? "True" : "False"
    case .int(let n): "\(n)"
    case .double(let x): "\(x)"
    case .string(let s): "'\(s)'"
    case .tensor(let t): "\(t.dtype.rawValue)\(t.shape)"
    case .list(let items): "[" + items.map(render).joined(separator: ", ") + "]"
    case .tuple(let items): "(" + items.map(render).joined(separator: ", ") + (items.count == 1 ? ",)" : ")")
    case .dict(let items): "{" + items.map { render($0.key) + ": " + render($0.value) }.joined(separator: ", ") + "}"
    }
}

/// The order of a loaded dict's string keys.
private func keys(_ value: PyTorchValue) -> [String] {
    guard case .dict(let items) = value else { return [] }
    return items.compactMap { if case .string(let s) = $0.key { s } else { nil } }
}

/// Builds pickles opcode by opcode, for inputs `torch.save` would never write.
private struct Pickle {
    var bytes: [UInt8] = [0x80, 0x02]

    mutating func op(_ raw: UInt8...) { bytes += raw }
    mutating func global(_ module: String, _ name: String) { bytes += [0x63] + Array("\(module)\n\(name)\n".utf8) }
    mutating func string(_ s: String) {
        bytes += [0x58] + withUnsafeBytes(of: UInt32(s.utf8.count).littleEndian, Array.init) + Array(s.utf8)
    }
    mutating func int(_ n: Int32) { bytes += [0x4A] + withUnsafeBytes(of: n.littleEndian, Array.init) }
    mutating func ints(_ values: [Int32]) {
        op(0x28)  // MARK
        for v in values { int(v) }
        op(0x74)  // TUPLE
    }

    /// `_rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', count), offset, size, stride, False, OrderedDict())`.
    mutating func tensor(
        type: String = "FloatStorage", key: String = "0", count: Int32, offset: Int32, size: [Int32], stride: [Int32]
    ) {
        global("torch._utils", "_rebuild_tensor_v2")
        op(0x28, 0x28)  // MARK for the arguments, MARK for the persistent id
        string("storage")
        global("torch", type)
        string(key)
        string("cpu")
        int(count)
        op(0x74, 0x51)  // TUPLE, BINPERSID
        int(offset)
        ints(size)
        ints(stride)
        op(0x89)  // False
        global("collections", "OrderedDict")
        op(0x29, 0x52, 0x74, 0x52)  // (), REDUCE, TUPLE, REDUCE
    }
}

/// Runs a crafted pickle; storages are 1-D float tensors 0, 1, 2, ... of the announced size.
private func unpickle(_ bytes: [UInt8]) throws(PyTorchFileError) -> PyTorchValue {
    try Unpickler(bytes: bytes, path: "crafted.pkl") { reference in
        Tensor(shape: [reference.count], scalars: (0..<reference.count).map { Float($0) })
    }.load()
}

/// The error a crafted pickle throws.
private func unpickleError(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> PyTorchFileError? {
    let error = #expect(throws: PyTorchFileError.self, sourceLocation: sourceLocation) { try unpickle(bytes) }
    if let error { #expect("\(error)".contains("crafted.pkl"), sourceLocation: sourceLocation) }
    return error
}

@Suite struct PyTorchFileTests {
    @Test func mlpStateDictLoadsStrictlyAndGivesPyTorchOutput() throws {
        let mlp = expected("mlp")
        let url = fixture("mlp.pt")
        #expect(keys(try loadPyTorchFile(from: url)) == mlp["keys"] as! [String])
        let model = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
        try model.loadStateDict(try loadPyTorchStateDict(from: url), strict: true)
        let x = Tensor(shape: [5, 3], scalars: (mlp["input"] as! [Double]).map { Float($0) })
        let y = model(x).toArray(as: Float.self)
        let want = mlp["output"] as! [Double]
        #expect(y.count == want.count)
        for (a, b) in zip(y, want) { #expect(Swift.abs(Double(a) - b) < 1e-6) }
    }

    @Test func zip64ArchiveReadsLikeTheOriginal() throws {
        let original = try loadPyTorchStateDict(from: fixture("mlp.pt"))
        let zip64 = try loadPyTorchStateDict(from: fixture("zip64.pt"))
        #expect(Set(zip64.keys) == Set(original.keys))
        for (key, t) in original { #expect(zip64[key]!.equal(t), "\(key)") }
    }

    @Test func batchNormStateDictKeepsOrderAndInt64Counter() throws {
        let bn = expected("batchnorm")
        let value = try loadPyTorchFile(from: fixture("batchnorm.pt"))
        #expect(keys(value) == bn["keys"] as! [String])
        let state = try loadPyTorchStateDict(from: fixture("batchnorm.pt"))
        for key in bn["keys"] as! [String] {
            let want = bn[key] as! [String: Any]
            #expect(state[key]!.shape == want["shape"] as! [Int], "\(key)")
            #expect(sameValues(state[key]!, want["data"] as! [Double]), "\(key)")
        }
        let counter = state["num_batches_tracked"]!
        #expect(counter.dtype == .int64 && counter.shape == [] && counter.item(as: Int64.self) == 3)
    }

    @Test func everyDTypeViewsEmptyAndScalarTensors() throws {
        let want = expected("tensors") as! [String: [String: Any]]
        let tensors = try loadPyTorchStateDict(from: fixture("tensors.pt"))
        #expect(Set(tensors.keys) == Set(want.keys))
        let emberDType: [String: DType] = [
            "float32": .float32, "float64": .float64, "int64": .int64, "int32": .int64, "int16": .int64,
            "int8": .int64, "uint8": .int64, "bool": .bool, "float16": .float32, "bfloat16": .float32,
        ]
        for (key, w) in want {
            let t = tensors[key]!
            #expect(t.dtype == emberDType[w["dtype"] as! String], "\(key)")
            #expect(t.shape == w["shape"] as! [Int], "\(key)")
            #expect(t.strides == w["stride"] as! [Int], "\(key)")
            #expect(t.storageOffset == w["offset"] as! Int, "\(key)")
            #expect(sameValues(t, w["data"] as! [Double]), "\(key)")
        }
        // Views of one storage share it, as in PyTorch.
        let (transposed, a, b) = (tensors["transposed"]!, tensors["view_a"]!, tensors["view_b"]!)
        #expect(!transposed.isContiguous && transposed.strides == [1, 4])
        #expect(transposed.storage === a.storage && a.storage === b.storage)
        #expect(tensors["f32"]!.storage !== a.storage)
        a.fill(9)  // base[1:5]: transposed holds base[4] at 1, base[1] at 3 and base[5] at 4
        #expect(transposed.scalars[1] == 9 && transposed.scalars[3] == 9 && transposed.scalars[4] == 0.5)
        #expect(tensors["empty"]!.count == 0 && tensors["scalar"]!.item() == 4.25)
    }

    @Test(arguments: ["values.pt", "values_p4.pt"])
    func checkpointValuesKeepTypesAndOrder(name: String) throws {
        let value = try loadPyTorchFile(from: fixture(name))
        #expect(
            render(value)
                == "{'epoch': 3, 'lr': 0.01, 'name': 'run-1 é✓', 'note': None, 'flags': [True, False], "
                + "'shape': (2, 3), 'nested': {'a': [1, 2.5, 'x'], 7: 'seven', 'deep': [[(-70000, 1099511627776)]]}, "
                + "'steps': int64[3], 'tied_a': float32[2], 'tied_b': float32[2], 'param': float32[2]}")
        #expect(value["steps"]!.tensor!.scalars == [0, 1, 2])
        #expect(value["tied_a"]!.tensor === value["tied_b"]!.tensor)
        let param = value["param"]!.tensor!
        #expect(param.isParameter && param.requiresGrad && param.scalars == [0.5, -0.5])
        #expect(value["steps"]!.tensor!.requiresGrad == false && value["missing"] == nil)
        // A checkpoint is not a state dict: the error says which entry is not a tensor.
        let error = #expect(throws: PyTorchFileError.self) { try loadPyTorchStateDict(from: fixture(name)) }
        #expect(
            error == .notAStateDict(path: fixture(name).path, reason: "'epoch' holds a value of type int, not a tensor")
        )
    }

    @Test func maliciousGlobalIsRefusedWithoutRunningIt() throws {
        let marker = "/tmp/ember-pt-evil-was-run"
        try? FileManager.default.removeItem(atPath: marker)
        let url = fixture("evil.pt")
        #expect(loadError(url) == .disallowedGlobal(path: url.path, name: "posix.system"))
        #expect(!FileManager.default.fileExists(atPath: marker))
        var pickle = Pickle()
        pickle.global("builtins", "eval")
        #expect(unpickleError(pickle.bytes) == .disallowedGlobal(path: "crafted.pkl", name: "builtins.eval"))
        // STACK_GLOBAL resolves through the same allow-list.
        let stackGlobal: [UInt8] =
            [0x80, 0x04, 0x8C, 2] + Array("os".utf8) + [0x8C, 6] + Array("system".utf8) + [0x93]
        #expect(unpickleError(stackGlobal) == .disallowedGlobal(path: "crafted.pkl", name: "os.system"))
        // Code-running opcodes (INST, OBJ) are not implemented at all.
        #expect(unpickleError([0x80, 0x02, 0x69]) == .badOpcode(path: "crafted.pkl", opcode: 0x69, offset: 2))
        #expect(unpickleError([0x80, 0x02, 0x28, 0x6F]) == .badOpcode(path: "crafted.pkl", opcode: 0x6F, offset: 3))
    }

    @Test func corruptArchivesThrowNamingTheFile() throws {
        let path = { (name: String) in fixture(name).path }
        #expect(loadError(fixture("memo.pt")) == .memoIndexOutOfRange(path: path("memo.pt"), index: 7, offset: 2))
        #expect(loadError(fixture("legacy.pt")) == .legacyFormat(path: path("legacy.pt")))
        #expect(loadError(fixture("no_pickle.pt")) == .missingDataPickle(path: path("no_pickle.pt")))
        #expect(loadError(fixture("uint16.pt")) == .unsupportedDType(path: path("uint16.pt"), dtype: "torch.uint16"))
        guard case .unsupportedCompression(path("deflated.pt"), _, 8) = loadError(fixture("deflated.pt")) else {
            Issue.record("a deflated record should be refused")
            return
        }
        #expect(
            loadError(fixture("wrong_size.pt"))
                == .storageOutOfRange(
                    path: path("wrong_size.pt"), key: "0",
                    reason: "4 elements of torch.float32 need 16 bytes but the record holds 12"))
        #expect("\(PyTorchFileError.legacyFormat(path: "x.pt"))".contains("_use_new_zipfile_serialization=True"))

        let temp = FileManager.default.temporaryDirectory.appendingPathComponent("ember-pt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temp) }
        let text = temp.appendingPathComponent("notes.pt")
        try Data("not a zip".utf8).write(to: text)
        #expect(loadError(text) == .notAZipArchive(path: text.path))
        let missing = temp.appendingPathComponent("missing.pt")
        #expect(loadError(missing) == .io(FileError(path: missing.path, reason: "no such file")))
        let truncated = temp.appendingPathComponent("truncated.pt")
        try Data(try Data(contentsOf: fixture("mlp.pt")).prefix(1500)).write(to: truncated)
        guard case .invalidArchive = loadError(truncated) else {
            Issue.record("a truncated archive should be an invalid archive")
            return
        }
    }

    @Test func truncationsThrow() throws {
        let original = try Data(contentsOf: fixture("mlp.pt"))
        // Every length over the last 600 bytes (central directory and end records), sampled before.
        let lengths =
            Array(stride(from: 0, to: original.count - 600, by: 16)) + Array((original.count - 600)..<original.count)
        let loaded = lengths.filter { (try? readPyTorchFile(original.prefix($0), path: "cut.pt")) != nil }
        #expect(loaded.isEmpty, "truncations that loaded: \(loaded)")
    }

    @Test func bitFlipsThrowOrLoadTheSameTensors() throws {
        let original = try Data(contentsOf: fixture("mlp.pt"))
        let reference = try loadPyTorchStateDict(from: fixture("mlp.pt"))
        let zip = try ZipArchive(data: original, path: "mlp.pt")
        // Flips in the records that are read (the pickle, the storages) must be caught by their CRC-32.
        var checked = IndexSet()
        for entry in zip.entries where entry.name.hasSuffix("/data.pkl") || entry.name.contains("/data/") {
            checked.insert(integersIn: try zip.contents(of: entry).indices)
        }
        #expect(checked.count == 473 + 4 * (12 + 4 + 8 + 2))
        var flipped = original
        flipped[try zip.contents(of: zip.entry(named: "mlp/data/2")!).startIndex + 5] ^= 0x10
        #expect(throws: PyTorchFileError.checksumMismatch(path: "flipped.pt", record: "mlp/data/2")) {
            try readPyTorchFile(flipped, path: "flipped.pt")
        }
        // Every byte of the end records (98 bytes) and of the central directory entries of the records
        // that are read (the directory has no extra fields or comments), every 16th byte elsewhere.
        var structure = IndexSet(integersIn: (original.count - 98)..<original.count)
        var entryStart = original.count - 98 - zip.entries.map { 46 + $0.name.utf8.count }.reduce(0, +)
        for entry in zip.entries {
            let entryEnd = entryStart + 46 + entry.name.utf8.count
            if !entry.name.contains("/.") && !entry.name.hasSuffix("/version") {
                structure.insert(integersIn: entryStart..<entryEnd)
            }
            entryStart = entryEnd
        }
        var (thrown, wrong) = (0, [Int]())
        for position in 0..<original.count where position % 16 == 0 || structure.contains(position) {
            var bytes = original
            bytes[position] ^= 1 << UInt8(position % 8)
            // A flip in bytes nobody reads (padding, timestamps, unread records) may load; it must then
            // give exactly the original tensors.
            guard let value = try? readPyTorchFile(bytes, path: "flipped.pt") else {
                thrown += 1
                continue
            }
            let state = try stateDict(of: value, path: "flipped.pt")
            if checked.contains(position) || Set(state.keys) != Set(reference.keys)
                || state.contains(where: { !$0.value.equal(reference[$0.key]!) })
            {
                wrong.append(position)
            }
        }
        #expect(wrong.isEmpty, "flips that loaded different or unchecked contents: \(wrong)")
        #expect(thrown > 300)
    }

    @Test func corruptedPicklesThrowOrLoadWithoutCrashing() throws {
        // Below the CRC: flip one bit of every byte of a real data.pkl and run the unpickler itself.
        let archive = try PyTorchArchive(data: try Data(contentsOf: fixture("mlp.pt")), path: "mlp.pt")
        let pickle = try archive.pickle()
        var thrown = 0
        for position in pickle.indices {
            var bytes = pickle
            bytes[position] ^= 1 << UInt8(position % 8)
            do { _ = try Unpickler(bytes: bytes, path: "mlp.pt", loadStorage: archive.storage).load() } catch {
                #expect("\(error)".contains("mlp.pt"))
                thrown += 1
            }
        }
        #expect(thrown > pickle.count / 2)
    }

    @Test func craftedPicklesAreBoundsChecked() throws {
        let p: [UInt8] = [0x80, 0x02]
        func reason(_ bytes: [UInt8]) -> String? {
            guard case .invalidPickle(_, _, let reason) = unpickleError(bytes) else { return nil }
            return reason
        }
        #expect(reason(p + [0x74]) == "no MARK on the stack")  // TUPLE without MARK
        #expect(reason(p + [0x2E]) == "stack underflow")  // STOP on an empty stack
        #expect(reason(p + [0x4E, 0x28, 0x30]) == "stack underflow at a MARK")  // POP below a MARK
        #expect(reason(p + [0x4E]) == "the pickle ends without a STOP opcode")
        #expect(reason([0x80, 0x06]) == "unsupported pickle protocol 6")
        #expect(reason(p + [0x4A, 0x01]) == "needs 4 more bytes but only 1 remain")
        #expect(
            reason(p + [0x58, 0xFF, 0xFF, 0xFF, 0x7F, 0x41])
                == "a string of 2147483647 bytes is longer than the remaining data")
        #expect(reason(p + [0x8D] + [UInt8](repeating: 0xFF, count: 8)) != nil)  // BINUNICODE8 of 2^64 - 1 bytes
        #expect(reason(p + [0x95] + [UInt8](repeating: 0xFF, count: 8)) == "a frame is longer than the remaining data")
        #expect(
            reason(p + [0x8A, 9] + [UInt8](repeating: 0, count: 9)) == "an integer of 9 bytes does not fit in 64 bits")
        #expect(reason(p + [0x8B, 0xFF, 0xFF, 0xFF, 0xFF]) == "an integer of -1 bytes does not fit in 64 bits")
        #expect(reason(p + [0x8C, 2, 0xC3, 0x28, 0x2E]) == "a string is not valid UTF-8")
        #expect(reason(p + [0x4E, 0x51, 0x2E]) == "a persistent id is not ('storage', type, key, location, numel)")
        #expect(reason(p + [0x4E, 0x29, 0x52]) == "only allow-listed globals can be called")
        #expect(reason(p + [0x7D, 0x5D, 0x4E, 0x73]) == "dict keys must be strings or integers")
        #expect(
            unpickleError(p + [0x6A, 0, 0, 1, 0]) == .memoIndexOutOfRange(path: "crafted.pkl", index: 65536, offset: 2))

        // A list appended to itself, or changed after being stored elsewhere, would be a cycle.
        #expect(reason(p + [0x5D, 0x71, 0, 0x68, 0, 0x61]) != nil)
        #expect(reason(p + [0x5D, 0x71, 0, 0x5D, 0x68, 0, 0x61, 0x68, 0, 0x4E, 0x61]) != nil)
        // Deep nesting stops at the limit instead of exhausting the stack.
        let depth = Unpickler.maxDepth + 5
        #expect(
            reason(p + [UInt8](repeating: 0x5D, count: depth) + [UInt8](repeating: 0x61, count: depth - 1) + [0x2E])
                == "values are nested deeper than \(Unpickler.maxDepth) levels")
        #expect(reason(p + [0x29] + [UInt8](repeating: 0x85, count: depth)) != nil)
        // Shared references that would expand exponentially (a "billion laughs") are refused.
        var laughs = p + [0x5D, 0x28, 0x4E, 0x65, 0x71, 0]
        for i in 1...60 { laughs += [0x5D, 0x28, 0x68, UInt8(i - 1), 0x68, UInt8(i - 1), 0x65, 0x71, UInt8(i)] }
        #expect(reason(laughs + [0x2E]) == "the pickle expands to too many values")

        // Repeated dict keys keep the first position and the last value, as in Python.
        let dict = try unpickle(
            p + [0x7D, 0x28, 0x8C, 1, 0x61, 0x4B, 1, 0x8C, 1, 0x62, 0x4B, 2, 0x8C, 1, 0x61, 0x4B, 3, 0x75, 0x2E])
        #expect(render(dict) == "{'a': 3, 'b': 2}")
        #expect(throws: PyTorchFileError.notAStateDict(path: "crafted.pkl", reason: "key 7 is not a string")) {
            try stateDict(of: try unpickle(p + [0x7D, 0x4B, 7, 0x4E, 0x73, 0x2E]), path: "crafted.pkl")
        }
    }

    @Test func craftedTensorsStayInsideTheirStorage() throws {
        func tensorPickle(_ build: (inout Pickle) -> Void) -> [UInt8] {
            var pickle = Pickle()
            build(&pickle)
            return pickle.bytes + [0x2E]
        }
        // A stride-0 view of one element is fine and shares the storage.
        let expanded = try unpickle(tensorPickle { $0.tensor(count: 4, offset: 3, size: [3], stride: [0]) })
        #expect(expanded.tensor!.scalars == [3, 3, 3])
        let empty = try unpickle(tensorPickle { $0.tensor(count: 4, offset: 4, size: [0, 5], stride: [5, 1]) })
        #expect(empty.tensor!.shape == [0, 5])
        func outOfRange(_ bytes: [UInt8]) -> Bool {
            if case .storageOutOfRange(_, "0", _) = unpickleError(bytes) { true } else { false }
        }
        #expect(outOfRange(tensorPickle { $0.tensor(count: 4, offset: 0, size: [5], stride: [1]) }))
        #expect(outOfRange(tensorPickle { $0.tensor(count: 4, offset: 2, size: [2, 2], stride: [1, 1]) }))
        #expect(outOfRange(tensorPickle { $0.tensor(count: 4, offset: 5, size: [0], stride: [1]) }))
        #expect(
            outOfRange(
                tensorPickle { $0.tensor(count: 4, offset: 0, size: [1 << 30, 1 << 30, 1 << 30], stride: [0, 0, 0]) }))
        guard
            case .invalidPickle = unpickleError(
                tensorPickle { $0.tensor(count: 4, offset: 0, size: [2], stride: [-1]) })
        else {
            Issue.record("a negative stride should be invalid")
            return
        }
        // One storage key cannot be read as two types.
        let twoTypes = tensorPickle {
            $0.op(0x28)
            $0.tensor(count: 4, offset: 0, size: [4], stride: [1])
            $0.tensor(type: "LongStorage", count: 4, offset: 0, size: [4], stride: [1])
            $0.op(0x74)
        }
        guard case .invalidPickle(_, _, let reason) = unpickleError(twoTypes) else {
            Issue.record("a storage read as two types should be invalid")
            return
        }
        #expect(reason == "storage '0' is referenced with two different types or sizes")
    }
}
