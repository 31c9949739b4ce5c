import Foundation

/// One record of a ZIP archive, as its central directory describes it.
struct ZipEntry {
    /// The record's path inside the archive.
    let name: String
    /// General-purpose flags (bit 0: encrypted).
    let flags: UInt16
    /// Compression method: 0 is stored, 8 deflated.
    let method: UInt16
    /// CRC-32 of the uncompressed bytes.
    let crc32: UInt32
    /// Bytes the record occupies in the archive.
    let compressedSize: Int
    /// Bytes of the record once uncompressed.
    let size: Int
    /// Where the record's local header starts.
    let localHeaderOffset: Int
}

/// A minimal read-only ZIP reader for the archives `torch.save` writes: end of central directory
/// (ZIP64 included), central directory, local headers and stored (uncompressed) records, each
/// checked against its CRC-32. Every offset and length is bounds-checked, so a corrupt or hostile
/// archive throws instead of reading outside the file.
struct ZipArchive {
    /// The archive's file, for error messages.
    let path: String
    /// The whole archive (memory-mapped).
    let data: Data
    /// Records in central-directory order.
    let entries: [ZipEntry]
    private let indexByName: [String: Int]

    private static let localHeaderSignature: UInt32 = 0x0403_4B50
    private static let centralHeaderSignature: UInt32 = 0x0201_4B50
    private static let endSignature: UInt32 = 0x0605_4B50
    private static let zip64EndSignature: UInt32 = 0x0606_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50

