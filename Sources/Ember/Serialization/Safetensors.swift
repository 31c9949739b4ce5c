import Foundation

/// Why a safetensors file could not be read or written; every case names the file.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened, read or written.
    case io(FileError)
    /// The file is shorter than its 8-byte header length, or than the length it announces.
    case truncated(path: String, reason: String)
    /// The announced header is larger than the format allows (100 MB).
    case headerTooLarge(path: String, size: UInt64)
    /// The header is not valid UTF-8 JSON of the expected shape.
    case invalidHeader(path: String, reason: String)
    /// A tensor's dtype is not one Ember reads.
    case unsupportedDType(path: String, key: String, dtype: String)
    /// A tensor's byte range is wrong: outside the data, overlapping, leaving holes, or not the size
    /// its shape and dtype need.
    case invalidOffsets(path: String, key: String, reason: String)

    /// A one-line explanation naming the file (and the tensor, where there is one).
    public var description: String {
        switch self {
        case .io(let e): "\(e)"
        case .truncated(let path, let reason): "\(path): truncated safetensors file: \(reason)"
        case .headerTooLarge(let path, let size):
            "\(path): safetensors header of \(size) bytes exceeds the 100 MB limit"
        case .invalidHeader(let path, let reason): "\(path): invalid safetensors header: \(reason)"
        case .unsupportedDType(let path, let key, let dtype): "\(path): tensor '\(key)' has unsupported dtype \(dtype)"
        case .invalidOffsets(let path, let key, let reason): "\(path): tensor '\(key)': \(reason)"
        }
    }
}

/// The safetensors element types Ember reads, with their sizes; F16/BF16 and small integers are
/// converted on load to float32 and int64.
private let safetensorsItemSize: [String: Int] = [
    "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
]

private let maxHeaderSize: UInt64 = 100_000_000

/// Reads every tensor of a safetensors file (`safetensors.torch.load_file`), checking the
/// format's rules: header size, valid UTF-8 JSON, offsets inside the data, no overlaps or holes,
/// and byte ranges equal to shape × dtype size. The file is memory-mapped, so each tensor's bytes
/// are copied once, into its own storage.
public func loadSafetensors(from url: URL) throws(SafetensorsError) -> [String: Tensor] {
    try readSafetensors(from: url).tensors
}

/// The `__metadata__` strings of a safetensors file.
public func safetensorsMetadata(from url: URL) throws(SafetensorsError) -> [String: String] {
    try readSafetensors(from: url).metadata
}

/// Writes tensors (and optional string metadata) as a safetensors file, atomically: a crash during
/// the write leaves any previous file intact (`safetensors.torch.save_file`).
public func saveSafetensors(_ tensors: [String: Tensor], to url: URL, metadata: [String: String]? = nil)
    throws(SafetensorsError)
{
    let names = tensors.keys.sorted()
    var header: [String: Any] = [:]
    var offset = 0
    var blobs: [Tensor] = []
    for name in names {
        let t = noGrad { tensors[name]!.detach().contiguous() }
        let bytes = t.count * t.dtype.itemSize
        header[name] = ["dtype": t.dtype.safetensorsName, "shape": t.shape, "data_offsets": [offset, offset + bytes]]
        offset += bytes
        blobs.append(t)
    }
    if let metadata { header["__metadata__"] = metadata }
    var json: Data
    do {
        json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    } catch {
        throw .invalidHeader(path: url.path, reason: "cannot encode: \(error)")
    }
    // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
    json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
    var length = UInt64(json.count).littleEndian
    let lengthBytes = Data(bytes: &length, count: 8)
    do {
        try lengthBytes.withUnsafeBytes { l in
            try json.withUnsafeBytes { h in
                let data = blobs.map {
                    UnsafeRawBufferPointer(
                        start: $0.storage.data + $0.storageOffset * $0.dtype.itemSize,
                        count: $0.count * $0.dtype.itemSize)
                }
                try writeAtomically(url, chunks: [l, h] + data)
            }
        }
    } catch let error as FileError {
        throw .io(error)
    } catch {
        throw .io(FileError(path: url.path, reason: "\(error)"))
    }
}

