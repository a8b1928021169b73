using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Maximus.ServiceDefaults;

namespace Maximus.Benchmarks;

/// <summary>
/// <c>chaos</c>: <c>--missions</c> Blocksworld missions (towers of 5–6 blocks rebuilt in another order: 8 or more steps
/// each) on the PDDL environment plugin of the host (published, <c>--role all --runtime embedded</c>), while the host is
/// SIGKILLed and started again <c>--kills</c> times at random moments, each time from a new working directory (not its
/// own folder). Reports missions succeeded; steps applied twice, from the plugin's own request-id log of each environment
/// (entries beyond the steps the mission executed, or a request id logged twice); reflection logs lost (each applied
/// request id is the log id of one execution log; lost = no reflection for it); and per restart the time from the kill to
/// ready and to missions progressing again (a mission's journal updated after the restart).
/// </summary>
public static class ChaosBenchmark
{
    public sealed record Restart(int Kill, double KilledAtSeconds, int MissionsEndedBeforeKill, double KillToReadyMs, double? KillToProgressMs);

    public sealed record Targets(bool AllSucceeded, bool NoneAppliedTwice, bool NoReflectionLost, bool RecoveryP99Under2S);

    public sealed record Result(
        string Benchmark, int Missions, int Kills, int Seed, string Host,
        int Succeeded, int Failed, int Unfinished, int StepsApplied, int StepsAppliedTwice,
        int ReflectionLogsSubmitted, int ReflectionLogsReflected, int ReflectionLogsLost,
        IReadOnlyList<Restart> Restarts, Percentiles KillToReadyMs, Percentiles KillToProgressMs,
        Targets MeetsTargets, IReadOnlyList<string> Problems, object Machine, double TotalSeconds);

    public static Command CreateCommand(Option<bool> json)
    {
        var missions = new Option<int>("--missions") { Description = "Missions to run.", DefaultValueFactory = _ => 100 };
        var kills = new Option<int>("--kills") { Description = "SIGKILLs of the host at random moments.", DefaultValueFactory = _ => 5 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 };
        var hostDir = new Option<string?>("--host-dir") { Description = "A published Maximus.Host folder to use instead of publishing." };
        var command = new Command("chaos", "Missions while the host is SIGKILLed and restarted from other folders: succeeded, steps applied twice, reflections lost, recovery time.")
        {
            missions, kills, seed, hostDir,
        };
        command.SetAction(async (result, ct) =>
        {
            if (result.GetValue(missions) < 1 || result.GetValue(kills) < 0)
            {
                await Console.Error.WriteLineAsync("error: --missions ≥ 1, --kills ≥ 0.").ConfigureAwait(false);
                return 2;
            }

            var r = await RunAsync(result.GetValue(missions), result.GetValue(kills), result.GetValue(seed), result.GetValue(hostDir), Console.Error, ct).ConfigureAwait(false);
            Console.Out.WriteLine(JsonSerializer.Serialize(r, new JsonSerializerOptions(MaximusJson.Options) { WriteIndented = !result.GetValue(json) }));
            return r.MeetsTargets is { AllSucceeded: true, NoneAppliedTwice: true, NoReflectionLost: true } ? 0 : 1;
        });
        return command;
    }

