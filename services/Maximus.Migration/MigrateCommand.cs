using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Maximus.Contracts.Ports;
using Maximus.Migration.Chroma;

namespace Maximus.Migration;

/// <summary>The arguments of <c>maximus memory migrate</c>.</summary>
public sealed record MigrateCommandOptions
{
    /// <summary><c>chroma:&lt;dir&gt;</c> or <c>chroma-http:&lt;url&gt;</c>.</summary>
    public required string From { get; init; }

    public string? To { get; init; }

    /// <summary><c>collection=type</c> pairs.</summary>
    public IReadOnlyList<string> Map { get; init; } = [];

    public IReadOnlyList<string> Collections { get; init; } = [];

    public string AgentId { get; init; } = "default";

    public string? AgentKey { get; init; }

    public bool Verify { get; init; }

    public bool Resume { get; init; }

    public bool DryRun { get; init; }

    public bool Json { get; init; }

    public int BatchSize { get; init; } = 256;

    /// <summary>The data directory; checkpoints go to <c>&lt;data-dir&gt;/migrations</c>.</summary>
    public required string DataDirectory { get; init; }
}

/// <summary>
/// <c>maximus memory migrate</c> as a library entry point (the CLI parses arguments and calls it; tests call it directly).
/// Exit codes: 0 done (and verified when asked), 1 verification found mismatches, 2 bad input (the source or the options;
/// the target is not opened, or nothing was written).
/// </summary>
public static class MigrateCommand
{
    public const int Ok = 0;
    public const int Mismatch = 1;
    public const int BadInput = 2;

    private static readonly JsonSerializerOptions Printed = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Runs a migration. <paramref name="openTarget"/> is called only once the source is fully validated.</summary>
    public static async Task<int> RunAsync(
        MigrateCommandOptions options,
        Func<IVectorStore> openTarget,
        TextWriter output,
        TextWriter error,
        Action<MigrationProgress>? progress = null,
        Func<CancellationToken, Task<string?>>? beforeFirstWrite = null,
        HttpClient? http = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(openTarget);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            var source = OpenSource(options.From, http);
            var migrator = new ChromaMigrator(source, new MigrationOptions
            {
                TargetCollection = options.To,
                TypeMap = ParseMap(options.Map),
                Collections = options.Collections,
                AgentId = options.AgentId,
                AgentKey = options.AgentKey,
                BatchSize = options.BatchSize is >= 1 and <= 10_000 ? options.BatchSize : throw new MigrationInputException("--batch-size must be from 1 to 10,000."),
                Verify = options.Verify,
                Resume = options.Resume,
                DryRun = options.DryRun,
                CheckpointDirectory = Path.Combine(options.DataDirectory, "migrations"),
                BeforeFirstWrite = beforeFirstWrite,
                Progress = progress,
            });
            var plan = await migrator.PlanAsync(cancellationToken).ConfigureAwait(false);
            var store = openTarget();
            var report = await migrator.ExecuteAsync(plan, store, cancellationToken).ConfigureAwait(false);
            Print(report, options.Json, output);
            return report.Mismatched > 0 ? Mismatch : Ok;
        }
        catch (Exception ex) when (ex is ChromaSourceException or MigrationInputException or ArgumentException)
        {
            await error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            await error.WriteLineAsync("Nothing was written.").ConfigureAwait(false);
            return BadInput;
        }
    }

    /// <summary>Reads <c>chroma:&lt;dir&gt;</c> or <c>chroma-http:&lt;url&gt;</c>.</summary>
    public static IChromaSource OpenSource(string from, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(from);
        if (from.StartsWith("chroma:", StringComparison.OrdinalIgnoreCase))
        {
            return new ChromaDirectoryReader(from["chroma:".Length..]);
        }

        if (from.StartsWith("chroma-http:", StringComparison.OrdinalIgnoreCase))
        {
            var url = from["chroma-http:".Length..];
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new MigrationInputException($"'{url}' is not an http(s) URL (expected chroma-http:http://host:8000).");
            }

            return new ChromaHttpClient(http ?? new HttpClient { Timeout = TimeSpan.FromSeconds(60) }, uri);
        }

        throw new MigrationInputException($"Unknown source '{from}': use chroma:<dir> (a Chroma persistent directory) or chroma-http:<url> (a Chroma server).");
    }

    private static Dictionary<string, string> ParseMap(IReadOnlyList<string> pairs)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var at = pair.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0 || at == pair.Length - 1)
            {
                throw new MigrationInputException($"--map '{pair}' is not collection=type.");
            }

            var type = pair[(at + 1)..].Trim().ToLowerInvariant();
            string[] known = ["core", "episodic", "semantic", "procedural", "resource"];
            if (!known.Contains(type))
            {
                throw new MigrationInputException($"--map '{pair}': unknown memory type '{type}' (use {string.Join(", ", known)}).");
            }

            map[pair[..at].Trim()] = type;
        }

        return map;
    }

    private static void Print(MigrationReport report, bool json, TextWriter output)
    {
        if (json)
        {
            output.WriteLine(JsonSerializer.Serialize(report, Printed));
            return;
        }

        var c = CultureInfo.InvariantCulture;
        output.WriteLine(string.Create(c, $"{(report.DryRun ? "dry run: " : "")}migrated {report.Source} into {report.TargetStore}"));
        foreach (var collection in report.Collections)
        {
            output.WriteLine(string.Create(c,
                $"  {collection.Collection} -> {(collection.Read == 0 ? "(empty, nothing to migrate)" : collection.Target)}: read {collection.Read}, written {collection.Written}, skipped {collection.Skipped}, resumed {collection.Resumed}{(report.Verified ? $", mismatched {collection.Mismatched}" : "")}"));
        }

        output.WriteLine(string.Create(c,
            $"records read {report.Read}, written {report.Written}, skipped {report.Skipped}, resumed {report.Resumed}, mismatched {(report.Verified ? report.Mismatched.ToString(c) : "not verified")} ({report.ElapsedSeconds:0.00} s)"));
        if (report.Snapshot is not null)
        {
            output.WriteLine($"snapshot of the target before writing: {report.Snapshot}");
        }

        if (report.Verified)
        {
            output.WriteLine(report.Mismatched == 0 ? "verify: every checksum matches" : $"verify: {report.Mismatched} mismatched id(s): {string.Join(", ", report.MismatchedIds)}");
        }
    }
}
