// swift-format-ignore-file
// The EmberVision lines of shared/API.md's Models block, compiled with plain imports as API.md
// writes them. There is no resnet18.safetensors in the working directory, so the load throws.
import Ember
import EmberVision
import Testing

@Suite struct APIVisionLinesTests {
    @Test func compileAsWritten() {
        #expect(throws: SafetensorsError.self) {
            let net = resnet18(numClasses: 1000)
            try net.loadStateDict(try loadSafetensors(from: URL(fileURLWithPath: "resnet18.safetensors")))
            net.fc = Linear(net.fc.inFeatures, 10)               // replace the head
        }
    }

    @Test func replacedHeadHasTenOutputs() {
        let net = Init.withoutRandomInit { resnet18(numClasses: 1000) }
        net.fc = Init.withoutRandomInit { Linear(net.fc.inFeatures, 10) }
        #expect(net.fc.inFeatures == 512 && net.fc.outFeatures == 10)
        #expect(net.stateDict()["fc.weight"]?.shape == [10, 512])
    }
}
