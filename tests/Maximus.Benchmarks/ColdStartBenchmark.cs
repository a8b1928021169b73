using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Maximus.Composition;
using Maximus.ServiceDefaults;

namespace Maximus.Benchmarks;

/// <summary>
/// Cold start of the published <c>Maximus.Host</c>: for each role, <c>--runs</c> fresh processes
/// (<c>--runtime embedded</c>, a free loopback port, an empty data folder), each timed from process start to the first
/// successful real request of the role (a memory search with a query text, a plan, a reflection, a mission accepted, an
/// environment created; every one of them for <c>all</c>), sent as soon as <c>/health/ready</c> answers 200. A real request
/// that fails right after the host said ready is retried and counted in <c>notServedWhenReady</c>: ready must mean ready. The host is published first (Release, ReadyToRun for this machine's RID; when that
/// cannot be restored, framework-dependent IL), or taken from <c>--host-dir</c>.
/// </summary>
public static class ColdStartBenchmark
{
    public const double TargetMs = 1000;

    /// <summary>
    /// One role: <see cref="P50"/>/<see cref="P95"/>/<see cref="P99"/> are process start → first successful real request
    /// (<see cref="FirstRequest"/>); <see cref="ReadyP50"/>/<see cref="ReadyP95"/> process start → /health/ready 200.
    /// </summary>
    public sealed record RoleResult(
        string Role, int Runs, int Failures, double P50, double P95, double P99, double Mean, double Min, double Max, IReadOnlyList<double> SamplesMs,
        double ReadyP50, double ReadyP95, string FirstRequest, int NotServedWhenReady);

    public sealed record Result(
        string Benchmark,
        PublishedHost.PublishInfo Publish,
        string Runtime,
        int RunsPerRole,
        int WarmupRunsPerRole,
        IReadOnlyList<RoleResult> Roles,
        double P50,
        double P95,
        double P99,
        double TargetMs,
        bool MeetsTarget,
        int ProcessorCount,
        string Os);

