namespace Maximus.Contracts.Ports;

/// <summary>Reads secrets (the Dapr secret store, or environment variables and a local file in the embedded runtime).</summary>
public interface ISecretStore
{
    /// <summary>The secret's value, or null when it does not exist.</summary>
    Task<string?> GetSecretAsync(string name, CancellationToken cancellationToken = default);
}

/// <summary>A secret store that can also keep secrets it creates (the embedded runtime's local file).</summary>
public interface IWritableSecretStore : ISecretStore
{
    Task SetSecretAsync(string name, string value, CancellationToken cancellationToken = default);
}