    /// Parses the central directory of `data`, the contents of the file at `path`.
    init(data: Data, path: String) throws(PyTorchFileError) {
        let data = data.startIndex == 0 ? data : Data(data)  // offsets below are from the start
        self.path = path
        self.data = data
        let magic = LittleEndianBytes(data, 0..<min(4, data.count)).uint32(at: 0)
        guard magic == Self.localHeaderSignature || magic == Self.endSignature else {
            throw .notAZipArchive(path: path)
        }
        func invalid(_ reason: String) -> PyTorchFileError { .invalidArchive(path: path, reason: reason) }

        // End of central directory: the last 22 bytes plus a comment of at most 65535 bytes, preceded
        // by the 20-byte ZIP64 locator.
        let tail = LittleEndianBytes(data, max(0, data.count - 22 - 65_535 - 20)..<data.count)
        guard let end = tail.lastIndex(of: Self.endSignature, from: data.count - 22, through: data.count - 22 - 65_535)
        else {
            throw invalid("no end-of-central-directory record (the file is truncated or not a ZIP archive)")
        }
        guard tail.uint16(at: end + 4) == 0, tail.uint16(at: end + 6) == 0 else {
            throw invalid("multi-disk archives are not supported")
        }
        var entryCount = Int(tail.uint16(at: end + 10)!)
        var directorySize = UInt64(tail.uint32(at: end + 12)!)
        var directoryOffset = UInt64(tail.uint32(at: end + 16)!)
        var directoryLimit = end
        if tail.uint32(at: end - 20) == Self.zip64LocatorSignature {
            guard let offset = tail.uint64(at: end - 12).flatMap({ Int(exactly: $0) }), offset <= end - 20 - 56 else {
                throw invalid("the ZIP64 end-of-central-directory locator points outside the file")
            }
            let record = LittleEndianBytes(data, offset..<(offset + 56))
            guard record.uint32(at: offset) == Self.zip64EndSignature,
                let count = record.uint64(at: offset + 32).flatMap({ Int(exactly: $0) })
            else { throw invalid("corrupt ZIP64 end-of-central-directory record") }
            entryCount = count
            directorySize = record.uint64(at: offset + 40)!
            directoryOffset = record.uint64(at: offset + 48)!
            directoryLimit = offset
        }
        guard directoryOffset <= UInt64(directoryLimit), directorySize <= UInt64(directoryLimit) - directoryOffset
        else { throw invalid("the central directory lies outside the file") }
        let directoryEnd = Int(directoryOffset + directorySize)
        guard entryCount <= Int(directorySize) / 46 else {
            throw invalid("\(entryCount) entries cannot fit in a central directory of \(directorySize) bytes")
        }

        let directory = LittleEndianBytes(data, Int(directoryOffset)..<directoryEnd)
        var entries: [ZipEntry] = []
        var indexByName: [String: Int] = [:]
        var p = Int(directoryOffset)
        for _ in 0..<entryCount {
            guard p + 46 <= directoryEnd, directory.uint32(at: p) == Self.centralHeaderSignature else {
                throw invalid("corrupt central directory entry at byte \(p)")
            }
            let nameLength = Int(directory.uint16(at: p + 28)!)
            let extraLength = Int(directory.uint16(at: p + 30)!)
            let commentLength = Int(directory.uint16(at: p + 32)!)
            let next = p + 46 + nameLength + extraLength + commentLength
            guard next <= directoryEnd else {
                throw invalid("central directory entry at byte \(p) overruns the directory")
            }
            guard let name = String(validating: directory.bytes(in: (p + 46)..<(p + 46 + nameLength))!, as: UTF8.self)
            else { throw invalid("a record name is not valid UTF-8") }
            var size = UInt64(directory.uint32(at: p + 24)!)
            var compressedSize = UInt64(directory.uint32(at: p + 20)!)
            var offset = UInt64(directory.uint32(at: p + 42)!)
            // ZIP64 extra field: the 64-bit values of the fields saturated at 0xFFFFFFFF, in this order.
            var q = p + 46 + nameLength
            let extraEnd = q + extraLength
            while q + 4 <= extraEnd {
                let id = directory.uint16(at: q)!
                let blockEnd = q + 4 + Int(directory.uint16(at: q + 2)!)
                guard blockEnd <= extraEnd else { throw invalid("record '\(name)' has a corrupt extra field") }
                if id == 1 {
                    var r = q + 4
                    func widen(_ value: inout UInt64) throws(PyTorchFileError) {
                        guard value == 0xFFFF_FFFF else { return }
                        guard r + 8 <= blockEnd else { throw invalid("record '\(name)' has a short ZIP64 field") }
                        value = directory.uint64(at: r)!
                        r += 8
                    }
                    try widen(&size)
                    try widen(&compressedSize)
                    try widen(&offset)
                }
                q = blockEnd
            }
            guard let size = Int(exactly: size), let compressedSize = Int(exactly: compressedSize),
                let offset = Int(exactly: offset), offset < data.count
            else { throw invalid("record '\(name)' has sizes or an offset outside the file") }
            guard indexByName[name] == nil else { throw invalid("record '\(name)' appears twice") }
            indexByName[name] = entries.count
            entries.append(
                ZipEntry(
                    name: name, flags: directory.uint16(at: p + 8)!, method: directory.uint16(at: p + 10)!,
                    crc32: directory.uint32(at: p + 16)!, compressedSize: compressedSize, size: size,
                    localHeaderOffset: offset))
            p = next
        }
        self.entries = entries
        self.indexByName = indexByName
    }

    /// The record called `name`, if the archive has one.
    func entry(named name: String) -> ZipEntry? {
        indexByName[name].map { entries[$0] }
    }

    /// The bytes of a stored record (a slice of the mapped file, not a copy), after checking its
    /// local header, its range and its CRC-32.
    func contents(of entry: ZipEntry) throws(PyTorchFileError) -> Data {
        let header = entry.localHeaderOffset
        let name = Array(entry.name.utf8)
        let bytes = LittleEndianBytes(data, header..<min(data.count, header + 30 + name.count))
        guard bytes.uint32(at: header) == Self.localHeaderSignature,
            bytes.uint16(at: header + 26) == UInt16(name.count),
            bytes.bytes(in: (header + 30)..<(header + 30 + name.count))?.elementsEqual(name) == true
        else { throw .invalidArchive(path: path, reason: "record '\(entry.name)' has no matching local header") }
        let start = header + 30 + name.count + Int(bytes.uint16(at: header + 28)!)
        guard entry.flags & 1 == 0 else {
            throw .invalidArchive(path: path, reason: "record '\(entry.name)' is encrypted")
        }
        guard entry.method == 0 else {
            throw .unsupportedCompression(path: path, record: entry.name, method: Int(entry.method))
        }
        guard entry.compressedSize == entry.size, start <= data.count, entry.size <= data.count - start else {
            throw .invalidArchive(
                path: path, reason: "record '\(entry.name)' of \(entry.size) bytes extends past the end of the file")
        }
        let contents = data[start..<(start + entry.size)]
        guard contents.withUnsafeBytes({ crc32($0) }) == entry.crc32 else {
            throw .checksumMismatch(path: path, record: entry.name)
        }
        return contents
    }
}

