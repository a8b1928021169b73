using System.Xml.Linq;

namespace Maximus.Deployment.Tests;

/// <summary>
/// DESIGN section 2: domain code talks to ports; only <c>Maximus.Runtime.Dapr</c> uses the Dapr client and ASP.NET Core
/// integration. Domain modules may host workflow classes (Dapr.Workflow) and actor classes (Dapr.Actors); the shared
/// projects (ServiceDefaults, Contracts) carry no Dapr package at all.
/// </summary>
public sealed class DaprBoundaryTests
{
    private const string DaprRuntime = "Maximus.Runtime.Dapr";

    private static readonly string[] ProgrammingModels = ["Dapr.Workflow", "Dapr.Actors"];

    private static readonly string[] DaprFree = ["Maximus.ServiceDefaults", "Maximus.Contracts"];

    [Fact]
    public void Only_the_dapr_runtime_references_dapr_packages_beyond_workflows_and_actors()
    {
        var projects = SourceFiles("*.csproj").ToList();

        var violations = projects
            .SelectMany(p => Violations(Path.GetFileNameWithoutExtension(p), DaprPackages(p)).Select(v => $"{Repository.Relative(p)}: {v}"))
            .ToList();

        Assert.Contains(projects, p => Path.GetFileNameWithoutExtension(p) == DaprRuntime);
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void The_rule_names_each_forbidden_reference()
    {
        Assert.Empty(Violations(DaprRuntime, ["Dapr.AspNetCore", "Dapr.Client", "Dapr.Workflow"]));
        Assert.Empty(Violations("Maximus.Missions", ["Dapr.Workflow", "Dapr.Actors"]));
        Assert.Equal(["Dapr.Client (only Maximus.Runtime.Dapr may)"], Violations("Maximus.Memory", ["Dapr.Actors", "Dapr.Client"]));
        Assert.Equal(["Dapr.Actors (this project must not reference Dapr)"], Violations("Maximus.ServiceDefaults", ["Dapr.Actors"]));
    }

    [Fact]
    public void No_code_outside_the_dapr_runtime_uses_DaprClient_or_Dapr_AspNetCore()
    {
        var offending = SourceFiles("*.cs")
            .Where(f => !Repository.Relative(f).StartsWith($"services/{DaprRuntime}/", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, Text: line)))
            .Where(l => l.Text.Contains("DaprClient", StringComparison.Ordinal) || l.Text.Contains("using Dapr.AspNetCore", StringComparison.Ordinal))
            .Select(l => $"{Repository.Relative(l.File)}:{l.Line}: {l.Text.Trim()}")
            .ToList();

        Assert.True(offending.Count == 0, string.Join(Environment.NewLine, offending));
    }

    private static List<string> Violations(string project, IEnumerable<string> daprPackages) =>
        project == DaprRuntime ? []
        : DaprFree.Contains(project) ? [.. daprPackages.Select(p => $"{p} (this project must not reference Dapr)")]
        : [.. daprPackages.Where(p => !ProgrammingModels.Contains(p)).Select(p => $"{p} (only {DaprRuntime} may)")];

    private static IEnumerable<string> DaprPackages(string csproj) =>
        XDocument.Load(csproj).Descendants("PackageReference")
            .Select(r => (string?)r.Attribute("Include") ?? "")
            .Where(p => p.Equals("Dapr", StringComparison.OrdinalIgnoreCase) || p.StartsWith("Dapr.", StringComparison.OrdinalIgnoreCase));

    /// <summary>Files under services/, without build output.</summary>
    private static IEnumerable<string> SourceFiles(string pattern) =>
        Directory.EnumerateFiles(Repository.PathOf("services"), pattern, SearchOption.AllDirectories)
            .Where(f => !Repository.Relative(f).Split('/').Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal);
}
