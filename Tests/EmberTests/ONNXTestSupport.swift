// A small protobuf reader for the ONNX export tests: it decodes the bytes Ember writes back into
// fields, independently of the encoder, and presents the parts of an ONNX model the tests check.

import Foundation

@testable import Ember

/// A decoding failure (malformed bytes).
struct ProtobufDecodingError: Error {}

/// One decoded protobuf message: its fields in order.
struct DecodedMessage {
    enum Value {
        case varint(UInt64)
        case bytes([UInt8])
        case fixed32(UInt32)
        case fixed64(UInt64)
    }

    var fields: [(number: Int, value: Value)] = []

    init(_ bytes: [UInt8]) throws {
        var i = 0
        func varint() throws -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < bytes.count, shift < 64 else { throw ProtobufDecodingError() }
                let byte = bytes[i]
                i += 1
                result |= UInt64(byte & 0x7f) << shift
                if byte < 0x80 { return result }
                shift += 7
            }
        }
        func take(_ n: Int) throws -> [UInt8] {
            guard n >= 0, i + n <= bytes.count else { throw ProtobufDecodingError() }
            defer { i += n }
            return Array(bytes[i..<(i + n)])
        }
        func little(_ b: [UInt8]) -> UInt64 { b.reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        while i < bytes.count {
            let key = try varint()
            let number = Int(key >> 3)
            switch key & 7 {
            case 0: fields.append((number, .varint(try varint())))
            case 1: fields.append((number, .fixed64(little(try take(8)))))
            case 2: fields.append((number, .bytes(try take(Int(try varint())))))
            case 5: fields.append((number, .fixed32(UInt32(little(try take(4))))))
            default: throw ProtobufDecodingError()
            }
        }
    }

    private func values(_ number: Int) -> [Value] { fields.filter { $0.number == number }.map(\.value) }

    /// Every length-delimited field `number` as bytes.
    func data(_ number: Int) -> [[UInt8]] {
        values(number).compactMap {
            if case .bytes(let b) = $0 { return b }
            return nil
        }
    }

    func strings(_ number: Int) -> [String] { data(number).map { String(decoding: $0, as: UTF8.self) } }
    func string(_ number: Int) -> String? { strings(number).last }
    func messages(_ number: Int) throws -> [DecodedMessage] { try data(number).map(DecodedMessage.init) }
    func message(_ number: Int) throws -> DecodedMessage? { try messages(number).last }

    /// Every varint field `number` as Int (two's complement); ONNX's schema is proto2, so repeated
    /// integers must be unpacked: a packed (length-delimited) entry is an error.
    func ints(_ number: Int) throws -> [Int] {
        try values(number).map { value in
            guard case .varint(let v) = value else { throw ProtobufDecodingError() }
            return Int(Int64(bitPattern: v))
        }
    }

    func int(_ number: Int) throws -> Int? { try ints(number).last }

    func floats(_ number: Int) -> [Float] {
        values(number).compactMap {
            if case .fixed32(let bits) = $0 { return Float(bitPattern: bits) }
            return nil
        }
    }
}

/// The parts of an ONNX `ModelProto` the tests check, decoded with the field numbers of onnx.proto.
struct DecodedONNX {
    struct Node {
        let opType: String
        let name: String
        let inputs: [String]
        let outputs: [String]
        let attributes: [String: DecodedMessage]

        func ints(_ name: String) throws -> [Int]? { try attributes[name]?.ints(8) }
        func int(_ name: String) throws -> Int? { try attributes[name]?.int(3) }
        func float(_ name: String) -> Float? { attributes[name]?.floats(2).last }
    }

    struct Initializer {
        let name: String
        let dims: [Int]
        let dataType: Int
        let raw: [UInt8]

        var floats: [Float] {
            stride(from: 0, to: raw.count, by: 4).map { i in
                Float(bitPattern: raw[i..<(i + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) })
            }
        }
    }

    /// A graph input or output: name, element type and dimensions ("batch" or the size).
    struct Value: Equatable {
        let name: String
        let elementType: Int
        let dims: [String]
    }

    let irVersion: Int?
    let producer: String?
    let opsets: [(domain: String?, version: Int?)]
    let graphName: String?
    let nodes: [Node]
    let initializers: [Initializer]
    let inputs: [Value]
    let outputs: [Value]

    init(_ bytes: [UInt8]) throws {
        let model = try DecodedMessage(bytes)
        irVersion = try model.int(1)
        producer = model.string(2)
        opsets = try model.messages(8).map { ($0.string(1), try $0.int(2)) }
        guard let graph = try model.message(7) else { throw ProtobufDecodingError() }
        graphName = graph.string(2)
        nodes = try graph.messages(1).map { node in
            var attributes: [String: DecodedMessage] = [:]
            for attribute in try node.messages(5) { attributes[attribute.string(1) ?? ""] = attribute }
            return Node(
                opType: node.string(4) ?? "", name: node.string(3) ?? "", inputs: node.strings(1),
                outputs: node.strings(2), attributes: attributes)
        }
        initializers = try graph.messages(5).map { t in
            Initializer(
                name: t.string(8) ?? "", dims: try t.ints(1), dataType: try t.int(2) ?? 0, raw: t.data(9).last ?? [])
        }
        func value(_ info: DecodedMessage) throws -> Value {
            let tensorType = try info.message(2)?.message(1)
            let dims = try tensorType?.message(2)?.messages(1).map { dim in
                try dim.string(2) ?? dim.int(1).map(String.init) ?? "?"
            }
            return Value(name: info.string(1) ?? "", elementType: try tensorType?.int(1) ?? 0, dims: dims ?? [])
        }
        inputs = try graph.messages(11).map(value)
        outputs = try graph.messages(12).map(value)
    }

    var opTypes: [String] { nodes.map(\.opType) }

    /// The node producing the value `name`.
    func producer(of name: String) -> Node? { nodes.first { $0.outputs.contains(name) } }
}

extension Module {
    /// The ONNX bytes Ember writes for this model, decoded.
    func decodedONNX(_ input: Tensor) throws -> DecodedONNX {
        try DecodedONNX(onnxModel(exampleInput: input).serializedBytes)
    }
}
