import Foundation

/// A torch storage class (`torch.FloatStorage`, ...): how its elements are stored and how Ember
/// reads them.
struct StorageType: Equatable {
    /// The global naming it (`torch.FloatStorage`).
    let name: String
    /// PyTorch's dtype, for messages (`torch.float16`).
    let dtype: String
    /// Bytes per element in the file.
    let itemSize: Int
    /// The element code `decodeTensor` converts from (safetensors' names), `nil` if Ember cannot.
    let code: String?
}

/// The storage classes `torch.save` names in persistent ids, by their name in module `torch`.
private let torchStorageTypes: [String: StorageType] = Dictionary(
    uniqueKeysWithValues: [
        ("DoubleStorage", "float64", 8, "F64"), ("FloatStorage", "float32", 4, "F32"),
        ("HalfStorage", "float16", 2, "F16"), ("BFloat16Storage", "bfloat16", 2, "BF16"),
        ("LongStorage", "int64", 8, "I64"), ("IntStorage", "int32", 4, "I32"), ("ShortStorage", "int16", 2, "I16"),
        ("CharStorage", "int8", 1, "I8"), ("ByteStorage", "uint8", 1, "U8"), ("BoolStorage", "bool", 1, "BOOL"),
        ("ComplexFloatStorage", "complex64", 8, nil), ("ComplexDoubleStorage", "complex128", 16, nil),
    ].map { ($0.0, StorageType(name: "torch.\($0.0)", dtype: "torch.\($0.1)", itemSize: $0.2, code: $0.3)) })

/// The dtypes `torch.save` names as globals, only for `_rebuild_tensor_v3`; Ember reads none of them.
private let torchV3DTypes: Set<String> = [
    "uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
    "float8_e8m0fnu", "float4_e2m1fn_x2", "complex32", "bcomplex32", "bits1x8", "bits2x4", "bits4x2", "bits8", "bits16",
]

/// The only globals the unpickler resolves; any other `module.name` is refused, never imported.
enum PickleGlobal: Equatable {
    /// `collections.OrderedDict`, the class of state dicts and of tensors' backward hooks.
    case orderedDict
    /// `torch._utils._rebuild_tensor_v2` (every common dtype) or `_v3` (dtypes Ember does not read).
    case rebuildTensor(version: Int)
    /// `torch._utils._rebuild_parameter` and `_rebuild_parameter_with_state` (`nn.Parameter`).
    case rebuildParameter(withState: Bool)
    /// A storage class in a persistent id.
    case storageType(StorageType)
    /// A `torch.<dtype>` argument of `_rebuild_tensor_v3`.
    case dtype(String)

    /// Resolves `module.name` against the allow-list.
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensor(version: 2)
        case ("torch._utils", "_rebuild_tensor_v3"): self = .rebuildTensor(version: 3)
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter(withState: false)
        case ("torch._utils", "_rebuild_parameter_with_state"): self = .rebuildParameter(withState: true)
        case ("torch.storage", "UntypedStorage"):
            self = .storageType(
                StorageType(name: "torch.storage.UntypedStorage", dtype: "untyped", itemSize: 1, code: nil))
        case ("torch", _):
            if let type = torchStorageTypes[name] {
                self = .storageType(type)
            } else if torchV3DTypes.contains(name) {
                self = .dtype("torch.\(name)")
            } else {
                return nil
            }
        default: return nil
        }
    }

    /// The qualified name, for messages.
    var name: String {
        switch self {
        case .orderedDict: "collections.OrderedDict"
        case .rebuildTensor(let version): "torch._utils._rebuild_tensor_v\(version)"
        case .rebuildParameter(let withState): "torch._utils._rebuild_parameter" + (withState ? "_with_state" : "")
        case .storageType(let type): type.name
        case .dtype(let name): name
        }
    }
}

/// A storage record a pickled tensor refers to: `('storage', torch.FloatStorage, key, location, numel)`.
struct StorageReference: Equatable {
    /// The storage class, giving the dtype.
    let type: StorageType
    /// The record's name under `<archive>/data/`.
    let key: String
    /// Number of elements.
    let count: Int
}

