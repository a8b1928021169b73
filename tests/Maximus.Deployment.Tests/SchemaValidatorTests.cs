using System.Text.Json.Nodes;

namespace Maximus.Deployment.Tests;

/// <summary>The validator itself: broken manifests must fail, so a green schema test means something.</summary>
public sealed class SchemaValidatorTests
{
    private static ManifestSchemas Schemas() => new(Repository.RequireSchemaRoot());

    private static JsonObject Parse(string yaml) => Assert.IsType<JsonObject>(Assert.Single(YamlJson.LoadDocuments(yaml)));

    [Fact]
    public void Component_without_spec_version_fails_validation()
    {
        var broken = Parse("""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: broken-pubsub
            spec:
              type: pubsub.redis
              metadata:
                - name: redisHost
                  value: "localhost:6379"
            scopes:
              - reflector
            """);

        var verdict = Schemas().Validate(broken);

        Assert.False(verdict.IsValid, "a component without spec.version passed validation");
        Assert.Contains(verdict.Errors, e => e.StartsWith("/spec", StringComparison.Ordinal) && e.Contains("version", StringComparison.Ordinal));
    }

    [Fact]
    public void The_same_component_with_spec_version_passes()
    {
        var fixedComponent = Parse("""
            apiVersion: dapr.io/v1alpha1
            kind: Component
            metadata:
              name: fixed-pubsub
            spec:
              type: pubsub.redis
              version: v1
              metadata:
                - name: redisHost
                  value: "localhost:6379"
            scopes:
              - reflector
            """);

        var verdict = Schemas().Validate(fixedComponent);

        Assert.True(verdict.IsValid, verdict.ToString());
    }

    [Fact]
    public void Manifest_of_unknown_kind_fails_instead_of_passing_silently()
    {
        var unknown = Parse("""
            apiVersion: example.com/v1
            kind: Widget
            metadata:
              name: w
            """);

        var verdict = Schemas().Validate(unknown);

        Assert.False(verdict.IsValid);
        Assert.Contains(verdict.Errors, e => e.Contains("no schema for apiVersion 'example.com/v1' kind 'Widget'", StringComparison.Ordinal));
    }

    [Fact]
    public void Manifest_without_api_version_and_kind_fails()
    {
        var verdict = Schemas().Validate(Parse("metadata: {name: x}"));

        Assert.False(verdict.IsValid);
    }

    [Fact]
    public void Unquoted_sampling_rate_is_a_number_and_fails_the_configuration_schema()
    {
        var configuration = Parse("""
            apiVersion: dapr.io/v1alpha1
            kind: Configuration
            metadata:
              name: c
            spec:
              tracing:
                samplingRate: 1
            """);

        var verdict = Schemas().Validate(configuration);

        Assert.False(verdict.IsValid);
        Assert.Contains(verdict.Errors, e => e.StartsWith("/spec/tracing/samplingRate", StringComparison.Ordinal));
    }

    [Fact]
    public void Misspelled_field_fails_the_strict_dapr_schema()
    {
        var resiliency = Parse("""
            apiVersion: dapr.io/v1alpha1
            kind: Resiliency
            metadata:
              name: r
            spec:
              policies:
                retries:
                  r1: {policy: constant, duration: 1s, maxRetrys: 3}
              targets: {}
            """);

        var verdict = Schemas().Validate(resiliency);

        Assert.False(verdict.IsValid);
        Assert.Contains(verdict.Errors, e => e.Contains("/spec/policies/retries/r1", StringComparison.Ordinal));
    }

    [Fact]
    public void Built_in_kinds_are_checked_against_the_standalone_kubernetes_schemas()
    {
        const string Deployment = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: memory
            spec:
              replicas: REPLICAS
              selector:
                matchLabels: {app: memory}
              template:
                metadata:
                  labels: {app: memory}
                  annotations:
                    dapr.io/enabled: "true"
                    dapr.io/app-id: memory
                spec:
                  containers:
                    - name: memory
                      image: maximus-host:dev
                      args: ["--role", "memory", "--runtime", "dapr"]
            """;
        var schemas = Schemas();

        var valid = schemas.Validate(Parse(Deployment.Replace("REPLICAS", "2", StringComparison.Ordinal)));
        var invalid = schemas.Validate(Parse(Deployment.Replace("REPLICAS", "two", StringComparison.Ordinal)));

        Assert.True(valid.IsValid, valid.ToString());
        Assert.Equal("kubernetes/v1.32.2-standalone-strict/deployment-apps-v1.json", valid.Schema?.Replace('\\', '/'));
        Assert.False(invalid.IsValid);
        Assert.Contains(invalid.Errors, e => e.StartsWith("/spec/replicas", StringComparison.Ordinal));
    }

    [Fact]
    public void Stateful_sets_are_checked_against_a_schema_derived_from_the_deployment_schema()
    {
        const string StatefulSet = """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: qdrant
            spec:
              serviceName: qdrant-headless
              FIELD
              selector:
                matchLabels: {app: qdrant}
              template:
                metadata:
                  labels: {app: qdrant}
                spec:
                  containers:
                    - name: qdrant
                      image: qdrant/qdrant:v1.19.0-unprivileged
                      volumeMounts: [{name: storage, mountPath: /qdrant/storage}]
              volumeClaimTemplates:
                - metadata: {name: storage}
                  spec:
                    accessModes: ["ReadWriteOnce"]
                    resources: {requests: {storage: CLAIM}}
            """;
        var schemas = Schemas();

        var valid = schemas.Validate(Parse(StatefulSet.Replace("FIELD", "podManagementPolicy: Parallel", StringComparison.Ordinal).Replace("CLAIM", "20Gi", StringComparison.Ordinal)));
        var unknownField = schemas.Validate(Parse(StatefulSet.Replace("FIELD", "strategy: {type: Recreate}", StringComparison.Ordinal).Replace("CLAIM", "20Gi", StringComparison.Ordinal)));
        var badClaim = schemas.Validate(Parse(StatefulSet.Replace("FIELD", "replicas: 1", StringComparison.Ordinal).Replace("CLAIM", "[20Gi]", StringComparison.Ordinal)));
        var badPolicy = schemas.Validate(Parse(StatefulSet.Replace("FIELD", "podManagementPolicy: Sometimes", StringComparison.Ordinal).Replace("CLAIM", "20Gi", StringComparison.Ordinal)));

        Assert.True(valid.IsValid, valid.ToString());
        Assert.StartsWith("derived statefulset-apps-v1", valid.Schema, StringComparison.Ordinal);
        Assert.False(unknownField.IsValid, "a Deployment-only field passed");
        Assert.False(badClaim.IsValid, "a malformed volume claim template passed");
        Assert.False(badPolicy.IsValid, "an unknown pod management policy passed");
    }
}