    /// <summary>The <c>coldstart</c> subcommand; <paramref name="json"/> is the root's recursive <c>--json</c> option.</summary>
    public static Command CreateCommand(Option<bool> json)
    {
        var role = new Option<string>("--role") { Description = "A role, several (comma-separated) or all (each role measured on its own).", DefaultValueFactory = _ => "all" };
        var runs = new Option<int>("--runs") { Description = "Measured starts per role.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Unmeasured starts per role before the measured ones.", DefaultValueFactory = _ => 0 };
        var hostDir = new Option<string?>("--host-dir") { Description = "A published Maximus.Host folder to use instead of publishing." };
        var timeout = new Option<int>("--timeout-seconds") { Description = "Give up on a start after this long.", DefaultValueFactory = _ => 60 };
        var command = new Command("coldstart", "Process start to the first successful real request of the published host, per role (p50/p95 ms; /health/ready too).") { role, runs, warmup, hostDir, timeout };
        command.SetAction(async (result, cancellationToken) =>
        {
            IReadOnlyList<string> roles;
            try
            {
                roles = ParseRoles(result.GetValue(role)!);
                if (result.GetValue(runs) < 1 || result.GetValue(warmup) < 0 || result.GetValue(timeout) < 1)
                {
                    throw new ArgumentException("--runs and --timeout-seconds must be at least 1, --warmup at least 0.");
                }
            }
            catch (ArgumentException ex)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
                return 2;
            }

            var r = await RunAsync(roles, result.GetValue(runs), result.GetValue(warmup), result.GetValue(hostDir),
                TimeSpan.FromSeconds(result.GetValue(timeout)), Console.Error, cancellationToken).ConfigureAwait(false);
            var asJson = result.GetValue(json);
            Console.Out.WriteLine(JsonSerializer.Serialize(r, new JsonSerializerOptions(MaximusJson.Options) { WriteIndented = !asJson }));
            return r.Roles.All(x => x.Failures == 0) ? 0 : 1;
        });
        return command;
    }

    public static IReadOnlyList<string> ParseRoles(string role)
    {
        if (string.Equals(role, MaximusHostSettings.AllRoles, StringComparison.OrdinalIgnoreCase))
        {
            return MaximusHostSettings.KnownRoles;
        }

        var roles = role.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = roles.Where(r => !MaximusHostSettings.KnownRoles.Contains(r, StringComparer.Ordinal)).ToList();
        return roles.Length > 0 && unknown.Count == 0
            ? roles
            : throw new ArgumentException($"--role must be one of {string.Join('|', MaximusHostSettings.KnownRoles)}|all, not '{role}'.");
    }

    public static async Task<Result> RunAsync(
        IReadOnlyList<string> roles, int runs, int warmup, string? hostDir, TimeSpan timeout, TextWriter progress, CancellationToken cancellationToken)
    {
        var publish = hostDir is null
            ? await PublishedHost.PublishAsync(progress, cancellationToken).ConfigureAwait(false)
            : PublishedHost.Locate(hostDir);
        progress.WriteLine($"coldstart: {publish.Mode}{(publish.RuntimeIdentifier is null ? "" : " " + publish.RuntimeIdentifier)} host at {publish.HostPath}");

        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(1), PooledConnectionLifetime = TimeSpan.Zero })
        {
            Timeout = TimeSpan.FromSeconds(5),
        };

        var results = new List<RoleResult>();
        foreach (var role in roles)
        {
            for (var i = 0; i < warmup; i++)
            {
                await StartOnceAsync(publish.HostPath, role, http, timeout, cancellationToken).ConfigureAwait(false);
            }

            var samples = new List<double>();
            var ready = new List<double>();
            var failures = 0;
            var notServed = 0;
            for (var i = 0; i < runs; i++)
            {
                var start = await StartOnceAsync(publish.HostPath, role, http, timeout, cancellationToken).ConfigureAwait(false);
                if (start is { } value)
                {
                    samples.Add(value.FirstRequestMs);
                    ready.Add(value.ReadyMs);
                    notServed += value.NotServedWhenReady ? 1 : 0;
                }
                else
                {
                    failures++;
                }
            }

            var p = Percentiles.Of(samples);
            var r = Percentiles.Of(ready);
            var roleResult = new RoleResult(role, runs, failures, Round(p.P50), Round(p.P95), Round(p.P99), Round(p.Mean),
                samples.Count == 0 ? 0 : Round(samples.Min()), Round(p.Max), [.. samples.Select(Round)], Round(r.P50), Round(r.P95),
                FirstRequests.Describe(role), notServed);
            results.Add(roleResult);
            progress.WriteLine($"  {role,-12} first request p50 {roleResult.P50,7:F1} ms   p95 {roleResult.P95,7:F1} ms   (ready p50 {roleResult.ReadyP50,7:F1} ms){(failures > 0 ? $"   {failures} failed" : "")}{(notServed > 0 ? $"   {notServed} not served when ready" : "")}");
        }

        var all = Percentiles.Of([.. results.SelectMany(r => r.SamplesMs)]);
        var meets = results.All(r => r.Failures == 0 && r.P95 < TargetMs);
        return new Result("coldstart", publish, "embedded", runs, warmup, results, Round(all.P50), Round(all.P95), Round(all.P99), TargetMs, meets,
            Environment.ProcessorCount, RuntimeInformation.OSDescription);
    }

    /// <summary>One start: milliseconds from <see cref="Process.Start()"/> to the first 200 of /health/ready and to the first successful real request, or null.</summary>
    private static async Task<(double ReadyMs, double FirstRequestMs, bool NotServedWhenReady)?> StartOnceAsync(
        string hostPath, string role, HttpClient http, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var port = PublishedHost.FreePort();
        var dataDir = Directory.CreateTempSubdirectory("maximus-coldstart-").FullName;
        var baseUri = new Uri($"http://127.0.0.1:{port}/");
        var start = PublishedHost.StartInfo(hostPath, ["--role", role, "--runtime", "embedded", "--urls", $"http://127.0.0.1:{port}", "--data-dir", dataDir]);
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        try
        {
            var clock = Stopwatch.StartNew();
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            double? readyMs = null;
            var notServed = false;
            while (clock.Elapsed < timeout)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (process.HasExited)
                {
                    return null;
                }

                try
                {
                    if (readyMs is null)
                    {
                        using var response = await http.GetAsync(new Uri(baseUri, "health/ready"), cancellationToken).ConfigureAwait(false);
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            readyMs = clock.Elapsed.TotalMilliseconds;
                        }
                    }

                    if (readyMs is not null)
                    {
                        if (await FirstRequests.SendAsync(role, http, baseUri, cancellationToken).ConfigureAwait(false))
                        {
                            return (readyMs.Value, clock.Elapsed.TotalMilliseconds, notServed);
                        }

                        notServed = true;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                await Task.Delay(2, cancellationToken).ConfigureAwait(false);
            }

            return null;
        }
        finally
        {
            await PublishedHost.StopAsync(process).ConfigureAwait(false);
            PublishedHost.DeleteQuietly(dataDir);
        }
    }

    private static double Round(double ms) => Math.Round(ms, 1);
}
