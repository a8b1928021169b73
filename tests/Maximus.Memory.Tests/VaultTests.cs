using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Maximus.Contracts;
using Maximus.Contracts.Ports;
using Maximus.Composition;
using Maximus.Memory.Vault;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Maximus.Memory.Tests;

public sealed class VaultTests : IAsyncLifetime
{
    private const string Secret = "sk-live-7f3a9c1e-the-launch-code";
    private readonly string _dataDir = Directory.CreateTempSubdirectory("maximus-vault-").FullName;
    private readonly CapturingLoggerProvider _logs = new();
    private IHost _host = null!;

    private IServiceInvoker Invoker => _host.Services.GetRequiredService<IServiceInvoker>();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _host = await StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(Ct);
        _host.Dispose();
    }

    [Fact]
    public async Task A_secret_round_trips_encrypted_and_never_reaches_the_database_or_the_logs()
    {
        var written = await Write("agent-1", "launch-code", Secret);
        var read = await Read("agent-1", "launch-code", [VaultService.ReadScope]);

        Assert.Equal(Secret, read.Secret);
        Assert.Equal(written.KeyId, read.KeyId);
        Assert.DoesNotContain(Secret, await AllDatabaseTextAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, _logs.Text, StringComparison.Ordinal);
        Assert.Contains(_logs.Text.Split('\n'), l => l.StartsWith("Vault read", StringComparison.Ordinal) && l.Contains("launch-code", StringComparison.Ordinal));
        var audit = await Invoker.GetAsync<List<VaultAuditEntry>>(AppIds.Memory, "v1/memory/agent-1/vault/audit", Ct);
        Assert.Equal(["write", "read"], audit.Select(a => a.Action));
        Assert.Equal("tests", audit[1].Purpose);
    }

    [Fact]
    public async Task Reading_without_the_scope_is_refused_with_403_and_no_secret_in_the_error()
    {
        await Write("agent-1", "launch-code", Secret);

        var refused = await Assert.ThrowsAsync<InvocationException>(() => Read("agent-1", "launch-code", ["memory:read"]));

        Assert.Equal(403, refused.Status);
        Assert.Contains(VaultService.ReadScope, refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, refused.ToString(), StringComparison.Ordinal);
        var audit = await Invoker.GetAsync<List<VaultAuditEntry>>(AppIds.Memory, "v1/memory/agent-1/vault/audit", Ct);
        Assert.Contains(audit, a => a.Action == "read" && !a.Allowed);
    }

    [Fact]
    public async Task Key_rotation_keeps_old_entries_readable_and_encrypts_new_ones_with_the_new_key()
    {
        var k1 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var k2 = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await SetKeysAsync(new { current = "k1", keys = new Dictionary<string, string> { ["k1"] = k1 } });
        var old = await Write("agent-2", "old", "before rotation");

        await SetKeysAsync(new { current = "k2", keys = new Dictionary<string, string> { ["k1"] = k1, ["k2"] = k2 } });
        var fresh = await Write("agent-2", "new", "after rotation");

        Assert.Equal("k1", old.KeyId);
        Assert.Equal("k2", fresh.KeyId);
        Assert.Equal("before rotation", (await Read("agent-2", "old", [VaultService.ReadScope])).Secret);
        Assert.Equal("after rotation", (await Read("agent-2", "new", [VaultService.ReadScope])).Secret);
    }

    [Fact]
    public async Task Vaults_of_different_agents_are_isolated()
    {
        await Write("alice", "pin", "1234");

        var other = await Assert.ThrowsAsync<InvocationException>(() => Read("bob", "pin", [VaultService.ReadScope]));

        Assert.Equal(404, other.Status);
        Assert.Empty(await Invoker.GetAsync<List<VaultEntryInfo>>(AppIds.Memory, "v1/memory/bob/vault", Ct));
    }

    [Fact]
    public async Task An_expired_entry_is_never_returned_and_is_purged()
    {
        // Seconds, not milliseconds: the write itself must land before the expiry, and on a loaded machine a write took
        // longer than the 400 ms this test gave once (refused as "expiresAt must be in the future").
        var expiresAt = DateTimeOffset.UtcNow.AddSeconds(3);
        await Invoker.InvokeAsync<VaultWriteRequest, VaultEntryInfo>(
            AppIds.Memory, "v1/memory/agent-3/vault", new VaultWriteRequest("otp", "424242", expiresAt), Ct);
        var wait = expiresAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(200);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, Ct);
        }

        var expired = await Assert.ThrowsAsync<InvocationException>(() => Read("agent-3", "otp", [VaultService.ReadScope]));

        Assert.Equal(404, expired.Status);
        Assert.Empty(await Invoker.GetAsync<List<VaultEntryInfo>>(AppIds.Memory, "v1/memory/agent-3/vault", Ct));
    }

    [Fact]
    public async Task A_configured_read_token_is_required()
    {
        await _host.Services.GetRequiredService<IWritableSecretStore>().SetSecretAsync(VaultService.ReadTokenSecret, "let-me-in", Ct);
        await Write("agent-4", "k", "v");

        var noToken = await Assert.ThrowsAsync<InvocationException>(() => Read("agent-4", "k", [VaultService.ReadScope]));
        var withToken = await Invoker.InvokeAsync<VaultReadRequest, VaultSecret>(
            AppIds.Memory, "v1/memory/agent-4/vault/k/read", new VaultReadRequest([VaultService.ReadScope], "tests", "let-me-in"), Ct);

        Assert.Equal(403, noToken.Status);
        Assert.Equal("v", withToken.Secret);
    }

    [Theory]
    [InlineData("bad label!", "x", "label")]
    [InlineData("ok", "", "secret")]
    public async Task Bad_input_is_refused_and_nothing_is_written(string label, string secret, string field)
    {
        var refused = await Assert.ThrowsAsync<InvocationException>(() => Write("agent-5", label, secret));

        Assert.Equal(400, refused.Status);
        Assert.Contains($"'{field}'", refused.Detail, StringComparison.Ordinal);
        Assert.Empty(await Invoker.GetAsync<List<VaultEntryInfo>>(AppIds.Memory, "v1/memory/agent-5/vault", Ct));
    }

    private Task<VaultEntryInfo> Write(string agent, string label, string secret) =>
        Invoker.InvokeAsync<VaultWriteRequest, VaultEntryInfo>(AppIds.Memory, $"v1/memory/{agent}/vault", new VaultWriteRequest(label, secret), Ct);

    private Task<VaultSecret> Read(string agent, string label, IReadOnlyList<string> scopes) =>
        Invoker.InvokeAsync<VaultReadRequest, VaultSecret>(AppIds.Memory, $"v1/memory/{agent}/vault/{label}/read", new VaultReadRequest(scopes, "tests", Caller: "test-suite"), Ct);

    private async Task SetKeysAsync(object ring)
    {
        await _host.Services.GetRequiredService<IWritableSecretStore>().SetSecretAsync(VaultKeyRing.KeysSecret, JsonSerializer.Serialize(ring), Ct);
        _host.Services.GetRequiredService<VaultKeyRing>().Reload();
    }

    private async Task<string> AllDatabaseTextAsync()
    {
        var text = new StringBuilder();
        foreach (var file in Directory.GetFiles(_dataDir, "maximus.db*"))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream, Encoding.Latin1);
            text.Append(await reader.ReadToEndAsync(Ct));
        }

        Assert.True(text.Length > 0, "the database files exist");
        return text.ToString();
    }

    private async Task<IHost> StartAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        // Every log line of the host goes to the capturing provider (and nowhere else).
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddProvider(_logs);
        builder.AddMaximus(new MaximusHostSettings([AppIds.Memory], RuntimeKind.Embedded, _dataDir));
        var host = builder.Build();
        await host.StartAsync(Ct);
        return host;
    }

    /// <summary>Collects every log line the host writes.</summary>
    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public string Text => string.Join('\n', _lines);

        public ILogger CreateLogger(string categoryName) => new Logger(_lines);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue(formatter(state, exception) + (exception is null ? "" : " " + exception));
        }
    }
}
