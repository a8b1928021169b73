using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Maximus.Contracts.Ports;
using Microsoft.Extensions.Logging;

namespace Maximus.Memory.Vault;

/// <summary>
/// The encrypted vault (MIRIX's sixth memory type): secrets and sensitive facts, AES-256-GCM at rest with keys from
/// the secret store, looked up by exact label only (never embedded, never searched), read only with the
/// <c>vault:read</c> scope, every access audited. No secret appears in logs, traces or errors.
/// </summary>
public sealed partial class VaultService(IStateStore state, VaultKeyRing keys, ISecretStore secrets, TimeProvider time, ILogger<VaultService> logger)
{
    private const int MaxLabels = 100_000;

    public const string ReadScope = "vault:read";
    public const string ReadTokenSecret = "vault-read-token";
    public const int MaxSecretBytes = 64 * 1024;
    public const int MaxAuditEntries = 10_000;

    public static string Key(string agentId, string label) => $"vault:{agentId}:{label}";

    public static string IndexKey(string agentId) => $"vault:{agentId}:index";

    public static string AuditKey(string agentId) => $"vault:{agentId}:audit";

    /// <summary>An agent's labels, partitioned (no key every write rewrites); the entries carry no time, so they list by label.</summary>
    private PartitionedStateIndex<string> Labels(string agentId) =>
        new(state, IndexKey(agentId), l => l, _ => DateTimeOffset.MinValue, MaxLabels, legacyKey: IndexKey(agentId));

    /// <summary>An agent's audit trail, partitioned by entry id; before 2.1 it was one list (read as the legacy key).</summary>
    private PartitionedStateIndex<VaultAuditRecord> Audit(string agentId) =>
        new(state, AuditKey(agentId), r => r.Id ?? $"legacy:{r.At.UtcTicks}:{r.Action}:{r.Label}", r => r.At, MaxAuditEntries, legacyKey: AuditKey(agentId));

    public async Task<VaultEntryInfo> WriteAsync(string agentId, VaultWriteRequest request, CancellationToken ct)
    {
        EpisodicMemoryStore.ValidateAgent(agentId);
        ValidateLabel(request.Label);
        if (string.IsNullOrEmpty(request.Secret))
        {
            throw ProblemException.Invalid("secret", "is required.");
        }

        var plaintext = Encoding.UTF8.GetBytes(request.Secret);
        if (plaintext.Length > MaxSecretBytes)
        {
            throw ProblemException.Invalid("secret", $"must be at most {MaxSecretBytes} bytes.");
        }

        var now = time.GetUtcNow();
        if (request.ExpiresAt is { } expires && expires <= now)
        {
            throw ProblemException.Invalid("expiresAt", "must be in the future.");
        }

        var (keyId, key) = await keys.CurrentAsync(ct).ConfigureAwait(false);
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var cipher = new byte[plaintext.Length];
        var tag = new byte[AesGcm.TagByteSizes.MaxSize];
        using (var aes = new AesGcm(key, tag.Length))
        {
            aes.Encrypt(nonce, plaintext, cipher, tag, AssociatedData(agentId, request.Label, keyId));
        }

        CryptographicOperations.ZeroMemory(plaintext);
        var record = new VaultRecord(agentId, request.Label, keyId, Convert.ToBase64String(nonce), Convert.ToBase64String(cipher), Convert.ToBase64String(tag), now, request.ExpiresAt);
        await state.SaveAsync(Key(agentId, request.Label), record, ct).ConfigureAwait(false);
        await Labels(agentId).AddAsync(request.Label, ct).ConfigureAwait(false);
        await AuditAsync(agentId, "write", request.Label, true, null, null, ct).ConfigureAwait(false);
        LogWrite(logger, agentId, request.Label, keyId);
        return new VaultEntryInfo(request.Label, keyId, now, request.ExpiresAt);
    }

    public async Task<VaultSecret> ReadAsync(string agentId, string label, VaultReadRequest request, CancellationToken ct)
    {
        EpisodicMemoryStore.ValidateAgent(agentId);
        ValidateLabel(label);
        var requiredToken = await secrets.GetSecretAsync(ReadTokenSecret, ct).ConfigureAwait(false);
        var scoped = request.Scopes?.Contains(ReadScope, StringComparer.Ordinal) == true;
        var tokenOk = string.IsNullOrEmpty(requiredToken)
            || CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(request.Token ?? ""), Encoding.UTF8.GetBytes(requiredToken));
        if (!scoped || !tokenOk)
        {
            await AuditAsync(agentId, "read", label, false, request.Caller, request.Purpose, ct).ConfigureAwait(false);
            LogRefused(logger, agentId, label, request.Caller ?? "unknown");
            throw new ProblemException(403, "Forbidden", scoped ? "The vault read token is missing or wrong." : $"Reading the vault needs the '{ReadScope}' scope.", scoped ? "token" : "scopes");
        }

        if (string.IsNullOrWhiteSpace(request.Purpose))
        {
            throw ProblemException.Invalid("purpose", "is required: every vault read is audited with its purpose.");
        }

        var record = await LoadLiveAsync(agentId, label, ct).ConfigureAwait(false);
        var key = await keys.GetAsync(record.KeyId, ct).ConfigureAwait(false);
        var cipher = Convert.FromBase64String(record.Ciphertext);
        var plaintext = new byte[cipher.Length];
        using (var aes = new AesGcm(key, AesGcm.TagByteSizes.MaxSize))
        {
            aes.Decrypt(Convert.FromBase64String(record.Nonce), cipher, Convert.FromBase64String(record.Tag), plaintext, AssociatedData(agentId, label, record.KeyId));
        }

