namespace Maximus.Llm.Tests.Support;

internal static class Repository
{
    /// <summary>The folder holding Maximus.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Maximus.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No folder holding Maximus.sln above {AppContext.BaseDirectory}.");
    }
}
