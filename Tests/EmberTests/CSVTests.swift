import Foundation
import Testing

@testable import Ember

@Suite struct CSVTests {
    @Test func quotedFieldsLineEndingsAndHeaderDetection() throws {
        let text = "\u{FEFF}name,\"x, with comma\",y\r\n\"say \"\"hi\"\"\",1.5,-2e3\r\n\r\n\"two\nlines\",+.25,  7  \n"
        let table = try CSVTable(parsing: text)
        #expect(table.header == ["name", "x, with comma", "y"])
        #expect(table.rowCount == 2 && table.columnCount == 3)
        #expect(table[0, 0] == "say \"hi\"" && table[1, 0] == "two\nlines")
        #expect(try table.tensor(columns: ["x, with comma", 2]).toArray(as: Float.self) == [1.5, -2000, 0.25, 7])
        #expect(try table.column(-1, dtype: .int64).toArray(as: Int64.self) == [-2000, 7])
        #expect(try table.column(.name("y"), dtype: .float64).dtype == .float64)

        // No header: numbers in the first row.
        let plain = try CSVTable(parsing: "1,2\n3,4")
        #expect(plain.header == nil && plain.rowCount == 2 && plain.columnNames == ["0", "1"])
        #expect(try plain.tensor().toArray(as: Float.self) == [1, 2, 3, 4])
        // A text label column does not make the first row a header...
        let iris = try CSVTable(parsing: "5.1,3.5,setosa\n6.2,2.9,versicolor\n")
        #expect(iris.header == nil && iris.rowCount == 2)
        // ...but a text cell over a numeric column does.
        let named = try CSVTable(parsing: "a,b,species\n5.1,3.5,setosa\n6.2,2.9,versicolor\n")
        #expect(named.header == ["a", "b", "species"])
        // Forcing the choice.
        #expect(try CSVTable(parsing: "1,2\n3,4", hasHeader: true).header == ["1", "2"])
        #expect(try CSVTable(parsing: "a;b\n1;2", delimiter: ";").tensor().toArray(as: Float.self) == [1, 2])
        #expect(try CSVTable(parsing: "a\tb\n1\t2", delimiter: "\t").header == ["a", "b"])
        // Old Mac line ends, a trailing empty field.
        let cr = try CSVTable(parsing: "a,b\r1,\r")
        #expect(cr.rowCount == 1 && cr[0, 1] == "")
    }

    @Test func labelsAndOneHot() throws {
        let table = try CSVTable(parsing: "x,kind\n1,cat\n2,dog\n3,cat\n4,bird\n")
        let (indices, classes) = try table.labels("kind")
        #expect(classes == ["bird", "cat", "dog"] && indices.toArray(as: Int64.self) == [1, 2, 1, 0])
        let (encoded, _) = try table.oneHot(1)
        #expect(encoded.shape == [4, 3] && encoded.dtype == .float32)
        #expect(encoded.toArray(as: Float.self) == [0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0])
        // Numeric labels sort as numbers, not text.
        let numeric = try CSVTable(parsing: "y\n10\n9\n100\n9\n", hasHeader: true).labels(0)
        #expect(numeric.classes == ["9", "10", "100"] && numeric.indices.toArray(as: Int64.self) == [1, 0, 2, 0])
    }