    public static async Task<Result> RunAsync(int missionCount, int kills, int seed, string? hostDir, TextWriter progress, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        var loadAtStart = Machine.LoadAverage() ?? "unknown";
        var publish = hostDir is null ? await PublishedHost.PublishAsync(progress, ct).ConfigureAwait(false) : PublishedHost.Locate(hostDir);
        var random = new Random(seed);
        var work = Directory.CreateTempSubdirectory("maximus-bench-chaos-").FullName;
        var dataDir = Path.Combine(work, "data");
        var port = PublishedHost.FreePort();
        using var http = HttpLoad.Client(16);
        var problems = new List<string>();
        var starts = 0;
        Task<HostProcess> StartHost() => HostProcess.StartAsync(
            publish.HostPath, "all", dataDir, http, new Dictionary<string, string>(), progress, ct,
            Directory.CreateDirectory(Path.Combine(work, $"cwd-{++starts}")).FullName, port);

        var host = await StartHost().ConfigureAwait(false);
        try
        {
            // Environments and missions with ids chosen here, so a request cut by a kill is simply sent again.
            var missions = Enumerable.Range(0, missionCount).Select(i => (Mission: $"chaos-{seed}-{i:D4}", Environment: $"chaos-env-{seed}-{i:D4}", Problem: Blocks.Problem(random, random.Next(5, 7)))).ToList();
            foreach (var m in missions)
            {
                await SendAsync(http, host, HttpMethod.Post, "pddl-env/v1/environments", new { domain = FirstRequests.Domain.Value, problem = m.Problem, environmentId = m.Environment }, ct).ConfigureAwait(false);
                await SendAsync(http, host, HttpMethod.Post, "v1/missions", new { pluginAppId = "pddl-env", context = m.Environment, missionId = m.Mission }, ct).ConfigureAwait(false);
            }

            progress.WriteLine($"chaos: {missionCount} missions started; {kills} kills follow");
            var restarts = new List<Restart>();
            for (var k = 1; k <= kills; k++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(500, 4000)), ct).ConfigureAwait(false);
                var ended = (await StatusesAsync(http, host, missions.Select(m => m.Mission), ct).ConfigureAwait(false)).Count(s => s.Value is "Succeeded" or "Failed");
                var killedAt = total.Elapsed.TotalSeconds;
                var kill = Stopwatch.StartNew();
                await host.KillAsync().ConfigureAwait(false);
                await host.DisposeAsync().ConfigureAwait(false);
                var restartedAt = DateTimeOffset.UtcNow;
                host = await StartHost().ConfigureAwait(false);
                var readyMs = kill.Elapsed.TotalMilliseconds;
                double? progressing = null;
                while (kill.Elapsed < TimeSpan.FromSeconds(60) && ended < missionCount)
                {
                    if (await ProgressedSinceAsync(http, host, restartedAt, ct).ConfigureAwait(false))
                    {
                        progressing = kill.Elapsed.TotalMilliseconds;
                        break;
                    }

                    await Task.Delay(20, ct).ConfigureAwait(false);
                }

                restarts.Add(new Restart(k, Math.Round(killedAt, 2), ended, Math.Round(readyMs, 1), progressing is { } p ? Math.Round(p, 1) : null));
                progress.WriteLine($"chaos: kill {k} at {killedAt:0.0} s ({ended} ended before): ready after {readyMs:0} ms, progressing after {progressing?.ToString("0", System.Globalization.CultureInfo.InvariantCulture) ?? "-"} ms");
            }

            // Every mission to its end, then the plugin's log and the reflector's answers.
            var deadline = Stopwatch.StartNew();
            Dictionary<string, string> statuses;
            while (true)
            {
                statuses = await StatusesAsync(http, host, missions.Select(m => m.Mission), ct).ConfigureAwait(false);
                if (statuses.Values.All(s => s is "Succeeded" or "Failed") || deadline.Elapsed > TimeSpan.FromMinutes(10))
                {
                    break;
                }

                await Task.Delay(500, ct).ConfigureAwait(false);
            }

            var applied = 0;
            var twice = 0;
            var logIds = new List<string>();
            foreach (var m in missions)
            {
                var view = await GetJsonAsync(http, host, $"v1/missions/{m.Mission}", ct).ConfigureAwait(false);
                var env = await GetJsonAsync(http, host, $"pddl-env/v1/environments/{m.Environment}", ct).ConfigureAwait(false);
                var ids = env.GetProperty("appliedRequestIds").EnumerateArray().Select(e => e.GetString()!).ToList();
                var executed = view.TryGetProperty("result", out var r) && r.ValueKind == JsonValueKind.Object ? r.GetProperty("stepsExecuted").GetInt32() : ids.Count;
                var extra = Math.Max(0, ids.Count - executed) + (ids.Count - ids.Distinct(StringComparer.Ordinal).Count());
                if (extra > 0)
                {
                    problems.Add($"{m.Mission}: {ids.Count} requests applied for {executed} executed steps");
                }

                if (statuses[m.Mission] != "Succeeded")
                {
                    problems.Add($"{m.Mission}: {statuses[m.Mission]} {(view.TryGetProperty("failure", out var f) ? f.ToString() : "")}");
                }

                applied += ids.Count;
                twice += extra;
                logIds.AddRange(ids.Distinct(StringComparer.Ordinal));
            }

