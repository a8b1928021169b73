using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Maximus.Deployment.Tests;

/// <summary>Renders kustomizations with <c>kubectl kustomize</c> (kubectl from PATH; .ci/run installs it when absent).</summary>
internal static class Kustomize
{
    private static readonly Lazy<string?> LazyKubectl = new(FindKubectl);

    /// <summary>Every folder under components/, k8s/ and edge/ that holds a kustomization.yaml, relative, sorted.</summary>
    public static IReadOnlyList<string> Directories() =>
        [.. Repository.ManifestFolders
            .Select(Repository.PathOf)
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "kustomization.yaml", SearchOption.AllDirectories))
            .Select(file => Repository.Relative(Path.GetDirectoryName(file)!))
            .Order(StringComparer.Ordinal)];

    /// <summary>Skips the calling test, saying why, when kubectl is not installed.</summary>
    public static string RequireKubectl() =>
        LazyKubectl.Value ?? throw SkipException();

    /// <summary>Runs <c>kubectl kustomize</c> on a folder given relative to the repository root; fails with its stderr.</summary>
    public static IReadOnlyList<Manifest> Render(string relativeDirectory)
    {
        var kubectl = RequireKubectl();
        var start = new ProcessStartInfo(kubectl)
        {
            ArgumentList = { "kustomize", Repository.PathOf(relativeDirectory) },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("kubectl did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"kubectl kustomize {relativeDirectory} did not finish within a minute.");
        }

        Assert.True(process.ExitCode == 0, $"kubectl kustomize {relativeDirectory} failed ({process.ExitCode}): {stderr.Result}");
        var documents = YamlJson.LoadDocuments(stdout.Result);
        return [.. documents.Select((node, index) => new Manifest($"{relativeDirectory} (rendered)", index, Assert.IsType<JsonObject>(node)))];
    }

    private static Exception SkipException()
    {
        Assert.Skip("kubectl is not on PATH, so the kustomizations cannot be rendered here. Install it (Debian: "
            + "apt-get install kubernetes-client; .ci/run does this when kubectl is missing).");
        return new InvalidOperationException("unreachable");
    }

    private static string? FindKubectl()
    {
        var names = OperatingSystem.IsWindows() ? new[] { "kubectl.exe" } : ["kubectl"];
        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(dir => names.Select(name => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);
    }
}
