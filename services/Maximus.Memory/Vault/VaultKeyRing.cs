using System.Security.Cryptography;
using System.Text.Json;
using Maximus.Contracts.Ports;
using Microsoft.Extensions.Logging;

namespace Maximus.Memory.Vault;

/// <summary>
/// The vault's keys, from the secret store: <c>vault-keys</c> = <c>{"current": "k2", "keys": {"k1": "&lt;base64 32 bytes&gt;", "k2": "…"}}</c>
/// (rotation: add a key, make it current, keep the old ones so old entries stay readable), or a single
/// <c>vault-key</c> (id <c>default</c>). The embedded runtime creates a key on first use in its local secret file.
/// </summary>
public sealed partial class VaultKeyRing(ISecretStore secrets, ILogger<VaultKeyRing> logger)
{
    public const string KeysSecret = "vault-keys";
    public const string KeySecret = "vault-key";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Keys? _keys;

    public async Task<(string Id, byte[] Key)> CurrentAsync(CancellationToken ct)
    {
        var keys = await LoadAsync(ct).ConfigureAwait(false);
        return (keys.Current, keys.ById[keys.Current]);
    }

    public async Task<byte[]> GetAsync(string keyId, CancellationToken ct)
    {
        var keys = await LoadAsync(ct).ConfigureAwait(false);
        if (!keys.ById.TryGetValue(keyId, out var key))
        {
            // Rotation may have happened in another process: read the secret again once.
            _keys = null;
            keys = await LoadAsync(ct).ConfigureAwait(false);
        }

        return keys.ById.TryGetValue(keyId, out key)
            ? key
            : throw new InvalidOperationException($"The vault key '{keyId}' is no longer in the secret '{KeysSecret}': entries encrypted with it cannot be read.");
    }

    /// <summary>Forgets the cached keys (after a rotation).</summary>
    public void Reload() => _keys = null;

    private async Task<Keys> LoadAsync(CancellationToken ct)
    {
        if (_keys is { } cached)
        {
            return cached;
        }

        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_keys is { } again)
            {
                return again;
            }

            var keys = Parse(await secrets.GetSecretAsync(KeysSecret, ct).ConfigureAwait(false), await secrets.GetSecretAsync(KeySecret, ct).ConfigureAwait(false));
            if (keys is null)
            {
                if (secrets is not IWritableSecretStore writable)
                {
                    throw new InvalidOperationException($"No vault key: set the secret '{KeysSecret}' (or '{KeySecret}', 32 random bytes in base64) in the Dapr secret store.");
                }

                var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
                await writable.SetSecretAsync(KeysSecret, JsonSerializer.Serialize(new { current = "k1", keys = new Dictionary<string, string> { ["k1"] = key } }), ct).ConfigureAwait(false);
                LogCreated(logger);
                keys = Parse(await secrets.GetSecretAsync(KeysSecret, ct).ConfigureAwait(false), null)!;
            }

            _keys = keys;
            return keys;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static Keys? Parse(string? ring, string? single)
    {
        if (!string.IsNullOrWhiteSpace(ring))
        {
            using var doc = JsonDocument.Parse(ring);
            var current = doc.RootElement.GetProperty("current").GetString()
                ?? throw new InvalidOperationException($"The secret '{KeysSecret}' names no current key.");
            var byId = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var key in doc.RootElement.GetProperty("keys").EnumerateObject())
            {
                byId[key.Name] = Decode(key.Value.GetString(), key.Name);
            }

            return byId.ContainsKey(current)
                ? new Keys(current, byId)
                : throw new InvalidOperationException($"The secret '{KeysSecret}' names current key '{current}', which it does not hold.");
        }

        return string.IsNullOrWhiteSpace(single) ? null : new Keys("default", new Dictionary<string, byte[]> { ["default"] = Decode(single, "default") });
    }

    private static byte[] Decode(string? base64, string id)
    {
        var bytes = Convert.FromBase64String(base64 ?? "");
        return bytes.Length == 32 ? bytes : throw new InvalidOperationException($"The vault key '{id}' must be 32 bytes (AES-256), base64-encoded.");
    }

    private sealed record Keys(string Current, IReadOnlyDictionary<string, byte[]> ById);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No vault key was configured: created one in the embedded runtime's local secret file")]
    private static partial void LogCreated(ILogger logger);
}
