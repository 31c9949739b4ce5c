import Foundation

/// Small real data sets bundled with Ember as package resources, loadable with no network
/// (scikit-learn's `load_digits`, `load_diabetes`, `load_breast_cancer`, from the same files).
///
/// ```swift
/// let digits = try Datasets.digits()
/// let (xTrain, xTest, yTrain, yTest) = trainTestSplit(digits.features / 16, digits.targets, testFraction: 0.2)
/// ```
///
/// Each returns a ``TabularDataset`` (features, targets and column names), itself a data set a
/// ``DataLoader`` can iterate. Sources and licenses: UCI Machine Learning Repository (digits,
/// breast cancer: CC BY 4.0) and Efron et al. (2004) (diabetes).
public enum Datasets {
    /// Handwritten digits: 1,797 images of 8×8 pixels with intensities 0...16, row-major, as
    /// features `[1797, 64]` float32 (`pixel0` ... `pixel63`), and their digit `[1797]` int64 in 0...9
    /// (`label`). An MLP reaches about 98% accuracy on a random 20% validation split.
    public static func digits() throws(DataError) -> TabularDataset {
        try load("digits", targetDType: .int64)
    }

    /// Diabetes progression: 442 patients, features `[442, 10]` float32 as measured, not scaled
    /// (`age`, `sex`, `bmi`, `bp`, `s1` ... `s6`), and a quantitative measure of disease progression
    /// one year later `[442]` float32 (`target`, 25 ... 346). A regression task.
    public static func diabetes() throws(DataError) -> TabularDataset {
        try load("diabetes", targetDType: .float32)
    }

    /// Breast cancer Wisconsin (diagnostic): 569 tumours, features `[569, 30]` float32 (`mean_radius`
    /// ... `worst_fractal_dimension`) and the diagnosis `[569]` int64 (`malignant`: 1 = malignant,
    /// 0 = benign; note that scikit-learn's `load_breast_cancer` codes 0 = malignant). A binary task.
    public static func breastCancer() throws(DataError) -> TabularDataset {
        try load("breast_cancer", targetDType: .int64)
    }

    /// Reads a bundled CSV whose last column is the target.
    private static func load(_ name: String, targetDType: DType) throws(DataError) -> TabularDataset {
        guard let url = Bundle.module.url(forResource: name, withExtension: "csv", subdirectory: "Resources") else {
            throw .fileAccess(file: "\(name).csv", reason: "not found in Ember's resource bundle")
        }
        return try CSVTable(contentsOf: url, hasHeader: true).dataset(target: -1, targetDType: targetDType)
    }
}
