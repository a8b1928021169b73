using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Maximus.Sqlite;
using Microsoft.Data.Sqlite;
using static Maximus.IntegrationTests.Http;

namespace Maximus.IntegrationTests;

/// <summary>
/// The real host (<c>Maximus.Host.dll</c>) as a child process on a data directory that fails: a disk that fills up (a
/// file-size limit, <c>prlimit --fsize</c>, with SIGXFSZ ignored so writes fail with EFBIG as on a full disk) and a corrupt
/// SQLite file at start.
/// </summary>
public sealed class StorageFaultTests
{
    [Fact]
    public async Task A_full_disk_answers_507_naming_the_data_directory_corrupts_nothing_and_recovers_when_space_returns()
    {
        if (!File.Exists("/usr/bin/prlimit") && !File.Exists("/bin/prlimit"))
        {
            Assert.Skip("prlimit (util-linux) is needed to limit the file size of the running host.");
        }

        using var data = new TempFolder();
        await using var host = await HostProcess.StartAsync("memory", data.Path);
        using var client = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(60) };
        using (var first = await client.PostAsync("/v1/memory/default/entries", Entry(0), Ct))
        {
            Assert.True(first.IsSuccessStatusCode, await first.Content.ReadAsStringAsync(Ct));
        }

        // The disk "fills": no file may grow past its size now (plus a little).
        var largest = Directory.EnumerateFiles(data.Path).Max(f => new FileInfo(f).Length);
        await host.LimitFileSizeAsync(largest + 16 * 1024);
        HttpResponseMessage? refused = null;
        for (var i = 1; i <= 300 && refused is null; i++)
        {
            var response = await client.PostAsync("/v1/memory/default/entries", Entry(i), Ct);
            if (response.IsSuccessStatusCode)
            {
                response.Dispose();
            }
            else
            {
                refused = response;
            }
        }

        Assert.NotNull(refused);
        using (refused)
        {
            Assert.True((int)refused.StatusCode == 507, $"expected 507, got {(int)refused.StatusCode}; the host printed: {host.Output[^Math.Min(host.Output.Length, 3000)..]}");
            var problem = await ReadProblemAsync(refused, (HttpStatusCode)507);
            Assert.Equal("Storage failure", problem.Text("title"));
            Assert.Contains($"Writing to {data.Path} failed", problem.Text("detail"), StringComparison.Ordinal);
        }

        // Space returns: the next write succeeds and can be read back.
        await host.LimitFileSizeAsync(null);
        using (var after = await client.PostAsync("/v1/memory/default/entries", Entry(1000, id: "after-space-returned"), Ct))
        {
            Assert.True(after.IsSuccessStatusCode, await after.Content.ReadAsStringAsync(Ct));
        }

        using (var read = await client.GetAsync("/v1/memory/default/entries/after-space-returned", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        }

        var output = await host.StopAsync();
        Assert.Contains($"Writing to the data directory {data.Path} failed", output, StringComparison.Ordinal);
        SqliteConnection.ClearAllPools();
        var files = Directory.EnumerateFiles(data.Path, "*.db").Select(SqliteFileCheck.Run).ToList();
        Assert.NotEmpty(files);
        Assert.All(files, f => Assert.True(f.Healthy, $"{f.Path}: {f.Problem}"));
        Assert.All(files, f => Assert.Equal("ok", f.Integrity));
    }

