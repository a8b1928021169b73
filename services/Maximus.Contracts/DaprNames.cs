namespace Maximus.Contracts;

/// <summary>
/// Dapr app ids, component names and topics in one place. They match <c>dapr.yaml</c>,
/// <c>components/*/</c> (<c>metadata.name</c>, <c>scopes</c>) and the manifests under <c>k8s/</c>.
/// </summary>
public static class AppIds
{
    public const string Reflector = "reflector";
    public const string Memory = "memory";
    public const string Planner = "planner";
    public const string Executor = "executor";
    public const string Orchestrator = "orchestrator";

    /// <summary>The example PDDL environment plugin (Blocksworld, Logistics, any STRIPS domain).</summary>
    public const string PddlPlugin = "pddl-env";

    public static IReadOnlyList<string> Services { get; } = [Reflector, Memory, Planner, Executor, Orchestrator];
}

/// <summary>Names of the Dapr components (<c>metadata.name</c> in <c>components/*/</c>).</summary>
public static class Components
{
    public const string PubSub = "maximus-pubsub";
    public const string StateStore = "maximus-statestore";
    public const string SecretStore = "maximus-secretstore";
    public const string Configuration = "maximus-config";
    public const string Resiliency = "maximus-resiliency";
}

/// <summary>Pub/sub topics. Every integration event is published to a topic named after its type.</summary>
public static class Topics
{
    public static string For<TEvent>() => For(typeof(TEvent));

    public static string For(Type eventType) => eventType.Name;

    public const string DeadLetter = "maximus-deadletter";
}
