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
      optimizers' does, against an in-place axpy over the same elements, with --threads \
      threads.

      --out gets loss.svg (training loss per epoch, log scale), accuracy.svg (test accuracy), \
      curves.csv (every epoch of every optimizer) and results.json (the table). Everything \
      but the timings ('timing', 'speed' and 'machine' in the JSON) depends only on the \
      command line: the same command gives the same losses and accuracies with any thread \
      count. Training runs on one thread for that reason: OpenBLAS's threaded matrix \
      products round differently with each thread count.
      """
  )

  @OptionGroup var options: CompareOptions

  func run() throws {
    let threads = options.problem.threads ?? Threads.count
    let loadStart = Machine.loadAverage()
    // Training runs on one thread, whatever --threads says: OpenBLAS's threaded sgemm
    // splits a product by thread count, which changes the rounding of some elements (a
    // 426×30 · 30×32 product, the evaluation of the MLP on breast cancer, differs in 4297 of
    // its 13632 elements between 1 and 2 threads), so the losses would depend on it. These
    // models are too small to gain from more threads; the speed section uses them.
    Threads.set(1)
    var report = try CompareRunner(options: options).run { specs, params in
      Threads.set(threads)
      return try measureCompareSpeed(specs, params: params)
    }
    Threads.set(threads)
    let machine = Machine.current()
    report.machine = CompareReport.Machine(
      cpu: machine.cpu, cores: machine.cores, threads: threads, loadAverageStart: loadStart,
      loadAverageEnd: Machine.loadAverage())
    print(options.json ? try report.json() : report.table(), terminator: "")
    fflush(stdout)
    if !options.out.isEmpty {
      let files = try report.write(to: options.out)
      FileHandle.standardError.write(Data("wrote \(files.joined(separator: ", "))\n".utf8))
    }
  }
}