/// A list or dict being built. It is frozen once placed inside another value, so a pickle can
/// neither make cycles nor deepen a value after its depth was counted.
class PickleContainer {
    /// Nesting depth of the value (1 for a flat container).
    var depth = 1
    /// Whether it is stored inside another value and so can no longer change.
    var isFrozen = false
}

/// A Python list under construction.
final class PickleList: PickleContainer {
    /// The elements so far.
    var items: [PickleValue] = []
}

/// A Python dict (or OrderedDict) under construction, keeping insertion order.
final class PickleDict: PickleContainer {
    /// A key the restricted unpickler accepts.
    enum Key: Hashable {
        case string(String)
        case int(Int64)
    }

    /// The items in insertion order.
    var items: [(key: PickleValue, value: PickleValue)] = []
    /// Where each key sits in `items`, so a repeated key replaces the value in place.
    var positions: [Key: Int] = [:]
}

/// A value on the unpickler's stack or in its memo.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case tensor(Tensor)
    case list(PickleList)
    case dict(PickleDict)
    /// A tuple and its nesting depth.
    case tuple([PickleValue], depth: Int)
    /// An allow-listed class or function, only usable as a callable or argument.
    case global(PickleGlobal)
    /// A persistent id, only usable as the first argument of a tensor rebuild.
    case storage(StorageReference)

    /// Nesting depth: 0 for scalars and tensors.
    var depth: Int {
        switch self {
        case .list(let c): c.depth
        case .dict(let c): c.depth
        case .tuple(_, let depth): depth
        default: 0
        }
    }
}

/// The pickle opcodes the unpickler implements (protocols 2 to 5 as `torch.save` writes them); every
/// other byte, in particular the code-running `INST`, `OBJ` and `NEWOBJ_EX`, is a bad opcode.
private enum Opcode: UInt8 {
    case mark = 0x28  // MARK
    case emptyTuple = 0x29  // EMPTY_TUPLE
    case stop = 0x2E  // STOP
    case pop = 0x30  // POP
    case popMark = 0x31  // POP_MARK
    case binFloat = 0x47  // BINFLOAT
    case binInt = 0x4A  // BININT
    case binInt1 = 0x4B  // BININT1
    case binInt2 = 0x4D  // BININT2
    case none = 0x4E  // NONE
    case persId = 0x50  // PERSID
    case binPersId = 0x51  // BINPERSID
    case reduce = 0x52  // REDUCE
    case binString = 0x54  // BINSTRING
    case shortBinString = 0x55  // SHORT_BINSTRING
    case binUnicode = 0x58  // BINUNICODE
    case emptyList = 0x5D  // EMPTY_LIST
    case append = 0x61  // APPEND
    case build = 0x62  // BUILD
    case global = 0x63  // GLOBAL
    case appends = 0x65  // APPENDS
    case binGet = 0x68  // BINGET
    case longBinGet = 0x6A  // LONG_BINGET
    case binPut = 0x71  // BINPUT
    case longBinPut = 0x72  // LONG_BINPUT
    case setItem = 0x73  // SETITEM
    case tuple = 0x74  // TUPLE
    case setItems = 0x75  // SETITEMS
    case emptyDict = 0x7D  // EMPTY_DICT
    case proto = 0x80  // PROTO
    case newObj = 0x81  // NEWOBJ
    case tuple1 = 0x85  // TUPLE1
    case tuple2 = 0x86  // TUPLE2
    case tuple3 = 0x87  // TUPLE3
    case newTrue = 0x88  // NEWTRUE
    case newFalse = 0x89  // NEWFALSE
    case long1 = 0x8A  // LONG1
    case long4 = 0x8B  // LONG4
    case shortBinUnicode = 0x8C  // SHORT_BINUNICODE
    case binUnicode8 = 0x8D  // BINUNICODE8
    case stackGlobal = 0x93  // STACK_GLOBAL
    case memoize = 0x94  // MEMOIZE
    case frame = 0x95  // FRAME
}

/// A pickle machine restricted to what `torch.save` writes: it builds Python values, tensors and
/// nothing else, resolving only the allow-listed globals of `PickleGlobal`, so no code from the
/// file ever runs. Every read, memo index, mark, stack pop, nesting level and storage range is
/// checked, and anything unexpected throws `PyTorchFileError` naming the file and the offset.
final class Unpickler {
    /// Decodes the storage record a reference names into a 1-D tensor of its elements.
    typealias StorageLoader = (StorageReference) throws(PyTorchFileError) -> Tensor

