/// A self-contained gzip (RFC 1952) and DEFLATE (RFC 1951) decoder, so compressed IDX files (the
/// `.gz` files MNIST is distributed as) load with no system library. Corrupt or truncated input
/// throws ``DataError/corruptCompressedData(file:reason:)``; the CRC-32 and length stored in each
/// gzip member are verified.

/// Whether `bytes` start with the gzip magic number.
func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

/// Decompresses every gzip member of `bytes`, one after the other.
func gunzip(_ bytes: [UInt8], file: String) throws(DataError) -> [UInt8] {
    func corrupt(_ reason: String) -> DataError { .corruptCompressedData(file: file, reason: reason) }
    var output = [UInt8]()
    var start = 0
    repeat {
        guard bytes.count - start >= 18 else { throw corrupt("truncated gzip member header or trailer") }
        guard bytes[start] == 0x1F && bytes[start + 1] == 0x8B else { throw corrupt("data after the last gzip member") }
        guard bytes[start + 2] == 8 else { throw corrupt("unknown compression method \(bytes[start + 2])") }
        let flags = bytes[start + 3]
        guard flags & 0xE0 == 0 else { throw corrupt("reserved header flags set") }
        var i = start + 10
        if flags & 0x04 != 0 {  // FEXTRA
            guard i + 2 <= bytes.count else { throw corrupt("truncated extra field") }
            i += 2 + Int(bytes[i]) + Int(bytes[i + 1]) << 8
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
            while i < bytes.count && bytes[i] != 0 { i += 1 }
            i += 1
        }
        if flags & 0x02 != 0 { i += 2 }  // FHCRC
        guard i <= bytes.count else { throw corrupt("truncated gzip header") }
        let memberStart = output.count
        var inflater = Inflater(input: bytes, position: i, file: file)
        try inflater.inflate(into: &output)
        let end = inflater.byteAlignedPosition
        guard end + 8 <= bytes.count else { throw corrupt("truncated gzip trailer") }
        let storedCRC = littleEndian32(bytes, end)
        let storedSize = littleEndian32(bytes, end + 4)
        guard crc32(output[memberStart...]) == storedCRC else { throw corrupt("CRC-32 mismatch") }
        guard UInt32(truncatingIfNeeded: output.count - memberStart) == storedSize else {
            throw corrupt("length mismatch")
        }
        start = end + 8
    } while start < bytes.count
    return output
}

private func littleEndian32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
    (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) }
}

/// The CRC-32 of gzip and zip (polynomial 0xEDB88320).
func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes { crc = crcTable[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
    return ~crc
}

private let crcTable: [UInt32] = (0..<256).map { n in
    (0..<8).reduce(UInt32(n)) { c, _ in c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
}

/// A canonical Huffman code as a single-level table indexed by the next `bits` input bits (least
/// significant first); each entry packs `symbol << 4 | length`, 0 for bit patterns no code uses.
private struct Huffman {
    let table: [UInt32]
    let bits: Int

    /// Builds the code from the bit length of each symbol (0 = unused); `nil` if over-subscribed.
    init?(lengths: [Int]) {
        let maxLength = lengths.max() ?? 0
        var counts = [Int](repeating: 0, count: 16)
        for length in lengths { counts[length] += 1 }
        counts[0] = 0
        var left = 1
        for length in 1..<16 {
            left = left << 1 - counts[length]
            if left < 0 { return nil }
        }
        var next = [Int](repeating: 0, count: 16)
        var code = 0
        for length in 1..<16 {
            code = (code + counts[length - 1]) << 1
            next[length] = code
        }
        bits = Swift.max(maxLength, 1)
        var table = [UInt32](repeating: 0, count: 1 << bits)
        for (symbol, length) in lengths.enumerated() where length > 0 {
            let code = next[length]
            next[length] += 1
            var reversed = 0
            for k in 0..<length where code & (1 << k) != 0 { reversed |= 1 << (length - 1 - k) }
            for fill in stride(from: reversed, to: 1 << bits, by: 1 << length) {
                table[fill] = UInt32(symbol) << 4 | UInt32(length)
            }
        }
        self.table = table
    }
}

private let lengthBase = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
]
private let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
private let distanceBase = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
]
private let distanceExtra = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
]
private let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
private let fixedLiterals = Huffman(lengths: (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })!
private let fixedDistances = Huffman(lengths: [Int](repeating: 5, count: 30))!

/// A DEFLATE decoder over a byte array, reading bits least significant first.
private struct Inflater {
    let input: [UInt8]
    var position: Int
    let file: String
    var bitBuffer: UInt64 = 0
    var bitCount = 0

    init(input: [UInt8], position: Int, file: String) {
        self.input = input
        self.position = position
        self.file = file
    }

    func corrupt(_ reason: String) -> DataError { .corruptCompressedData(file: file, reason: reason) }

    /// The first byte after the stream (the last partial byte skipped).
    var byteAlignedPosition: Int { position - bitCount / 8 }

