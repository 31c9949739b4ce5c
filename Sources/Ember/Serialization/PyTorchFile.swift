import Foundation

/// Why a PyTorch `.pt`/`.pth` file could not be read; every case names the file.
public enum PyTorchFileError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or read.
    case io(FileError)
    /// The file is not a ZIP archive, so not something `torch.save` (PyTorch 1.6 or later) wrote.
    case notAZipArchive(path: String)
    /// The file uses the pre-1.6 `torch.save` format, which Ember does not read.
    case legacyFormat(path: String)
    /// The ZIP structure is corrupt or truncated.
    case invalidArchive(path: String, reason: String)
    /// A record is compressed; `torch.save` stores records uncompressed.
    case unsupportedCompression(path: String, record: String, method: Int)
    /// A record's bytes do not match its CRC-32.
    case checksumMismatch(path: String, record: String)
    /// The archive has no `<name>/data.pkl` record.
    case missingDataPickle(path: String)
    /// A storage record a tensor refers to is missing, or its key is not a valid record name.
    case missingRecord(path: String, record: String)
    /// The pickle names a global outside the allow-list (`module.name`); nothing was executed.
    case disallowedGlobal(path: String, name: String)
    /// The pickle holds an opcode the restricted unpickler does not implement.
    case badOpcode(path: String, opcode: UInt8, offset: Int)
    /// The pickle fetches a memo entry that was never stored.
    case memoIndexOutOfRange(path: String, index: Int, offset: Int)
    /// The pickle is malformed at byte `offset`: truncated, stack underflow, no mark, wrong
    /// arguments, nesting too deep, ...
    case invalidPickle(path: String, offset: Int, reason: String)
    /// A storage record has the wrong size, or a tensor reaches outside its storage.
    case storageOutOfRange(path: String, key: String, reason: String)
    /// A tensor has a dtype Ember cannot represent (`torch.complex64`, `torch.uint16`, ...).
    case unsupportedDType(path: String, dtype: String)
    /// `loadPyTorchStateDict` found something other than a dict of string keys to tensors.
    case notAStateDict(path: String, reason: String)

    /// A one-line explanation naming the file.
    public var description: String {
        switch self {
        case .io(let error): "\(error)"
        case .notAZipArchive(let path): "\(path): not a ZIP archive, so not a file written by torch.save"
        case .legacyFormat(let path):
            "\(path): legacy (pre-1.6) torch.save format is not supported; re-save it with "
                + "torch.save(..., _use_new_zipfile_serialization=True)"
        case .invalidArchive(let path, let reason): "\(path): invalid ZIP archive: \(reason)"
        case .unsupportedCompression(let path, let record, let method):
            "\(path): record '\(record)' uses compression method \(method); only stored records are supported"
        case .checksumMismatch(let path, let record): "\(path): record '\(record)' fails its CRC-32 check"
        case .missingDataPickle(let path): "\(path): the archive has no <name>/data.pkl record"
        case .missingRecord(let path, let record): "\(path): storage record '\(record)' is missing"
        case .disallowedGlobal(let path, let name):
            "\(path): the pickle refers to global '\(name)', which is not allowed (nothing was executed); "
                + "Ember reads tensors, state dicts and plain Python values, so save model.state_dict(), not the model"
        case .badOpcode(let path, let opcode, let offset):
            "\(path): unsupported pickle opcode 0x\(String(opcode, radix: 16)) at byte \(offset)"
        case .memoIndexOutOfRange(let path, let index, let offset):
            "\(path): pickle memo index \(index) at byte \(offset) was never stored"
        case .invalidPickle(let path, let offset, let reason): "\(path): invalid pickle at byte \(offset): \(reason)"
        case .storageOutOfRange(let path, let key, let reason): "\(path): storage '\(key)': \(reason)"
        case .unsupportedDType(let path, let dtype): "\(path): tensors of dtype \(dtype) are not supported"
        case .notAStateDict(let path, let reason): "\(path): not a state dict: \(reason)"
        }
    }
}

/// A value read from a `.pt` file: the Python objects `torch.save` writes for state dicts,
/// checkpoints and their settings.
public enum PyTorchValue: Sendable {
    /// `None`.
    case none
    /// A `bool`.
    case bool(Bool)
    /// An `int` (64-bit; larger integers are rejected).
    case int(Int64)
    /// A `float`.
    case double(Double)
    /// A `str`.
    case string(String)
    /// A tensor or `nn.Parameter`; tensors that were views of one storage share it.
    case tensor(Tensor)
    /// A `list`.
    case list([PyTorchValue])
    /// A `tuple`.
    case tuple([PyTorchValue])
    /// A `dict` or `OrderedDict`, its items in insertion order; keys are `.string` or `.int`.
    case dict([(key: PyTorchValue, value: PyTorchValue)])

    /// The value stored under a string key, if this is a dict holding one.
    public subscript(key: String) -> PyTorchValue? {
        guard case .dict(let items) = self else { return nil }
        return items.first { if case .string(key) = $0.key { true } else { false } }?.value
    }

    /// The tensor, if this value is one.
    public var tensor: Tensor? {
        if case .tensor(let t) = self { t } else { nil }
    }