    /// Deepest nesting of lists, dicts and tuples accepted.
    static let maxDepth = 100

    private let bytes: [UInt8]
    private let path: String
    private let loadStorage: StorageLoader
    private var position = 0
    private var opcodeOffset = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var storages: [String: (reference: StorageReference, tensor: Tensor)] = [:]

    /// An unpickler for `bytes` (the `data.pkl` of the file at `path`).
    init(bytes: [UInt8], path: String, loadStorage: @escaping StorageLoader) {
        self.bytes = bytes
        self.path = path
        self.loadStorage = loadStorage
    }

    /// Runs the pickle to its `STOP` and returns the value it built.
    func load() throws(PyTorchFileError) -> PyTorchValue {
        let result = try run()
        // Shared references may expand when the result becomes a tree; bound the expansion.
        var budget = 16 * bytes.count + 1024
        return try convert(result, budget: &budget)
    }

    private func invalid(_ reason: String) -> PyTorchFileError {
        .invalidPickle(path: path, offset: opcodeOffset, reason: reason)
    }

    private func run() throws(PyTorchFileError) -> PickleValue {
        while position < bytes.count {
            opcodeOffset = position
            let byte = bytes[position]
            position += 1
            guard let op = Opcode(rawValue: byte) else {
                throw .badOpcode(path: path, opcode: byte, offset: opcodeOffset)
            }
            switch op {
            case .proto:
                let version = try readUnsigned(1)
                guard version <= 5 else { throw invalid("unsupported pickle protocol \(version)") }
            case .frame:
                guard try readUnsigned(8) <= UInt64(bytes.count - position) else {
                    throw invalid("a frame is longer than the remaining data")
                }
            case .global: try pushGlobal(module: try readLine(), name: try readLine())
            case .stackGlobal:
                let name = try popString()
                try pushGlobal(module: try popString(), name: name)
            case .binPersId: stack.append(try persistentLoad(try pop()))
            case .persId: stack.append(try persistentLoad(.string(try readLine())))
            case .reduce, .newObj:
                guard case .tuple(let args, _) = try pop() else {
                    throw invalid("the arguments of a call are not a tuple")
                }
                let callable = try pop()
                if op == .newObj, case .global(let global) = callable, global != .orderedDict {
                    throw invalid("NEWOBJ only builds OrderedDicts")
                }
                stack.append(try call(callable, args))
            case .build:
                _ = try pop()  // The state of an OrderedDict (such as a state dict's `_metadata`) is not kept.
                guard case .dict = try top() else { throw invalid("BUILD is only supported on dicts") }
            case .mark: marks.append(stack.count)
            case .emptyDict: stack.append(.dict(PickleDict()))
            case .emptyList: stack.append(.list(PickleList()))
            case .emptyTuple: stack.append(.tuple([], depth: 1))
            case .tuple: stack.append(try makeTuple(try popMark()))
            case .tuple1, .tuple2, .tuple3:
                var items: [PickleValue] = []
                for _ in 0...(op.rawValue - Opcode.tuple1.rawValue) { items.insert(try pop(), at: 0) }
                stack.append(try makeTuple(items))
            case .setItem:
                let value = try pop()
                try setItems([try pop(), value])
            case .setItems: try setItems(try popMark())
            case .append: try append([try pop()])
            case .appends: try append(try popMark())
            case .binInt: stack.append(.int(Int64(Int32(truncatingIfNeeded: try readUnsigned(4)))))
            case .binInt1: stack.append(.int(Int64(try readUnsigned(1))))
            case .binInt2: stack.append(.int(Int64(try readUnsigned(2))))
            case .long1: stack.append(.int(try readLong(Int(try readUnsigned(1)))))
            case .long4: stack.append(.int(try readLong(Int(Int32(truncatingIfNeeded: try readUnsigned(4))))))
            case .binFloat: stack.append(.double(Double(bitPattern: try readUnsigned(8).byteSwapped)))
            case .shortBinUnicode, .shortBinString: stack.append(.string(try readString(try readUnsigned(1))))
            case .binUnicode: stack.append(.string(try readString(try readUnsigned(4))))
            case .binUnicode8: stack.append(.string(try readString(try readUnsigned(8))))
            case .binString:
                let length = Int32(truncatingIfNeeded: try readUnsigned(4))
                guard length >= 0 else { throw invalid("negative string length \(length)") }
                stack.append(.string(try readString(UInt64(length))))
            case .none: stack.append(.none)
            case .newTrue: stack.append(.bool(true))
            case .newFalse: stack.append(.bool(false))
            case .binPut: memo[Int(try readUnsigned(1))] = try top()
            case .longBinPut: memo[Int(try readUnsigned(4))] = try top()
            case .memoize: memo[memo.count] = try top()
            case .binGet: stack.append(try memoValue(Int(try readUnsigned(1))))
            case .longBinGet: stack.append(try memoValue(Int(try readUnsigned(4))))
            case .pop: _ = try pop()
            case .popMark: _ = try popMark()
            case .stop: return try pop()
            }
        }
        throw invalid("the pickle ends without a STOP opcode")
    }