    [Fact]
    public async Task A_corrupt_SQLite_file_at_start_stops_the_host_with_exit_code_4_and_a_last_line_naming_the_file()
    {
        using var data = new TempFolder();
        var state = Path.Combine(data.Path, "maximus.db");
        await File.WriteAllTextAsync(state, string.Concat(Enumerable.Repeat("this is not a database, it was overwritten. ", 200)), Ct);

        await using var host = HostProcess.Launch("memory", data.Path);
        var (exitCode, output) = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));

        // The generic host logs why it could not start; the process's last words are the one line, then it exits.
        Assert.Equal(DataFileException.ExitCode, exitCode);
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        Assert.StartsWith($"The SQLite file {state} is not a SQLite database", last, StringComparison.Ordinal);
        Assert.EndsWith($"'maximus doctor --data-dir {data.Path}' checks every file of the folder.", last, StringComparison.Ordinal);
    }

    private static StringContent Entry(int i, string? id = null) =>
        Json($$"""{"type": "episodic", "text": "{{new string('w', 6000)}} entry {{i}}"{{(id is null ? "" : $", \"id\": \"{id}\"")}}}""");

    /// <summary>A temporary data directory, removed afterwards.</summary>
    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("maximus-storage-fault-").FullName;

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // Left to the temp folder's cleanup.
            }
        }
    }

    /// <summary><c>dotnet Maximus.Host.dll</c> on the loopback, started through bash with SIGXFSZ ignored (inherited across exec).</summary>
    private sealed class HostProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private HostProcess(Process process, Uri address)
        {
            _process = process;
            Address = address;
            process.OutputDataReceived += (_, e) => Append(e.Data);
            process.ErrorDataReceived += (_, e) => Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Uri Address { get; }

        public static HostProcess Launch(string role, string dataDirectory)
        {
            var port = FreePort();
            var host = Path.Combine(AppContext.BaseDirectory, "Maximus.Host.dll");
            var start = new ProcessStartInfo("bash")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("trap '' XFSZ; exec dotnet \"$0\" \"$@\"");
            foreach (var arg in new[] { host, "--role", role, "--runtime", "embedded", "--data-dir", dataDirectory, "--urls", $"http://127.0.0.1:{port}", "--Serilog:MinimumLevel:Default", "Warning" })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["DOTNET_NOLOGO"] = "1";
            return new HostProcess(Process.Start(start)!, new Uri($"http://127.0.0.1:{port}"));
        }

        public static async Task<HostProcess> StartAsync(string role, string dataDirectory)
        {
            var host = Launch(role, dataDirectory);
            using var client = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (true)
            {
                Assert.False(host._process.HasExited, $"the host ended with {(host._process.HasExited ? host._process.ExitCode : 0)}: {host.Output}");
                try
                {
                    using var ready = await client.GetAsync("/health/ready", Ct);
                    if (ready.IsSuccessStatusCode)
                    {
                        return host;
                    }
                }
                catch (HttpRequestException)
                {
                    // Not listening yet.
                }

                Assert.True(DateTime.UtcNow < deadline, $"the host was not ready within 90 s: {host.Output}");
                await Task.Delay(100, Ct);
            }
        }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        /// <summary>Sets the soft file-size limit of the running host (null: unlimited), as a full disk would.</summary>
        public async Task LimitFileSizeAsync(long? bytes)
        {
            var start = new ProcessStartInfo("prlimit") { RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("--pid");
            start.ArgumentList.Add(_process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            start.ArgumentList.Add($"--fsize={(bytes is { } b ? b.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unlimited")}:");
            using var prlimit = Process.Start(start)!;
            var error = await prlimit.StandardError.ReadToEndAsync(Ct);
            await prlimit.WaitForExitAsync(Ct);
            Assert.True(prlimit.ExitCode == 0, $"prlimit failed: {error}");
        }

        public async Task<(int ExitCode, string Output)> WaitForExitAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            await _process.WaitForExitAsync(cts.Token);
            return (_process.ExitCode, Output);
        }

        /// <summary>Stops the host as Kubernetes does (SIGTERM) and returns what it printed.</summary>
        public async Task<string> StopAsync()
        {
            if (!_process.HasExited)
            {
                using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                await kill.WaitForExitAsync(Ct);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await _process.WaitForExitAsync(cts.Token);
            }

            return Output;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        private void Append(string? line)
        {
            if (line is not null)
            {
                lock (_output)
                {
                    _output.AppendLine(line);
                }
            }
        }
    }
}
