namespace Maximus.Migration.Tests;

/// <summary>Where the linked <see cref="ChromaLayoutWriter"/> writes its directories when the benchmark runs it.</summary>
internal static class ChromaFixtures
{
    public static string TempDirectory() => Directory.CreateTempSubdirectory("maximus-bench-chroma-").FullName;
}