    // MARK: Reading the byte stream

    /// Consumes `count` bytes and returns where they start.
    private func take(_ count: Int) throws(PyTorchFileError) -> Int {
        guard count <= bytes.count - position else {
            throw invalid("needs \(count) more bytes but only \(bytes.count - position) remain")
        }
        defer { position += count }
        return position
    }

    /// A little-endian unsigned integer of `count` (at most 8) bytes.
    private func readUnsigned(_ count: Int) throws(PyTorchFileError) -> UInt64 {
        let start = try take(count)
        var value: UInt64 = 0
        var i = start + count
        while i > start {
            i -= 1
            value = value << 8 | UInt64(bytes[i])
        }
        return value
    }

    /// A little-endian two's-complement integer of `count` bytes (`LONG1`/`LONG4`), at most 64 bits.
    private func readLong(_ count: Int) throws(PyTorchFileError) -> Int64 {
        guard (0...8).contains(count) else { throw invalid("an integer of \(count) bytes does not fit in 64 bits") }
        var value = try readUnsigned(count)
        if count > 0, count < 8, value >> (8 * count - 1) & 1 == 1 { value |= ~0 << (8 * count) }
        return Int64(bitPattern: value)
    }

    private func readString(_ count: UInt64) throws(PyTorchFileError) -> String {
        guard count <= UInt64(bytes.count - position) else {
            throw invalid("a string of \(count) bytes is longer than the remaining data")
        }
        let start = try take(Int(count))
        guard let string = String(validating: bytes[start..<position], as: UTF8.self) else {
            throw invalid("a string is not valid UTF-8")
        }
        return string
    }

