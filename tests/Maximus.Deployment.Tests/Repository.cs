using Maximus.Contracts;

namespace Maximus.Deployment.Tests;

/// <summary>Paths of the repository under test and of the shared schema fixtures beside it.</summary>
internal static class Repository
{
    /// <summary>The Dapr app id of the <c>maximus</c> command-line tool (it runs with its own sidecar).</summary>
    public const string CliAppId = "maximus-cli";

    /// <summary>Folders whose YAML documents are Kubernetes-style manifests.</summary>
    public static IReadOnlyList<string> ManifestFolders { get; } = ["components", "k8s", "edge"];

    private static readonly Lazy<string> LazyRoot = new(FindRoot);

    public static string Root => LazyRoot.Value;

    public static string SchemaRoot =>
        Path.GetFullPath(Path.Combine(Root, "..", "shared", "fixtures", "k8s-schemas"));

    /// <summary>App ids a component may be scoped to: the services, the PDDL plugin and the CLI.</summary>
    public static IReadOnlySet<string> KnownAppIds { get; } =
        new HashSet<string>([.. AppIds.Services, AppIds.PddlPlugin, CliAppId], StringComparer.Ordinal);

    /// <summary>The apps the host runs, each its own Deployment: the five services and the PDDL plugin.</summary>
    public static IReadOnlyList<string> Roles { get; } = [.. AppIds.Services, AppIds.PddlPlugin];

    public static IReadOnlySet<string> ComponentNames { get; } = new HashSet<string>(
        [Components.PubSub, Components.StateStore, Components.SecretStore, Components.Configuration, Components.Resiliency],
        StringComparer.Ordinal);

    public static string PathOf(string relativePath) => Path.GetFullPath(Path.Combine(Root, relativePath));

    public static string Relative(string fullPath) => Path.GetRelativePath(Root, fullPath).Replace('\\', '/');

    /// <summary>Skips the calling test when the shared schema fixtures are not checked out beside the repository.</summary>
    public static string RequireSchemaRoot()
    {
        var root = SchemaRoot;
        if (!Directory.Exists(root))
        {
            Assert.Skip($"../shared/fixtures/k8s-schemas not present: {root}");
        }

        return root;
    }

    /// <summary>Every *.yaml / *.yml file under the manifest folders, relative to the repository root, sorted.</summary>
    public static IReadOnlyList<string> ManifestFiles() =>
        [.. ManifestFolders
            .Select(PathOf)
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            .Where(IsYaml)
            .Select(Relative)
            .Order(StringComparer.Ordinal)];

    private static bool IsYaml(string path) =>
        path.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Maximus.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No folder with Maximus.sln above {AppContext.BaseDirectory}.");
    }
}
