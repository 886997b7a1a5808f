/// Facts about this build of Descent.
public enum DescentLibrary {
  /// Descent's version (semantic versioning; `-dev` until the first release).
  public static let version = "0.1.0-dev"
}
