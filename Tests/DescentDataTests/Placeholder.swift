import Testing
@testable import DescentData

@Test func placeholderData() { #expect(Bool(true)) }
