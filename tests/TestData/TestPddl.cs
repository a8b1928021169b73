namespace Maximus.Tests;

/// <summary>
/// PDDL shared by the test projects: the files of <c>tests/TestData/pddl</c>, which each test project links
/// and copies next to its assembly (<c>TestData/pddl</c>). Written for the tests, not copied from fixtures.
/// </summary>
internal static class TestPddl
{
    /// <summary>The classic four-operator Blocksworld; its domain name is <c>blocks</c>.</summary>
    public static string Blocksworld { get; } = Read("blocksworld-domain.pddl");

    /// <summary>The text of a file in <c>TestData/pddl</c>.</summary>
    public static string Read(string fileName) =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "pddl", fileName));
}