            var reflected = await CountReflectedAsync(Path.Combine(dataDir, "maximus.db"), logIds, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            var ready = Percentiles.Of([.. restarts.Select(r => r.KillToReadyMs)]);
            var progressingMs = Percentiles.Of([.. restarts.Where(r => r.KillToProgressMs is not null).Select(r => r.KillToProgressMs!.Value)]);
            var succeeded = statuses.Values.Count(s => s == "Succeeded");
            var failed = statuses.Values.Count(s => s == "Failed");
            var recoveries = restarts.Select(r => r.KillToProgressMs ?? r.KillToReadyMs).ToList();
            return new Result(
                "chaos", missionCount, kills, seed, $"{publish.Mode} {publish.HostPath}",
                succeeded, failed, missionCount - succeeded - failed, applied, twice,
                logIds.Count, reflected, logIds.Count - reflected,
                restarts, ready, progressingMs,
                new Targets(succeeded == missionCount, twice == 0, reflected == logIds.Count, recoveries.Count == 0 || Percentiles.Of(recoveries).P99 < 2000),
                [.. problems.Take(20)],
                new { processorCount = Environment.ProcessorCount, loadAverageAtStart = loadAtStart, loadAverageAtEnd = Machine.LoadAverage() ?? "unknown" },
                Math.Round(total.Elapsed.TotalSeconds, 1));
        }
        finally
        {
            await host.DisposeAsync().ConfigureAwait(false);
            PublishedHost.DeleteQuietly(work);
        }
    }

    /// <summary>Sends a create request until it is answered 2xx or 409 (created by an earlier attempt).</summary>
    private static async Task SendAsync(HttpClient http, HostProcess host, HttpMethod method, string path, object body, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(method, host.Url(path)) { Content = HttpLoad.Json(body) };
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.Conflict)
            {
                return;
            }

            if (attempt >= 5)
            {
                throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)}");
            }

            await Task.Delay(100 * attempt, ct).ConfigureAwait(false);
        }
    }

    private static async Task<JsonElement> GetJsonAsync(HttpClient http, HostProcess host, string path, CancellationToken ct)
    {
        using var response = await http.GetAsync(host.Url(path), ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        return response.IsSuccessStatusCode
            ? JsonDocument.Parse(text).RootElement.Clone()
            : throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {text}");
    }

    private static async Task<Dictionary<string, string>> StatusesAsync(HttpClient http, HostProcess host, IEnumerable<string> missionIds, CancellationToken ct)
    {
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var id in missionIds)
        {
            statuses[id] = (await GetJsonAsync(http, host, $"v1/missions/{id}", ct).ConfigureAwait(false)).GetProperty("status").GetString()!;
        }

        return statuses;
    }

    /// <summary>True when a mission's journal changed after <paramref name="since"/> (the listing shows each one's last update).</summary>
    private static async Task<bool> ProgressedSinceAsync(HttpClient http, HostProcess host, DateTimeOffset since, CancellationToken ct)
    {
        var list = await GetJsonAsync(http, host, "v1/missions?limit=1000&view=summary", ct).ConfigureAwait(false);
        return list.EnumerateArray().Any(m => m.GetProperty("updatedAt").GetDateTimeOffset() > since);
    }

    /// <summary>
    /// How many of the log ids have a reflection, waiting up to <paramref name="wait"/> for asynchronous ones. Read from the
    /// embedded state store's file (<c>reflection:{logId}</c>) in one query rather than one <c>GET v1/reflections/{**logId}</c>
    /// per step log id (<c>{mission}/r{replan}/s{step}</c>).
    /// </summary>
    private static async Task<int> CountReflectedAsync(string database, IReadOnlyList<string> logIds, TimeSpan wait, CancellationToken ct)
    {
        var wanted = new HashSet<string>(logIds.Select(id => $"reflection:{id}"), StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var found = 0;
            using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT key FROM state WHERE key LIKE 'reflection:%'";
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    found += wanted.Contains(reader.GetString(0)) ? 1 : 0;
                }
            }

            if (found == wanted.Count || clock.Elapsed > wait)
            {
                return found;
            }

            await Task.Delay(500, ct).ConfigureAwait(false);
        }
    }
}
