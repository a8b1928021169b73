using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors.Embedded;

namespace Maximus.Cli.Tests;

/// <summary>
/// <c>maximus memory reembed</c> on memories embedded with another model (a fake one, 8 dimensions): the CLI refuses to
/// serve them with one line naming the command, the command re-embeds them with the configured model (another dimension,
/// so through the temporary collection) and records it, then the memory role starts and the doctor reports the model.
/// </summary>
public sealed class ReembedTests
{
    private const string FakeModel = "test/fake-hash-embedder";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Memories_of_another_model_are_refused_naming_the_command_which_reembeds_them_with_progress()
    {
        using var ws = new Workspace();
        using (var store = new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = ws.DataDir }))
        {
            await store.EnsureCollectionAsync(new VectorCollectionSpec(VectorCollections.Memories, 8) { EmbeddingModel = FakeModel, TextField = VectorPayloadKeys.Text }, Ct);
            var random = new Random(3);
            await store.UpsertAsync(
                VectorCollections.Memories,
                [.. Enumerable.Range(0, 5).Select(i => VectorRecord.FromStrings(
                    $"default:m{i}",
                    Enumerable.Range(0, 8).Select(_ => random.NextSingle() + 0.01f).ToArray(),
                    [new(VectorPayloadKeys.AgentId, "default"), new(VectorPayloadKeys.Type, "resource"), new(VectorPayloadKeys.Text, $"note number {i} about the parcel hub")]))],
                Ct);
        }

        var refused = await Cli.RunAsync(["memory", "search", "parcel", "--data-dir", ws.DataDir]);
        var reembed = await Cli.RunAsync(["memory", "reembed", "--data-dir", ws.DataDir, "--batch", "2"]);
        var again = await Cli.RunAsync(["memory", "reembed", "--data-dir", ws.DataDir]);
        var all = await Cli.RunAsync(["memory", "reembed", "--data-dir", ws.DataDir, "--all"]);
        var doctor = await Cli.RunAsync(["doctor", "--data-dir", ws.DataDir, "--json"]);
        var search = await Cli.RunAsync(["memory", "search", "parcel", "--data-dir", ws.DataDir, "--json"]);

        Assert.Equal(5, refused.ExitCode);
        var line = refused.StdErr.Trim().Split('\n')[^1];
        Assert.StartsWith($"error: Vector collection 'memories' was embedded with '{FakeModel}'", line, StringComparison.Ordinal);
        Assert.Contains("Run 'maximus memory reembed'", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", refused.StdErr, StringComparison.Ordinal);

        Assert.True(reembed.ExitCode == 0, reembed.StdErr);
        Assert.Contains("embed 2/5 points", reembed.StdErr, StringComparison.Ordinal);
        Assert.Contains("embed 5/5 points", reembed.StdErr, StringComparison.Ordinal);
        Assert.Contains("copy  5/5 points", reembed.StdErr, StringComparison.Ordinal);
        Assert.Contains("memories: 5 points re-embedded with ", reembed.StdOut, StringComparison.Ordinal);
        Assert.Contains($"was {FakeModel}", reembed.StdOut, StringComparison.Ordinal);
        Assert.True(again.ExitCode == 0, again.StdErr);
        Assert.Contains("nothing to do", again.StdOut, StringComparison.Ordinal);
        Assert.True(all.ExitCode == 0, all.StdErr);
        Assert.Contains("memories: 5 points re-embedded with ", all.StdOut, StringComparison.Ordinal);
        Assert.Contains("in place", all.StdOut, StringComparison.Ordinal);

        var collection = Assert.Single(doctor.Json().GetProperty("vectorCollections").EnumerateArray());
        var model = collection.GetProperty("embeddingModel").GetString();
        Assert.NotNull(model);
        Assert.NotEqual(FakeModel, model);
        Assert.False(EmbeddingModelIds.IsReembedding(model));
        Assert.Equal(5, collection.GetProperty("points").GetInt64());
        Assert.Equal(384, collection.GetProperty("dimension").GetInt32());
        Assert.Contains($"re-embedded with {model}", reembed.StdOut, StringComparison.Ordinal);
        Assert.True(search.ExitCode == 0, search.StdErr);
    }
}
