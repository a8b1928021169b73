using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Maximus.Deployment.Tests;

/// <summary>
/// Finds the JSON schema for a manifest's apiVersion and kind in the shared k8s-schemas fixtures
/// and evaluates the manifest against it. Layout of the fixtures:
/// <c>crds/&lt;group&gt;/&lt;kind&gt;_&lt;version&gt;.json</c> for custom resources (Dapr, kustomize,
/// Knative, KServe, Argo CD) and <c>kubernetes/&lt;release&gt;-standalone-strict/&lt;kind&gt;[-&lt;group
/// prefix&gt;]-&lt;version&gt;.json</c> for built-in kinds. A manifest without a schema fails; the one exception
/// is apps/v1 StatefulSet, which the fixtures lack and whose schema is derived from the Deployment schema.
/// </summary>
internal sealed class ManifestSchemas(string schemaRoot)
{
    /// <summary>
    /// The built-in Kubernetes schemas declare <c>"$schema": "http://json-schema.org/schema#"</c>, which
    /// names no draft; they are written for draft 4-7 keywords, so they are evaluated as draft 7.
    /// </summary>
    private static readonly HashSet<string> KnownMetaSchemas = new(StringComparer.Ordinal)
    {
        "http://json-schema.org/draft-06/schema#",
        "http://json-schema.org/draft-07/schema#",
        "https://json-schema.org/draft/2019-09/schema",
        "https://json-schema.org/draft/2020-12/schema",
    };

    private readonly ConcurrentDictionary<string, JsonSchema> loaded = new(StringComparer.Ordinal);

    /// <summary>The candidate schema files for an apiVersion and kind, in lookup order.</summary>
    public IReadOnlyList<string> Candidates(string apiVersion, string kind)
    {
        var slash = apiVersion.IndexOf('/', StringComparison.Ordinal);
        var group = slash < 0 ? null : apiVersion[..slash];
        var version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
        var lowerKind = kind.ToLowerInvariant();

        var candidates = new List<string>();
        if (group is not null)
        {
            candidates.Add(Path.Combine(schemaRoot, "crds", group, $"{lowerKind}_{version}.json"));
        }

        var builtIn = group is null ? $"{lowerKind}-{version}.json" : $"{lowerKind}-{group.Split('.')[0]}-{version}.json";
        var kubernetes = Path.Combine(schemaRoot, "kubernetes");
        if (Directory.Exists(kubernetes))
        {
            candidates.AddRange(Directory.EnumerateDirectories(kubernetes)
                .Order(StringComparer.Ordinal)
                .Reverse()
                .Select(release => Path.Combine(release, builtIn)));
        }

        return candidates;
    }

    /// <summary>Validates one manifest; the result lists every failing instance path.</summary>
    public SchemaVerdict Validate(JsonObject manifest)
    {
        var apiVersion = manifest["apiVersion"].AsText();
        var kind = manifest["kind"].AsText();
        if (string.IsNullOrEmpty(apiVersion) || string.IsNullOrEmpty(kind))
        {
            return SchemaVerdict.Fail(null, "document has no string apiVersion and kind, so no schema applies");
        }

        var candidates = Candidates(apiVersion, kind);
        var schemaFile = candidates.FirstOrDefault(File.Exists);
        JsonSchema schema;
        string relativeSchema;
        if (schemaFile is not null)
        {
            schema = loaded.GetOrAdd(schemaFile, Load);
            relativeSchema = Path.GetRelativePath(schemaRoot, schemaFile);
        }
        else if (apiVersion == "apps/v1" && kind == "StatefulSet" && DeploymentSchemaFile() is { } deployment)
        {
            schema = loaded.GetOrAdd("derived:" + deployment, _ => DerivedStatefulSetSchema(deployment));
            relativeSchema = $"derived statefulset-apps-v1 (from {Path.GetRelativePath(schemaRoot, deployment)})";
        }
        else
        {
            return SchemaVerdict.Fail(null, $"no schema for apiVersion '{apiVersion}' kind '{kind}'; looked for "
                + string.Join(", ", candidates.Select(c => Path.GetRelativePath(schemaRoot, c))));
        }

        var results = schema.Evaluate(manifest, new EvaluationOptions
        {
            OutputFormat = OutputFormat.List,
            EvaluateAs = SpecVersion.Draft7,
        });

        if (results.IsValid)
        {
            return new SchemaVerdict(relativeSchema, []);
        }

        var errors = new[] { results }.Concat(results.Details)
            .Where(r => r.HasErrors)
            .SelectMany(r => r.Errors!.Select(e =>
                $"{Show(r.InstanceLocation.ToString())}: {e.Value} [{(e.Key.Length == 0 ? "false schema" : e.Key)} at {r.EvaluationPath}]"))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return new SchemaVerdict(relativeSchema, errors.Count > 0 ? errors : ["invalid, without error details"]);
    }

