import Descent
import DescentCheckpoint
import DescentNN
import DescentOptim
import Foundation
import Testing

/// The checkpoint a saver writes at step `step`: every value is derived from the step, so a
/// file that mixes two saves is caught.
func stressCheckpoint(step: Int) -> Checkpoint {
  let value = Double(step % 1000)
  var model = ModuleStateDict()
  model["0.weight"] = Tensor.full([256, 256], value)
  model["0.bias"] = Tensor.full([256], value + 0.5)
  model["1.weight"] = Tensor.full([64, 256], -value, dtype: .float64)
  let state: [Int: [String: Tensor]] = [
    0: ["step": Tensor(scalar: value), "exp_avg": Tensor.full([256, 256], value * 2)],
    1: ["step": Tensor(scalar: value), "exp_avg": Tensor.full([256], value * 3)],
  ]
  let groups = [OptimizerStateDict.Group(params: [0, 1, 2], hyperparameters: ["lr": .number(value)])]
  return Checkpoint(
    model: model, optimizer: OptimizerStateDict(state: state, paramGroups: groups), step: step,
    metadata: ["step": String(step)])
}

/// Whether a loaded checkpoint is exactly ``stressCheckpoint(step:)`` of its own step.
func isConsistent(_ checkpoint: Checkpoint) -> Bool {
  let expected = stressCheckpoint(step: checkpoint.step)
  guard checkpoint.metadata == expected.metadata, Array(checkpoint.model.keys) == Array(expected.model.keys)
  else { return false }
  for (key, tensor) in expected.model where !bitwiseEqual(checkpoint.model[key]!, tensor) { return false }
  return sameState(checkpoint.optimizer, expected.optimizer)
}

@Suite(.serialized) struct CrashSafetyTests {
  /// A child process saves checkpoints in a loop; the parent kills it (SIGKILL) at a random
  /// moment, 100 times. The file on disk always loads, holds one whole save, and is the
  /// last one seen or a newer one.
  @Test func aSaverKilledAtRandomMomentsLeavesOldOrNew() async throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("ckpt.safetensors").path
    let pidPath = directory.appendingPathComponent("pid").path
    // The first old checkpoint, so that there is one before the first kill.
    try stressCheckpoint(step: 0).save(to: URL(fileURLWithPath: path))
    var lastStep = 0
    var stepsSeen: [Int] = []
    for round in 0..<100 {
      try? FileManager.default.removeItem(atPath: pidPath)
      let delay = UInt64.random(in: 0...40_000_000)
      let killer = Task {
        // Wait for the child to say who it is, then kill it mid-loop.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
          if let text = try? String(contentsOfFile: pidPath, encoding: .utf8), let pid = Int32(text) {
            try? await Task.sleep(nanoseconds: delay)
            kill(pid, SIGKILL)
            return true
          }
          try? await Task.sleep(nanoseconds: 1_000_000)
        }
        return false
      }
      await #expect(processExitsWith: .signal(SIGKILL)) {
        [path = path as String, pidPath = pidPath as String] in
        let url = URL(fileURLWithPath: path)
        var step = (try? Checkpoint.load(from: url).step) ?? 0
        // The pid goes to a file by rename, so that the parent never reads half of it.
        try String(getpid()).write(toFile: pidPath + ".tmp", atomically: false, encoding: .utf8)
        rename(pidPath + ".tmp", pidPath)
        // Bounded, so that a missing kill fails the test instead of hanging it.
        for _ in 0..<100_000 {
          step += 1
          try stressCheckpoint(step: step).save(to: url)
        }
      }
      #expect(await killer.value, "round \(round): the child never started")
      let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: path))
      #expect(isConsistent(checkpoint), "round \(round): step \(checkpoint.step) is torn")
      #expect(checkpoint.step >= lastStep, "round \(round): step \(checkpoint.step) after \(lastStep)")
      lastStep = checkpoint.step
      stepsSeen.append(checkpoint.step)
    }
    // The kills landed at different points of the loop.
    #expect(Set(stepsSeen).count > 10)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
      $0.hasSuffix(".tmp")
    }
    print(
      "kill test: 100 rounds, last step \(lastStep), \(Set(stepsSeen).count) distinct steps on disk, \(leftovers.count) temporary files left by killed saves"
    )
  }

  /// A save that runs out of space (a file-size limit stands in for a full disk) throws and
  /// leaves the previous checkpoint intact, with no temporary file behind.
  @Test func aSaveThatRunsOutOfSpaceLeavesThePreviousFile() async throws {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("ckpt.safetensors").path
    try stressCheckpoint(step: 1).save(to: URL(fileURLWithPath: path))
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    await #expect(processExitsWith: .success) { [path = path as String] in
      // Writes past 64 KiB fail with EFBIG instead of killing the process.
      signal(SIGXFSZ, SIG_IGN)
      var limit = rlimit(rlim_cur: 64 << 10, rlim_max: 64 << 10)
      guard setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) == 0 else { exit(3) }
      do {
        try stressCheckpoint(step: 2).save(to: URL(fileURLWithPath: path))
        exit(1)
      } catch let error as SafetensorsError {
        guard case .cannotWrite(_, "write", _) = error else { exit(2) }
      }
    }
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    #expect(try Checkpoint.load(from: URL(fileURLWithPath: path)).step == 1)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["ckpt.safetensors"])
  }
}
