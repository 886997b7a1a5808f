import ArgumentParser
import Descent
import DescentWorkbench
import Foundation

/// `descent compare`: which optimizer converges, and which is fast, on real data in one run.
struct Compare: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train one model with several optimizers on a bundled data set: a table and loss curves.",
    discussion: """
      Trains the same model from the same initial weights, in the same batch order, once per \
      optimizer: by default an MLP on breast cancer with BCEWithLogitsLoss and SGD, SGD with \
      momentum, Nesterov, RMSprop, Adam and AdamW. After every epoch it evaluates the mean \
      loss on all training rows and the loss and accuracy on the test rows.

      The table gives, per optimizer: the final training loss, the test accuracy, the epochs \
      to reach 95% of the best loss (the first epoch whose training loss has made 95% of the \
      run's total decrease: loss(e) <= loss(0) - 0.95 * (loss(0) - min loss)), the wall time \
      of the training loop (without the evaluations) and its steps per second. A second table \
      times each optimizer's step on one large float32 tensor (--params), as 'descent bench \
      optimizers' does, against an in-place axpy over the same elements.

      --out gets loss.svg (training loss per epoch, log scale), accuracy.svg (test accuracy), \
      curves.csv (every epoch of every optimizer) and results.json (the table). Everything \
      but the timings ('timing', 'speed' and 'machine' in the JSON) depends only on the \
      command line: the same command gives the same losses and accuracies with any thread \
      count.
      """
  )

  @OptionGroup var options: CompareOptions

  func run() throws {
    if let threads = options.problem.threads { Threads.set(threads) }
    let loadStart = Machine.loadAverage()
    var report = try CompareRunner(options: options).run { specs, params in
      try measureCompareSpeed(specs, params: params)
    }
    let machine = Machine.current()
    report.machine = CompareReport.Machine(
      cpu: machine.cpu, cores: machine.cores, threads: Threads.count, loadAverageStart: loadStart,
      loadAverageEnd: Machine.loadAverage())
    print(options.json ? try report.json() : report.table(), terminator: "")
    if !options.out.isEmpty {
      let files = try report.write(to: options.out)
      FileHandle.standardError.write(Data("wrote \(files.joined(separator: ", "))\n".utf8))
    }
  }
}
