using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using static Maximus.IntegrationTests.Http;

namespace Maximus.IntegrationTests;

/// <summary>
/// The built host as an operator starts it, <c>dotnet &lt;path&gt;/Maximus.Host.dll</c>, from a working directory that is
/// not its own folder: a mission killed half-way (the process dies right after its second step is journaled) is resumed by
/// the next start and finishes, and the plugin's request-id log shows no step applied twice. Resuming is a default in
/// code; no appsettings.json has to be found for it.
/// </summary>
public sealed class HostProcessCrashTests
{
    [Fact]
    public async Task A_host_started_from_another_working_directory_resumes_a_crashed_mission_without_applying_a_step_twice()
    {
        var root = Directory.CreateTempSubdirectory("maximus-crash-").FullName;
        try
        {
            var dataDir = Path.Combine(root, "data");
            var port = FreePort();
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };

            string missionId, environmentId;
            using (var first = Start(Path.Combine(root, "cwd-1"), dataDir, port, killAfter: "ExecuteStepActivity:2"))
            {
                await WaitReadyAsync(http, first);
                using var created = await http.PostAsync("pddl-env/v1/environments", Json(new { domain = Blocksworld.Domain, problem = Blocksworld.InvertThree }), Ct);
                environmentId = (await ReadJsonAsync(created, HttpStatusCode.Created)).Text("environmentId")!;
                using var accepted = await http.PostAsync("v1/missions", Json(new { pluginAppId = "pddl-env", context = environmentId }), Ct);
                missionId = (await ReadJsonAsync(accepted, HttpStatusCode.Accepted)).Text("missionId")!;

                using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(90));
                await first.WaitForExitAsync(exit.Token);
                Assert.NotEqual(0, first.ExitCode);
            }

            using var second = Start(Path.Combine(root, "cwd-2"), dataDir, port, killAfter: null);
            try
            {
                await WaitReadyAsync(http, second);
                var mission = await PollAsync(http, $"v1/missions/{missionId}", m => m.Text("status") is "Succeeded" or "Failed");
                Assert.True(mission.Text("status") == "Succeeded", mission.ToJsonString());

                using var view = await http.GetAsync($"pddl-env/v1/environments/{environmentId}", Ct);
                var environment = await ReadJsonAsync(view, HttpStatusCode.OK);
                var applied = environment["appliedRequestIds"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
                Assert.True(environment["state"]!["goalReached"]!.GetValue<bool>());
                Assert.Equal(applied.Count, applied.Distinct(StringComparer.Ordinal).Count());
                Assert.Equal(mission["result"]!["stepsExecuted"]!.GetValue<int>(), applied.Count);
                Assert.True(applied.Count > 2, "the kill came after the second step, so some steps ran after the restart");
            }
            finally
            {
                second.Kill(entireProcessTree: true);
                await second.WaitForExitAsync(Ct);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // A temp folder; the OS cleans it up.
            }
        }
    }

    private static Process Start(string workingDirectory, string dataDir, int port, string? killAfter)
    {
        Directory.CreateDirectory(workingDirectory);
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } dotnet && File.Exists(dotnet) ? dotnet : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList =
            {
                Path.Combine(AppContext.BaseDirectory, "Maximus.Host.dll"),
                "--role", "all", "--runtime", "embedded", "--data-dir", dataDir, "--urls", $"http://127.0.0.1:{port}",
            },
        };
        foreach (var name in new[] { "ASPNETCORE_CONTENTROOT", "DOTNET_CONTENTROOT", "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "Maximus__Embedded__ResumeWorkflowsOnStart" })
        {
            start.Environment.Remove(name);
        }

        start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
        if (killAfter is not null)
        {
            start.Environment["Maximus__Embedded__KillAfterActivity"] = killAfter;
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitReadyAsync(HttpClient http, Process process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            Assert.False(process.HasExited, $"the host exited with {(process.HasExited ? process.ExitCode : 0)} before it was ready");
            try
            {
                using var ready = await http.GetAsync("health/ready", Ct);
                if (ready.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, "the host was not ready within 60 s");
            await Task.Delay(100, Ct);
        }
    }

    private static async Task<JsonNode> PollAsync(HttpClient http, string path, Func<JsonNode, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await http.GetAsync(path, Ct);
            var body = await ReadJsonAsync(response, HttpStatusCode.OK);
            if (done(body))
            {
                return body;
            }

            Assert.True(DateTime.UtcNow < deadline, $"GET {path} did not end within 60 s: {body.ToJsonString()}");
            await Task.Delay(100, Ct);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