/// A copy of the bytes `range` of a file, read as little-endian integers at absolute file offsets;
/// reads outside the range give `nil`.
private struct LittleEndianBytes {
    /// The file offset of the first byte.
    let base: Int
    private let bytes: [UInt8]

    /// Copies `range` of `data`, clamped to the data.
    init(_ data: Data, _ range: Range<Int>) {
        let range = range.clamped(to: 0..<data.count)
        base = range.lowerBound
        bytes = [UInt8](data[range])
    }

    func uint16(at offset: Int) -> UInt16? { load(at: offset, size: 2).map { UInt16($0) } }
    func uint32(at offset: Int) -> UInt32? { load(at: offset, size: 4).map { UInt32($0) } }
    func uint64(at offset: Int) -> UInt64? { load(at: offset, size: 8) }

    /// The bytes at the file offsets `range`, if all are in the copy.
    func bytes(in range: Range<Int>) -> ArraySlice<UInt8>? {
        guard range.lowerBound >= base, range.upperBound <= base + bytes.count else { return nil }
        return bytes[(range.lowerBound - base)..<(range.upperBound - base)]
    }

    private func load(at offset: Int, size: Int) -> UInt64? {
        guard offset >= base, offset - base <= bytes.count - size else { return nil }
        var value: UInt64 = 0
        var i = offset - base + size
        while i > offset - base {
            i -= 1
            value = value << 8 | UInt64(bytes[i])
        }
        return value
    }

    /// The highest file offset in `lowest ... start` where the 32-bit `signature` is found.
    func lastIndex(of signature: UInt32, from start: Int, through lowest: Int) -> Int? {
        var p = start
        while p >= max(lowest, base) {
            if bytes[p - base] == UInt8(truncatingIfNeeded: signature), uint32(at: p) == signature { return p }
            p -= 1
        }
        return nil
    }
}

/// CRC-32 (IEEE 802.3, as ZIP uses) lookup tables for slicing by 8: table `k` holds the CRC of a
/// byte followed by `k` zero bytes.
private let crcTables: [UInt32] = {
    var tables = [UInt32](repeating: 0, count: 8 * 256)
    for i in 0..<256 {
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        tables[i] = c
    }
    for k in 1..<8 {
        for i in 0..<256 {
            let previous = tables[(k - 1) * 256 + i]
            tables[k * 256 + i] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
        }
    }
    return tables
}()

/// The CRC-32 of `bytes`, eight bytes per step.
func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    crcTables.withUnsafeBufferPointer { t in
        var c: UInt32 = 0xFFFF_FFFF
        var i = 0
        while i + 8 <= bytes.count {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let low = UInt32(truncatingIfNeeded: word) ^ c
            let high = UInt32(truncatingIfNeeded: word >> 32)
            c =
                t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int(low >> 8 & 0xFF)]
                ^ t[5 * 256 + Int(low >> 16 & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int(high >> 8 & 0xFF)]
                ^ t[256 + Int(high >> 16 & 0xFF)] ^ t[Int(high >> 24)]
            i += 8
        }
        while i < bytes.count {
            c = t[Int((c ^ UInt32(bytes[i])) & 0xFF)] ^ (c >> 8)
            i += 1
        }
        return ~c
    }
}
