/// The ONNX messages the exporter writes (onnx.proto, IR version 8), with their field numbers.

/// `TensorProto.DataType` values the exporter uses.
enum ONNXDataType: Int {
    case float = 1
    case int64 = 7
}

/// A constant tensor, stored little-endian in `raw_data` (`TensorProto`).
struct ONNXTensor: ProtobufMessage, Equatable {
    var name: String
    var dims: [Int]
    var dataType: ONNXDataType
    var rawData: [UInt8]

    /// A float32 tensor.
    init(name: String, dims: [Int], floats: [Float]) {
        self.name = name
        self.dims = dims
        dataType = .float
        #if _endian(little)
            rawData = floats.withUnsafeBytes { Array($0) }
        #else
            rawData = floats.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Array($0) }
        #endif
    }

    /// A one-dimensional int64 tensor (shapes, axes).
    init(name: String, int64s: [Int]) {
        self.name = name
        dims = [int64s.count]
        dataType = .int64
        rawData = int64s.map { Int64($0).littleEndian }.withUnsafeBytes { Array($0) }
    }

    func encode(to writer: inout ProtobufWriter) {
        writer.ints(1, dims)
        writer.int(2, dataType.rawValue)
        writer.string(8, name)
        writer.data(9, rawData)
    }
}

/// A node attribute (`AttributeProto`).
struct ONNXAttribute: ProtobufMessage, Equatable {
    /// The attribute kinds the exporter writes.
    enum Value: Equatable {
        case float(Float)
        case int(Int)
        case floats([Float])
        case ints([Int])
    }

    var name: String
    var value: Value

    init(_ name: String, _ value: Value) {
        self.name = name
        self.value = value
    }

    func encode(to writer: inout ProtobufWriter) {
        writer.string(1, name)
        // AttributeType: FLOAT = 1, INT = 2, FLOATS = 6, INTS = 7.
        switch value {
        case .float(let f):
            writer.float(2, f)
            writer.int(20, 1)
        case .int(let i):
            writer.int(3, i)
            writer.int(20, 2)
        case .floats(let fs):
            writer.floats(7, fs)
            writer.int(20, 6)
        case .ints(let values):
            writer.ints(8, values)
            writer.int(20, 7)
        }
    }
}

/// One operator application (`NodeProto`).
struct ONNXNode: ProtobufMessage, Equatable {
    var inputs: [String]
    var outputs: [String]
    var name: String
    var opType: String
    var attributes: [ONNXAttribute]

    func encode(to writer: inout ProtobufWriter) {
        writer.strings(1, inputs)
        writer.strings(2, outputs)
        writer.string(3, name)
        writer.string(4, opType)
        writer.messages(5, attributes)
    }
}

/// One dimension of a graph input or output: fixed, or symbolic such as `"batch"`.
enum ONNXDimension: Equatable {
    case value(Int)
    case parameter(String)
}

/// A graph input or output: name, element type and shape (`ValueInfoProto` with a
/// `TypeProto.Tensor`).
struct ONNXValueInfo: ProtobufMessage, Equatable {
    var name: String
    var elementType: ONNXDataType
    var shape: [ONNXDimension]

    private struct Dimension: ProtobufMessage {
        let dimension: ONNXDimension
        func encode(to writer: inout ProtobufWriter) {
            switch dimension {
            case .value(let v): writer.int(1, v)
            case .parameter(let p): writer.string(2, p)
            }
        }
    }

    private struct Shape: ProtobufMessage {
        let dims: [ONNXDimension]
        func encode(to writer: inout ProtobufWriter) { writer.messages(1, dims.map(Dimension.init)) }
    }

    private struct TensorType: ProtobufMessage {
        let info: ONNXValueInfo
        func encode(to writer: inout ProtobufWriter) {
            writer.int(1, info.elementType.rawValue)
            writer.message(2, Shape(dims: info.shape))
        }
    }

    private struct TypeProto: ProtobufMessage {
        let info: ONNXValueInfo
        func encode(to writer: inout ProtobufWriter) { writer.message(1, TensorType(info: info)) }
    }

    func encode(to writer: inout ProtobufWriter) {
        writer.string(1, name)
        writer.message(2, TypeProto(info: self))
    }
}

/// The computation: nodes in topological order, constant initializers, inputs and outputs
/// (`GraphProto`).
struct ONNXGraph: ProtobufMessage, Equatable {
    var nodes: [ONNXNode]
    var name: String
    var initializers: [ONNXTensor]
    var inputs: [ONNXValueInfo]
    var outputs: [ONNXValueInfo]

    func encode(to writer: inout ProtobufWriter) {
        writer.messages(1, nodes)
        writer.string(2, name)
        writer.messages(5, initializers)
        writer.messages(11, inputs)
        writer.messages(12, outputs)
    }
}

/// A complete ONNX file (`ModelProto`) importing the default operator set.
struct ONNXModel: ProtobufMessage, Equatable {
    /// IR version 8 (ONNX 1.10+), which every runtime supporting opset 17 reads.
    static let irVersion = 8

    var graph: ONNXGraph
    var opset: Int
    var producerName = "Ember"

    private struct OperatorSet: ProtobufMessage {
        let version: Int
        func encode(to writer: inout ProtobufWriter) {
            writer.string(1, "")
            writer.int(2, version)
        }
    }

    func encode(to writer: inout ProtobufWriter) {
        writer.int(1, Self.irVersion)
        writer.string(2, producerName)
        writer.message(7, graph)
        writer.message(8, OperatorSet(version: opset))
    }
}
