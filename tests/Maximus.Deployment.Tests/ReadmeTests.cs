using System.Text.RegularExpressions;

namespace Maximus.Deployment.Tests;

/// <summary>The deployment READMEs exist, are not placeholders, and what they point at exists.</summary>
public sealed partial class ReadmeTests
{
    public static TheoryData<string> Readmes() =>
        [.. Repository.ManifestFolders
            .Select(Repository.PathOf)
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "README.md", SearchOption.AllDirectories))
            .Select(Repository.Relative)
            .Order(StringComparer.Ordinal)];

    [Fact]
    public void Components_k8s_and_edge_each_have_a_readme()
    {
        var readmes = Readmes().Select(r => (string)r.Data).ToList();

        Assert.Contains("components/README.md", readmes);
        Assert.Contains("k8s/README.md", readmes);
        Assert.Contains("edge/README.md", readmes);
        Assert.Contains("k8s/kserve/README.md", readmes);
        Assert.Contains("k8s/knative/README.md", readmes);
    }

    [Theory]
    [MemberData(nameof(Readmes))]
    public void Readme_is_not_a_placeholder(string readme)
    {
        var text = File.ReadAllText(Repository.PathOf(readme));

        Assert.DoesNotContain("Placeholder", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("a later issue", text, StringComparison.OrdinalIgnoreCase);
        Assert.True(text.Length > 1500, $"{readme} is {text.Length} characters: too short to follow");
    }

    [Theory]
    [MemberData(nameof(Readmes))]
    public void Relative_links_and_kustomize_paths_in_a_readme_exist(string readme)
    {
        var folder = Path.GetDirectoryName(Repository.PathOf(readme))!;
        var text = File.ReadAllText(Repository.PathOf(readme));

        var links = Link().Matches(text).Select(m => m.Groups[1].Value)
            .Where(l => !l.Contains("://", StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => Path.GetFullPath(Path.Combine(folder, l.Split('#')[0])));
        var applied = Apply().Matches(text).Select(m => Repository.PathOf(m.Groups[1].Value));

        var missing = links.Concat(applied).Where(p => !File.Exists(p) && !Directory.Exists(p)).Select(Repository.Relative).ToList();
        Assert.True(missing.Count == 0, $"{readme} points at missing paths: {string.Join(", ", missing)}");
    }

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"kubectl (?:apply|kustomize)(?: -n \S+)? -[kf] ((?:k8s|edge|components)/[A-Za-z0-9_./-]+[A-Za-z0-9_/-])")]
    private static partial Regex Apply();
}