        await AuditAsync(agentId, "read", label, true, request.Caller, request.Purpose, ct).ConfigureAwait(false);
        LogRead(logger, agentId, label, request.Caller ?? "unknown");
        return new VaultSecret(label, Encoding.UTF8.GetString(plaintext), record.KeyId);
    }

    public async Task<IReadOnlyList<VaultEntryInfo>> ListAsync(string agentId, CancellationToken ct)
    {
        EpisodicMemoryStore.ValidateAgent(agentId);
        var infos = new List<VaultEntryInfo>();
        foreach (var label in (await Labels(agentId).ListAsync(MaxLabels, ct).ConfigureAwait(false)).Order(StringComparer.Ordinal))
        {
            if (await state.GetAsync<VaultRecord>(Key(agentId, label), ct).ConfigureAwait(false) is { } r && !Expired(r))
            {
                infos.Add(new VaultEntryInfo(r.Label, r.KeyId, r.CreatedAt, r.ExpiresAt));
            }
        }

        return infos;
    }

    public async Task<VaultEntryInfo> DeleteAsync(string agentId, string label, CancellationToken ct)
    {
        EpisodicMemoryStore.ValidateAgent(agentId);
        ValidateLabel(label);
        var record = await state.GetAsync<VaultRecord>(Key(agentId, label), ct).ConfigureAwait(false)
            ?? throw ProblemException.NotFound($"No vault entry '{label}'.");
        await RemoveAsync(agentId, label, ct).ConfigureAwait(false);
        await AuditAsync(agentId, "delete", label, true, null, null, ct).ConfigureAwait(false);
        return new VaultEntryInfo(record.Label, record.KeyId, record.CreatedAt, record.ExpiresAt);
    }

    public async Task<IReadOnlyList<VaultAuditEntry>> AuditTrailAsync(string agentId, CancellationToken ct)
    {
        EpisodicMemoryStore.ValidateAgent(agentId);
        var newestFirst = await Audit(agentId).ListAsync(MaxAuditEntries, ct).ConfigureAwait(false);
        return [.. newestFirst.Reverse().Select(r => new VaultAuditEntry(r.At, r.Action, r.Label, r.Allowed, r.Caller, r.Purpose))];
    }

    /// <summary>Removes expired entries of an agent; returns how many.</summary>
    public async Task<int> PurgeExpiredAsync(string agentId, CancellationToken ct)
    {
        var removed = 0;
        foreach (var label in await Labels(agentId).ListAsync(MaxLabels, ct).ConfigureAwait(false))
        {
            if (await state.GetAsync<VaultRecord>(Key(agentId, label), ct).ConfigureAwait(false) is { } r && Expired(r))
            {
                await RemoveAsync(agentId, label, ct).ConfigureAwait(false);
                await AuditAsync(agentId, "expire", label, true, null, null, ct).ConfigureAwait(false);
                removed++;
            }
        }

        return removed;
    }

    private async Task<VaultRecord> LoadLiveAsync(string agentId, string label, CancellationToken ct)
    {
        var record = await state.GetAsync<VaultRecord>(Key(agentId, label), ct).ConfigureAwait(false)
            ?? throw ProblemException.NotFound($"No vault entry '{label}'.");
        if (Expired(record))
        {
            await RemoveAsync(agentId, label, ct).ConfigureAwait(false);
            await AuditAsync(agentId, "expire", label, true, null, null, ct).ConfigureAwait(false);
            throw ProblemException.NotFound($"The vault entry '{label}' has expired.");
        }

        return record;
    }

    private async Task RemoveAsync(string agentId, string label, CancellationToken ct)
    {
        await state.DeleteAsync(Key(agentId, label), ct).ConfigureAwait(false);
        await Labels(agentId).RemoveAsync(label, ct).ConfigureAwait(false);
    }

    private bool Expired(VaultRecord record) => record.ExpiresAt is { } at && at <= time.GetUtcNow();

    private Task AuditAsync(string agentId, string action, string label, bool allowed, string? caller, string? purpose, CancellationToken ct) =>
        Audit(agentId).AddAsync(new VaultAuditRecord(NewAuditId(), time.GetUtcNow(), action, label, allowed, caller, purpose), ct);

    /// <summary>Unique, and increasing within a process, so entries of the same instant list in the order they happened.</summary>
    private static string NewAuditId() => $"{System.Diagnostics.Stopwatch.GetTimestamp():x16}-{Guid.NewGuid():N}";

    private static byte[] AssociatedData(string agentId, string label, string keyId) => Encoding.UTF8.GetBytes($"maximus-vault/v1/{agentId}/{label}/{keyId}");

    private static void ValidateLabel(string? label)
    {
        if (string.IsNullOrEmpty(label) || !LabelPattern().IsMatch(label))
        {
            throw ProblemException.Invalid("label", "must be 1 to 128 letters, digits, '.', '_' or '-'.");
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex LabelPattern();

    [LoggerMessage(Level = LogLevel.Information, Message = "Vault write {AgentId}/{Label} with key {KeyId}")]
    private static partial void LogWrite(ILogger logger, string agentId, string label, string keyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Vault read {AgentId}/{Label} by {Caller}")]
    private static partial void LogRead(ILogger logger, string agentId, string label, string caller);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Vault read of {AgentId}/{Label} by {Caller} refused: no scope or token")]
    private static partial void LogRefused(ILogger logger, string agentId, string label, string caller);
}

/// <summary>How an audit entry is stored: with an id, which places it in a partition (null in lists written before 2.1).</summary>
internal sealed record VaultAuditRecord(string? Id, DateTimeOffset At, string Action, string Label, bool Allowed, string? Caller, string? Purpose);
