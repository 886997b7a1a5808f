import Testing
@testable import DescentOptim

@Test func placeholderOptim() { #expect(Bool(true)) }
