using Maximus.Contracts.Ports;

namespace Maximus.Runtime.Tests.Secrets;

/// <summary>
/// What every <see cref="ISecretStore"/> adapter promises (the port's contract): a secret reads back as it was stored,
/// byte for byte; a missing or empty secret reads as null (not an exception); names are independent of each other.
/// Each adapter seeds secrets its own way (the embedded file, the Dapr component behind the sidecar).
/// </summary>
public abstract class SecretStoreConformance
{
    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract ISecretStore Store { get; }

    /// <summary>Stores a secret where the adapter reads it from.</summary>
    protected abstract Task SeedAsync(string name, string value);

    [Fact]
    public async Task A_stored_secret_reads_back_its_value()
    {
        await SeedAsync("llm-api-key", "sk-test-123");

        Assert.Equal("sk-test-123", await Store.GetSecretAsync("llm-api-key", Ct));
    }

    [Fact]
    public async Task A_missing_secret_reads_as_null()
    {
        await SeedAsync("present", "value");

        Assert.Null(await Store.GetSecretAsync("absent-" + Guid.NewGuid().ToString("N"), Ct));
    }

    [Fact]
    public async Task An_empty_secret_reads_as_null()
    {
        await SeedAsync("empty", "");

        Assert.Null(await Store.GetSecretAsync("empty", Ct));
    }

    [Theory]
    [InlineData("line one\nline two")]
    [InlineData("ünïcødé ✓ 中文 😀")]
    [InlineData("{\"json\": [1, 2]} with \"quotes\" and \\ backslashes")]
    public async Task Values_round_trip_exactly(string value)
    {
        await SeedAsync("exact", value);

        Assert.Equal(value, await Store.GetSecretAsync("exact", Ct));
    }

    [Fact]
    public async Task Each_name_reads_its_own_value_under_concurrent_reads()
    {
        for (var i = 0; i < 20; i++)
        {
            await SeedAsync($"key-{i}", $"value-{i}");
        }

        var values = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Store.GetSecretAsync($"key-{i}", Ct)));

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"value-{i}"), values);
    }

    [Fact]
    public async Task A_later_value_replaces_the_earlier_one()
    {
        await SeedAsync("rotated", "old");
        await SeedAsync("rotated", "new");

        Assert.Equal("new", await Store.GetSecretAsync("rotated", Ct));
    }
}
