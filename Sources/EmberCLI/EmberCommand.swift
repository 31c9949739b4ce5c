import ArgumentParser

/// `ember`: train, evaluate and use neural networks from the terminal, built on Ember.
@main
struct EmberCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ember",
        abstract: "Train, evaluate and use neural networks with Ember (PyTorch for Swift).",
        subcommands: [
            TrainCommand.self, EvalCommand.self, PredictCommand.self, SummaryCommand.self, InspectCommand.self,
            BenchCommand.self,
        ],
        defaultSubcommand: nil
    )
}