    @Test func loadCSVSplitsFeaturesAndTarget() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("d.csv")
        try Data("f1,label,f2\n1,0,2\n3,1,4\n5,1,6\n".utf8).write(to: url)
        let data = try loadCSV(url: url, target: "label", targetDType: .int64)
        #expect(data.features.toArray(as: Float.self) == [1, 2, 3, 4, 5, 6] && data.featureNames == ["f1", "f2"])
        #expect(data.targets.toArray(as: Int64.self) == [0, 1, 1] && data.targetName == "label")
        let picked = try loadCSV(url: url, features: [2], target: 0)
        #expect(
            picked.features.toArray(as: Float.self) == [2, 4, 6] && picked.targets.toArray(as: Float.self) == [1, 3, 5])
        #expect(Array(DataLoader(data, batchSize: 2)).count == 2)
    }

    @Test func writeThenReadRoundTripsExactly() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("t.csv")
        let x = Tensor.randn([7, 3]) * 1e-3
        try writeCSV(x, to: url, header: ["a", "b,c", "say \"d\""])
        let table = try CSVTable(contentsOf: url)
        #expect(table.header == ["a", "b,c", "say \"d\""])
        #expect(try table.tensor().equal(x))
        let doubles = Tensor.randn([4, 2], dtype: .float64) * 1e6
        try writeCSV(doubles, to: url)
        #expect(try CSVTable(contentsOf: url).tensor(dtype: .float64).equal(doubles))
        let ints = Tensor([-5, 0, 9_007_199_254_740_993] as [Int64])
        try writeCSV(ints, to: url, header: ["n"])
        #expect(try CSVTable(contentsOf: url).column("n", dtype: .int64).equal(ints))
        #expect(throws: DataError.self) { try writeCSV(Tensor([1, .nan] as [Double]), to: url) }
        #expect(throws: DataError.self) { try writeCSV(x, to: url, header: ["a"]) }
    }

    @Test func malformedFilesThrowErrorsNamingFileLineAndColumn() throws {
        func error(_ text: String, hasHeader: Bool? = nil, _ read: (CSVTable) throws -> Void = { _ = try $0.tensor() })
            -> DataError?
        {
            do {
                try read(try CSVTable(parsing: text, name: "t.csv", hasHeader: hasHeader))
                return nil
            } catch let e as DataError {
                return e
            } catch {
                return nil
            }
        }
        #expect(error("a,b\n1,2\n3\n") == .raggedRow(file: "t.csv", line: 3, expected: 2, found: 1))
        #expect(error("a,b\n1,2\n\n3,4,5\n") == .raggedRow(file: "t.csv", line: 4, expected: 2, found: 3))
        #expect(
            error("a,b\n1,2\n3,x4\n")
                == .invalidNumber(file: "t.csv", line: 3, column: 2, columnName: "b", value: "x4"))
        for bad in ["", "NA", "nan", "inf", "1,5", "0x10", "1e", ".", "--1", "1 2", "1e400"] {
            let e = error("a,b\n1,2\n3,\"\(bad)\"\n")
            #expect(e == .invalidNumber(file: "t.csv", line: 3, column: 2, columnName: "b", value: bad), "\(bad)")
        }
        #expect(error("a\n1e39\n") == .invalidNumber(file: "t.csv", line: 2, column: 1, columnName: "a", value: "1e39"))
        #expect(error("a\n1e39\n") { _ = try $0.tensor(dtype: .float64) } == nil)
        #expect(
            error("a\n1.5\n") { _ = try $0.tensor(dtype: .int64) }
                == .invalidNumber(file: "t.csv", line: 2, column: 1, columnName: "a", value: "1.5"))
        #expect(error("a\n2.0\n") { _ = try $0.tensor(dtype: .int64) } == nil)
        #expect(error("") == .emptyFile(file: "t.csv"))
        #expect(error(" \n\r\n\n") == .emptyFile(file: "t.csv"))
        #expect(error("a,b\n") == .emptyFile(file: "t.csv"))
        #expect(error("a,\"b\n1,2\n") == .malformedQuote(file: "t.csv", line: 1, column: 2))
        #expect(error("a,b\n\"1\"x,2\n") == .malformedQuote(file: "t.csv", line: 2, column: 1))
        #expect(
            error("a,b\n1,2\n") { _ = try $0.column("target") }
                == .missingColumn(file: "t.csv", column: "'target'", available: ["a", "b"]))
        #expect(
            error("a,b\n1,2\n") { _ = try $0.dataset(target: 2) }
                == .missingColumn(file: "t.csv", column: "index 2", available: ["a", "b"]))
        #expect(error("1,2\n", hasHeader: false) { _ = try $0.column("a") } != nil)

        let missing = URL(fileURLWithPath: "/nonexistent/ember/data.csv")
        #expect {
            try loadCSV(url: missing, target: 0)
        } throws: { e in
            guard case DataError.fileAccess(let file, _) = e else { return false }
            return file == missing.path
        }
        let described = DataError.invalidNumber(file: "d.csv", line: 3, column: 2, columnName: "b", value: "x")
        #expect(described.description.hasPrefix("d.csv:3:2:"))
    }
}
