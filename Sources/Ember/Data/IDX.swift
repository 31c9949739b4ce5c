import Foundation

/// The element types of the IDX format, coded in the third byte of the magic number.
public enum IDXDataType: UInt8, Sendable, CaseIterable {
    /// Unsigned byte (MNIST's pixels and labels).
    case uint8 = 0x08
    /// Signed byte.
    case int8 = 0x09
    /// 16-bit big-endian signed integer.
    case int16 = 0x0B
    /// 32-bit big-endian signed integer.
    case int32 = 0x0C
    /// 32-bit big-endian IEEE float.
    case float32 = 0x0D
    /// 64-bit big-endian IEEE float.
    case float64 = 0x0E

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .uint8, .int8: 1
        case .int16: 2
        case .int32, .float32: 4
        case .float64: 8
        }
    }

    /// The inclusive range of integers the type holds (`nil` for floating-point types).
    var integerRange: ClosedRange<Double>? {
        switch self {
        case .uint8: 0...255
        case .int8: -128...127
        case .int16: -32768...32767
        case .int32: -2_147_483_648...2_147_483_647
        case .float32, .float64: nil
        }
    }
}

/// The IDX file format of MNIST and its relatives (Yann LeCun's): a big-endian magic number
/// `0x0000TTDD` (element type `TT`, `DD` dimensions), the dimension sizes as big-endian 32-bit
/// integers, then the elements, big-endian, row-major.
///
/// Reading accepts plain and gzip-compressed files (detected by their content, decompressed
/// in-process). Bad files throw: ``DataError/badMagic(file:found:expected:)``,
/// ``DataError/truncated(file:expectedBytes:actualBytes:)``,
/// ``DataError/trailingBytes(file:expectedBytes:actualBytes:)`` or
/// ``DataError/corruptCompressedData(file:reason:)``.
public enum IDX {
    /// Reads an IDX file into a tensor of its shape. Integer types become `.int64` and floating-point
    /// types keep their precision unless `dtype` asks for another type.
    public static func read(from url: URL, dtype: DType? = nil) throws(DataError) -> Tensor {
        let array = try IDXArray(contentsOf: url, expectedMagic: nil)
        return array.tensor(dtype: dtype ?? array.type.defaultDType)
    }

    /// Writes `tensor` as an uncompressed IDX file of element type `type` (by default `.float32` or
    /// `.float64` for floating-point tensors, `.int32` for `.int64`, `.uint8` for `.bool`),
    /// replacing the file atomically.
    ///
    /// Throws ``DataError/invalidArgument(argument:message:)`` when a value does not fit `type`
    /// (integer types take integers in their range) or the tensor is 0-dimensional.
    public static func write(_ tensor: Tensor, to url: URL, as type: IDXDataType? = nil) throws(DataError) {
        let type =
            type
            ?? {
                switch tensor.dtype {
                case .float32: .float32
                case .float64: .float64
                case .int64: .int32
                case .bool: .uint8
                }
            }()
        guard tensor.dim > 0 && tensor.dim < 256 && tensor.shape.allSatisfy({ $0 <= Int(UInt32.max) }) else {
            throw .invalidArgument(argument: "tensor", message: "IDX.write: cannot store shape \(tensor.shape)")
        }
        var bytes: [UInt8] = [0, 0, type.rawValue, UInt8(tensor.dim)]
        for size in tensor.shape { appendBigEndian(UInt64(size), bytes: 4, to: &bytes) }
        let values = tensor.scalars
        if let range = type.integerRange,
            let bad = values.first(where: { !range.contains($0) || $0.rounded() != $0 })
        {
            throw .invalidArgument(argument: "tensor", message: "IDX.write: \(bad) does not fit the IDX type \(type)")
        }
        bytes.reserveCapacity(bytes.count + values.count * type.size)
        for v in values {
            switch type {
            case .uint8, .int8, .int16, .int32:
                appendBigEndian(UInt64(bitPattern: Int64(v)), bytes: type.size, to: &bytes)
            case .float32: appendBigEndian(UInt64(Float(v).bitPattern), bytes: 4, to: &bytes)
            case .float64: appendBigEndian(v.bitPattern, bytes: 8, to: &bytes)
            }
        }
        do {
            try writeFileAtomically(Data(bytes), to: url)
        } catch {
            throw .fileAccess(file: error.path, reason: error.reason)
        }
    }
}