    /// Python's name for the value's type, for messages.
    var typeName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .tensor: "Tensor"
        case .list: "list"
        case .tuple: "tuple"
        case .dict: "dict"
        }
    }
}

/// Reads a state dict saved with `torch.save(model.state_dict(), path)`: a dict (or OrderedDict)
/// of string keys to tensors, as `model.loadStateDict(...)` takes. Half and bfloat16 tensors
/// become float32, smaller integers int64. The pickle runs in a restricted unpickler that executes
/// nothing; anything outside the format throws.
public func loadPyTorchStateDict(from url: URL) throws(PyTorchFileError) -> [String: Tensor] {
    try stateDict(of: try loadPyTorchFile(from: url), path: url.path)
}

/// Reads any file `torch.save` wrote from tensors, dicts, lists, tuples, numbers, strings,
/// booleans and `None` (a checkpoint, an optimizer state dict, ...), keeping dict order. The
/// pickle runs in a restricted unpickler: only `collections.OrderedDict`, torch's tensor and
/// parameter rebuild functions and its storage types are resolved; any other global throws
/// `PyTorchFileError.disallowedGlobal` without running anything.
public func loadPyTorchFile(from url: URL) throws(PyTorchFileError) -> PyTorchValue {
    let data: Data
    do { data = try readMapped(url) } catch { throw .io(error) }
    return try readPyTorchFile(data, path: url.path)
}

/// Reads the bytes of a `torch.save` file; `path` names it in errors.
func readPyTorchFile(_ data: Data, path: String) throws(PyTorchFileError) -> PyTorchValue {
    let archive = try PyTorchArchive(data: data, path: path)
    return try Unpickler(bytes: try archive.pickle(), path: path, loadStorage: archive.storage).load()
}

/// The tensors of a value that is a dict of string keys to tensors.
func stateDict(of value: PyTorchValue, path: String) throws(PyTorchFileError) -> [String: Tensor] {
    guard case .dict(let items) = value else {
        throw .notAStateDict(path: path, reason: "the file holds a value of type \(value.typeName), not a dict")
    }
    var result: [String: Tensor] = [:]
    for (key, value) in items {
        guard case .string(let name) = key else {
            let shown = if case .int(let n) = key { "\(n)" } else { key.typeName }
            throw .notAStateDict(path: path, reason: "key \(shown) is not a string")
        }
        guard case .tensor(let tensor) = value else {
            throw .notAStateDict(path: path, reason: "'\(name)' holds a value of type \(value.typeName), not a tensor")
        }
        result[name] = tensor
    }
    return result
}

/// The ZIP layout `torch.save` writes: `<name>/data.pkl`, the pickle, and one `<name>/data/<key>`
/// record per storage.
struct PyTorchArchive {
    let zip: ZipArchive
    /// The first path component of `data.pkl` (the file's stem when it was saved).
    let prefix: String

    /// The archive in `data`, the contents of the file at `path`.
    init(data: Data, path: String) throws(PyTorchFileError) {
        // Legacy files start with a pickled magic number: PROTO 2, LONG1 of 10 bytes.
        let legacyMagic: [UInt8] = [0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
        if data.first == 0x80, data.dropFirst(2).starts(with: legacyMagic) { throw .legacyFormat(path: path) }
        zip = try ZipArchive(data: data, path: path)
        guard
            let name = zip.entries.lazy.map(\.name).first(where: {
                let parts = $0.split(separator: "/", omittingEmptySubsequences: false)
                return parts.count == 2 && !parts[0].isEmpty && parts[1] == "data.pkl"
            })
        else { throw .missingDataPickle(path: path) }
        prefix = String(name.dropLast("/data.pkl".count))
        if let entry = zip.entry(named: prefix + "/byteorder") {
            let order = String(decoding: try zip.contents(of: entry), as: UTF8.self)
            guard order == "little" else {
                throw .invalidArchive(path: path, reason: "byte order '\(order)' is not supported")
            }
        }
    }

    /// The bytes of `data.pkl`.
    func pickle() throws(PyTorchFileError) -> [UInt8] {
        [UInt8](try zip.contents(of: zip.entry(named: prefix + "/data.pkl")!))
    }

    /// The elements of the storage record `reference` names, as a 1-D tensor of Ember's dtype.
    func storage(_ reference: StorageReference) throws(PyTorchFileError) -> Tensor {
        let key = reference.key
        let record = "\(prefix)/data/\(key)"
        guard key.utf8.count <= 128, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }),
            !key.isEmpty, let entry = zip.entry(named: record)
        else { throw .missingRecord(path: zip.path, record: record) }
        guard let code = reference.type.code else {
            throw .unsupportedDType(path: zip.path, dtype: reference.type.dtype)
        }
        let (bytes, overflow) = reference.count.multipliedReportingOverflow(by: reference.type.itemSize)
        guard !overflow, bytes == entry.size else {
            throw .storageOutOfRange(
                path: zip.path, key: key,
                reason:
                    "\(reference.count) elements of \(reference.type.dtype) need \(overflow ? "too many" : "\(bytes)") "
                    + "bytes but the record holds \(entry.size)")
        }
        return try zip.contents(of: entry).withUnsafeBytes { decodeTensor($0, dtype: code, shape: [reference.count]) }
    }
}
