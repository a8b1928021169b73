namespace Maximus.Contracts;

/// <summary>Names of the Dapr components (<c>metadata.name</c> in <c>components/*/</c>).</summary>
public static class Components
{
    public const string PubSub = "maximus-pubsub";
    public const string StateStore = "maximus-statestore";
    public const string SecretStore = "maximus-secretstore";
    public const string Configuration = "maximus-config";
    public const string Resiliency = "maximus-resiliency";
}
