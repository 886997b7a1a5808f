import ArgumentParser
import Descent
import DescentWorkbench
import Foundation

/// `descent lr-find`: a learning-rate range test on a bundled data set.
struct LRFind: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lr-find",
    abstract:
      "Sweep the learning rate exponentially and suggest one (Leslie Smith's range test, fastai's lr_find).",
    discussion: """
      Trains the model with the optimizer while the learning rate grows from --start-lr \
      towards --end-lr, lr_i = start * (end / start)^(i / steps), records every batch's loss \
      and its smoothed value (a debiased exponential moving average with β = --smoothing), \
      and stops when the smoothed loss exceeds --divergence times its minimum.

      Two suggestions, both read from the smoothed loss after leaving out the first tenth of \
      the steps and the last 5: the rate where it falls fastest against log(lr) (the \
      suggestion: steepest descent) and the rate of its minimum divided by 10. \
      The model's weights and the optimizer's state are restored afterwards.

      --out gets lr-find.svg (loss against lr, log axis, both suggestions marked), \
      lr-find.csv and lr-find.json.
      """
  )

  @OptionGroup var options: LRFindOptions

  func run() throws {
    // One thread, as in `descent compare`: OpenBLAS's threaded products round differently
    // with each thread count, and these models are too small to gain from threads.
    Threads.set(options.problem.threads ?? 1)
    let report = try LRFindRunner(options: options).run()
    print(report.summary(), terminator: "")
    fflush(stdout)
    if !options.out.isEmpty {
      let files = try report.write(to: options.out)
      FileHandle.standardError.write(Data("wrote \(files.joined(separator: ", "))\n".utf8))
    }
  }
}
