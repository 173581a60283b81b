import Datasets
import Testing

@Suite struct TabularDatasetTests {
    let binary = TabularDataset(featureNames: ["a", "b", "c"], features: (0..<12).map(Float.init),
                                targets: [0, 1, 1, 0], task: .binaryClassification)

    @Test func gathersRowsForBinaryAndRegression() {
        let (inputs, targets) = binary.batch(indices: [2, 0, 2])
        #expect(inputs.shape == [3, 3] && targets.shape == [3, 1])
        #expect(inputs.floatArray == [6, 7, 8, 0, 1, 2, 6, 7, 8])
        #expect(targets.floatArray == [1, 0, 1])
        let slice = [9, 3, 1][1...]
        #expect(binary.batch(indices: slice).inputs.floatArray == [9, 10, 11, 3, 4, 5])
    }

    @Test func multiclassTargetsAreAVector() {
        let data = TabularDataset(featureNames: ["x"], features: [1, 2, 3], targets: [2, 0, 1], task: .multiclass(classes: 3))
        let (inputs, targets) = data.batch(indices: [1, 2])
        #expect(inputs.shape == [2, 1] && targets.shape == [2])
        #expect(targets.floatArray == [0, 1])
    }

    @Test func subsetKeepsOrder() {
        let subset = binary.subset([3, 1])
        #expect(subset.features == [9, 10, 11, 3, 4, 5] && subset.targets == [0, 1] && subset.featureNames == binary.featureNames)
    }

    @Test func standardizerFitsOnTrainOnly() {
        let train = TabularDataset(featureNames: ["x", "constant"], features: [1, 5, 3, 5, 5, 5],
                                   targets: [0, 1, 0], task: .binaryClassification)
        let validation = TabularDataset(featureNames: ["x", "constant"], features: [7, 6],
                                        targets: [1], task: .binaryClassification)
        let standardizer = Standardizer(fitting: train)
        let std = (8.0 / 3.0).squareRoot()                  // population std of 1, 3, 5
        #expect(standardizer.mean == [3, 5])
        #expect(abs(Double(standardizer.scale[0]) - std) < 1e-6)
        #expect(standardizer.scale[1] == 1)                  // a constant feature keeps scale 1
        let z = standardizer.apply(to: train)
        #expect(abs(Double(z.features[0]) + 2 / std) < 1e-6 && z.features[2] == 0)
        #expect(z.features[1] == 0 && z.features[3] == 0 && z.features[5] == 0)
        // Validation rows use the training statistics, not their own.
        let v = standardizer.apply(to: validation)
        #expect(abs(Double(v.features[0]) - 4 / std) < 1e-6 && v.features[1] == 1)
        #expect(v.targets == validation.targets)
    }
}