    /// A newline-terminated argument of the text opcodes `GLOBAL` and `PERSID`.
    private func readLine() throws(PyTorchFileError) -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw invalid("an unterminated text argument") }
        let line = try readString(UInt64(end - position))
        position += 1
        return line
    }

    // MARK: Stack, marks and memo

    /// Stack entries below the last mark belong to an outer construct and cannot be popped.
    private var fence: Int { marks.last ?? 0 }

    private func pop() throws(PyTorchFileError) -> PickleValue {
        guard stack.count > fence else {
            throw invalid(stack.isEmpty ? "stack underflow" : "stack underflow at a MARK")
        }
        return stack.removeLast()
    }

    private func top() throws(PyTorchFileError) -> PickleValue {
        guard stack.count > fence else {
            throw invalid(stack.isEmpty ? "stack underflow" : "stack underflow at a MARK")
        }
        return stack[stack.count - 1]
    }

    private func popString() throws(PyTorchFileError) -> String {
        guard case .string(let s) = try pop() else { throw invalid("STACK_GLOBAL needs two strings") }
        return s
    }

    /// Removes and returns everything above the last mark, and the mark.
    private func popMark() throws(PyTorchFileError) -> [PickleValue] {
        guard let mark = marks.popLast() else { throw invalid("no MARK on the stack") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private func memoValue(_ index: Int) throws(PyTorchFileError) -> PickleValue {
        guard let value = memo[index] else {
            throw .memoIndexOutOfRange(path: path, index: index, offset: opcodeOffset)
        }
        return value
    }

    // MARK: Building values

    private func pushGlobal(module: String, name: String) throws(PyTorchFileError) {
        guard let global = PickleGlobal(module: module, name: name) else {
            throw .disallowedGlobal(path: path, name: "\(module).\(name)")
        }
        stack.append(.global(global))
    }

    /// Freezes `value` as it goes inside another and returns the depth the container reaches.
    private func adopt(_ value: PickleValue) throws(PyTorchFileError) -> Int {
        switch value {
        case .list(let c): c.isFrozen = true
        case .dict(let c): c.isFrozen = true
        default: break
        }
        guard value.depth < Self.maxDepth else {
            throw invalid("values are nested deeper than \(Self.maxDepth) levels")
        }
        return value.depth + 1
    }

    /// Checks that `values` may go into `container` and updates its depth.
    private func admit(_ values: [PickleValue], into container: PickleContainer) throws(PyTorchFileError) {
        var depth = container.depth
        for value in values { depth = max(depth, try adopt(value)) }
        guard !container.isFrozen else {
            throw invalid("a list or dict changes after being stored in another value (a cycle or a malformed pickle)")
        }
        container.depth = depth
    }

    private func makeTuple(_ items: [PickleValue]) throws(PyTorchFileError) -> PickleValue {
        var depth = 1
        for item in items { depth = max(depth, try adopt(item)) }
        return .tuple(items, depth: depth)
    }

    private func append(_ items: [PickleValue]) throws(PyTorchFileError) {
        guard case .list(let list) = try top() else { throw invalid("APPEND(S) needs a list") }
        try admit(items, into: list)
        list.items += items
    }

    /// Inserts alternating keys and values into the dict on top of the stack, as `dict.__setitem__`.
    private func setItems(_ keysAndValues: [PickleValue]) throws(PyTorchFileError) {
        guard case .dict(let dict) = try top() else { throw invalid("SETITEM(S) needs a dict") }
        guard keysAndValues.count % 2 == 0 else { throw invalid("SETITEMS needs key-value pairs") }
        try admit(keysAndValues, into: dict)
        for i in stride(from: 0, to: keysAndValues.count, by: 2) {
            let key: PickleDict.Key
            switch keysAndValues[i] {
            case .string(let s): key = .string(s)
            case .int(let n): key = .int(n)
            default: throw invalid("dict keys must be strings or integers")
            }
            if let index = dict.positions[key] {
                dict.items[index].value = keysAndValues[i + 1]
            } else {
                dict.positions[key] = dict.items.count
                dict.items.append((keysAndValues[i], keysAndValues[i + 1]))
            }
        }
    }

    /// `persistent_load`: a storage reference `('storage', type, key, location, numel)`.
    private func persistentLoad(_ id: PickleValue) throws(PyTorchFileError) -> PickleValue {
        guard case .tuple(let items, _) = id, items.count == 5, case .string("storage") = items[0],
            case .global(.storageType(let type)) = items[1], case .string(let key) = items[2],
            case .string = items[3], case .int(let count) = items[4], count >= 0
        else { throw invalid("a persistent id is not ('storage', type, key, location, numel)") }
        return .storage(StorageReference(type: type, key: key, count: Int(count)))
    }

    /// `REDUCE`/`NEWOBJ`: applies an allow-listed callable to its arguments.
    private func call(_ callable: PickleValue, _ args: [PickleValue]) throws(PyTorchFileError) -> PickleValue {
        guard case .global(let global) = callable else { throw invalid("only allow-listed globals can be called") }
        switch global {
        case .orderedDict:
            guard args.isEmpty else { throw invalid("OrderedDict is only built empty") }
            return .dict(PickleDict())
        case .rebuildTensor(let version):
            guard version == 2 else {
                guard args.count >= 7, case .global(.dtype(let dtype)) = args[6] else {
                    throw invalid("bad arguments to \(global.name)")
                }
                throw .unsupportedDType(path: path, dtype: dtype)
            }
            guard args.count == 6 || args.count == 7, case .storage(let reference) = args[0],
                case .int(let offset) = args[1], let shape = intTuple(args[2]), let strides = intTuple(args[3]),
                case .bool(let requiresGrad) = args[4]
            else { throw invalid("bad arguments to \(global.name)") }
            let tensor = try view(of: reference, offset: Int(offset), shape: shape, strides: strides)
            guard !requiresGrad || tensor.dtype.isFloatingPoint else {
                throw invalid("an integer tensor requires grad")
            }
            tensor.requiresGrad = requiresGrad
            return .tensor(tensor)
        case .rebuildParameter(let withState):
            guard args.count == (withState ? 4 : 3), case .tensor(let data) = args[0],
                case .bool(let requiresGrad) = args[1],
                !requiresGrad || data.dtype.isFloatingPoint
            else { throw invalid("bad arguments to \(global.name)") }
            return .tensor(Parameter(data, requiresGrad: requiresGrad))
        case .storageType, .dtype: throw invalid("\(global.name) cannot be called")
        }
    }

    private func intTuple(_ value: PickleValue) -> [Int]? {
        guard case .tuple(let items, _) = value else { return nil }
        var result: [Int] = []
        for case .int(let n) in items { result.append(Int(n)) }
        return result.count == items.count ? result : nil
    }

    /// The decoded elements of a storage record, loaded once and shared by every tensor viewing it.
    private func storage(_ reference: StorageReference) throws(PyTorchFileError) -> Tensor {
        if let cached = storages[reference.key] {
            guard cached.reference == reference else {
                throw invalid("storage '\(reference.key)' is referenced with two different types or sizes")
            }
            return cached.tensor
        }
        let tensor = try loadStorage(reference)
        storages[reference.key] = (reference, tensor)
        return tensor
    }

    /// A tensor viewing the storage `reference` names (`_rebuild_tensor`), after checking that
    /// every element it can reach lies inside the storage.
    private func view(of reference: StorageReference, offset: Int, shape: [Int], strides: [Int])
        throws(PyTorchFileError) -> Tensor
    {
        let base = try storage(reference)
        let geometry = "size \(shape), stride \(strides) and offset \(offset)"
        guard shape.count == strides.count, offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 })
        else { throw invalid("a tensor has invalid \(geometry)") }
        // The element count and the highest element index reached, both without overflow.
        var (count, last, overflow) = (1, offset, false)
        for (size, stride) in zip(shape, strides) {
            let (newCount, o1) = count.multipliedReportingOverflow(by: size)
            let (step, o2) = (size - 1).multipliedReportingOverflow(by: stride)
            let (newLast, o3) = last.addingReportingOverflow(step)
            (count, last, overflow) = (newCount, newLast, overflow || o1 || o2 || o3)
        }
        guard !overflow, count == 0 ? offset <= base.count : last < base.count else {
            throw .storageOutOfRange(
                path: path, key: reference.key,
                reason: "a tensor of \(geometry) reaches beyond the storage's \(base.count) elements")
        }
        return Tensor(storage: base.storage, shape: shape, strides: strides, offset: offset)
    }

    // MARK: The result

    private func convert(_ value: PickleValue, budget: inout Int) throws(PyTorchFileError) -> PyTorchValue {
        budget -= 1
        guard budget >= 0 else { throw invalid("the pickle expands to too many values") }
        switch value {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let n): return .int(n)
        case .double(let x): return .double(x)
        case .string(let s): return .string(s)
        case .tensor(let t): return .tensor(t)
        case .list(let list): return .list(try convert(list.items, budget: &budget))
        case .tuple(let items, _): return .tuple(try convert(items, budget: &budget))
        case .dict(let dict):
            var items: [(key: PyTorchValue, value: PyTorchValue)] = []
            for (key, value) in dict.items {
                items.append((try convert(key, budget: &budget), try convert(value, budget: &budget)))
            }
            return .dict(items)
        case .global(let global): throw invalid("the result holds \(global.name), which is not a value")
        case .storage(let reference): throw invalid("the result holds storage '\(reference.key)', not a tensor")
        }
    }

    private func convert(_ values: [PickleValue], budget: inout Int) throws(PyTorchFileError) -> [PyTorchValue] {
        var result: [PyTorchValue] = []
        for value in values { result.append(try convert(value, budget: &budget)) }
        return result
    }
}