    private static string Show(string pointer) => pointer.Length == 0 ? "/" : pointer;

    private string? DeploymentSchemaFile() => Candidates("apps/v1", "Deployment").FirstOrDefault(File.Exists);

    /// <summary>
    /// The fixtures hold no StatefulSet schema (Qdrant and Redis are StatefulSets). Rather than let them pass
    /// unchecked, this derives one from the strict Deployment schema of the same release: the pod template and
    /// selector are the Deployment's (so every container, probe and volume is checked strictly), the
    /// StatefulSet-only fields are typed and closed, and each volume claim template is checked against the
    /// PersistentVolumeClaim template schema that the Deployment schema carries (ephemeral volumes).
    /// </summary>
    private static JsonSchema DerivedStatefulSetSchema(string deploymentSchemaFile)
    {
        var root = JsonNode.Parse(File.ReadAllText(deploymentSchemaFile))!.AsObject();
        root.Remove("$schema");
        root["description"] = "StatefulSet (apps/v1), derived from the Deployment schema by the deployment tests.";
        var properties = root["properties"]!.AsObject();
        properties["kind"]!["enum"] = new JsonArray("StatefulSet");
        var spec = properties["spec"]!["properties"]!.AsObject();
        var maxUnavailable = spec["strategy"]!["properties"]!["rollingUpdate"]!["properties"]!["maxUnavailable"]!.DeepClone();
        var claimTemplate = spec["template"]!["properties"]!["spec"]!["properties"]!["volumes"]!["items"]!["properties"]!
            ["ephemeral"]!["properties"]!["volumeClaimTemplate"]!.DeepClone().AsObject();
        claimTemplate["properties"]!.AsObject()["apiVersion"] = Nullable("string");
        claimTemplate["properties"]!.AsObject()["kind"] = Nullable("string");
        spec.Remove("strategy");
        spec.Remove("paused");
        spec.Remove("progressDeadlineSeconds");
        spec["serviceName"] = Nullable("string");
        spec["podManagementPolicy"] = Enum("OrderedReady", "Parallel");
        spec["updateStrategy"] = Closed(new JsonObject
        {
            ["type"] = Enum("RollingUpdate", "OnDelete"),
            ["rollingUpdate"] = Closed(new JsonObject { ["maxUnavailable"] = maxUnavailable, ["partition"] = Nullable("integer") }),
        });
        spec["persistentVolumeClaimRetentionPolicy"] = Closed(new JsonObject
        {
            ["whenDeleted"] = Enum("Retain", "Delete"),
            ["whenScaled"] = Enum("Retain", "Delete"),
        });
        spec["ordinals"] = Closed(new JsonObject { ["start"] = Nullable("integer") });
        spec["volumeClaimTemplates"] = new JsonObject { ["type"] = new JsonArray("array", "null"), ["items"] = claimTemplate };
        return JsonSchema.FromText(root.ToJsonString());

        static JsonObject Nullable(string type) => new() { ["type"] = new JsonArray(type, "null") };

        static JsonObject Enum(params string[] values) => new()
        {
            ["type"] = new JsonArray("string", "null"),
            ["enum"] = new JsonArray([.. values.Select(v => (JsonNode?)JsonValue.Create(v)), null]),
        };

        static JsonObject Closed(JsonObject properties) => new()
        {
            ["type"] = new JsonArray("object", "null"),
            ["properties"] = properties,
            ["additionalProperties"] = false,
        };
    }

    private static JsonSchema Load(string file)
    {
        var node = JsonNode.Parse(File.ReadAllText(file))
            ?? throw new InvalidDataException($"{file} is empty.");
        if (node is JsonObject root && root["$schema"].AsText() is { } metaSchema && !KnownMetaSchemas.Contains(metaSchema))
        {
            root.Remove("$schema");
        }

        return JsonSchema.FromText(node.ToJsonString());
    }
}

/// <summary>The outcome of validating one manifest: the schema used (if any) and the failures.</summary>
internal sealed record SchemaVerdict(string? Schema, IReadOnlyList<string> Errors)
{
    public bool IsValid => Errors.Count == 0;

    public static SchemaVerdict Fail(string? schema, string error) => new(schema, [error]);

    public override string ToString() =>
        IsValid ? $"valid against {Schema}" : $"against {Schema ?? "(no schema)"}:\n  " + string.Join("\n  ", Errors);
}
