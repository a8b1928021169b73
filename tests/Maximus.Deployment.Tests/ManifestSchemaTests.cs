namespace Maximus.Deployment.Tests;

/// <summary>Every YAML document under components/, k8s/ and edge/ against its published schema.</summary>
public sealed class ManifestSchemaTests
{
    public static TheoryData<string> ManifestFiles() => [.. Repository.ManifestFiles()];

    [Theory]
    [MemberData(nameof(ManifestFiles))]
    public void Manifest_validates_against_the_schema_of_its_api_version_and_kind(string file)
    {
        var schemas = new ManifestSchemas(Repository.RequireSchemaRoot());

        var documents = Manifest.Load(file);

        Assert.True(documents.Count > 0, $"{file} holds no YAML document.");
        var failures = documents
            .Select(document => (document, verdict: schemas.Validate(document.Node)))
            .Where(x => !x.verdict.IsValid)
            .Select(x => $"{x.document} is invalid {x.verdict}")
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Local_environment_has_manifests_to_validate()
    {
        var local = Repository.ManifestFiles().Where(f => f.StartsWith("components/local/", StringComparison.Ordinal)).ToList();

        Assert.NotEmpty(local);
    }
}
