namespace Maximus.Memory.Vault;

/// <summary>Stores a secret under a label. The secret is encrypted at once and never echoed back.</summary>
public sealed record VaultWriteRequest(string Label, string Secret, DateTimeOffset? ExpiresAt = null);

/// <summary>
/// Reads a secret: the caller states the <c>vault:read</c> scope and its purpose (both audited); when a read token
/// is configured (secret <c>vault-read-token</c>), it must be given too.
/// </summary>
public sealed record VaultReadRequest(IReadOnlyList<string> Scopes, string Purpose, string? Token = null, string? Caller = null);

/// <summary>What the vault shows about an entry: never the secret.</summary>
public sealed record VaultEntryInfo(string Label, string KeyId, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt);

public sealed record VaultSecret(string Label, string Secret, string KeyId);

public sealed record VaultAuditEntry(DateTimeOffset At, string Action, string Label, bool Allowed, string? Caller, string? Purpose);

/// <summary>An encrypted entry as stored (AES-256-GCM; the additional data binds it to its agent, label and key).</summary>
public sealed record VaultRecord(
    string AgentId,
    string Label,
    string KeyId,
    string Nonce,
    string Ciphertext,
    string Tag,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt);