private func readSafetensors(from url: URL) throws(SafetensorsError) -> (
    tensors: [String: Tensor], metadata: [String: String]
) {
    let path = url.path
    let data: Data
    do { data = try readMapped(url) } catch { throw .io(error) }
    guard data.count >= 8 else {
        throw .truncated(path: path, reason: "\(data.count) bytes, fewer than the 8-byte header length")
    }
    let headerSize = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
    guard headerSize <= maxHeaderSize else { throw .headerTooLarge(path: path, size: headerSize) }
    guard UInt64(data.count) >= 8 + headerSize else {
        throw .truncated(
            path: path,
            reason: "header announces \(headerSize) bytes but the file has \(data.count - 8) after the length")
    }
    let headerBytes = data.subdata(in: 8..<(8 + Int(headerSize)))
    guard String(data: headerBytes, encoding: .utf8) != nil else {
        throw .invalidHeader(path: path, reason: "not valid UTF-8")
    }
    guard headerBytes.first == UInt8(ascii: "{") else {
        throw .invalidHeader(path: path, reason: "does not start with '{'")
    }
    let object: Any
    do { object = try JSONSerialization.jsonObject(with: headerBytes) } catch {
        throw .invalidHeader(path: path, reason: "not valid JSON")
    }
    guard let header = object as? [String: Any] else { throw .invalidHeader(path: path, reason: "not a JSON object") }

    var metadata: [String: String] = [:]
    var entries: [(key: String, dtype: String, shape: [Int], begin: Int, end: Int)] = []
    for (key, value) in header {
        if key == "__metadata__" {
            guard let m = value as? [String: String] else {
                throw .invalidHeader(path: path, reason: "__metadata__ must map strings to strings")
            }
            metadata = m
            continue
        }
        guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
            let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
        else { throw .invalidHeader(path: path, reason: "entry '\(key)' needs dtype, shape and two data_offsets") }
        guard let itemSize = safetensorsItemSize[dtype] else {
            throw .unsupportedDType(path: path, key: key, dtype: dtype)
        }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw .invalidHeader(path: path, reason: "entry '\(key)' has a negative dimension")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin >= 0, end >= begin else {
            throw .invalidOffsets(path: path, key: key, reason: "data_offsets [\(begin), \(end)] are not increasing")
        }
        let (count, overflow) = shape.reduce(1, *).multipliedReportingOverflow(by: itemSize)
        guard !overflow, end - begin == count else {
            throw .invalidOffsets(
                path: path, key: key, reason: "\(end - begin) bytes but shape \(shape) of \(dtype) needs \(count)")
        }
        entries.append((key, dtype, shape, begin, end))
    }
    // The byte ranges must tile the data buffer exactly: no overlaps, no holes, nothing outside.
    let dataStart = 8 + Int(headerSize)
    let dataSize = data.count - dataStart
    var expected = 0
    for e in entries.sorted(by: { ($0.begin, $0.end) < ($1.begin, $1.end) }) {
        guard e.begin == expected else {
            throw .invalidOffsets(
                path: path, key: e.key,
                reason: e.begin < expected
                    ? "overlaps the previous tensor" : "leaves a hole of \(e.begin - expected) bytes before it")
        }
        expected = e.end
    }
    guard expected <= dataSize else {
        let last = entries.max(by: { $0.end < $1.end })!
        throw .invalidOffsets(
            path: path, key: last.key, reason: "ends at byte \(expected) but the data holds \(dataSize)")
    }
    guard expected == dataSize else {
        throw .invalidOffsets(
            path: path, key: entries.max(by: { $0.end < $1.end })?.key ?? "",
            reason: "\(dataSize - expected) unused bytes after the last tensor")
    }

    var tensors: [String: Tensor] = [:]
    data.withUnsafeBytes { raw in
        for e in entries {
            let bytes = UnsafeRawBufferPointer(rebasing: raw[(dataStart + e.begin)..<(dataStart + e.end)])
            tensors[e.key] = decodeTensor(bytes, dtype: e.dtype, shape: e.shape)
        }
    }
    return (tensors, metadata)
}

/// Builds a tensor from little-endian bytes of a safetensors dtype (`F16`, `I32`, ...), converting
/// half floats and small integers; also decodes PyTorch storages.
func decodeTensor(_ bytes: UnsafeRawBufferPointer, dtype: String, shape: [Int]) -> Tensor {
    let n = shape.reduce(1, *)
    func direct(_ d: DType) -> Tensor {
        let t = Tensor(empty: shape, dtype: d, zeroed: false)
        if n > 0 { t.storage.data.copyMemory(from: bytes.baseAddress!, byteCount: n * d.itemSize) }
        return t
    }
    func converted<S, D: TensorScalar>(_: S.Type, to _: D.Type, _ f: (S) -> D) -> Tensor {
        let t = Tensor(empty: shape, dtype: D.dtype, zeroed: false)
        let p = t.base(D.self)
        for i in 0..<n { p[i] = f(bytes.loadUnaligned(fromByteOffset: i * MemoryLayout<S>.size, as: S.self)) }
        return t
    }
    switch dtype {
    case "F32": return direct(.float32)
    case "F64": return direct(.float64)
    case "I64": return direct(.int64)
    case "BOOL": return converted(UInt8.self, to: Bool.self) { $0 != 0 }
    case "F16": return converted(UInt16.self, to: Float.self) { halfToFloat($0) }
    case "BF16": return converted(UInt16.self, to: Float.self) { Float(bitPattern: UInt32($0) << 16) }
    case "I32": return converted(Int32.self, to: Int64.self) { Int64($0) }
    case "I16": return converted(Int16.self, to: Int64.self) { Int64($0) }
    case "I8": return converted(Int8.self, to: Int64.self) { Int64($0) }
    default: return converted(UInt8.self, to: Int64.self) { Int64($0) }
    }
}

/// IEEE 754 binary16 to binary32, subnormals and specials included.
private func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0 {
        let value = Float(mantissa) * 0x1p-24
        return sign != 0 ? -value : value
    }
    if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
    return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
}

extension DType {
    /// The dtype's name in safetensors headers.
    var safetensorsName: String {
        switch self {
        case .float32: "F32"
        case .float64: "F64"
        case .int64: "I64"
        case .bool: "BOOL"
        }
    }
}

extension Module {
    /// Saves the state dict as a safetensors file with PyTorch's keys, atomically; PyTorch loads it
    /// with `model.load_state_dict(safetensors.torch.load_file(path))`.
    public func save(to url: URL) throws(SafetensorsError) {
        try saveSafetensors(stateDict(), to: url, metadata: ["format": "pt"])
    }

    /// Loads a safetensors state dict (for example one exported from PyTorch) strictly.
    public func load(from url: URL) throws {
        try loadStateDict(try loadSafetensors(from: url), strict: true)
    }
}
