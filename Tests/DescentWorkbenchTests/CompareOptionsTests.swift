import ArgumentParser
import DescentOptim
import DescentWorkbench
import Foundation
import Testing

@Suite("descent compare: options")
struct CompareOptionsTests {
  @Test func defaultsAreTheSixOptimizersOnBreastCancer() throws {
    let options = try compareOptions([])
    #expect(options.problem.data == .breastCancer)
    #expect(options.problem.model == .mlp)
    #expect(options.schedule == .none)
    #expect(options.speedParameters == 10_000_000)
    #expect(options.out == "compare-out")
    #expect(
      options.runs.map(\.label) == [
        "sgd:lr=0.1", "sgd:lr=0.01,momentum=0.9", "sgd:lr=0.01,momentum=0.9,nesterov=True",
        "rmsprop:lr=0.01", "adam:lr=0.001", "adamw:lr=0.001",
      ])
  }

  @Test func everyOptionParses() throws {
    let options = try compareOptions([
      "--data", "digits", "--model", "linear", "--hidden", "8", "--batch-size", "64",
      "--test-fraction", "0.2", "--seed", "3", "--threads", "1", "--epochs", "2",
      "--opt", "adam:lr=3e-3", "--opt", "sgd:lr=0.1,momentum=0.9", "--schedule", "step:20,0.5",
      "--params", "500k", "--out", "somewhere", "--json",
    ])
    #expect(options.problem.data == .digits)
    #expect(options.problem.model == .linear)
    #expect(options.problem.hidden == 8)
    #expect(options.problem.batchSize == 64)
    #expect(options.problem.testFraction == 0.2)
    #expect(options.problem.seed == 3)
    #expect(options.problem.threads == 1)
    #expect(options.epochs == 2)
    #expect(
      options.runs == [
        OptimizerSpec(.adam, ["lr": 3e-3]), OptimizerSpec(.sgd, ["lr": 0.1, "momentum": 0.9]),
      ])
    #expect(options.schedule == .step(stepSize: 20, gamma: 0.5))
    #expect(options.speedParameters == 500_000)
    #expect(options.out == "somewhere")
    #expect(options.json)
    #expect(try compareOptions(["--params", "0"]).speedParameters == 0)
  }

  @Test(
    arguments: [
      ("none", ScheduleSpec.none), ("step:20,0.5", .step(stepSize: 20, gamma: 0.5)),
      ("cosine", .cosine(tMax: nil, etaMin: 0)), ("cosine:30", .cosine(tMax: 30, etaMin: 0)),
      ("cosine:30,1e-4", .cosine(tMax: 30, etaMin: 1e-4)), ("exponential:0.9", .exponential(gamma: 0.9)),
    ])
  func schedulesParse(text: String, expected: ScheduleSpec) throws {
    #expect(try ScheduleSpec(parsing: text) == expected)
    #expect(try compareOptions(["--schedule", text]).schedule == expected)
  }

  /// Each bad value is refused with a message that names it.
  @Test(
    arguments: [
      (["--opt", "nosuch"], "nosuch"), (["--opt", "adam:lr=fast"], "fast"),
      (["--opt", "adam:lr"], "lr"), (["--schedule", "step:0,0.5"], "'0'"),
      (["--schedule", "step:20"], "step:20"), (["--schedule", "linear"], "linear"),
      (["--epochs", "0"], "--epochs"), (["--params", "12q"], "12q"), (["--hidden", "0"], "--hidden"),
      (["--batch-size", "0"], "--batch-size"), (["--test-fraction", "1"], "--test-fraction"),
      (["--threads", "0"], "--threads"), (["--opt", "adam", "--opt", "adam"], "twice"),
      (["--data", "mnist"], "mnist"),
    ])
  func badValuesAreRefused(arguments: [String], mention: String) {
    do {
      _ = try compareOptions(arguments)
      Issue.record("\(arguments) parsed")
    } catch {
      let message = CompareOptions.message(for: error)
      #expect(message.contains(mention), "\(arguments): \(message)")
    }
  }

  /// Options the optimizer does not have, or values it refuses, are refused before any
  /// training, with the registry's message.
  @Test(
    arguments: [
      ("adam:momentum=0.9", "Adam has no hyperparameter 'momentum'"),
      ("sgd:lr=-1", "Invalid learning rate: -1.0"),
    ])
  func optimizerOptionsAreCheckedWhileParsing(spec: String, message: String) {
    do {
      _ = try compareOptions(["--opt", spec])
      Issue.record("--opt \(spec) parsed")
    } catch {
      #expect(CompareOptions.message(for: error).contains(message), "\(CompareOptions.message(for: error))")
    }
  }
}
