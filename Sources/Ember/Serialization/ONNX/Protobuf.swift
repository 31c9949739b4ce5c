/// A minimal protobuf wire-format encoder, enough for ONNX's messages: varints, 64-bit integers,
/// fixed32 floats, strings, bytes and nested (length-delimited) messages.
///
/// Fields are written in the order they are called; callers write them in field-number order, as
/// the reference implementation does, so the bytes equal those of `SerializeToString()`. ONNX's
/// schema is proto2, whose repeated scalars are unpacked (one key per element) unless declared
/// `[packed = true]`; `ints(_:_:)` and `floats(_:_:)` write them unpacked for that reason.
struct ProtobufWriter {
    /// The encoded bytes so far.
    private(set) var bytes: [UInt8] = []

    private enum WireType: UInt64 {
        case varint = 0
        case lengthDelimited = 2
        case fixed32 = 5
    }

    private mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ type: WireType) {
        varint(UInt64(field) << 3 | type.rawValue)
    }

    /// An `int64`/`int32`/enum field (negative values take ten bytes, as in protobuf).
    mutating func int(_ field: Int, _ value: Int) {
        key(field, .varint)
        varint(UInt64(bitPattern: Int64(value)))
    }

    /// A `float` field (fixed32, little-endian).
    mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        let bits = value.bitPattern
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> shift)) }
    }

    /// A `string` field (UTF-8).
    mutating func string(_ field: Int, _ value: String) {
        data(field, Array(value.utf8))
    }

    /// A `bytes` field.
    mutating func data(_ field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// An embedded message field.
    mutating func message(_ field: Int, _ value: some ProtobufMessage) {
        var inner = ProtobufWriter()
        value.encode(to: &inner)
        data(field, inner.bytes)
    }

    /// Repeated embedded messages, one field each.
    mutating func messages(_ field: Int, _ values: [some ProtobufMessage]) {
        for value in values { message(field, value) }
    }

    /// A repeated `int64` field, unpacked (proto2).
    mutating func ints(_ field: Int, _ values: [Int]) {
        for value in values { int(field, value) }
    }

    /// A repeated `float` field, unpacked (proto2).
    mutating func floats(_ field: Int, _ values: [Float]) {
        for value in values { float(field, value) }
    }

    /// A repeated `string` field.
    mutating func strings(_ field: Int, _ values: [String]) {
        for value in values { string(field, value) }
    }
}

/// A message that writes its fields with a `ProtobufWriter`.
protocol ProtobufMessage {
    /// Writes the message's fields in field-number order.
    func encode(to writer: inout ProtobufWriter)
}

extension ProtobufMessage {
    /// The message's wire-format bytes.
    var serializedBytes: [UInt8] {
        var writer = ProtobufWriter()
        encode(to: &writer)
        return writer.bytes
    }
}
