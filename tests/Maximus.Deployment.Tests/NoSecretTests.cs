using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Maximus.Deployment.Tests;

/// <summary>No secret value in any manifest: secrets are created out of band and only referenced.</summary>
public sealed partial class NoSecretTests
{
    /// <summary>Name fragments of values that are secrets (compared without '_' and '-', ignoring case).</summary>
    private static readonly string[] SensitiveNames = ["password", "passwd", "token", "apikey", "clientsecret", "secretkey", "credential",
        "privatekey", "accesskey", "connectionstring", "masterkey"];

    /// <summary>YAML, JSON (patches, secret placeholders) and Dockerfiles under the deployment folders.</summary>
    private static IEnumerable<string> DeploymentFiles() =>
        Repository.ManifestFolders
            .Select(Repository.PathOf)
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)
                || f.EndsWith(".json", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("Dockerfile", StringComparison.Ordinal))
            .Concat(Directory.EnumerateFiles(Repository.PathOf("services"), "Dockerfile*", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal);

    private static bool IsSensitive(string? name) =>
        name is not null && SensitiveNames.Any(s => name.Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal)
            .Contains(s, StringComparison.OrdinalIgnoreCase));

    [Fact]
    public void No_manifest_defines_a_kubernetes_secret()
    {
        var secrets = Manifest.LoadAll().Where(m => m.Kind == "Secret").Select(m => m.ToString()).ToList();

        Assert.True(secrets.Count == 0, "Secrets are created by hand (see the READMEs), never committed: " + string.Join(", ", secrets));
    }

    [Fact]
    public void Sensitive_environment_variables_come_from_secret_references()
    {
        var workloads = Manifest.LoadAll().Where(Pods.IsWorkload).ToList();
        var inlineValues = workloads
            .SelectMany(w => Pods.Containers(w).Concat(Pods.InitContainers(w)).Select(c => (Workload: w, Container: c)))
            .SelectMany(x => (x.Container["env"] as JsonArray ?? []).OfType<JsonObject>().Select(e => (x.Workload, Env: e)))
            .Where(x => IsSensitive(x.Env["name"].AsText()) && x.Env["value"] is not null)
            .Select(x => $"{x.Workload}: {x.Env["name"]}")
            .ToList();

        Assert.NotEmpty(workloads);
        Assert.True(inlineValues.Count == 0, "use valueFrom.secretKeyRef: " + string.Join(", ", inlineValues));
    }

    [Fact]
    public void Dapr_component_metadata_in_every_folder_uses_secret_key_ref_for_sensitive_fields()
    {
        var leaks = Manifest.LoadAll()
            .Where(m => m.IsDapr && m.Kind == "Component")
            .SelectMany(m => (m.Node["spec"]?["metadata"] as JsonArray ?? []).OfType<JsonObject>().Select(e => (Manifest: m, Entry: e)))
            .Where(x => IsSensitive(x.Entry["name"].AsText()) && x.Entry["value"] is JsonValue v && (v.AsText() ?? v.ToJsonString()) is not "")
            .Select(x => $"{x.Manifest}: {x.Entry["name"]}")
            .ToList();

        Assert.True(leaks.Count == 0, "use secretKeyRef: " + string.Join(", ", leaks));
    }

    [Fact]
    public void No_deployment_file_contains_a_key_token_or_password()
    {
        var files = DeploymentFiles().ToList();
        var findings = files
            .SelectMany(file => File.ReadLines(file).Select((line, i) => (File: Repository.Relative(file), Line: i + 1, Text: line)))
            .Where(l => SecretPattern().IsMatch(l.Text))
            .Select(l => $"{l.File}:{l.Line}")
            .ToList();

        Assert.Contains(files, f => f.EndsWith("Dockerfile.lite", StringComparison.Ordinal));
        Assert.True(findings.Count == 0, "looks like a secret: " + string.Join(", ", findings));
    }

    [Fact]
    public void The_secret_pattern_catches_what_it_should()
    {
        Assert.Matches(SecretPattern(), "      value: \"host=db user=maximus password=hunter2 dbname=maximus\"");
        Assert.Matches(SecretPattern(), "-----BEGIN PRIVATE KEY-----");
        Assert.Matches(SecretPattern(), "key: AKIAABCDEFGHIJKLMNOP");
        Assert.Matches(SecretPattern(), "apiKey: AIzaSyA-1234567890abcdefghijklmnopqrstu");
        Assert.Matches(SecretPattern(), "args: [\"--requirepass\", \"hunter2\"]");
        Assert.DoesNotMatch(SecretPattern(), "# \"host=<private IP> user=maximus password=... dbname=maximus\"");
        Assert.Matches(SecretPattern(), "redis-server --requirepass hunter2");
        Assert.DoesNotMatch(SecretPattern(), "args: [\"--requirepass\", \"$(REDIS_PASSWORD)\"]");
        Assert.DoesNotMatch(SecretPattern(), "    - name: secretsFile");
    }

    [GeneratedRegex(
        """(-----BEGIN [A-Z ]*PRIVATE KEY-----)|(AKIA[0-9A-Z]{16})|(AIza[0-9A-Za-z_\-]{35})|(gh[pousr]_[0-9A-Za-z]{30,})|(xox[abpr]-[0-9A-Za-z-]{10,})|(password=(?!\.\.\.|<|\$)[^\s"';]+)|(--requirepass(?:",\s*"|\s+)(?!\$\()[^"\s\]]+)""",
        RegexOptions.IgnoreCase)]
    private static partial Regex SecretPattern();
}