    /// Tops the bit buffer up to at least 57 bits, reading zeros past the end; more than 8 bytes
    /// past the end means the stream is truncated.
    mutating func refill() throws(DataError) {
        while bitCount <= 56 {
            let byte = position < input.count ? input[position] : 0
            guard position < input.count + 8 else { throw corrupt("unexpected end of compressed data") }
            bitBuffer |= UInt64(byte) << bitCount
            bitCount += 8
            position += 1
        }
    }

    mutating func bits(_ n: Int) throws(DataError) -> Int {
        if bitCount < n { try refill() }
        let value = Int(bitBuffer & ((1 << UInt64(n)) - 1))
        bitBuffer >>= UInt64(n)
        bitCount -= n
        return value
    }

    mutating func decode(_ code: Huffman) throws(DataError) -> Int {
        if bitCount < code.bits { try refill() }
        let entry = code.table[Int(bitBuffer & ((1 << UInt64(code.bits)) - 1))]
        let length = Int(entry & 15)
        guard length > 0 else { throw corrupt("invalid Huffman code") }
        bitBuffer >>= UInt64(length)
        bitCount -= length
        return Int(entry >> 4)
    }

    /// Decodes blocks until the final one, appending to `output`.
    mutating func inflate(into output: inout [UInt8]) throws(DataError) {
        var final = false
        while !final {
            final = try bits(1) == 1
            switch try bits(2) {
            case 0: try stored(into: &output)
            case 1: try codes(fixedLiterals, fixedDistances, into: &output)
            case 2:
                let (literals, distances) = try dynamicCodes()
                try codes(literals, distances, into: &output)
            default: throw corrupt("invalid block type")
            }
        }
        if position - bitCount / 8 > input.count { throw corrupt("unexpected end of compressed data") }
    }

    mutating func stored(into output: inout [UInt8]) throws(DataError) {
        _ = try bits(bitCount % 8)  // to a byte boundary
        let length = try bits(16)
        guard try bits(16) == length ^ 0xFFFF else { throw corrupt("stored block length check failed") }
        position -= bitCount / 8  // return the buffered whole bytes
        bitBuffer = 0
        bitCount = 0
        guard position + length <= input.count else { throw corrupt("unexpected end of compressed data") }
        output.append(contentsOf: input[position..<position + length])
        position += length
    }

    mutating func dynamicCodes() throws(DataError) -> (Huffman, Huffman) {
        let literalCount = try bits(5) + 257
        let distanceCount = try bits(5) + 1
        let codeLengthCount = try bits(4) + 4
        guard literalCount <= 286 && distanceCount <= 30 else { throw corrupt("too many length or distance codes") }
        var codeLengths = [Int](repeating: 0, count: 19)
        for i in 0..<codeLengthCount { codeLengths[codeLengthOrder[i]] = try bits(3) }
        guard let lengthCode = Huffman(lengths: codeLengths) else { throw corrupt("invalid code lengths code") }
        var lengths = [Int]()
        while lengths.count < literalCount + distanceCount {
            let symbol = try decode(lengthCode)
            if symbol < 16 {
                lengths.append(symbol)
                continue
            }
            let (value, repeats): (Int, Int)
            switch symbol {
            case 16:
                guard let previous = lengths.last else { throw corrupt("repeated length with no previous length") }
                (value, repeats) = (previous, try bits(2) + 3)
            case 17: (value, repeats) = (0, try bits(3) + 3)
            default: (value, repeats) = (0, try bits(7) + 11)
            }
            guard lengths.count + repeats <= literalCount + distanceCount else { throw corrupt("too many lengths") }
            lengths += repeatElement(value, count: repeats)
        }
        guard lengths[256] > 0 else { throw corrupt("no end-of-block code") }
        guard let literals = Huffman(lengths: Array(lengths[..<literalCount])),
            let distances = Huffman(lengths: Array(lengths[literalCount...]))
        else { throw corrupt("over-subscribed Huffman code") }
        return (literals, distances)
    }

    mutating func codes(_ literals: Huffman, _ distances: Huffman, into output: inout [UInt8]) throws(DataError) {
        while true {
            let symbol = try decode(literals)
            if symbol < 256 {
                output.append(UInt8(symbol))
                continue
            }
            if symbol == 256 { return }
            let lengthIndex = symbol - 257
            guard lengthIndex < 29 else { throw corrupt("invalid length symbol") }
            let length = lengthBase[lengthIndex] + (try bits(lengthExtra[lengthIndex]))
            let distanceIndex = try decode(distances)
            guard distanceIndex < 30 else { throw corrupt("invalid distance symbol") }
            let distance = distanceBase[distanceIndex] + (try bits(distanceExtra[distanceIndex]))
            guard distance <= output.count else { throw corrupt("distance too far back") }
            let from = output.count - distance
            if distance >= length {
                output.append(contentsOf: output[from..<from + length])
            } else {
                for k in 0..<length { output.append(output[from + k]) }
            }
        }
    }
}
