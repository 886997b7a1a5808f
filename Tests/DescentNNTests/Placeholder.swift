import Testing
@testable import DescentNN

@Test func placeholderNN() { #expect(Bool(true)) }