private func appendBigEndian(_ value: UInt64, bytes count: Int, to bytes: inout [UInt8]) {
    for k in stride(from: count - 1, through: 0, by: -1) { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * k))) }
}

extension IDXDataType {
    /// The tensor type an element reads into by default.
    var defaultDType: DType {
        switch self {
        case .uint8, .int8, .int16, .int32: .int64
        case .float32: .float32
        case .float64: .float64
        }
    }
}

/// A parsed IDX file: header fields and the raw (decompressed) bytes.
struct IDXArray {
    let magic: UInt32
    let type: IDXDataType
    let shape: [Int]
    let bytes: [UInt8]
    let dataOffset: Int

    /// Reads and validates a file, decompressing gzip; `expectedMagic` pins the magic number
    /// (MNIST: 2049 for labels, 2051 for images).
    init(contentsOf url: URL, expectedMagic: UInt32?) throws(DataError) {
        let file = url.path
        var bytes = try readFile(url)
        if isGzip(bytes) { bytes = try gunzip(bytes, file: file) }
        guard bytes.count >= 4 else { throw .truncated(file: file, expectedBytes: 4, actualBytes: bytes.count) }
        let magic = bigEndian32(bytes, 0)
        let dims = Int(bytes[3])
        guard bytes[0] == 0 && bytes[1] == 0 && dims > 0, let type = IDXDataType(rawValue: bytes[2]),
            expectedMagic == nil || magic == expectedMagic
        else { throw .badMagic(file: file, found: magic, expected: expectedMagic) }
        let header = 4 + 4 * dims
        guard bytes.count >= header else {
            throw .truncated(file: file, expectedBytes: header, actualBytes: bytes.count)
        }
        let shape = (0..<dims).map { Int(bigEndian32(bytes, 4 + 4 * $0)) }
        // Elements × element size, guarding against headers announcing more than memory can hold.
        var payload = shape.contains(0) ? 0 : type.size
        var overflow = false
        for size in shape where payload > 0 {
            let (product, o) = payload.multipliedReportingOverflow(by: size)
            payload = product
            overflow = overflow || o
        }
        let expected = overflow || payload > Int.max - header ? Int.max : header + payload
        guard bytes.count >= expected else {
            throw .truncated(file: file, expectedBytes: expected, actualBytes: bytes.count)
        }
        guard bytes.count == expected else {
            throw .trailingBytes(file: file, expectedBytes: expected, actualBytes: bytes.count)
        }
        self.magic = magic
        self.type = type
        self.shape = shape
        self.bytes = bytes
        dataOffset = header
    }

    /// The elements converted to `dtype`, each multiplied by `scale`, written straight into the
    /// tensor's memory (MNIST's 47 million pixels need no intermediate array).
    func tensor(dtype: DType, scale: Double = 1) -> Tensor {
        let out = Tensor(empty: shape, dtype: dtype, zeroed: false)
        switch dtype {
        case .float32: convert(into: out.base(Float.self), scale: scale)
        case .float64: convert(into: out.base(Double.self), scale: scale)
        case .int64: convert(into: out.base(Int64.self), scale: scale)
        case .bool: convert(into: out.base(Bool.self), scale: scale)
        }
        return out
    }

    private func convert<T: TensorScalar>(into out: UnsafeMutablePointer<T>, scale: Double) {
        let count = shape.reduce(1, *)
        bytes.withUnsafeBufferPointer { raw in
            let p = raw.baseAddress! + dataOffset
            func word(_ k: Int, _ size: Int) -> UInt64 {
                (0..<size).reduce(UInt64(0)) { $0 << 8 | UInt64(p[k * size + $1]) }
            }
            for k in 0..<count {
                let value: Double =
                    switch type {
                    case .uint8: Double(p[k])
                    case .int8: Double(Int8(bitPattern: p[k]))
                    case .int16: Double(Int16(truncatingIfNeeded: word(k, 2)))
                    case .int32: Double(Int32(truncatingIfNeeded: word(k, 4)))
                    case .float32: Double(Float(bitPattern: UInt32(word(k, 4))))
                    case .float64: Double(bitPattern: word(k, 8))
                    }
                out[k] = T(fromDouble: value * scale)
            }
        }
    }
}

private func bigEndian32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
    (0..<4).reduce(0) { $0 << 8 | UInt32(bytes[at + $1]) }
}
